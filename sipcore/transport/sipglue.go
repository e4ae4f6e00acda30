package transport

import (
	"github.com/teaphone/teaphone/sipcore/sip"
)

// The few sip calls the transport makes, in one place.

func isRequest(m sip.Message) bool { return m.IsRequest() }

func topVia(m sip.Message) (sip.Via, error) { return m.TopVia() }

func setTopVia(m sip.Message, v sip.Via) error {
	m.SetTopVia(v)
	return nil
}

func marshal(m sip.Message) []byte { return m.AppendTo(nil) }
