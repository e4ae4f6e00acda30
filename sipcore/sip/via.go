package sip

import (
	"net/netip"
	"strconv"
	"strings"
)

// BranchMagicCookie starts every RFC 3261 branch (§8.1.1.7).
const BranchMagicCookie = "z9hG4bK"

// Via is one via-parm (RFC 3261 §20.42, §25.1).
type Via struct {
	Protocol  string // "SIP"
	Version   string // "2.0"
	Transport string // "UDP", "TCP", "TLS", "SCTP", "WS", ... as written
	Host      string // sent-by host; IPv6 keeps its brackets
	Port      int    // sent-by port, 0 when absent
	Params    Params // branch, received, rport, maddr, ttl, ...
}

// Branch returns the branch parameter, "" when absent.
func (v Via) Branch() string { s, _ := v.Params.Get("branch"); return s }

// Received returns the received parameter (§18.2.1), "" when absent.
func (v Via) Received() string { s, _ := v.Params.Get("received"); return s }

// RPort reports the rport parameter (RFC 3581): present tells whether it
// appears at all, port is its value (0 for a bare ";rport").
func (v Via) RPort() (port int, present bool) {
	s, ok := v.Params.Get("rport")
	if !ok {
		return 0, false
	}
	n, _ := parseUint(s, 65535)
	return int(n), true
}

// ReceivedAddrPort returns the address the next hop saw the request come
// from, as a response's top Via reports it: received (§18.2.1) with a
// non-zero rport (RFC 3581 §4). It reports false when either is missing,
// rport is bare, or received is not an IP address. A UA behind a NAT
// learns its public address this way (RFC 3581 §9).
func (v Via) ReceivedAddrPort() (netip.AddrPort, bool) {
	rcv := v.Received()
	port, ok := v.RPort()
	if rcv == "" || !ok || port == 0 {
		return netip.AddrPort{}, false
	}
	ip, err := netip.ParseAddr(strings.Trim(rcv, "[]"))
	if err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)), true
}

// SentBy returns host[:port].
func (v Via) SentBy() string {
	if v.Port == 0 {
		return v.Host
	}
	return v.Host + ":" + strconv.Itoa(v.Port)
}

// IsRFC3261Branch reports whether the branch starts with the magic cookie
// and carries an identifier after it (§17.2.3, RFC 4475 §3.2.1).
func (v Via) IsRFC3261Branch() bool {
	b := v.Branch()
	return len(b) > len(BranchMagicCookie) && strings.HasPrefix(b, BranchMagicCookie)
}

// Reliable reports whether the transport is a stream or otherwise reliable
// transport (everything but UDP).
func (v Via) Reliable() bool { return !strings.EqualFold(v.Transport, "UDP") }

// SetReceived sets received=host (§18.2.1).
func (v *Via) SetReceived(host string) { v.Params = v.Params.Set("received", host) }

// SetRPort sets rport=port (RFC 3581 §4).
func (v *Via) SetRPort(port int) { v.Params = v.Params.Set("rport", strconv.Itoa(port)) }

// SetBranch sets the branch parameter.
func (v *Via) SetBranch(b string) { v.Params = v.Params.Set("branch", b) }

// Clone returns a deep copy.
func (v Via) Clone() Via { v.Params = v.Params.Clone(); return v }

// String returns the via-parm in wire form.
func (v Via) String() string { return string(v.AppendTo(make([]byte, 0, 64))) }

// AppendTo appends the wire form of v to b.
func (v Via) AppendTo(b []byte) []byte {
	p, ver := v.Protocol, v.Version
	if p == "" {
		p = "SIP"
	}
	if ver == "" {
		ver = "2.0"
	}
	b = append(b, p...)
	b = append(b, '/')
	b = append(b, ver...)
	b = append(b, '/')
	b = append(b, v.Transport...)
	b = append(b, ' ')
	b = append(b, v.Host...)
	if v.Port != 0 {
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(v.Port), 10)
	}
	return appendParams(b, v.Params)
}

// ParseVia parses one via-parm.
func ParseVia(s string) (Via, error) {
	v, i, err := parseVia(s, 0)
	if err == nil && skipWS(s, i) != len(s) {
		err = valueErr(HeaderVia, "trailing characters after via")
	}
	return v, err
}

// parseVia parses one via-parm at s[i]; LWS is allowed around the slashes
// of sent-protocol and the colon of sent-by (§25.1 SLASH, COLON).
func parseVia(s string, i int) (Via, int, error) {
	var v Via
	var ok bool
	i = skipWS(s, i)
	if v.Protocol, i, ok = viaToken(s, i); !ok {
		return v, i, valueErr(HeaderVia, "missing protocol name")
	}
	if i = skipWS(s, i); i >= len(s) || s[i] != '/' {
		return v, i, valueErr(HeaderVia, "missing '/' after protocol name")
	}
	if v.Version, i, ok = viaToken(s, skipWS(s, i+1)); !ok {
		return v, i, valueErr(HeaderVia, "missing protocol version")
	}
	if i = skipWS(s, i); i >= len(s) || s[i] != '/' {
		return v, i, valueErr(HeaderVia, "missing '/' after protocol version")
	}
	if v.Transport, i, ok = viaToken(s, skipWS(s, i+1)); !ok {
		return v, i, valueErr(HeaderVia, "missing transport")
	}
	j := skipWS(s, i)
	if j == i {
		return v, i, valueErr(HeaderVia, "missing space before sent-by")
	}
	i = j
	start := i
	if i < len(s) && s[i] == '[' {
		e := strings.IndexByte(s[i:], ']')
		if e < 0 || !validIPv6(s[i+1:i+e]) {
			return v, i, valueErr(HeaderVia, "malformed IPv6 reference")
		}
		i += e + 1
	} else {
		for i < len(s) && isHostChar(s[i]) {
			i++
		}
	}
	if i == start {
		return v, i, valueErr(HeaderVia, "missing sent-by host")
	}
	v.Host = s[start:i]
	if j := skipWS(s, i); j < len(s) && s[j] == ':' {
		k := skipWS(s, j+1)
		e := k
		for e < len(s) && isDigit(s[e]) {
			e++
		}
		p, ok := parseUint(s[k:e], 65535)
		if !ok {
			return v, i, valueErr(HeaderVia, "invalid sent-by port")
		}
		v.Port, i = int(p), e
	}
	p, i, err := parseHeaderParams(s, i, HeaderVia)
	if err != nil {
		return v, i, err
	}
	v.Params = p
	return v, i, nil
}

func viaToken(s string, i int) (string, int, bool) {
	j := scanToken(s, i)
	return s[i:j], j, j > i
}

// parseViaList parses a comma-separated list of via-parms, appending to out.
func parseViaList(out []Via, s string) ([]Via, error) {
	i := 0
	for {
		v, j, err := parseVia(s, i)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		j = skipWS(s, j)
		if j == len(s) {
			return out, nil
		}
		if s[j] != ',' {
			return nil, valueErr(HeaderVia, "unexpected "+strconv.QuoteRune(rune(s[j]))+" in via")
		}
		i = j + 1
	}
}
