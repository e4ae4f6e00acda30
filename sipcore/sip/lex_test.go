package sip

import (
	"strings"
	"testing"
)

// TestCharClasses checks the constant table against the RFC 3261 §25.1
// character sets spelled out.
func TestCharClasses(t *testing.T) {
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	const mark = "-_.!~*'()"
	sets := []struct {
		name  string
		fn    func(byte) bool
		chars string
	}{
		{"token", isTokenChar, alnum + "-.!%*_+`'~"},
		{"unreserved", isUnreserved, alnum + mark},
		{"user", isUserChar, alnum + mark + "&=+$,;?/"},
		{"password", isPasswordChar, alnum + mark + "&=+$,"},
		{"param", isParamChar, alnum + mark + "[]/:&+$"},
		{"uri header", isHeaderChar, alnum + mark + "[]/?:+$"},
		{"host", isHostChar, alnum + "-._"},
		{"alnum", isAlnum, alnum},
	}
	for _, set := range sets {
		for c := 0; c < 256; c++ {
			want := strings.IndexByte(set.chars, byte(c)) >= 0
			if got := set.fn(byte(c)); got != want {
				t.Errorf("%s(%q) = %v, want %v", set.name, rune(c), got, want)
			}
		}
	}
}
