package sip_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/teaphone/teaphone/sipcore/sip"
)

func ExampleParse() {
	m, err := sip.Parse([]byte("INVITE sip:bob@biloxi.com SIP/2.0\r\n" +
		"v: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n" +
		"To: Bob <sip:bob@biloxi.com>\r\n" +
		"f: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n" +
		"i: a84b4c76e66710@pc33.atlanta.com\r\n" +
		"CSeq: 314159 INVITE\r\n" +
		"l: 0\r\n\r\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	req := m.(*sip.Request)
	via, _ := req.TopVia()
	cseq, _ := req.CSeq()
	fmt.Println(req.Method, req.URI.User, via.Branch(), via.SentBy())
	fmt.Println(cseq.Seq, cseq.Method, req.CallID(), req.FromTag())
	if se := sip.ValidateRequest(req, sip.ValidateOptions{}); se != nil {
		fmt.Println(se.Response(req).StartLine())
	}
	// Output:
	// INVITE bob z9hG4bK776asdhds pc33.atlanta.com
	// 314159 INVITE a84b4c76e66710@pc33.atlanta.com 1928301774
}

func ExampleNewResponse() {
	m, _ := sip.Parse([]byte("OPTIONS sip:bob@biloxi.com SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKx;rport\r\n" +
		"To: <sip:bob@biloxi.com>\r\nFrom: <sip:alice@atlanta.com>;tag=1\r\n" +
		"Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"))
	req := m.(*sip.Request)
	_ = req.StampVia("192.0.2.1", 5062) // what the transport does on receipt
	res := sip.NewResponse(req, sip.StatusOK, "")
	_ = res.SetToTag("as83kd9bs")
	res.AddHeader("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS")
	fmt.Print(strings.ReplaceAll(res.String(), "\r\n", "\n"))
	// Output:
	// SIP/2.0 200 OK
	// Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKx;rport=5062;received=192.0.2.1
	// To: <sip:bob@biloxi.com>;tag=as83kd9bs
	// From: <sip:alice@atlanta.com>;tag=1
	// Call-ID: c1
	// CSeq: 1 OPTIONS
	// Allow: INVITE, ACK, BYE, CANCEL, OPTIONS
	// Content-Length: 0
}

func ExampleFramer() {
	stream := "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n" +
		"\r\n\r\n" + // an RFC 5626 keep-alive ping
		"MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK2\r\nContent-Length: 2\r\n\r\nhi"
	f := sip.NewFramer(strings.NewReader(stream), sip.Limits{})
	for {
		m, err := f.Next()
		switch {
		case errors.Is(err, sip.ErrKeepAlivePing):
			fmt.Println("ping: answer with CRLF")
			continue
		case errors.Is(err, io.EOF):
			return
		case err != nil:
			fmt.Println("close the connection:", err)
			return
		}
		fmt.Printf("%s body=%q\n", m.(*sip.Request).Method, m.Body())
	}
	// Output:
	// OPTIONS body=""
	// ping: answer with CRLF
	// MESSAGE body="hi"
}
