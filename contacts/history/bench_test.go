package history

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// fill adds n messages over 50 conversations and n/10 calls.
func fill(b *testing.B, s *Store, n int) {
	b.Helper()
	tx, err := s.db.Begin() // one transaction: setup speed only
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		uri := fmt.Sprintf("sip:user%d@example.com", i%50)
		if _, err := tx.Exec(`INSERT INTO messages (session, direction, remote_uri, remote_key, time_ms, body, state, read)
			VALUES (?, 'in', ?, ?, ?, ?, 'delivered', ?)`, s.session, uri, uri, ms(at(time.Duration(i)*time.Second)),
			fmt.Sprintf("message number %d about topic %d and the weather", i, i%97), i%3 == 0); err != nil {
			b.Fatal(err)
		}
		if i%10 == 0 {
			if _, err := tx.Exec(`INSERT INTO calls (session, direction, remote_uri, remote_key, start_ms, end_ms, last_seen_ms, result)
				VALUES (?, 'in', ?, ?, ?, ?, ?, 'answered')`, s.session, uri, uri, ms(at(time.Duration(i)*time.Second)),
				ms(at(time.Duration(i+5)*time.Second)), ms(at(time.Duration(i+5)*time.Second))); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

func benchStore(b *testing.B, cfg config, n int) *Store {
	b.Helper()
	s, err := open(filepath.Join(b.TempDir(), "h.db"), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	fill(b, s, n)
	return s
}

func BenchmarkSearch20k(b *testing.B) {
	for _, cfg := range []config{{}, {noFTS: true}} {
		b.Run(fmt.Sprintf("fts=%v", !cfg.noFTS), func(b *testing.B) {
			s := benchStore(b, cfg, 20000)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Search("number 1234", 50); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkConversations20k(b *testing.B) {
	s := benchStore(b, config{}, 20000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Conversations(50); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMessagesPage20k(b *testing.B) {
	s := benchStore(b, config{}, 20000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Messages("sip:user7@example.com", Page{Limit: 50}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCallLifecycle(b *testing.B) {
	s := benchStore(b, config{}, 0)
	b.ReportAllocs()
	for b.Loop() {
		id, err := s.CallStarted(Call{Direction: Incoming, RemoteURI: "sip:a@example.com", Start: t0})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.CallEnded(id, t0.Add(time.Second), Missed, 487, ""); err != nil {
			b.Fatal(err)
		}
	}
}
