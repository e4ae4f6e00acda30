package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestParseSmaps(t *testing.T) {
	const exe = "/opt/tea phone/teaphone"
	in := `00400000-00402000 r--p 00000000 fe:00 123 /opt/tea phone/teaphone
Size:                  8 kB
Rss:                   8 kB
Anonymous:             0 kB
00402000-00aff000 r-xp 00002000 fe:00 123 /opt/tea phone/teaphone
Rss:                1208 kB
Anonymous:             0 kB
0127b000-01308000 rw-p 00e7a000 fe:00 123 /opt/tea phone/teaphone
Rss:                 300 kB
Anonymous:           120 kB
01308000-03400000 rw-p 00000000 00:00 0
Rss:                 900 kB
Anonymous:           900 kB
garbage line
7f00-zz r-xp 0 0 0 /opt/tea phone/teaphone
Rss:                  77 kB
7f0000000000-7f0000001000 r-xp 00000000 fe:00 9 /usr/lib/libc.so.6
Rss:                   4 kB
Anonymous:             0 kB
`
	got, err := parseSmaps(strings.NewReader(in), exe)
	if err != nil {
		t.Fatal(err)
	}
	want := []smapsEntry{
		{start: 0x400000, end: 0x402000, perms: "r--p", rssKB: 8},
		{start: 0x402000, end: 0xaff000, perms: "r-xp", rssKB: 1208},
		{start: 0x127b000, end: 0x1308000, perms: "rw-p", rssKB: 300, anonKB: 120},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestTrimStartupPages unmaps this test binary's clean read-only pages and
// checks that they went and that the code still runs (faulting back in).
func TestTrimStartupPages(t *testing.T) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	readOnlyRSS := func() (kb int64) {
		f, err := os.Open("/proc/self/smaps")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		maps, err := parseSmaps(f, exe)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range maps {
			if m.perms[1] == '-' && m.anonKB == 0 {
				kb += m.rssKB
			}
		}
		return kb
	}
	before := readOnlyRSS()
	released, err := trimStartupPages()
	if err != nil {
		t.Fatal(err)
	}
	after := readOnlyRSS()
	t.Logf("read-only RSS of the test binary: %d kB before, %d kB released, %d kB after", before, released>>10, after)
	if released <= 0 || after >= before {
		t.Fatalf("nothing was released: %d kB before, %d kB after, released %d bytes", before, after, released)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"help"}, strings.NewReader(""), &out, &errOut); code != 0 || !strings.Contains(out.String(), "teaphone agent") {
		t.Fatalf("run after the trim: code %d, out %q, err %q", code, out.String(), errOut.String())
	}
}
