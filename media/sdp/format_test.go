package sdp

import "testing"

func TestParseRtpmap(t *testing.T) {
	tests := []struct {
		in   string
		want Format
		ok   bool
	}{
		{"0 PCMU/8000", Format{PT: 0, Name: "PCMU", Clock: 8000, Channels: 1}, true},
		{"111 opus/48000/2", Format{PT: 111, Name: "opus", Clock: 48000, Channels: 2}, true},
		{"9 G722/16000", Format{PT: 9, Name: "G722", Clock: 8000, Channels: 1}, true},
		{"101\ttelephone-event/8000", Format{PT: 101, Name: "telephone-event", Clock: 8000, Channels: 1}, true},
		{"96  speex/16000/x", Format{PT: 96, Name: "speex", Clock: 16000, Channels: 1}, true},
		{"128 foo/8000", Format{}, false},
		{"x PCMU/8000", Format{}, false},
		{"0 PCMU", Format{}, false},
		{"0 PCMU/0", Format{}, false},
		{"0", Format{}, false},
	}
	for _, tc := range tests {
		got, ok := parseRtpmap(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseRtpmap(%q) = %+v %v, want %+v %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestFormatSame(t *testing.T) {
	tests := []struct {
		a, b Format
		want bool
	}{
		{PCMU(), Format{PT: 7, Name: "pcmu", Clock: 8000}, true},
		{PCMU(), PCMA(), false},
		{Opus(111, ""), Format{Name: "OPUS", Clock: 48000, Channels: 1}, true},
		{Opus(111, ""), Format{Name: "opus", Clock: 16000, Channels: 2}, false},
		{Format{Name: "L16", Clock: 44100, Channels: 2}, Format{Name: "L16", Clock: 44100, Channels: 1}, false},
		{TelephoneEvent(101, 8000), TelephoneEvent(96, 8000), true},
		{TelephoneEvent(101, 8000), TelephoneEvent(101, 48000), false},
	}
	for _, tc := range tests {
		if got := tc.a.Same(tc.b); got != tc.want {
			t.Errorf("%v.Same(%v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestDirection(t *testing.T) {
	all := []Direction{SendRecv, SendOnly, RecvOnly, Inactive}
	reverse := map[Direction]Direction{SendRecv: SendRecv, SendOnly: RecvOnly, RecvOnly: SendOnly, Inactive: Inactive}
	for _, d := range all {
		if got := d.Reverse(); got != reverse[d] {
			t.Errorf("%v.Reverse() = %v, want %v", d, got, reverse[d])
		}
		if p, ok := ParseDirection(" " + d.String() + " "); !ok || p != d {
			t.Errorf("ParseDirection(%q) = %v %v", d.String(), p, ok)
		}
		if got := d.And(SendRecv); got != d {
			t.Errorf("%v.And(sendrecv) = %v", d, got)
		}
		if got := d.And(Inactive); got != Inactive {
			t.Errorf("%v.And(inactive) = %v", d, got)
		}
	}
	if got := SendOnly.And(RecvOnly); got != Inactive {
		t.Errorf("sendonly.And(recvonly) = %v, want inactive", got)
	}
	if _, ok := ParseDirection("SENDONLY"); !ok {
		t.Errorf("ParseDirection is case-sensitive")
	}
	if _, ok := ParseDirection("sendsome"); ok {
		t.Errorf("ParseDirection accepted junk")
	}
	var zero Direction
	if !zero.Sends() || !zero.Receives() || zero.String() != "" {
		t.Errorf("zero Direction should read as sendrecv and print empty")
	}
}
