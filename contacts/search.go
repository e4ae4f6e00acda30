package contacts

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
)

// Match scores, highest first. A contact's score is the best over its
// fields; the name is worth a little more than the other fields so that a
// name match wins a tie.
const (
	scoreExact      = 1000
	scorePrefix     = 800
	scoreWordPrefix = 600
	scoreSubstring  = 400
	scoreFuzzy      = 100 // minus gaps, see fuzzyScore
	nameBonus       = 20
)

// Result is one search hit.
type Result struct {
	Contact Contact
	Score   int
}

// Search returns the contacts matching q, best first. Matching is
// case-insensitive over the name, the URIs (with and without scheme) and
// the numbers (by digits, so "030 123" finds "tel:+4930123..."), tags and
// note. Ranking: exact field match, then prefix, then prefix of a word,
// then substring, then (names only) a fuzzy in-order match of the query's
// letters ("jsmth" finds "John Smith"). A query of several words matches
// contacts that match every word, scored by their weakest word. Ties go to
// favourites, then to the All order. An empty query returns All.
func (b *Book) Search(q string) []Result {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		all := b.All()
		out := make([]Result, len(all))
		for i, c := range all {
			out[i] = Result{Contact: c}
		}
		return out
	}
	words := strings.Fields(q)
	queries := make([]query, len(words)+1)
	queries[0] = newQuery(q)
	for i, w := range words {
		queries[i+1] = newQuery(w)
	}
	var out []Result
	b.mu.RLock()
	for _, e := range b.byID {
		s := e.search.score(queries[0])
		if s == 0 && len(words) > 1 {
			s = -1
			for _, wq := range queries[1:] {
				ws := e.search.score(wq)
				if ws == 0 {
					s = 0
					break
				}
				if s < 0 || ws < s {
					s = ws
				}
			}
			s /= 2 // below any single-string match of the same kind
		}
		if s > 0 {
			out = append(out, Result{Contact: e.c.clone(), Score: s})
		}
	}
	b.mu.RUnlock()
	slices.SortFunc(out, func(a, b Result) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return compareContacts(a.Contact, b.Contact)
	})
	return out
}

// query is a lower-case search string, with its digits when it looks like
// a phone number.
type query struct {
	text   string
	digits string
	runes  []rune
}

func newQuery(q string) query {
	qu := query{text: q, runes: []rune(q)}
	if isPhoneLike(q) {
		qu.digits = strings.TrimPrefix(phoneDigits(q), "+")
		if !strings.HasPrefix(q, "+") {
			// A national number's trunk prefix ("020 7946" for
			// +44 20 7946) is not part of the international form.
			qu.digits = strings.TrimLeft(qu.digits, "0")
		}
	}
	return qu
}

// searchFields are a contact's searchable texts, lower-cased once when the
// contact is indexed.
type searchFields struct {
	name   string
	addrs  []string // each address, and again without its scheme
	digits []string // digits of telephone-number addresses
	tags   []string
	note   string
}

func newSearchFields(c Contact) searchFields {
	f := searchFields{name: strings.ToLower(c.Name), note: strings.ToLower(c.Note)}
	for _, u := range c.Addresses() {
		lu := strings.ToLower(u)
		f.addrs = append(f.addrs, lu)
		if _, rest, ok := strings.Cut(lu, ":"); ok {
			f.addrs = append(f.addrs, rest)
		}
		if a, err := parseAddr(u); err == nil && a.phone != "" {
			f.digits = append(f.digits, trailingDigits(a.phone))
		}
	}
	for _, t := range c.Tags {
		f.tags = append(f.tags, strings.ToLower(t))
	}
	return f
}

func (f *searchFields) score(q query) int {
	best := 0
	if s := scoreText(f.name, q.text, q.runes); s > 0 {
		best = s + nameBonus
	}
	for _, a := range f.addrs {
		best = max(best, scoreText(a, q.text, nil))
	}
	if len(q.digits) >= 2 {
		for _, d := range f.digits {
			best = max(best, scoreText(d, q.digits, nil))
		}
	}
	for _, t := range f.tags {
		if s := scoreText(t, q.text, nil); s >= scoreWordPrefix {
			best = max(best, s/2)
		}
	}
	if best < scoreSubstring/4 && strings.Contains(f.note, q.text) {
		best = scoreSubstring / 4
	}
	return best
}

// scoreText scores query q against text t, both lower-case; fuzzy
// matching is tried when qr (q's runes) is given.
func scoreText(t, q string, qr []rune) int {
	switch {
	case t == "" || q == "":
		return 0
	case t == q:
		return scoreExact
	case strings.HasPrefix(t, q):
		return scorePrefix
	}
	if i := strings.Index(t, q); i >= 0 {
		for ; i >= 0; i = nextIndex(t, q, i) {
			if wordStart(t, i) {
				return scoreWordPrefix
			}
		}
		return scoreSubstring
	}
	if qr != nil {
		return fuzzyScore(t, qr)
	}
	return 0
}

func nextIndex(t, q string, i int) int {
	j := strings.Index(t[i+1:], q)
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

func wordStart(t string, i int) bool {
	if i == 0 {
		return true
	}
	r := rune(t[i-1])
	return r < 0x80 && !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

// fuzzyScore matches the runes of q in order within t; the score drops
// with every skipped rune. Queries shorter than 2 runes never match
// fuzzily.
func fuzzyScore(t string, qr []rune) int {
	if len(qr) < 2 {
		return 0
	}
	gaps, started, i := 0, false, 0
	for _, r := range t {
		if i == len(qr) {
			break
		}
		if r == qr[i] {
			i++
			started = true
		} else if started {
			gaps++
		}
	}
	if i < len(qr) {
		return 0
	}
	return max(1, scoreFuzzy-gaps*5)
}
