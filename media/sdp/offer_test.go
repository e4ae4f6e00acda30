package sdp

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestOfferDefault(t *testing.T) {
	n := newTestNegotiator(t, func(c *Config) { c.RTCPMux = true; c.MaxPtime = 60 })
	got, err := n.Offer()
	if err != nil {
		t.Fatal(err)
	}
	want := "v=0\r\n" +
		"o=- 99 1 IN IP4 192.0.2.1\r\n" +
		"s=teaphone\r\n" +
		"c=IN IP4 192.0.2.1\r\n" +
		"t=0 0\r\n" +
		"m=audio 4000 RTP/AVP 0 8 9 111 101 110\r\n" +
		"a=rtpmap:0 PCMU/8000\r\n" +
		"a=rtpmap:8 PCMA/8000\r\n" +
		"a=rtpmap:9 G722/8000\r\n" +
		"a=rtpmap:111 opus/48000/2\r\n" +
		"a=fmtp:111 useinbandfec=1\r\n" +
		"a=rtpmap:101 telephone-event/8000\r\n" +
		"a=fmtp:101 0-16\r\n" +
		"a=rtpmap:110 telephone-event/48000\r\n" +
		"a=fmtp:110 0-16\r\n" +
		"a=ptime:20\r\n" +
		"a=maxptime:60\r\n" +
		"a=rtcp-mux\r\n" +
		"a=sendrecv\r\n"
	if string(got) != want {
		t.Errorf("Offer =\n%s\nwant\n%s", got, want)
	}
	if !n.Pending() {
		t.Errorf("Pending = false after Offer")
	}
}

func TestOfferVariants(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		dir  Direction
		want []string // lines that must appear
		not  []string // lines that must not
	}{
		{name: "ipv6", mod: func(c *Config) { c.Addr = netip.MustParseAddr("2001:db8::1") },
			want: []string{"o=- 99 1 IN IP6 2001:db8::1", "c=IN IP6 2001:db8::1"}},
		{name: "g711 only", mod: func(c *Config) { c.Codecs = []Format{PCMA(), PCMU()} },
			want: []string{"m=audio 4000 RTP/AVP 8 0 101", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16"},
			not:  []string{"telephone-event/48000", "a=rtcp-mux"}},
		{name: "no dtmf", mod: func(c *Config) { c.NoDTMF = true; c.Codecs = []Format{PCMU()} },
			want: []string{"m=audio 4000 RTP/AVP 0"}, not: []string{"telephone-event"}},
		{name: "custom pts", mod: func(c *Config) {
			c.Codecs = []Format{Opus(120, ""), PCMU()}
			c.DTMFPT = 126
		}, want: []string{"m=audio 4000 RTP/AVP 120 0 126 110", "a=rtpmap:120 opus/48000/2", "a=rtpmap:126 telephone-event/8000"},
			not: []string{"a=fmtp:120"}},
		{name: "g722 16k is written 8000", mod: func(c *Config) { c.Codecs = []Format{{Name: "G722", Clock: 16000}} },
			want: []string{"m=audio 4000 RTP/AVP 9 101", "a=rtpmap:9 G722/8000"}},
		{name: "other dynamic codec", mod: func(c *Config) { c.Codecs = []Format{{Name: "speex", Clock: 16000}, PCMU()} },
			want: []string{"m=audio 4000 RTP/AVP 96 0 101 110", "a=rtpmap:96 speex/16000", "a=rtpmap:110 telephone-event/16000"}},
		{name: "ptime 30", mod: func(c *Config) { c.Ptime = 30; c.Username = "alice"; c.SessionName = "call" },
			want: []string{"a=ptime:30", "o=alice 99 1 IN IP4 192.0.2.1", "s=call"}},
		{name: "sendonly", dir: SendOnly, want: []string{"a=sendonly"}, not: []string{"a=sendrecv"}},
		{name: "recvonly", dir: RecvOnly, want: []string{"a=recvonly"}},
		{name: "inactive", dir: Inactive, want: []string{"a=inactive"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := newTestNegotiator(t, tc.mod)
			if tc.dir != 0 {
				n.SetDirection(tc.dir)
			}
			got, err := n.Offer()
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(got), "\r\n")
			has := func(l string) bool {
				for _, x := range lines {
					if x == l {
						return true
					}
				}
				return false
			}
			for _, w := range tc.want {
				if !has(w) {
					t.Errorf("offer lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(string(got), w) {
					t.Errorf("offer has %q:\n%s", w, got)
				}
			}
			if _, err := Parse(got); err != nil {
				t.Errorf("own offer does not parse: %v", err)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
	}{
		{"no address", func(c *Config) { c.Addr = netip.Addr{} }},
		{"port 0", func(c *Config) { c.Port = 0 }},
		{"port too big", func(c *Config) { c.Port = 70000 }},
		{"duplicate codec", func(c *Config) { c.Codecs = []Format{PCMU(), PCMU()} }},
		{"dtmf as codec", func(c *Config) { c.Codecs = []Format{TelephoneEvent(101, 8000)} }},
		{"no clock", func(c *Config) { c.Codecs = []Format{{Name: "PCMU"}} }},
		{"bad name", func(c *Config) { c.Codecs = []Format{{Name: "a b", Clock: 8000}} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			tc.mod(&cfg)
			if _, err := NewNegotiator(cfg); !errors.Is(err, ErrBadConfig) {
				t.Errorf("NewNegotiator err = %v, want ErrBadConfig", err)
			}
		})
	}
	n, err := NewNegotiator(Config{Addr: netip.MustParseAddr("::ffff:192.0.2.9"), Port: 1})
	if err != nil {
		t.Fatal(err)
	}
	cfg := n.Config()
	if cfg.SessionID == 0 || cfg.Addr.String() != "192.0.2.9" || len(cfg.Codecs) != 2 || cfg.Ptime != 20 {
		t.Errorf("defaults not filled: %+v", cfg)
	}
}

// originOf returns the o= session id and version of an SDP.
func originOf(t *testing.T, b []byte) (uint64, uint64) {
	t.Helper()
	sd, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return sd.Origin.SessionID, sd.Origin.SessionVersion
}

func directionOf(t *testing.T, b []byte) Direction {
	t.Helper()
	sd, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Port.Value != 0 {
			return readStream(sd, md).dir
		}
	}
	t.Fatalf("no live stream in\n%s", b)
	return 0
}

// TestReofferVersion: RFC 3264 §8: a re-offer keeps the o= session id, and
// the version goes up by one exactly when the SDP changed. Hold and resume
// change only the direction line.
func TestReofferVersion(t *testing.T) {
	alice := newTestNegotiator(t, nil)
	bob := newTestNegotiator(t, func(c *Config) { c.Addr = netip.MustParseAddr("192.0.2.2"); c.Port = 5000; c.SessionID = 7 })

	o1, err := alice.Offer()
	if err != nil {
		t.Fatal(err)
	}
	a1, _, err := bob.Answer(o1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.ProcessAnswer(a1); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		dir     Direction
		version uint64
	}{
		{SendOnly, 2}, // hold
		{SendOnly, 2}, // session refresh: identical SDP, same version
		{SendRecv, 3}, // resume
		{Inactive, 4},
		{SendRecv, 5},
	}
	prev := o1
	for i, s := range steps {
		alice.SetDirection(s.dir)
		o, err := alice.Offer()
		if err != nil {
			t.Fatal(err)
		}
		id, ver := originOf(t, o)
		if id != 99 || ver != s.version {
			t.Errorf("step %d: o= id %d version %d, want 99 %d", i, id, ver, s.version)
		}
		if got := directionOf(t, o); got != s.dir {
			t.Errorf("step %d: direction %v, want %v", i, got, s.dir)
		}
		// Same SDP apart from the o= version and the direction.
		strip := func(b []byte) string {
			var keep []string
			for _, l := range strings.Split(string(b), "\r\n") {
				if strings.HasPrefix(l, "o=") {
					continue
				}
				if _, ok := ParseDirection(strings.TrimPrefix(l, "a=")); ok {
					continue
				}
				keep = append(keep, l)
			}
			return strings.Join(keep, "\n")
		}
		if strip(o) != strip(prev) {
			t.Errorf("step %d: re-offer changed more than direction:\n%s\nwas\n%s", i, o, prev)
		}
		prev = o
		ans, bm, err := bob.Answer(o)
		if err != nil {
			t.Fatal(err)
		}
		if want := s.dir.Reverse(); bm.Direction != want {
			t.Errorf("step %d: bob direction %v, want %v", i, bm.Direction, want)
		}
		am, err := alice.ProcessAnswer(ans)
		if err != nil {
			t.Fatal(err)
		}
		if am.Direction != s.dir {
			t.Errorf("step %d: alice direction %v, want %v", i, am.Direction, s.dir)
		}
	}
	// Bob's answers carry his own o= line, versioned the same way.
	if id, ver := originOf(t, bob.LocalSDP()); id != 7 || ver != 5 {
		t.Errorf("bob o= %d %d, want 7 5", id, ver)
	}
}

// TestHoldResumeBothWays: RFC 3264 §8.4 / RFC 4317 §3: each side holds and
// resumes, and holding together gives inactive.
func TestHoldResumeBothWays(t *testing.T) {
	alice := newTestNegotiator(t, nil)
	bob := newTestNegotiator(t, func(c *Config) { c.Addr = netip.MustParseAddr("192.0.2.2"); c.Port = 5000 })

	// exchange runs one offer/answer and returns (offerer, answerer) media.
	var lastOffer []byte
	exchange := func(off, ans *Negotiator) (Media, Media) {
		t.Helper()
		o, err := off.Offer()
		if err != nil {
			t.Fatal(err)
		}
		lastOffer = o
		a, am, err := ans.Answer(o)
		if err != nil {
			t.Fatal(err)
		}
		om, err := off.ProcessAnswer(a)
		if err != nil {
			t.Fatal(err)
		}
		return om, am
	}
	check := func(step string, am, bm Media, aDir, bDir Direction, aHeld, bHeld bool) {
		t.Helper()
		if am.Direction != aDir || bm.Direction != bDir {
			t.Errorf("%s: directions alice %v bob %v, want %v %v", step, am.Direction, bm.Direction, aDir, bDir)
		}
		if am.RemoteHold != aHeld || bm.RemoteHold != bHeld {
			t.Errorf("%s: RemoteHold alice %v bob %v, want %v %v", step, am.RemoteHold, bm.RemoteHold, aHeld, bHeld)
		}
	}

	am, bm := exchange(alice, bob)
	check("call", am, bm, SendRecv, SendRecv, false, false)

	alice.SetDirection(SendOnly)
	am, bm = exchange(alice, bob)
	check("alice holds", am, bm, SendOnly, RecvOnly, false, true)

	// Bob holds too, offering this time: RFC 3264 §8.4 gives inactive.
	bob.SetDirection(SendOnly)
	bm, am = exchange(bob, alice)
	check("both hold", am, bm, Inactive, Inactive, true, true)
	if got := directionOf(t, lastOffer); got != Inactive {
		t.Errorf("bob's hold of a held stream offered %v, want inactive (RFC 3264 §8.4)", got)
	}

	alice.SetDirection(SendRecv)
	am, bm = exchange(alice, bob)
	check("alice resumes", am, bm, RecvOnly, SendOnly, true, false)

	bob.SetDirection(SendRecv)
	bm, am = exchange(bob, alice)
	check("bob resumes", am, bm, SendRecv, SendRecv, false, false)
}

// TestReofferAfterAnswer: when we answered the first offer, our re-offer is
// our answer with the direction changed: same codecs, rejected streams kept.
func TestReofferAfterAnswer(t *testing.T) {
	n := newTestNegotiator(t, nil)
	a, _, err := n.Answer(readTestdata(t, "rfc3264-audio-video.sdp"))
	if err != nil {
		t.Fatal(err)
	}
	n.SetDirection(SendOnly)
	o, err := n.Offer()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(strings.Replace(string(a), "a=sendrecv", "a=sendonly", 1), "o=- 99 1 ", "o=- 99 2 ", 1)
	if string(o) != want {
		t.Errorf("re-offer =\n%s\nwant\n%s", o, want)
	}
	if !strings.Contains(string(o), "m=video 0 RTP/AVP 31 32\r\n") {
		t.Errorf("rejected video line not kept:\n%s", o)
	}
}

func TestRollback(t *testing.T) {
	n := newTestNegotiator(t, nil)
	o1, _ := n.Offer()
	peer := newTestNegotiator(t, nil)
	a1, _, _ := peer.Answer(o1)
	if _, err := n.ProcessAnswer(a1); err != nil {
		t.Fatal(err)
	}
	n.SetDirection(SendOnly)
	o2, _ := n.Offer()
	if _, v := originOf(t, o2); v != 2 {
		t.Fatalf("hold offer version %d, want 2", v)
	}
	if _, _, err := n.Answer(o1); !errors.Is(err, ErrOfferPending) {
		t.Errorf("Answer during pending offer: err = %v, want ErrOfferPending", err)
	}
	n.Rollback() // peer said 488 to the hold
	if n.Pending() {
		t.Fatal("still pending after Rollback")
	}
	if _, err := n.ProcessAnswer(a1); !errors.Is(err, ErrNoPendingOffer) {
		t.Errorf("ProcessAnswer without offer: err = %v, want ErrNoPendingOffer", err)
	}
	n.SetDirection(SendRecv)
	o3, _ := n.Offer()
	if _, v := originOf(t, o3); v != 3 {
		t.Errorf("offer after rollback: version %d, want 3 (greater than the rejected one)", v)
	}
	if directionOf(t, o3) != SendRecv {
		t.Errorf("offer after rollback is not based on the SDP in force:\n%s", o3)
	}
}

func TestSetLocal(t *testing.T) {
	n := newTestNegotiator(t, nil)
	o1, _ := n.Offer()
	peer := newTestNegotiator(t, nil)
	a1, _, _ := peer.Answer(o1)
	if _, err := n.ProcessAnswer(a1); err != nil {
		t.Fatal(err)
	}
	if err := n.SetLocal(netip.MustParseAddr("2001:db8::7"), 6000); err != nil {
		t.Fatal(err)
	}
	if err := n.SetLocal(netip.Addr{}, 6000); !errors.Is(err, ErrBadConfig) {
		t.Errorf("SetLocal(invalid) err = %v", err)
	}
	o2, err := n.Offer()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"o=- 99 2 IN IP6 2001:db8::7\r\n", "c=IN IP6 2001:db8::7\r\n", "m=audio 6000 RTP/AVP "} {
		if !strings.Contains(string(o2), want) {
			t.Errorf("offer after SetLocal lacks %q:\n%s", want, o2)
		}
	}
	_, pm, err := peer.Answer(o2)
	if err != nil {
		t.Fatal(err)
	}
	if got := pm.RemoteAddr.String(); got != "[2001:db8::7]:6000" {
		t.Errorf("peer sends to %s, want [2001:db8::7]:6000", got)
	}
}
