package history

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CallStarted records a new call and returns its ID. It uses c's Account,
// Direction, RemoteURI, RemoteName and Start (now when zero); the other
// fields are ignored.
func (s *Store) CallStarted(c Call) (int64, error) {
	if !c.Direction.valid() {
		return 0, fmt.Errorf("call started: %w: direction %q", ErrInvalid, c.Direction)
	}
	if strings.TrimSpace(c.RemoteURI) == "" {
		return 0, fmt.Errorf("call started: %w: empty remote uri", ErrInvalid)
	}
	if c.Start.IsZero() {
		c.Start = time.Now()
	}
	res, err := s.db.Exec(`INSERT INTO calls
		(session, account, direction, remote_uri, remote_key, remote_name, start_ms, last_seen_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		s.session, c.Account, string(c.Direction), c.RemoteURI, remoteKey(c.RemoteURI), c.RemoteName,
		ms(c.Start), ms(c.Start))
	if err != nil {
		return 0, fmt.Errorf("call started: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("call started: %w", err)
	}
	return id, nil
}

// CallAnswered records when call id was answered. Answering twice keeps
// the first time. It fails with ErrNotFound or ErrCallEnded.
func (s *Store) CallAnswered(id int64, t time.Time) error {
	res, err := s.db.Exec(`UPDATE calls SET answered_ms = ?, last_seen_ms = max(last_seen_ms, ?)
		WHERE id = ? AND end_ms IS NULL AND answered_ms IS NULL`, ms(t), ms(t), id)
	if err != nil {
		return fmt.Errorf("call answered: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	c, err := s.Call(id)
	switch {
	case err != nil:
		return fmt.Errorf("call answered: %w", err)
	case !c.Ongoing():
		return fmt.Errorf("call answered: call %d: %w", id, ErrCallEnded)
	}
	return nil // already answered
}

// CallEnded records the end of call id: result, the final SIP status code
// (0 if none) and reason phrase. Duration is end minus answer time (0 when
// never answered); an end before the start is taken as the start. It fails
// with ErrNotFound, ErrCallEnded, or ErrInvalid for an unknown result.
func (s *Store) CallEnded(id int64, t time.Time, result Result, code int, reason string) error {
	if !result.valid() {
		return fmt.Errorf("call ended: %w: result %q", ErrInvalid, result)
	}
	seen := 1
	if result == Missed {
		seen = 0
	}
	res, err := s.db.Exec(`UPDATE calls SET
			end_ms = max(start_ms, ?1),
			duration_ms = CASE WHEN answered_ms IS NULL THEN 0 ELSE max(0, max(start_ms, ?1) - answered_ms) END,
			last_seen_ms = max(last_seen_ms, ?1),
			result = ?2, code = ?3, reason = ?4, seen = ?5
		WHERE id = ?6 AND end_ms IS NULL`, ms(t), string(result), code, reason, seen, id)
	if err != nil {
		return fmt.Errorf("call ended: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	if _, err := s.Call(id); err != nil {
		return fmt.Errorf("call ended: %w", err)
	}
	return fmt.Errorf("call ended: call %d: %w", id, ErrCallEnded)
}

const callColumns = `id, account, direction, remote_uri, remote_name, start_ms, answered_ms,
	end_ms, duration_ms, result, code, reason`

func scanCall(sc interface{ Scan(...any) error }) (Call, error) {
	var (
		c                 Call
		dir, result       string
		start, durationMS int64
		answered, end     sql.NullInt64
	)
	err := sc.Scan(&c.ID, &c.Account, &dir, &c.RemoteURI, &c.RemoteName, &start, &answered,
		&end, &durationMS, &result, &c.Code, &c.Reason)
	if err != nil {
		return Call{}, err
	}
	c.Direction, c.Result = Direction(dir), Result(result)
	c.Start = time.UnixMilli(start)
	c.Answered, c.End = fromMS(answered), fromMS(end)
	c.Duration = time.Duration(durationMS) * time.Millisecond
	return c, nil
}

// Call returns one call.
func (s *Store) Call(id int64) (Call, error) {
	c, err := scanCall(s.db.QueryRow("SELECT "+callColumns+" FROM calls WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Call{}, fmt.Errorf("call %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Call{}, fmt.Errorf("call %d: %w", id, err)
	}
	return c, nil
}

// CallFilter selects calls; zero fields match everything.
type CallFilter struct {
	RemoteURI string // compared normalized (see contacts.NormalizeURI)
	Account   string
	Direction Direction
	Result    Result
	Since     time.Time // start >= Since
	Until     time.Time // start < Until
	// BeforeID pages back: only calls older (by start, then ID) than call
	// BeforeID. Pass the last ID of the previous page.
	BeforeID int64
	Limit    int // DefaultLimit when 0, at most MaxLimit
}

// Calls returns the calls matching f, newest first.
func (s *Store) Calls(f CallFilter) ([]Call, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if f.RemoteURI != "" {
		add("remote_key = ?", remoteKey(f.RemoteURI))
	}
	if f.Account != "" {
		add("account = ?", f.Account)
	}
	if f.Direction != "" {
		add("direction = ?", string(f.Direction))
	}
	if f.Result != "" {
		add("result = ?", string(f.Result))
	}
	if !f.Since.IsZero() {
		add("start_ms >= ?", ms(f.Since))
	}
	if !f.Until.IsZero() {
		add("start_ms < ?", ms(f.Until))
	}
	if f.BeforeID != 0 {
		add("(start_ms, id) < (SELECT start_ms, id FROM calls WHERE id = ?)", f.BeforeID)
	}
	q := "SELECT " + callColumns + " FROM calls"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY start_ms DESC, id DESC LIMIT ?"
	args = append(args, clampLimit(f.Limit))
	return s.queryCalls(q, args...)
}

func (s *Store) queryCalls(q string, args ...any) ([]Call, error) {
	rows, err := s.db.Query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("query calls: %w", err)
	}
	defer rows.Close()
	var out []Call
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			return nil, fmt.Errorf("query calls: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query calls: %w", err)
	}
	return out, nil
}

// MissedCount returns the number of missed calls not yet marked seen, for
// a badge.
func (s *Store) MissedCount() (int, error) {
	var n int
	if err := s.db.QueryRow("SELECT count(*) FROM calls WHERE seen = 0 AND result = 'missed'").Scan(&n); err != nil {
		return 0, fmt.Errorf("missed count: %w", err)
	}
	return n, nil
}

// MarkMissedSeen clears the missed-call badge.
func (s *Store) MarkMissedSeen() error {
	if _, err := s.db.Exec("UPDATE calls SET seen = 1 WHERE seen = 0"); err != nil {
		return fmt.Errorf("mark missed seen: %w", err)
	}
	return nil
}
