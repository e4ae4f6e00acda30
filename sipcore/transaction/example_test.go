package transaction_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/transaction"
)

// Wiring a layer: a Transport sends, the code reading the transport calls
// HandleMessage, Handler answers new requests, Do runs a request to its
// final response. Here the "network" answers every request 200 at once.
func ExampleLayer_Do() {
	var l *transaction.Layer
	tp := transaction.TransportFunc(func(_ context.Context, msg sip.Message, to transaction.Target) error {
		if req, ok := msg.(*sip.Request); ok {
			resp := sip.NewResponse(req.Clone(), 200, "")
			go l.HandleMessage(resp, to) // as a transport's reading goroutine would
		}
		return nil
	})
	l = transaction.NewLayer(tp, transaction.Config{ViaHost: "192.0.2.1:5060"})
	defer l.Close()

	uri, _ := sip.ParseURI("sip:bob@192.0.2.2")
	req := sip.NewRequest(sip.MethodOptions, uri)
	req.SetFrom(sip.Address{URI: uri}.WithTag(sip.NewTag()))
	req.SetTo(sip.Address{URI: uri})
	req.SetCallID(sip.NewCallID(""))
	req.SetCSeq(sip.CSeq{Seq: 1, Method: sip.MethodOptions})

	to := transaction.Target{Transport: "UDP", Addr: netip.MustParseAddrPort("192.0.2.2:5060")}
	resp, err := l.Do(context.Background(), req, to)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, resp.Reason)
	// Output: 200 OK
}
