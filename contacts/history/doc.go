// Package history is teaphone's call and message history: a SQLite
// database (modernc.org/sqlite, pure Go, driver name "sqlite") holding every
// call and instant message, with search, unread and missed-call counts.
//
// It owns the database file and its schema (versioned with PRAGMA
// user_version; migrations run in a transaction on Open), the [Store] API
// the UA/UI call on each state change, and crash recovery.
//
// Crash safety. The database runs in WAL mode with synchronous=FULL: each
// state change (call started, answered, ended; message added, state
// changed, read) is its own transaction, committed and fsynced before the
// method returns, so neither a killed process nor a power cut loses a
// committed change (NORMAL would survive a kill but could lose the last
// transactions on power loss; history writes are a handful per call, so
// FULL costs nothing noticeable). Every Store records a session row with
// its process ID. [Open] closes the calls a previous process left open
// (no end time) with result "interrupted", end = the last time known for
// the call (start, answer or the latest [Store.Heartbeat]), and fails the
// messages it left in state "sending". Sessions of processes still running
// (another teaphone on the same file) are left alone. [Store.Close] closes
// its own open calls the same way.
//
// Remote addresses are compared in their normalized form
// (contacts.NormalizeURI), so "sip:Bob@EXAMPLE.com:5060;transport=tcp" and
// "<sip:bob@example.com>" are one conversation. Search uses an FTS5
// trigram index over message bodies when the SQLite build has FTS5 (modernc
// does) and the query has at least 3 characters; otherwise LIKE. Every
// list query is bounded (default 100, at most 1000 rows) and served by an
// index on time or remote address.
//
// Times are stored as Unix milliseconds; values returned carry the local
// time zone and millisecond precision.
//
// This package must not import teaphone's ua, ui, media or sipcore
// packages; it imports only contacts (for address normalization).
package history
