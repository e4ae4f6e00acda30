package e2e

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teaphone/teaphone/internal/interop"
)

// tortureDir is the RFC 4475 corpus kept in the tree (sipcore/sip's testdata).
const tortureDir = "../../sipcore/sip/testdata/rfc4475"

const (
	none     = -1 // dropping the message is acceptable
	anyFinal = -2 // any one final response (the message is well-formed enough to answer)
)

// tortureWant gives, per message, the final responses a UA that is not the
// addressed user (the messages address users at example.com) may give
// over UDP, following INDEX.tsv's verdicts (RFC 4475 §3). An empty list
// means no response at all (the message is a response: RFC 3261 §18.1.2
// drops stray responses).
var tortureWant = map[string][]int{
	// §3.1.1 valid: processed; not our user, an unknown method, a
	// registrar's method: a single final answer.
	"wsinv.dat":      {anyFinal},
	"intmeth.dat":    {501},
	"esc01.dat":      {404},
	"escnull.dat":    {405},
	"esc02.dat":      {501},
	"lwsdisp.dat":    {200},
	"longreq.dat":    {anyFinal},
	"dblreq.dat":     {anyFinal},
	"semiuri.dat":    {404, 200},
	"transports.dat": {200},
	"mpart01.dat":    {anyFinal},
	"unreason.dat":   {},
	"noreason.dat":   {},
	// §3.1.2 invalid: 400 (or the liberal answer where the RFC allows it),
	// or dropped when the damage leaves nothing to answer to.
	"badinv01.dat":   {400, none},
	"clerr.dat":      {400, none},
	"ncl.dat":        {400, none},
	"scalar02.dat":   {400, none},
	"scalarlg.dat":   {},
	"quotbal.dat":    {400, none},
	"ltgtruri.dat":   {400, none},
	"lwsruri.dat":    {400, none},
	"lwsstart.dat":   {anyFinal, none},
	"trws.dat":       {anyFinal, none},
	"escruri.dat":    {400},
	"baddate.dat":    {anyFinal, none},
	"regbadct.dat":   {400, 405, none},
	"badaspec.dat":   {anyFinal, none},
	"baddn.dat":      {400, anyFinal, none},
	"badvers.dat":    {505, none},
	"mismatch01.dat": {400},
	"mismatch02.dat": {501, 400},
	"bigcode.dat":    {},
	// §3.2, §3.3, §3.4: odd but valid (or invalid only semantically).
	"badbranch.dat": {anyFinal},
	"insuf.dat":     {400, none},
	"unkscm.dat":    {416},
	"novelsc.dat":   {416},
	"unksm2.dat":    {anyFinal},
	"bext01.dat":    {420, none}, // TLS Via: the answer needs a TLS connection nobody offers
	"invut.dat":     {415, 404},
	"regaut01.dat":  {405},
	"multi01.dat":   {400},
	"mcl01.dat":     {400, none},
	"bcast.dat":     {},
	"zeromf.dat":    {200},
	"cparam01.dat":  {anyFinal},
	"cparam02.dat":  {anyFinal},
	"regescrt.dat":  {anyFinal},
	"sdp01.dat":     {anyFinal},
	"inv2543.dat":   {404},
	"test.dat":      {anyFinal, none}, // unreferenced, malformed
}

var contentLengthRe = regexp.MustCompile(`(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)`)

var (
	topViaRe = regexp.MustCompile(`(?im)^(?:via|v)[ \t]*:[ \t]*SIP/2\.0/[A-Z]+[ \t]+([^;\s]+)[^\r\n]*?;branch=([^;,\s]+)`)
	cseqRe   = regexp.MustCompile(`(?im)^cseq[ \t]*:[ \t]*\d+[ \t]+(\S+)`)
)

// transactionKey is what RFC 3261 §17.2.3 matches a request to a server
// transaction by: top Via branch and sent-by, and the method.
func transactionKey(b []byte) string {
	v := topViaRe.FindSubmatch(b)
	c := cseqRe.FindSubmatch(b)
	if v == nil || c == nil {
		return ""
	}
	return string(v[2]) + "|" + string(v[1]) + "|" + string(c[1])
}

var callIDRe = regexp.MustCompile(`(?im)^(?:call-id|i)[ \t]*:[ \t]*(\S+)`)

// tortureResp is one response the agent sent somewhere in the namespace.
type tortureResp struct {
	code   int
	callID string
	where  string
}

// parseResponse returns the status code and Call-ID of a SIP response
// (RFC 3261 §7.2), ok false for anything else.
func parseResponse(b []byte) (code int, callID string, ok bool) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	rest, found := bytes.CutPrefix(bytes.TrimSpace(line), []byte("SIP/2.0 "))
	if !found || len(rest) < 3 {
		return 0, "", false
	}
	code, err := strconv.Atoi(string(rest[:3]))
	if err != nil {
		return 0, "", false
	}
	if m := callIDRe.FindSubmatch(b); m != nil {
		callID = string(m[1])
	}
	return code, callID, true
}

// responseSink collects the responses arriving on UDP and TCP sockets in
// the namespace: where the agent answers the torture messages (their Via
// ports, at the received address 127.0.0.1, RFC 3261 §18.2.2).
type responseSink struct {
	ch chan tortureResp
	wg sync.WaitGroup

	mu    sync.Mutex
	conns []io.Closer
}

func (s *responseSink) push(r tortureResp) {
	select {
	case s.ch <- r:
	default: // full: the test has far fewer responses than that
	}
}

func (s *responseSink) readUDP(pc net.PacketConn) {
	defer s.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if code, cid, ok := parseResponse(buf[:n]); ok {
			s.push(tortureResp{code, cid, "udp " + pc.LocalAddr().String()})
		}
	}
}

func (s *responseSink) acceptTCP(ln net.Listener) {
	defer s.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Add(1)
		go s.readTCP(c)
	}
}

// readTCP frames responses on a stream by Content-Length (RFC 3261 §18.3).
func (s *responseSink) readTCP(c net.Conn) {
	defer s.wg.Done()
	br := bufio.NewReader(c)
	for {
		var head bytes.Buffer
		for {
			line, err := br.ReadBytes('\n')
			if err != nil {
				return
			}
			if head.Len() == 0 && len(bytes.TrimSpace(line)) == 0 {
				continue // keep-alive CRLF
			}
			head.Write(line)
			if len(bytes.TrimSpace(line)) == 0 {
				break
			}
		}
		clen := 0
		if m := contentLengthRe.FindSubmatch(head.Bytes()); m != nil {
			clen, _ = strconv.Atoi(string(m[1]))
		}
		if _, err := io.CopyN(io.Discard, br, int64(clen)); err != nil {
			return
		}
		if code, cid, ok := parseResponse(head.Bytes()); ok {
			s.push(tortureResp{code, cid, "tcp " + c.LocalAddr().String()})
		}
	}
}

func (s *responseSink) close() {
	s.mu.Lock()
	conns := slices.Clone(s.conns)
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	s.wg.Wait()
}

// TestTortureUDP sends every RFC 4475 message as one UDP datagram to a
// running agent (inside a private namespace, so answers to the messages'
// made-up Via addresses cannot leave the machine), checks each answer
// against tortureWant, that nothing rang and no call was reported, and
// that the agent still answers OPTIONS with 200 afterwards.
func TestTortureUDP(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(tortureDir, "*.dat"))
	if err != nil || len(files) < 50 {
		t.Fatalf("torture corpus %s: %d files, %v", tortureDir, len(files), err)
	}
	ns := privateNetns(t)
	a := StartAgent(t, AgentOptions{Name: "bob", Netns: ns, Args: directArgs("bob")})
	a.Expect(t, 0, 10*time.Second, "ready", Is("ready"))
	agentAddr, err := net.ResolveUDPAddr("udp", a.listenAddr("udp"))
	if err != nil {
		t.Fatal(err)
	}

	sink := &responseSink{ch: make(chan tortureResp, 1000)}
	var sender net.PacketConn
	err = interop.InNetns(ns, func() error {
		// The Via ports the messages name (5060 default, 5050, 5070), and
		// TCP 5060 for the messages whose Via says TCP.
		for _, p := range []string{"5060", "5050", "5070"} {
			pc, err := net.ListenPacket("udp", "127.0.0.1:"+p)
			if err != nil {
				return err
			}
			sink.conns = append(sink.conns, pc)
			sink.wg.Add(1)
			go sink.readUDP(pc)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:5060")
		if err != nil {
			return err
		}
		sink.conns = append(sink.conns, ln)
		sink.wg.Add(1)
		go sink.acceptTCP(ln)
		sender, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		sink.conns = append(sink.conns, sender)
		sink.wg.Add(1)
		go sink.readUDP(sender)
		return nil
	})
	if err != nil {
		sink.close()
		t.Fatal(err)
	}
	defer sink.close()

	// Some messages share a transaction key with an earlier one (cparam02
	// with cparam01, regescrt with escnull, unkscm with novelsc: same
	// branch, sent-by and method): the agent rightly takes them as
	// retransmissions and re-sends the earlier final response (RFC 3261
	// §17.2.2), under the earlier Call-ID.
	firstOfKey := map[string]string{} // transaction key → first Call-ID
	for _, f := range files {
		name := filepath.Base(f)
		want, ok := tortureWant[name]
		if !ok {
			t.Errorf("%s: not in tortureWant", name)
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cid := ""
		if m := callIDRe.FindSubmatch(b); m != nil {
			cid = string(m[1])
		}
		alias := cid
		if key := transactionKey(b); key != "" {
			if first, seen := firstOfKey[key]; seen {
				alias = first
			} else {
				firstOfKey[key] = cid
			}
		}
		if _, err := sender.WriteTo(b, agentAddr); err != nil {
			t.Fatalf("%s: send: %v", name, err)
		}
		// Wait up to 1.5 s when an answer is due (a little longer after
		// it, for duplicates), 700 ms when silence is acceptable.
		window := 1500 * time.Millisecond
		if len(want) == 0 || slices.Contains(want, none) {
			window = 700 * time.Millisecond
		}
		timer := time.NewTimer(window)
		var finals, provisional []int
	collect:
		for {
			select {
			case r := <-sink.ch:
				if r.callID != cid && r.callID != alias {
					continue // a retransmission for an earlier message
				}
				if r.code < 200 {
					if !slices.Contains(provisional, r.code) {
						provisional = append(provisional, r.code)
					}
					continue
				}
				if !slices.Contains(finals, r.code) {
					finals = append(finals, r.code)
				}
				timer.Reset(150 * time.Millisecond)
			case <-timer.C:
				break collect
			}
		}
		t.Logf("%-15s → %v %v", name, provisional, finals)
		for _, c := range provisional {
			if c != 100 {
				t.Errorf("%s: provisional %d (something rang)", name, c)
			}
		}
		switch {
		case len(want) == 0:
			if len(finals) > 0 {
				t.Errorf("%s: responses %v, want none", name, finals)
			}
		case len(finals) == 0:
			if !slices.Contains(want, none) {
				t.Errorf("%s: no response, want one of %s", name, wantString(want))
			}
		case len(finals) > 1:
			t.Errorf("%s: responses %v, want one of %s", name, finals, wantString(want))
		case !slices.Contains(want, anyFinal) && !slices.Contains(want, finals[0]):
			t.Errorf("%s: response %d, want one of %s", name, finals[0], wantString(want))
		}
	}

	if a.Exited() {
		t.Fatalf("agent exited during the torture run")
	}
	// Still alive: OPTIONS gets 200.
	cid := "after-torture-" + randHex(6)
	got := 0
	for attempt := 0; attempt < 4 && got == 0; attempt++ {
		if _, err := sender.WriteTo(optionsRequest(sender.LocalAddr().String(), a.listenAddr("udp"), cid), agentAddr); err != nil {
			t.Fatal(err)
		}
		timer := time.NewTimer(time.Second)
	wait:
		for {
			select {
			case r := <-sink.ch:
				if r.callID == cid && r.code >= 200 {
					got = r.code
					break wait
				}
			case <-timer.C:
				break wait
			}
		}
		timer.Stop()
	}
	if got != 200 {
		t.Errorf("OPTIONS after the torture run: response %d, want 200", got)
	}
	for _, e := range a.Events() {
		switch e.Name() {
		case "incoming", "answered", "message", "ringing", "dialing":
			t.Errorf("agent reported %s", e)
		}
	}
}

func wantString(want []int) string {
	var s []string
	for _, w := range want {
		switch w {
		case none:
			s = append(s, "none")
		case anyFinal:
			s = append(s, "any final")
		default:
			s = append(s, strconv.Itoa(w))
		}
	}
	return "[" + strings.Join(s, ", ") + "]"
}
