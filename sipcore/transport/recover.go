package transport

import (
	"bytes"
	"strings"
)

// badRequest builds the 400 answer to a datagram that looked like a request
// but failed to parse (RFC 3261 §8.2 / §21.4.1: "the reason phrase SHOULD
// identify the syntax problem"). It recovers the fields a response needs
// (§8.2.6.2: Via, From, To, Call-ID, CSeq) with a lenient line scan and
// copies them verbatim. It returns nil — drop silently — when:
//   - the datagram does not start with a plausible request line (a broken
//     response is always dropped, §18.1.2),
//   - the method is ACK (§17.2.1: never answer an ACK),
//   - any of Via, From, To, Call-ID or CSeq cannot be found, or one is
//     repeated where only one is allowed (no way to route or match the
//     answer reliably).
//
// The response goes back to the datagram's source address and port, never
// to a Via address taken from a message we could not parse (that would
// let a forged Via reflect traffic at a third party).
func badRequest(data []byte, reason string) []byte {
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	lines := unfold(strings.Split(string(head), "\n"))
	if len(lines) == 0 {
		return nil
	}
	method, ok := requestLineMethod(lines[0])
	if !ok || method == "ACK" {
		return nil
	}
	var via []string
	var from, to, callID, cseq string
	counts := map[string]int{}
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "via", "v":
			via = append(via, value)
		case "from", "f":
			from = value
			counts["from"]++
		case "to", "t":
			to = value
			counts["to"]++
		case "call-id", "i":
			callID = value
			counts["call-id"]++
		case "cseq":
			cseq = value
			counts["cseq"]++
		}
	}
	if len(via) == 0 || from == "" || to == "" || callID == "" || cseq == "" {
		return nil
	}
	for _, n := range counts {
		if n > 1 {
			return nil
		}
	}
	var b bytes.Buffer
	b.WriteString("SIP/2.0 400 ")
	b.WriteString(sanitizeReason("Bad Request - " + reason))
	b.WriteString("\r\n")
	for _, v := range via {
		b.WriteString("Via: " + v + "\r\n")
	}
	b.WriteString("From: " + from + "\r\n")
	b.WriteString("To: " + to + "\r\n")
	b.WriteString("Call-ID: " + callID + "\r\n")
	b.WriteString("CSeq: " + cseq + "\r\n")
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.Bytes()
}

// unfold joins continuation lines (§7.3.1) and trims CRs.
func unfold(raw []string) []string {
	var out []string
	for _, l := range raw {
		l = strings.TrimRight(l, "\r")
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(out) > 0 {
			out[len(out)-1] += " " + strings.TrimSpace(l)
			continue
		}
		out = append(out, l)
	}
	return out
}

// requestLineMethod checks "Method SP Request-URI SP SIP/x.y" loosely.
func requestLineMethod(line string) (string, bool) {
	f := strings.Fields(line)
	if len(f) != 3 || !strings.HasPrefix(strings.ToUpper(f[2]), "SIP/") {
		return "", false
	}
	for _, c := range []byte(f[0]) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return "", false
		}
	}
	return f[0], true
}

// sanitizeReason keeps a reason phrase printable, single-line and short.
func sanitizeReason(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			r = ' '
		}
		b.WriteRune(r)
		if b.Len() > 120 {
			break
		}
	}
	return b.String()
}

// isKeepAlive reports whether a datagram holds only CRLFs / whitespace
// (RFC 5626 §3.5.1 keep-alive sent over UDP by many implementations).
func isKeepAlive(b []byte) bool {
	return len(bytes.Trim(b, " \t\r\n")) == 0
}
