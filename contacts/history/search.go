package history

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Hit is one search result: exactly one of Call and Message is set.
type Hit struct {
	Time    time.Time // call start or message time
	Call    *Call
	Message *Message
}

// Search finds calls whose remote address or name, and messages whose
// body, remote address or name, contain q (case-insensitive; every
// whitespace-separated word of q must appear, each in any of those
// fields). Results are newest first, at most limit (DefaultLimit when 0,
// at most MaxLimit).
//
// Messages are searched through the FTS5 trigram index when there is one
// and every word has at least 3 characters; otherwise with LIKE. Calls are
// always searched with LIKE: a scan of the calls table (a few thousand rows
// a year), bounded by limit.
func (s *Store) Search(q string, limit int) ([]Hit, error) {
	words := strings.Fields(q)
	if len(words) == 0 {
		return nil, nil
	}
	limit = clampLimit(limit)

	// Calls: every word in the URI or the name.
	var cw []string
	var cargs []any
	for _, w := range words {
		cw = append(cw, `(remote_uri LIKE ? ESCAPE '\' OR remote_name LIKE ? ESCAPE '\')`)
		p := likePattern(w)
		cargs = append(cargs, p, p)
	}
	calls, err := s.queryCalls("SELECT "+callColumns+" FROM calls WHERE "+strings.Join(cw, " AND ")+
		" ORDER BY start_ms DESC, id DESC LIMIT ?", append(cargs, limit)...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}

	// Messages: every word in the body, the URI or the name.
	useFTS := s.fts
	for _, w := range words {
		if utf8.RuneCountInString(w) < 3 {
			useFTS = false
		}
	}
	var msgs []Message
	if useFTS {
		// One MATCH of space-separated phrases: every word, each in any
		// column (FTS5 implicit AND).
		phrases := make([]string, len(words))
		for i, w := range words {
			phrases[i] = ftsPhrase(w)
		}
		msgs, err = s.queryMessages("SELECT "+messageColumns+` FROM messages WHERE id IN
			(SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)
			ORDER BY time_ms DESC, id DESC LIMIT ?`, strings.Join(phrases, " "), limit)
	} else {
		var mw []string
		var margs []any
		for _, w := range words {
			p := likePattern(w)
			mw = append(mw, `(body LIKE ? ESCAPE '\' OR remote_uri LIKE ? ESCAPE '\' OR remote_name LIKE ? ESCAPE '\')`)
			margs = append(margs, p, p, p)
		}
		msgs, err = s.queryMessages("SELECT "+messageColumns+" FROM messages WHERE "+strings.Join(mw, " AND ")+
			" ORDER BY time_ms DESC, id DESC LIMIT ?", append(margs, limit)...)
	}
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}

	hits := make([]Hit, 0, len(calls)+len(msgs))
	for i := range calls {
		hits = append(hits, Hit{Time: calls[i].Start, Call: &calls[i]})
	}
	for i := range msgs {
		hits = append(hits, Hit{Time: msgs[i].Time, Message: &msgs[i]})
	}
	slices.SortStableFunc(hits, func(a, b Hit) int { return b.Time.Compare(a.Time) })
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits, nil
}

// likePattern makes "%w%" with LIKE's wildcards in w escaped.
func likePattern(w string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(w) + "%"
}

// ftsPhrase quotes w as an FTS5 string (FTS5 §3.1: "" inside quotes), so
// operators and punctuation in user input are literal.
func ftsPhrase(w string) string {
	return `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
}
