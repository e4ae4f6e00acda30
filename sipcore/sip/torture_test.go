package sip

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// uasOptions is the UAS policy the torture tests validate with.
var uasOptions = ValidateOptions{Accept: []string{"application/sdp", "text/plain", "multipart/mixed"}}

type tortureCase func(t *testing.T, m Message, err error)

// The RFC 4475 verdict for every message of INDEX.tsv. Parser-level
// rejections assert the sentinel; validation-level rejections assert the
// status code and reason; valid messages assert field values.
var tortureCases = map[string]tortureCase{
	// §3.1.1 valid messages.
	"wsinv.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		eq(t, "method", r.Method, "INVITE")
		eq(t, "ruri", r.URI.String(), "sip:vivekg@chair-dnrc.example.com;unknownparam")
		to := mustAddr(t)(r.To())
		eq(t, "to uri", to.URI.String(), "sip:vivekg@chair-dnrc.example.com")
		eq(t, "to tag", to.Tag(), "1918181833n")
		from := mustAddr(t)(r.From())
		eq(t, "from display", from.DisplayName, `J Rosenberg \"`)
		eq(t, "from tag", from.Tag(), "98asjd8")
		mf, err := r.MaxForwards()
		eq(t, "max-forwards", mf, 68)
		noErr(t, err)
		c, err := r.CSeq()
		noErr(t, err)
		eq(t, "cseq", c, CSeq{9, "INVITE"})
		vias, err := r.Vias()
		noErr(t, err)
		eq(t, "via count", len(vias), 3)
		eq(t, "via0", vias[0].String(), "SIP/2.0/UDP 192.0.2.2;branch=390skdjuw")
		eq(t, "via1", vias[1].String(), "SIP/2.0/TCP spindle.example.com;branch=z9hG4bK9ikj8")
		eq(t, "via2", vias[2].String(), "SIP/2.0/UDP 192.168.255.111;branch=z9hG4bK30239")
		eq(t, "subject present", r.HasHeader("Subject"), true)
		eq(t, "subject", r.Header("subject"), "")
		eq(t, "newfangled", r.Header("NewFangledHeader"), "newfangled value continued newfangled value")
		eq(t, "unusual", r.Header("UnknownHeaderWithUnusualValue"), ";;,,;;,;")
		routes, err := r.Routes()
		noErr(t, err)
		eq(t, "route", routes[0].URI.String(), "sip:services.example.com;lr;unknownwith=value;unknown-no-value")
		cs, err := r.Contacts()
		noErr(t, err)
		eq(t, "contact display", cs[0].DisplayName, `Quoted string ""`)
		eq(t, "contact params", cs[0].Params, Params{{"newparam", "newvalue"}, {"secondparam", ""}, {"q", "0.33"}})
		eq(t, "body", len(r.Body()), 150)
		eq(t, "validate", ValidateRequest(r, uasOptions), (*StatusError)(nil))
	},
	"intmeth.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		eq(t, "method", r.Method, "!interesting-Method0123456789_*+`.%indeed'~")
		eq(t, "user", r.URI.User, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
		eq(t, "password", r.URI.Password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
		eq(t, "host", r.URI.Host, "example.com")
		v := mustVia(t, r)
		eq(t, "branch", v.Branch(), "z9hG4bK-.!%66*_+`'~")
		to := mustAddr(t)(r.To())
		eq(t, "to display", to.DisplayName, "BEL:\x07 NUL:\x00 DEL:\x7f")
		eq(t, "to user", to.URI.User, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
		from := mustAddr(t)(r.From())
		eq(t, "from display", from.DisplayName, "token1~` token2'+_ token3*%!.-")
		eq(t, "from tag", from.Tag(), "_token~1'+`*%!-.")
		p, _ := from.Params.Get("fromParam''~+*_!.-%")
		eq(t, "from param", Unquote(p), "работающий")
		eq(t, "call-id", r.CallID(), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{")
		c, _ := r.CSeq()
		eq(t, "cseq", c, CSeq{139122385, r.Method})
		eq(t, "ext header", r.Header("extensionHeader-!.%*+_`'~"), "\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb")
		// A UAS does not know the method: 501 (RFC 4475 §3.1.1.2).
		wantReject(t, r, uasOptions, 501, "Not Implemented")
	},
	"esc01.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		eq(t, "ruri user", Unescape(r.URI.User), "sips:user@example.com")
		to := mustAddr(t)(r.To())
		eq(t, "to equals unescaped", to.URI.Equal(mustURI(t, "sip:user@example.com")), true)
		from := mustAddr(t)(r.From())
		eq(t, "from user", Unescape(from.URI.User), "I have spaces")
		cs, err := r.Contacts()
		noErr(t, err)
		eq(t, "contact equals", cs[0].URI.Equal(mustURI(t, "sip:caller@host5.example.net;lr;name=value%2541")), true)
		eq(t, "contact not equal other", cs[0].URI.Equal(mustURI(t, "sip:caller@host5.example.net;lr;name=valueA")), false)
		eq(t, "call-id via compact i", r.CallID(), "esc01.239409asdfakjkn23onasd0-3234")
		ct, err := r.ContentType()
		noErr(t, err)
		eq(t, "content-type via compact c", ct.Name(), "application/sdp")
		eq(t, "validate", ValidateRequest(r, uasOptions), (*StatusError)(nil))
	},
	"escnull.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		to := mustAddr(t)(r.To())
		eq(t, "to user", Unescape(to.URI.User), "null-\x00-null")
		cs, err := r.Contacts()
		noErr(t, err)
		eq(t, "contacts", len(cs), 2)
		eq(t, "c0", Unescape(cs[0].URI.User), "\x00")
		eq(t, "c1", Unescape(cs[1].URI.User), "\x00\x00")
		eq(t, "distinct", cs[0].URI.Equal(cs[1].URI), false)
		eq(t, "validate", ValidateRequest(r, uasOptions), (*StatusError)(nil))
	},
	"esc02.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		eq(t, "method", r.Method, "RE%47IST%45R")
		eq(t, "not register", r.Method == MethodRegister, false)
		eq(t, "to display", mustAddr(t)(r.To()).DisplayName, "%Z%45")
		eq(t, "branch", mustVia(t, r).Branch(), "z9hG4bK209%fzsnel234")
		cs, err := r.Contacts()
		noErr(t, err)
		eq(t, "contacts", len(cs), 2)
		eq(t, "contact 0", cs[0].URI.Host, "host1.example.com")
		eq(t, "contact 1", cs[1].URI.Host, "host3.example.com")
		eq(t, "odd header", r.HeaderValues("C%6Fntact"), []string{"<sip:alias2@host2.example.com>"})
		wantReject(t, r, uasOptions, 501, "Not Implemented")
	},
	"lwsdisp.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		from := mustAddr(t)(r.From())
		eq(t, "display", from.DisplayName, "caller")
		eq(t, "uri", from.URI.String(), "sip:caller@example.com")
		eq(t, "tag", from.Tag(), "323")
		eq(t, "validate", ValidateRequest(r, uasOptions), (*StatusError)(nil))
	},
	"longreq.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		vias, err := r.Vias()
		noErr(t, err)
		eq(t, "via count", len(vias), 34)
		eq(t, "top via", vias[0].Host, "sip33.example.com")
		eq(t, "last via received", vias[33].Received(), "192.0.2.5")
		eq(t, "last via branch length", len(vias[33].Branch()) > 100, true)
		to := mustAddr(t)(r.To())
		eq(t, "to display", strings.HasPrefix(to.DisplayName, "I have a user name of extremeextreme"), true)
		eq(t, "to port", to.URI.Port, 6000)
		from := mustAddr(t)(r.From())
		eq(t, "from via F:", strings.HasPrefix(from.URI.User, "amazinglylongcallername"), true)
		eq(t, "from tag", len(from.Tag()) > 50, true)
		eq(t, "call-id", len(r.CallID()) > 100, true)
		eq(t, "body via l:", len(r.Body()), 150)
		eq(t, "validate", ValidateRequest(r, uasOptions), (*StatusError)(nil))
	},
	"dblreq.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		eq(t, "method", r.Method, "REGISTER")
		eq(t, "body discarded", len(r.Body()), 0)
		eq(t, "call-id", r.CallID(), "dblreq.0ha0isndaksdj99sdfafnl3lk233412")
		eq(t, "no invite", strings.Contains(r.String(), "INVITE"), false)
		eq(t, "validate", ValidateRequest(r, uasOptions), (*StatusError)(nil))
	},
	"semiuri.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		eq(t, "user", r.URI.User, "user;par=u%40example.net")
		eq(t, "user unescaped", Unescape(r.URI.User), "user;par=u@example.net")
		eq(t, "host", r.URI.Host, "example.com")
		eq(t, "no uri params", len(r.URI.Params), 0)
		acc, err := r.Accept()
		noErr(t, err)
		var names []string
		for _, a := range acc {
			names = append(names, a.Name())
		}
		eq(t, "accept", names, []string{"application/sdp", "application/pkcs7-mime", "multipart/mixed", "multipart/signed", "message/sip", "message/sipfrag"})
		eq(t, "validate", ValidateRequest(r, uasOptions), (*StatusError)(nil))
	},
	"transports.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		vias, err := r.Vias()
		noErr(t, err)
		var tr []string
		for _, v := range vias {
			tr = append(tr, v.Transport)
		}
		eq(t, "transports", tr, []string{"UDP", "SCTP", "TLS", "UNKNOWN", "TCP"})
		eq(t, "call-id", r.CallID(), "transports.kijh4akdnaqjkwendsasfdj")
		eq(t, "validate", ValidateRequest(r, uasOptions), (*StatusError)(nil))
	},
	"mpart01.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		b := r.Body()
		eq(t, "body length", len(b), 553)
		eq(t, "raw CR", bytes.Count(b, []byte("\r")) > 0, true)
		eq(t, "raw NUL", bytes.IndexByte(b, 0) >= 0, true)
		eq(t, "body tail", strings.HasSuffix(string(b), "--7a9cbec02ceef655--\r\n"), true)
		ct, err := r.ContentType()
		noErr(t, err)
		eq(t, "content-type", ct.Name(), "multipart/mixed")
		eq(t, "boundary", ct.Params, Params{{"boundary", "7a9cbec02ceef655"}})
		_, rport := mustVia(t, r).RPort()
		eq(t, "rport", rport, true)
		d, err := r.Date()
		noErr(t, err)
		eq(t, "date", d.Year(), 2005)
		eq(t, "validate", ValidateRequest(r, uasOptions), (*StatusError)(nil))
	},
	"unreason.dat": func(t *testing.T, m Message, err error) {
		r := mustResponse(t, m, err)
		eq(t, "code", r.StatusCode, 200)
		eq(t, "reason", r.Reason, "= 2**3 * 5**2 \u043d\u043e \u0441\u0442\u043e \u0434\u0435\u0432\u044f\u043d\u043e\u0441\u0442\u043e \u0434\u0435\u0432\u044f\u0442\u044c - \u043f\u0440\u043e\u0441\u0442\u043e\u0435")
		eq(t, "utf8", utf8.ValidString(r.Reason), true)
		eq(t, "body", len(r.Body()), 154)
		noErr(t, ValidateResponse(r))
	},
	"noreason.dat": func(t *testing.T, m Message, err error) {
		r := mustResponse(t, m, err)
		eq(t, "code", r.StatusCode, 100)
		eq(t, "reason", r.Reason, "")
		eq(t, "status line", r.StartLine(), "SIP/2.0 100 ")
		noErr(t, ValidateResponse(r))
	},

	// §3.1.2 invalid messages.
	"badinv01.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		_, verr := r.TopVia()
		eq(t, "via error", errors.Is(verr, ErrValue), true)
		wantReject(t, r, uasOptions, 400, "Malformed Via")
		_, cerr := r.Contacts()
		eq(t, "contact error", errors.Is(cerr, ErrValue), true)
	},
	"clerr.dat": wantParseErr(ErrContentLength),
	"ncl.dat":   wantParseErr(ErrContentLength),
	"scalar02.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		wantReject(t, r, uasOptions, 400, "Malformed CSeq")
		_, mferr := r.MaxForwards()
		eq(t, "max-forwards 300 rejected", errors.Is(mferr, ErrValue), true)
		exp, err := r.Expires()
		noErr(t, err)
		eq(t, "expires clamped", exp, 1<<32-1)
	},
	"scalarlg.dat": func(t *testing.T, m Message, err error) {
		r := mustResponse(t, m, err)
		eq(t, "code", r.StatusCode, 503)
		_, cerr := r.CSeq()
		eq(t, "cseq overflow", errors.Is(cerr, ErrValue), true)
		eq(t, "discard", ValidateResponse(r) != nil, true)
	},
	"quotbal.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		_, terr := r.To()
		eq(t, "to error", errors.Is(terr, ErrValue), true)
		wantReject(t, r, uasOptions, 400, "Malformed To")
	},
	"ltgtruri.dat": wantParseErr(ErrStartLine),
	"lwsruri.dat":  wantParseErr(ErrStartLine),
	"lwsstart.dat": wantParseErr(ErrStartLine), // we pick rejection (RFC 4475 §3.1.2.9 allows it)
	"trws.dat":     wantParseErr(ErrStartLine), // likewise (§3.1.2.10)
	"escruri.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		eq(t, "ruri headers", r.URI.Headers, Params{{"Route", "%3Csip:example.com%3E"}})
		wantReject(t, r, uasOptions, 400, "Headers Not Allowed In Request-URI")
	},
	"baddate.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		_, derr := r.Date()
		eq(t, "date error", errors.Is(derr, ErrValue), true)
		wantReject(t, r, uasOptions, 400, "Malformed Date")
	},
	"regbadct.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		wantReject(t, r, uasOptions, 400, "Malformed Contact")
	},
	"badaspec.dat": func(t *testing.T, m Message, err error) {
		// We pick rejection of "< sip:... >" (RFC 4475 §3.1.2.14 allows it).
		r := mustRequest(t, m, err)
		eq(t, "from ok", mustAddr(t)(r.From()).DisplayName, "Bell, Alexander")
		wantReject(t, r, uasOptions, 400, "Malformed To")
	},
	"baddn.dat": func(t *testing.T, m Message, err error) {
		// No empty line ends this datagram; we accept the head as is.
		r := mustRequest(t, m, err)
		eq(t, "l: 0 read", r.Header("Content-Length"), "0")
		wantReject(t, r, uasOptions, 400, "Malformed From")
	},
	"badvers.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		eq(t, "version", r.Version, "SIP/7.0")
		wantReject(t, r, uasOptions, 505, "Version Not Supported")
	},
	"mismatch01.dat": func(t *testing.T, m Message, err error) {
		wantReject(t, mustRequest(t, m, err), uasOptions, 400, "CSeq Method Mismatch")
	},
	"mismatch02.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		eq(t, "body", len(r.Body()), 138)
		wantReject(t, r, uasOptions, 501, "Not Implemented")
	},
	"bigcode.dat": wantParseErr(ErrStartLine),

	// §3.2, §3.3, §3.4 valid-but-odd and invalid-in-context messages.
	"badbranch.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		v := mustVia(t, r)
		eq(t, "branch", v.Branch(), "z9hG4bK")
		eq(t, "not rfc3261 branch", v.IsRFC3261Branch(), false)
		eq(t, "validate", ValidateRequest(r, uasOptions), (*StatusError)(nil))
	},
	"insuf.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		wantReject(t, r, uasOptions, 400, "Missing Call-ID")
	},
	"unkscm.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		eq(t, "scheme", r.URI.Scheme, "nobodyKnowsThisScheme")
		eq(t, "opaque", r.URI.Opaque, "totallyopaquecontent")
		wantReject(t, r, uasOptions, 416, "Unsupported URI Scheme")
	},
	"novelsc.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		eq(t, "uri", r.URI.String(), "soap.beep://192.0.2.103:3002")
		wantReject(t, r, uasOptions, 416, "Unsupported URI Scheme")
	},
	"unksm2.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		eq(t, "to", mustAddr(t)(r.To()).URI.String(), "isbn:2983792873")
		eq(t, "from", mustAddr(t)(r.From()).URI.String(), "http://www.example.com")
		cs, err := r.Contacts()
		noErr(t, err)
		eq(t, "contact", cs[0].URI.String(), "name:John_Smith")
		// Syntactically fine; the AOR check (400) is the registrar's.
		eq(t, "validate", ValidateRequest(r, uasOptions), (*StatusError)(nil))
	},
	"bext01.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		se := wantReject(t, r, uasOptions, 420, "Bad Extension")
		eq(t, "unsupported", se.Headers, []Header{NewHeader("Unsupported", "nothingSupportsThis, nothingSupportsThisEither")})
		res := se.Response(r)
		u, err := res.Unsupported()
		noErr(t, err)
		eq(t, "response unsupported", u, []string{"nothingSupportsThis", "nothingSupportsThisEither"})
		pr, _ := r.ProxyRequire()
		eq(t, "proxy-require", pr, []string{"noProxiesSupportThis", "norDoAnyProxiesSupportThis"})
		// With the tags supported, the request is acceptable.
		o := uasOptions
		o.Supported = []string{"nothingsupportsthis", "NothingSupportsThisEither"}
		eq(t, "validate supported", ValidateRequest(r, o), (*StatusError)(nil))
	},
	"invut.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		se := wantReject(t, r, uasOptions, 415, "Unsupported Media Type")
		eq(t, "accept", se.Headers, []Header{NewHeader("Accept", "application/sdp, text/plain, multipart/mixed")})
		eq(t, "response has accept", se.Response(r).Header("Accept"), "application/sdp, text/plain, multipart/mixed")
	},
	"regaut01.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		a, err := r.Authorization()
		noErr(t, err)
		eq(t, "auth", a, []Auth{{Scheme: "NoOneKnowsThisScheme", Params: Params{{"opaque-data", "here"}}}})
		eq(t, "validate", ValidateRequest(r, uasOptions), (*StatusError)(nil))
	},
	"multi01.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		wantReject(t, r, uasOptions, 400, "Multiple Call-ID Headers")
	},
	"mcl01.dat": wantParseErr(ErrContentLength),
	"bcast.dat": func(t *testing.T, m Message, err error) {
		r := mustResponse(t, m, err)
		vias, err := r.Vias()
		noErr(t, err)
		eq(t, "second via", vias[1].Host, "255.255.255.255")
		noErr(t, ValidateResponse(r))
	},
	"zeromf.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		mf, err := r.MaxForwards()
		noErr(t, err)
		eq(t, "max-forwards", mf, 0)
		eq(t, "uas answers", ValidateRequest(r, uasOptions), (*StatusError)(nil))
		o := uasOptions
		o.Forwarding = true
		wantReject(t, r, o, 483, "Too Many Hops")
	},
	"cparam01.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		cs, err := r.Contacts()
		noErr(t, err)
		eq(t, "uri", cs[0].URI.String(), "sip:+19725552222@gw1.example.net")
		eq(t, "header param", cs[0].Params, Params{{"unknownparam", ""}})
		eq(t, "validate", ValidateRequest(r, uasOptions), (*StatusError)(nil))
	},
	"cparam02.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		cs, err := r.Contacts()
		noErr(t, err)
		eq(t, "uri params", cs[0].URI.Params, Params{{"unknownparam", ""}})
		eq(t, "no header params", len(cs[0].Params), 0)
		eq(t, "validate", ValidateRequest(r, uasOptions), (*StatusError)(nil))
	},
	"regescrt.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		cs, err := r.Contacts()
		noErr(t, err)
		eq(t, "contact header", cs[0].URI.Headers, Params{{"Route", "%3Csip:sip.example.com%3E"}})
		eq(t, "unescaped", Unescape(cs[0].URI.Headers[0].Value), "<sip:sip.example.com>")
		eq(t, "validate", ValidateRequest(r, uasOptions), (*StatusError)(nil))
	},
	"sdp01.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		acc, err := r.Accept()
		noErr(t, err)
		eq(t, "accept", acc[0].Name(), "text/nobodyKnowsThis")
		// 406 is the application's choice; the message itself is acceptable.
		eq(t, "validate", ValidateRequest(r, uasOptions), (*StatusError)(nil))
	},
	"inv2543.dat": func(t *testing.T, m Message, err error) {
		r := mustRequest(t, m, err)
		v := mustVia(t, r)
		eq(t, "no branch", v.Branch(), "")
		eq(t, "from tag", r.FromTag(), "")
		eq(t, "no max-forwards", r.HasHeader("Max-Forwards"), false)
		eq(t, "body to end of datagram", strings.HasPrefix(string(r.Body()), "v=0\r\n"), true)
		eq(t, "body end", strings.HasSuffix(string(r.Body()), "m=audio 49217 RTP/AVP 0\r\n"), true)
		rr, err := r.RecordRoutes()
		noErr(t, err)
		maddr, _ := rr[0].URI.Param("maddr")
		eq(t, "maddr", maddr, "ss1.example.com")
		to := mustAddr(t)(r.To())
		// addr-spec form: ";user=phone" is a header parameter (§20.10).
		eq(t, "user=phone", to.Params, Params{{"user", "phone"}})
		from := mustAddr(t)(r.From())
		user, _ := from.URI.Param("user")
		eq(t, "from uri user=phone", user, "phone")
		eq(t, "validate", ValidateRequest(r, uasOptions), (*StatusError)(nil))
	},
	// Unreferenced archive member: must not panic, must fail.
	"test.dat": wantParseErr(ErrStartLine),
}

func TestRFC4475(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "rfc4475", "INDEX.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	seen := 0
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		name, verdict := cols[0], cols[2]
		if verdict != "unreferenced" {
			seen++
		}
		t.Run(strings.TrimSuffix(name, ".dat"), func(t *testing.T) {
			check, ok := tortureCases[name]
			if !ok {
				t.Fatalf("no test case for %s (%s)", name, verdict)
			}
			data, err := os.ReadFile(filepath.Join("testdata", "rfc4475", name))
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(data)
			check(t, m, err)
			// Whatever parsed must also survive a serialize/parse round trip.
			if err == nil {
				checkRoundTrip(t, m)
			}
		})
	}
	if seen != 49 {
		t.Errorf("INDEX.tsv lists %d referenced messages, want 49", seen)
	}
	if len(tortureCases) != 50 {
		t.Errorf("%d torture cases, want 50", len(tortureCases))
	}
}

// ---- helpers ----

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %#v, want %#v", what, got, want)
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func mustRequest(t *testing.T, m Message, err error) *Request {
	t.Helper()
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	r, ok := m.(*Request)
	if !ok {
		t.Fatalf("got %T, want *Request", m)
	}
	return r
}

func mustResponse(t *testing.T, m Message, err error) *Response {
	t.Helper()
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	r, ok := m.(*Response)
	if !ok {
		t.Fatalf("got %T, want *Response", m)
	}
	return r
}

func mustAddr(t *testing.T) func(Address, error) Address {
	return func(a Address, err error) Address {
		t.Helper()
		if err != nil {
			t.Fatalf("address: %v", err)
		}
		return a
	}
}

func mustVia(t *testing.T, m Message) Via {
	t.Helper()
	v, err := m.TopVia()
	if err != nil {
		t.Fatalf("top via: %v", err)
	}
	return v
}

func mustURI(t *testing.T, s string) URI {
	t.Helper()
	u, err := ParseURI(s)
	if err != nil {
		t.Fatalf("ParseURI(%q): %v", s, err)
	}
	return u
}

func wantReject(t *testing.T, r *Request, o ValidateOptions, code int, reason string) *StatusError {
	t.Helper()
	se := ValidateRequest(r, o)
	if se == nil {
		t.Fatalf("ValidateRequest accepted the request, want %d %s", code, reason)
	}
	if se.Code != code || se.Reason != reason {
		t.Errorf("ValidateRequest = %d %q, want %d %q", se.Code, se.Reason, code, reason)
	}
	res := se.Response(r)
	if res.StatusCode != code || res.Reason != reason {
		t.Errorf("response status %d %q", res.StatusCode, res.Reason)
	}
	return se
}

func wantParseErr(sentinel error) tortureCase {
	return func(t *testing.T, m Message, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("parsed %q, want error %v", m.StartLine(), sentinel)
		}
		if !errors.Is(err, sentinel) {
			t.Fatalf("error %v, want %v", err, sentinel)
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("error %T is not *ParseError", err)
		}
	}
}

// TestRFC4475Checksums guards the corpus bytes (CRLFs, NULs, binary) against
// editors and line-ending conversion.
func TestRFC4475Checksums(t *testing.T) {
	sums, err := os.ReadFile(filepath.Join("testdata", "rfc4475", "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		want, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		data, err := os.ReadFile(filepath.Join("testdata", "rfc4475", name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(data)); got != want {
			t.Errorf("%s: sha256 %s, want %s", name, got, want)
		}
		n++
	}
	if n != 50 {
		t.Errorf("%d checksums, want 50", n)
	}
}
