package history

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MessageAdded records a message and returns its ID. It uses m's Account,
// Direction, RemoteURI, RemoteName, Time (now when zero), Body, State and
// Reason. State defaults to StateSending for outgoing and StateDelivered
// for incoming messages. Outgoing messages are stored read, incoming ones
// unread.
func (s *Store) MessageAdded(m Message) (int64, error) {
	if !m.Direction.valid() {
		return 0, fmt.Errorf("message added: %w: direction %q", ErrInvalid, m.Direction)
	}
	if strings.TrimSpace(m.RemoteURI) == "" {
		return 0, fmt.Errorf("message added: %w: empty remote uri", ErrInvalid)
	}
	if m.State == "" {
		m.State = StateDelivered
		if m.Direction == Outgoing {
			m.State = StateSending
		}
	}
	if !m.State.valid() {
		return 0, fmt.Errorf("message added: %w: state %q", ErrInvalid, m.State)
	}
	if m.Time.IsZero() {
		m.Time = time.Now()
	}
	read := m.Direction == Outgoing
	res, err := s.db.Exec(`INSERT INTO messages
		(session, account, direction, remote_uri, remote_key, remote_name, time_ms, body, state, reason, read)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.session, m.Account, string(m.Direction), m.RemoteURI, remoteKey(m.RemoteURI), m.RemoteName,
		ms(m.Time), m.Body, string(m.State), m.Reason, read)
	if err != nil {
		return 0, fmt.Errorf("message added: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("message added: %w", err)
	}
	return id, nil
}

// MessageState records a delivery outcome for message id (reason explains
// a failure; it is cleared otherwise).
func (s *Store) MessageState(id int64, state State, reason string) error {
	if !state.valid() {
		return fmt.Errorf("message state: %w: state %q", ErrInvalid, state)
	}
	if state != StateFailed {
		reason = ""
	}
	res, err := s.db.Exec("UPDATE messages SET state = ?, reason = ? WHERE id = ?", string(state), reason, id)
	if err != nil {
		return fmt.Errorf("message state: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("message state: message %d: %w", id, ErrNotFound)
	}
	return nil
}

// MarkRead marks every message of the conversation with conversationURI
// read.
func (s *Store) MarkRead(conversationURI string) error {
	if _, err := s.db.Exec("UPDATE messages SET read = 1 WHERE remote_key = ? AND read = 0",
		remoteKey(conversationURI)); err != nil {
		return fmt.Errorf("mark read: %w", err)
	}
	return nil
}

const messageColumns = `id, account, direction, remote_uri, remote_name, time_ms, body, state, reason, read`

func scanMessage(sc interface{ Scan(...any) error }, extra ...any) (Message, error) {
	var (
		m          Message
		dir, state string
		t          int64
	)
	dst := append([]any{&m.ID, &m.Account, &dir, &m.RemoteURI, &m.RemoteName, &t, &m.Body, &state, &m.Reason, &m.Read}, extra...)
	if err := sc.Scan(dst...); err != nil {
		return Message{}, err
	}
	m.Direction, m.State = Direction(dir), State(state)
	m.Time = time.UnixMilli(t)
	return m, nil
}

// Message returns one message.
func (s *Store) Message(id int64) (Message, error) {
	m, err := scanMessage(s.db.QueryRow("SELECT "+messageColumns+" FROM messages WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Message{}, fmt.Errorf("message %d: %w", id, err)
	}
	return m, nil
}

// Page bounds a list: at most Limit entries (DefaultLimit when 0, at most
// MaxLimit) older than entry BeforeID (0: from the newest).
type Page struct {
	BeforeID int64
	Limit    int
}

// Messages returns the newest messages exchanged with conversationURI
// (compared normalized), oldest first as a chat view shows them. To scroll
// back, pass the ID of the oldest message shown as p.BeforeID.
func (s *Store) Messages(conversationURI string, p Page) ([]Message, error) {
	q := "SELECT " + messageColumns + " FROM messages WHERE remote_key = ?"
	args := []any{remoteKey(conversationURI)}
	if p.BeforeID != 0 {
		q += " AND (time_ms, id) < (SELECT time_ms, id FROM messages WHERE id = ?)"
		args = append(args, p.BeforeID)
	}
	q += " ORDER BY time_ms DESC, id DESC LIMIT ?"
	args = append(args, clampLimit(p.Limit))
	out, err := s.queryMessages(q, args...)
	if err != nil {
		return nil, err
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

func (s *Store) queryMessages(q string, args ...any) ([]Message, error) {
	rows, err := s.db.Query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("query messages: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("query messages: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query messages: %w", err)
	}
	return out, nil
}

// Conversation summarizes the messages exchanged with one remote address.
type Conversation struct {
	// RemoteURI is the address as written in the latest message; pass it
	// to Messages and MarkRead.
	RemoteURI string
	Last      Message // the latest message
	Unread    int     // incoming messages not yet read
}

// Conversations lists conversations, the most recently active first, at
// most limit (DefaultLimit when 0, at most MaxLimit).
func (s *Store) Conversations(limit int) ([]Conversation, error) {
	rows, err := s.db.Query(`
		WITH last AS (
			SELECT remote_key, max(time_ms) AS t FROM messages GROUP BY remote_key ORDER BY t DESC LIMIT ?
		)
		SELECT `+prefixed("m", messageColumns)+`,
			(SELECT count(*) FROM messages u WHERE u.remote_key = last.remote_key AND u.read = 0)
		FROM last JOIN messages m ON m.id = (
			SELECT id FROM messages x WHERE x.remote_key = last.remote_key ORDER BY time_ms DESC, id DESC LIMIT 1)
		ORDER BY last.t DESC, m.id DESC`, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	defer rows.Close()
	var out []Conversation
	for rows.Next() {
		var c Conversation
		m, err := scanMessage(rows, &c.Unread)
		if err != nil {
			return nil, fmt.Errorf("conversations: %w", err)
		}
		c.Last, c.RemoteURI = m, m.RemoteURI
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	return out, nil
}

// UnreadCount returns the number of unread incoming messages, for a badge.
func (s *Store) UnreadCount() (int, error) {
	var n int
	if err := s.db.QueryRow("SELECT count(*) FROM messages WHERE read = 0").Scan(&n); err != nil {
		return 0, fmt.Errorf("unread count: %w", err)
	}
	return n, nil
}

func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = alias + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
