package history

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// migration moves the schema from version i to i+1 (PRAGMA user_version),
// inside a transaction. fts says whether to build full-text indexes.
type migration func(ctx context.Context, tx *sql.Tx, fts bool) error

// migrations[i] upgrades user_version i to i+1. Append only: never edit a
// released migration.
var migrations = []migration{
	migrateV1,
}

// SchemaVersion is the user_version this package writes; it equals
// len(migrations) (a test checks).
const SchemaVersion = 1

func (s *Store) migrate(ctx context.Context, fts bool) error {
	// Transactions are BEGIN IMMEDIATE (_txlock in the DSN): two processes
	// opening a new file at once serialize on the write lock, and the
	// loser sees the winner's user_version inside its transaction.
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var v int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("%w: schema version %d, this teaphone knows up to %d", ErrNewerSchema, v, len(migrations))
	}
	for ; v < len(migrations); v++ {
		if err := runMigration(ctx, conn, v, fts); err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
		}
	}
	return nil
}

func runMigration(ctx context.Context, conn *sql.Conn, from int, fts bool) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	// Another process may have migrated meanwhile.
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v != from {
		return nil
	}
	if err := migrations[from](ctx, tx, fts); err != nil {
		return err
	}
	// PRAGMA takes no bound parameters; from+1 is our own integer.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", from+1)); err != nil {
		return err
	}
	return tx.Commit()
}

func execAll(ctx context.Context, tx *sql.Tx, stmts ...string) error {
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			head := strings.Join(strings.Fields(q), " ")
			return fmt.Errorf("%w (in %.60s)", err, head)
		}
	}
	return nil
}

func migrateV1(ctx context.Context, tx *sql.Tx, fts bool) error {
	err := execAll(ctx, tx,
		`CREATE TABLE sessions (
			id         INTEGER PRIMARY KEY,
			pid        INTEGER NOT NULL,
			started_ms INTEGER NOT NULL
		)`,
		`CREATE TABLE calls (
			id           INTEGER PRIMARY KEY,
			session      INTEGER NOT NULL,
			account      TEXT    NOT NULL DEFAULT '',
			direction    TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
			remote_uri   TEXT    NOT NULL,
			remote_key   TEXT    NOT NULL,
			remote_name  TEXT    NOT NULL DEFAULT '',
			start_ms     INTEGER NOT NULL,
			answered_ms  INTEGER,
			end_ms       INTEGER,
			last_seen_ms INTEGER NOT NULL,
			duration_ms  INTEGER NOT NULL DEFAULT 0,
			result       TEXT    NOT NULL DEFAULT '',
			code         INTEGER NOT NULL DEFAULT 0,
			reason       TEXT    NOT NULL DEFAULT '',
			seen         INTEGER NOT NULL DEFAULT 1
		)`,
		`CREATE INDEX calls_start ON calls(start_ms)`,
		`CREATE INDEX calls_remote ON calls(remote_key, start_ms)`,
		`CREATE INDEX calls_open ON calls(session) WHERE end_ms IS NULL`,
		`CREATE INDEX calls_unseen ON calls(result) WHERE seen = 0`,
		`CREATE TABLE messages (
			id          INTEGER PRIMARY KEY,
			session     INTEGER NOT NULL,
			account     TEXT    NOT NULL DEFAULT '',
			direction   TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
			remote_uri  TEXT    NOT NULL,
			remote_key  TEXT    NOT NULL,
			remote_name TEXT    NOT NULL DEFAULT '',
			time_ms     INTEGER NOT NULL,
			body        TEXT    NOT NULL,
			state       TEXT    NOT NULL CHECK (state IN ('sending', 'delivered', 'failed')),
			reason      TEXT    NOT NULL DEFAULT '',
			read        INTEGER NOT NULL DEFAULT 0
		)`,
		`CREATE INDEX messages_time ON messages(time_ms)`,
		`CREATE INDEX messages_remote ON messages(remote_key, time_ms)`,
		`CREATE INDEX messages_unread ON messages(remote_key) WHERE read = 0`,
		`CREATE INDEX messages_sending ON messages(session) WHERE state = 'sending'`,
	)
	if err != nil || !fts {
		return err
	}
	// FTS5 external-content index over message bodies and the remote
	// address and name (trigram: substring search like LIKE '%q%', but
	// indexed). Skipped when the SQLite build lacks FTS5; Search then falls
	// back to LIKE.
	if _, err := tx.ExecContext(ctx, `CREATE VIRTUAL TABLE messages_fts USING fts5(
		body, remote_uri, remote_name, content='messages', content_rowid='id', tokenize='trigram')`); err != nil {
		if strings.Contains(err.Error(), "no such module") {
			return nil
		}
		return err
	}
	return execAll(ctx, tx,
		`CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
			INSERT INTO messages_fts(rowid, body, remote_uri, remote_name)
			VALUES (new.id, new.body, new.remote_uri, new.remote_name);
		END`,
		`CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
			INSERT INTO messages_fts(messages_fts, rowid, body, remote_uri, remote_name)
			VALUES ('delete', old.id, old.body, old.remote_uri, old.remote_name);
		END`,
		`CREATE TRIGGER messages_fts_au AFTER UPDATE OF body, remote_uri, remote_name ON messages BEGIN
			INSERT INTO messages_fts(messages_fts, rowid, body, remote_uri, remote_name)
			VALUES ('delete', old.id, old.body, old.remote_uri, old.remote_name);
			INSERT INTO messages_fts(rowid, body, remote_uri, remote_name)
			VALUES (new.id, new.body, new.remote_uri, new.remote_name);
		END`,
	)
}
