package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/teaphone/teaphone/contacts"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Errors callers branch on.
var (
	ErrNotFound    = errors.New("history entry not found")
	ErrCallEnded   = errors.New("call already ended")
	ErrInvalid     = errors.New("invalid history value")
	ErrNewerSchema = errors.New("history database is from a newer teaphone")
	ErrClosed      = errors.New("history store closed")
)

// Direction of a call or message.
type Direction string

const (
	Incoming Direction = "in"
	Outgoing Direction = "out"
)

// Result is how a call ended. The empty Result means the call is ongoing.
type Result string

const (
	Answered    Result = "answered"
	Missed      Result = "missed"      // incoming, never answered, the caller gave up
	Rejected    Result = "rejected"    // declined: by us (incoming) or by the callee (603 Decline)
	Failed      Result = "failed"      // network error, timeout, or a 4xx/5xx/6xx other than busy
	Busy        Result = "busy"        // 486 Busy Here / 600 Busy Everywhere
	Cancelled   Result = "cancelled"   // an outgoing call we cancelled before an answer
	Interrupted Result = "interrupted" // teaphone stopped during the call
)

func (r Result) valid() bool {
	switch r {
	case Answered, Missed, Rejected, Failed, Busy, Cancelled, Interrupted:
		return true
	}
	return false
}

// State is the delivery state of a message. Incoming messages are
// StateDelivered.
type State string

const (
	StateSending   State = "sending"
	StateDelivered State = "delivered"
	StateFailed    State = "failed"
)

func (s State) valid() bool {
	return s == StateSending || s == StateDelivered || s == StateFailed
}

func (d Direction) valid() bool { return d == Incoming || d == Outgoing }

// Limits of list queries.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

// Call is one call in the history.
type Call struct {
	ID         int64
	Account    string
	Direction  Direction
	RemoteURI  string // as signalled (From for incoming, the dialled URI for outgoing)
	RemoteName string // display name, may be empty
	Start      time.Time
	Answered   time.Time // zero if never answered
	End        time.Time // zero while ongoing
	Duration   time.Duration
	Result     Result // empty while ongoing
	Code       int    // final SIP status code, 0 if none
	Reason     string // SIP reason phrase or a local explanation
}

// Ongoing reports whether the call has not ended.
func (c Call) Ongoing() bool { return c.End.IsZero() }

// Message is one instant message.
type Message struct {
	ID         int64
	Account    string
	Direction  Direction
	RemoteURI  string
	RemoteName string
	Time       time.Time
	Body       string
	State      State
	Reason     string // why delivery failed
	Read       bool   // outgoing messages are always read
}

// Store is an open history database. It is safe for concurrent use.
type Store struct {
	db        *sql.DB
	session   int64
	fts       bool
	recovered []int64
	closed    atomic.Bool
}

type config struct {
	noFTS bool // tests: exercise the LIKE fallback
}

// Open opens (creating if needed, mode 0600) the history database at path,
// migrates its schema, and recovers what a killed process left behind (see
// the package documentation). The directory must exist. Call Close when
// done.
func Open(path string) (*Store, error) {
	return open(path, config{})
}

func open(path string, cfg config) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open history %q: %w: path must be non-empty and contain no ? or #", path, ErrInvalid)
	}
	// History is private: create the file 0600 before SQLite does (SQLite
	// gives the -wal and -shm files the database file's mode).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open history: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("open history: %w", err)
	}
	// The _pragma parameters run on every new connection.
	dsn := path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open history %s: %w", path, err)
	}
	// One connection: SQLite allows a single writer anyway, and this way
	// writers queue in database/sql instead of failing with SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	s := &Store{db: db}
	if err := s.init(path, cfg); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) init(path string, cfg config) error {
	ctx := context.Background()
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("open history %s: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("open history %s: journal mode is %q, want wal", path, mode)
	}
	if err := s.migrate(ctx, !cfg.noFTS); err != nil {
		return fmt.Errorf("open history %s: %w", path, err)
	}
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = 'messages_fts'").Scan(&n)
	if err != nil {
		return fmt.Errorf("open history %s: %w", path, err)
	}
	s.fts = n == 1 && !cfg.noFTS
	res, err := s.db.ExecContext(ctx, "INSERT INTO sessions(pid, started_ms) VALUES (?, ?)", os.Getpid(), ms(time.Now()))
	if err != nil {
		return fmt.Errorf("open history %s: %w", path, err)
	}
	if s.session, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("open history %s: %w", path, err)
	}
	if err := s.recover(ctx); err != nil {
		return fmt.Errorf("open history %s: recover: %w", path, err)
	}
	return nil
}

// Recovered returns the IDs of calls that Open found left open by a
// previous process and closed as Interrupted.
func (s *Store) Recovered() []int64 { return append([]int64(nil), s.recovered...) }

const interruptedReason = "teaphone stopped during the call"

// recover closes calls and fails messages left by sessions whose process
// is gone.
func (s *Store) recover(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `
		SELECT id, pid FROM sessions WHERE id != ? AND (
			id IN (SELECT session FROM calls WHERE end_ms IS NULL) OR
			id IN (SELECT session FROM messages WHERE state = 'sending'))`, s.session)
	if err != nil {
		return err
	}
	var dead []int64
	for rows.Next() {
		var id int64
		var pid int
		if err := rows.Scan(&id, &pid); err != nil {
			_ = rows.Close()
			return err
		}
		// Our own PID in another session is a previous process (PIDs are
		// reused, e.g. PID 1 in a container) or an abandoned Store.
		if pid == os.Getpid() || !processAlive(pid) {
			dead = append(dead, id)
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	// Calls whose session row is missing (should not happen) count as dead.
	var orphans []int64
	if err := s.collect(ctx, &orphans, `SELECT DISTINCT session FROM calls WHERE end_ms IS NULL
		AND session NOT IN (SELECT id FROM sessions)`); err != nil {
		return err
	}
	dead = append(dead, orphans...)
	for _, sess := range dead {
		if err := s.closeSession(ctx, sess); err != nil {
			return err
		}
	}
	// Forget sessions that have nothing open any more.
	_, err = s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id != ?
		AND id NOT IN (SELECT session FROM calls WHERE end_ms IS NULL)
		AND id NOT IN (SELECT session FROM messages WHERE state = 'sending')`, s.session)
	return err
}

func (s *Store) collect(ctx context.Context, dst *[]int64, query string, args ...any) error {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		*dst = append(*dst, id)
	}
	return rows.Err()
}

// closeSession marks a session's open calls Interrupted and its sending
// messages failed, in one transaction.
func (s *Store) closeSession(ctx context.Context, sess int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	var ids []int64
	rows, err := tx.QueryContext(ctx, "SELECT id FROM calls WHERE session = ? AND end_ms IS NULL", sess)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			_ = rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	// end = the last time known for the call.
	if _, err := tx.ExecContext(ctx, `
		UPDATE calls SET
			end_ms = max(start_ms, coalesce(answered_ms, 0), last_seen_ms),
			duration_ms = CASE WHEN answered_ms IS NULL THEN 0
				ELSE max(0, max(start_ms, answered_ms, last_seen_ms) - answered_ms) END,
			result = 'interrupted', code = 0, reason = ?
		WHERE session = ? AND end_ms IS NULL`, interruptedReason, sess); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE messages SET state = 'failed', reason = ?
		WHERE session = ? AND state = 'sending'`, "teaphone stopped before delivery was confirmed", sess); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.recovered = append(s.recovered, ids...)
	return nil
}

// Heartbeat records t as the last time this process knew its ongoing calls
// were alive; after a crash they end at the latest heartbeat instead of at
// their answer time. Calling it every 10-30 s during calls is plenty.
func (s *Store) Heartbeat(t time.Time) error {
	_, err := s.db.Exec(`UPDATE calls SET last_seen_ms = max(last_seen_ms, ?)
		WHERE session = ? AND end_ms IS NULL`, ms(t), s.session)
	if err != nil {
		return fmt.Errorf("history heartbeat: %w", err)
	}
	return nil
}

// Close closes this Store's ongoing calls as Interrupted (the engine should
// have ended them) and closes the database.
// A second Close does nothing.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	err := s.closeSession(context.Background(), s.session)
	if _, derr := s.db.Exec("DELETE FROM sessions WHERE id = ?", s.session); err == nil && derr != nil {
		err = derr
	}
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("close history: %w", err)
	}
	return nil
}

// ms converts t to Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64)
}

// remoteKey is the normalized address used to group and find entries.
func remoteKey(uri string) string {
	if k, err := contacts.NormalizeURI(uri); err == nil {
		return k
	}
	return strings.ToLower(strings.TrimSpace(uri))
}
