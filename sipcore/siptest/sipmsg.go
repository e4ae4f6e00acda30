package siptest

import (
	"fmt"

	"github.com/teaphone/teaphone/sipcore/sip"
)

// DefaultFrom is the caller used by the request builders.
const DefaultFrom = "sip:alice@192.0.2.1"

// Invite builds an INVITE to target (see Request).
func Invite(t TB, target string) *sip.Request {
	t.Helper()
	return Request(t, sip.MethodInvite, target)
}

// Request builds a well-formed out-of-dialog request to target from
// DefaultFrom: Via (UDP 192.0.2.1:5060, fresh branch), Max-Forwards,
// From with a tag, To, Call-ID, CSeq 1 and Contact. It fails t when target
// is not a valid URI.
func Request(t TB, method, target string) *sip.Request {
	t.Helper()
	uri, err := sip.ParseURI(target)
	if err != nil {
		t.Fatalf("siptest: request uri %q: %v", target, err)
	}
	from, _ := sip.ParseURI(DefaultFrom)
	req := sip.NewRequest(method, uri)
	req.PrependVia(sip.Via{Transport: "UDP", Host: "192.0.2.1", Port: 5060,
		Params: sip.Params{{Name: "branch", Value: sip.NewBranch()}}})
	req.SetFrom(sip.Address{URI: from, Params: sip.Params{{Name: "tag", Value: sip.NewTag()}}})
	req.SetTo(sip.Address{URI: uri})
	req.SetCallID(sip.NewCallID("192.0.2.1"))
	req.SetCSeq(sip.CSeq{Seq: 1, Method: method})
	req.SetContacts(sip.Address{URI: from})
	return req
}

// Respond builds a response to req per RFC 3261 §8.2.6 with the default
// reason phrase.
func Respond(req *sip.Request, code int) *sip.Response {
	return sip.NewResponse(req, code, "")
}

// ParseMessage parses one datagram, failing t on error.
func ParseMessage(t TB, b []byte) sip.Message {
	t.Helper()
	m, err := sip.Parse(b)
	if err != nil {
		t.Fatalf("siptest: parse %q: %v", truncate(b), err)
	}
	return m
}

// ParseRequest parses one datagram that must hold a request.
func ParseRequest(t TB, b []byte) *sip.Request {
	t.Helper()
	r, ok := ParseMessage(t, b).(*sip.Request)
	if !ok {
		t.Fatalf("siptest: want a request, got %q", truncate(b))
	}
	return r
}

// ParseResponse parses one datagram that must hold a response.
func ParseResponse(t TB, b []byte) *sip.Response {
	t.Helper()
	r, ok := ParseMessage(t, b).(*sip.Response)
	if !ok {
		t.Fatalf("siptest: want a response, got %q", truncate(b))
	}
	return r
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

// SIPScript adapts fn, which answers a parsed request with messages, to a
// Script for NewPeer. Responses, keep-alives and unparsable datagrams get
// no answer.
func SIPScript(fn func(req *sip.Request) []sip.Message) Script {
	return func(b []byte) [][]byte {
		m, err := sip.Parse(b)
		if err != nil {
			return nil
		}
		req, ok := m.(*sip.Request)
		if !ok {
			return nil
		}
		var out [][]byte
		for _, r := range fn(req) {
			out = append(out, r.AppendTo(nil))
		}
		return out
	}
}

// Answer is a Script answering every request but ACK with a code
// response (RFC 3261 §8.2.6; ACK is never answered, §17.2.1).
func Answer(code int) Script {
	return SIPScript(func(req *sip.Request) []sip.Message {
		if req.Method == sip.MethodAck {
			return nil
		}
		return []sip.Message{Respond(req, code)}
	})
}

// Method matches records carrying a request with that method.
func Method(method string) Match { return HasPrefix(method + " ") }

// Status matches records carrying a response with that status code.
func Status(code int) Match { return HasPrefix(fmt.Sprintf("SIP/2.0 %d ", code)) }
