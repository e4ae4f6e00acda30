package uatest

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/teaphone/teaphone/sipcore/digest"
	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/transaction"
	"github.com/teaphone/teaphone/sipcore/transport"
)

// ServerConfig configures a Server.
type ServerConfig struct {
	Domain string            // the domain it serves (also the realm)
	Users  map[string]string // user → password
	// NoQOP challenges in the RFC 2069 form (no qop).
	NoQOP bool
	// Algorithms offered (nil: SHA-256 then MD5).
	Algorithms []digest.Algorithm
	// MinExpires, when > 0, answers shorter REGISTERs with 423.
	MinExpires int
	// MaxExpires caps the granted registration lifetime (0: as asked).
	MaxExpires int
	// AuthRequests challenges INVITE and MESSAGE with 407 too.
	AuthRequests bool
	// Hook sees every request first; a non-nil response is sent instead
	// of the normal processing; drop=true ignores the request (a timeout).
	Hook func(req *sip.Request) (resp *sip.Response, drop bool)
	// NonceLifetime bounds how long a nonce is accepted (0: 5 min).
	NonceLifetime time.Duration
	// T1 for the transaction layer (0: 500 ms).
	T1 time.Duration
}

// Register records one REGISTER the server accepted.
type Register struct {
	User    string
	Contact string
	Expires int
}

// Server is a small registrar, stateful forwarding proxy and presence
// server (RFC 3261 §10, §16; RFC 3903, RFC 3856) for tests. It keeps no
// Record-Route, so in-dialog requests go straight between the agents.
type Server struct {
	cfg  ServerConfig
	tp   *transport.Layer
	tx   *transaction.Layer
	auth *digest.Server
	addr netip.AddrPort
	stop chan struct{}
	wg   sync.WaitGroup

	mu        sync.Mutex
	bindings  map[string]binding
	registers []Register
	requests  []string // "METHOD user" of every request seen
	pres      map[string]*publication
	watchers  map[string]*watch // by Call-ID
	etagN     int
}

type binding struct {
	contact sip.URI
	until   time.Time
}

type publication struct {
	etag string
	doc  []byte
}

type watch struct {
	user    string
	callID  string
	local   sip.Address // presentity with our tag
	remote  sip.Address // subscriber with its tag
	target  sip.URI
	seq     uint32
	expires int
}

// NewServer starts a server on pc (a siptest or real UDP socket).
func NewServer(pc net.PacketConn, cfg ServerConfig) (*Server, error) {
	algs := cfg.Algorithms
	as, err := digest.NewServer(digest.ServerConfig{Realm: cfg.Domain, NoQOP: cfg.NoQOP, Algorithms: algs, ReplayWindow: -1, NonceLifetime: cfg.NonceLifetime})
	if err != nil {
		return nil, err
	}
	tp, err := transport.New(transport.Options{FillVia: true})
	if err != nil {
		return nil, err
	}
	if err := tp.ServePacket(pc); err != nil {
		tp.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, tp: tp, auth: as, stop: make(chan struct{}),
		bindings: map[string]binding{}, pres: map[string]*publication{}, watchers: map[string]*watch{}}
	if ua, ok := pc.LocalAddr().(*net.UDPAddr); ok {
		s.addr = ua.AddrPort()
	}
	s.tx = transaction.NewLayer(transaction.TransportFunc(func(ctx context.Context, msg sip.Message, to transaction.Target) error {
		return tp.Send(ctx, msg, transport.Target(to))
	}), transaction.Config{T1: cfg.T1, Handler: s.handle, ViaHost: s.addr.String()})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			select {
			case <-s.stop:
				return
			case in := <-tp.Messages():
				s.tx.HandleMessage(in.Msg, transaction.Target(in.Source.Reply()))
			}
		}
	}()
	return s, nil
}

// Addr is the server's address.
func (s *Server) Addr() netip.AddrPort { return s.addr }

// URI is "sip:ip:port" of the server.
func (s *Server) URI() string { return "sip:" + s.addr.String() }

// Close stops the server and waits for its goroutines.
func (s *Server) Close() {
	s.tx.Close()
	close(s.stop)
	s.tp.Close()
	s.wg.Wait()
}

// Registers returns the REGISTERs accepted so far.
func (s *Server) Registers() []Register {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Register(nil), s.registers...)
}

// Requests returns "METHOD user" for every request received, in order.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// Count returns how many requests with method were received.
func (s *Server) Count(method string) int {
	n := 0
	for _, r := range s.Requests() {
		if strings.HasPrefix(r, method+" ") {
			n++
		}
	}
	return n
}

// Binding returns the registered contact of user.
func (s *Server) Binding(user string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.bindings[user]
	if !ok {
		return "", false
	}
	return b.contact.String(), true
}

func (s *Server) handle(st *transaction.Server) {
	req := st.Request()
	s.mu.Lock()
	s.requests = append(s.requests, req.Method+" "+req.URI.User)
	s.mu.Unlock()
	if s.cfg.Hook != nil {
		if resp, drop := s.cfg.Hook(req); drop {
			return
		} else if resp != nil {
			_ = st.Respond(resp)
			return
		}
	}
	switch req.Method {
	case "REGISTER":
		s.register(st)
	case "PUBLISH":
		s.publish(st)
	case "SUBSCRIBE":
		s.subscribe(st)
	case "OPTIONS":
		_ = st.Respond(sip.NewResponse(req, 200, ""))
	case "INVITE", "MESSAGE", "NOTIFY", "INFO", "BYE", "UPDATE":
		if req.ToTag() != "" {
			_ = st.Respond(sip.NewResponse(req, 481, ""))
			return
		}
		if s.cfg.AuthRequests && (req.Method == "INVITE" || req.Method == "MESSAGE") {
			if !s.authorized(st, "Proxy-Authorization", 407, "Proxy-Authenticate") {
				return
			}
		}
		s.forward(st)
	default:
		_ = st.Respond(sip.NewResponse(req, 405, ""))
	}
}

// authorized checks credentials, challenging when they are missing or
// wrong (RFC 3261 §22).
func (s *Server) authorized(st *transaction.Server, credHdr string, code int, chHdr string) bool {
	req := st.Request()
	dr := digest.Request{Method: req.Method, URI: req.URI.String(), Body: req.Body()}
	stale := false
	if v := req.Header(credHdr); v != "" {
		_, err := s.auth.Verify(v, dr, func(user, realm string, alg digest.Algorithm) (digest.Secret, error) {
			pw, ok := s.cfg.Users[user]
			if !ok {
				return digest.Secret{}, digest.ErrUnknownUser
			}
			return digest.Secret{Password: pw, Username: user}, nil
		})
		if err == nil {
			return true
		}
		stale = errors.Is(err, digest.ErrStale)
	}
	chs, err := s.auth.Challenges(stale)
	if err != nil {
		_ = st.Respond(sip.NewResponse(req, 500, ""))
		return false
	}
	resp := sip.NewResponse(req, code, "")
	for _, c := range chs {
		resp.AddHeader(chHdr, c.String())
	}
	_ = st.Respond(resp)
	return false
}

func (s *Server) register(st *transaction.Server) {
	req := st.Request()
	if !s.authorized(st, "Authorization", 401, "WWW-Authenticate") {
		return
	}
	to, _ := req.To()
	user := sip.Unescape(to.URI.User)
	cs, _ := req.Contacts()
	exp := 3600
	if n, err := req.Expires(); err == nil && req.HasHeader("Expires") {
		exp = n
	}
	if len(cs) > 0 {
		if v, ok := cs[0].Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil {
				exp = n
			}
		}
	}
	if exp > 0 && s.cfg.MinExpires > 0 && exp < s.cfg.MinExpires {
		resp := sip.NewResponse(req, 423, "")
		resp.SetHeader("Min-Expires", strconv.Itoa(s.cfg.MinExpires))
		_ = st.Respond(resp)
		return
	}
	if s.cfg.MaxExpires > 0 && exp > s.cfg.MaxExpires {
		exp = s.cfg.MaxExpires
	}
	resp := sip.NewResponse(req, 200, "")
	s.mu.Lock()
	rec := Register{User: user, Expires: exp}
	if len(cs) > 0 {
		rec.Contact = cs[0].URI.String()
		if exp == 0 {
			delete(s.bindings, user)
		} else {
			s.bindings[user] = binding{contact: cs[0].URI, until: time.Now().Add(time.Duration(exp) * time.Second)}
			c := cs[0]
			c.Params = c.Params.Set("expires", strconv.Itoa(exp))
			resp.SetContacts(c)
		}
	}
	s.registers = append(s.registers, rec)
	s.mu.Unlock()
	_ = st.Respond(resp)
}

func targetOf(u sip.URI) (transaction.Target, bool) {
	ip, err := netip.ParseAddr(u.Hostname())
	if err != nil {
		return transaction.Target{}, false
	}
	port := u.Port
	if port == 0 {
		port = 5060
	}
	return transaction.Target{Transport: "UDP", Addr: netip.AddrPortFrom(ip, uint16(port))}, true
}

// forward proxies a request to the registered contact of its Request-URI
// user (RFC 3261 §16.6), statefully, relaying responses and CANCEL.
func (s *Server) forward(st *transaction.Server) {
	req := st.Request()
	user := sip.Unescape(req.URI.User)
	s.mu.Lock()
	b, ok := s.bindings[user]
	s.mu.Unlock()
	if !ok {
		_ = st.Respond(sip.NewResponse(req, 404, ""))
		return
	}
	tgt, ok := targetOf(b.contact)
	if !ok {
		_ = st.Respond(sip.NewResponse(req, 480, ""))
		return
	}
	fwd := req.Clone()
	fwd.URI = b.contact.Clone()
	if mf, err := fwd.MaxForwards(); err == nil {
		if mf <= 0 {
			_ = st.Respond(sip.NewResponse(req, 483, ""))
			return
		}
		fwd.SetMaxForwards(mf - 1)
	}
	fwd.RemoveHeader("Proxy-Authorization")
	v := sip.Via{Protocol: "SIP", Version: "2.0", Transport: "UDP", Host: s.addr.Addr().String(), Port: int(s.addr.Port())}
	v.SetBranch(sip.NewBranch())
	fwd.PrependVia(v)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		c, err := s.tx.Request(context.Background(), fwd, tgt)
		if err != nil {
			_ = st.Respond(sip.NewResponse(req, 503, ""))
			return
		}
		stopCancel := make(chan struct{})
		defer close(stopCancel)
		if req.Method == "INVITE" {
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				select {
				case <-st.Cancelled():
					_ = c.Cancel()
				case <-stopCancel:
				case <-c.Done():
				}
			}()
		}
		for r := range c.Responses() {
			if r.StatusCode == 100 {
				continue
			}
			out := r.Clone()
			if _, err := out.RemoveTopVia(); err != nil {
				continue
			}
			_ = st.Respond(out)
		}
		if err := c.Err(); err != nil {
			code := 408
			if errors.Is(err, transaction.ErrTransport) {
				code = 503
			}
			_ = st.Respond(sip.NewResponse(req, code, ""))
		}
	}()
}

// ---- presence (RFC 3903 PUBLISH, RFC 3856 SUBSCRIBE) ----

func (s *Server) publish(st *transaction.Server) {
	req := st.Request()
	user := sip.Unescape(req.URI.User)
	exp := 3600
	if n, err := req.Expires(); err == nil && req.HasHeader("Expires") {
		exp = n
	}
	match := req.Header("SIP-If-Match")
	s.mu.Lock()
	p := s.pres[user]
	if match != "" && (p == nil || p.etag != match) {
		s.mu.Unlock()
		_ = st.Respond(sip.NewResponse(req, 412, ""))
		return
	}
	if exp == 0 {
		delete(s.pres, user)
		s.mu.Unlock()
		resp := sip.NewResponse(req, 200, "")
		resp.SetExpires(0)
		_ = st.Respond(resp)
		s.notifyAll(user)
		return
	}
	if p == nil {
		if len(req.Body()) == 0 {
			s.mu.Unlock()
			_ = st.Respond(sip.NewResponse(req, 400, "Missing Body"))
			return
		}
		p = &publication{}
		s.pres[user] = p
	}
	changed := len(req.Body()) > 0
	if changed {
		p.doc = append([]byte(nil), req.Body()...)
	}
	s.etagN++
	p.etag = "e" + strconv.Itoa(s.etagN)
	etag := p.etag
	s.mu.Unlock()
	resp := sip.NewResponse(req, 200, "")
	resp.SetHeader("SIP-ETag", etag)
	resp.SetExpires(exp)
	_ = st.Respond(resp)
	if changed {
		s.notifyAll(user)
	}
}

// PublishedETag returns the entity-tag of user's publication ("" if none).
func (s *Server) PublishedETag(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.pres[user]; p != nil {
		return p.etag
	}
	return ""
}

// ForgetPublication drops user's publication, so the next refresh gets 412.
func (s *Server) ForgetPublication(user string) {
	s.mu.Lock()
	delete(s.pres, user)
	s.mu.Unlock()
}

func (s *Server) subscribe(st *transaction.Server) {
	req := st.Request()
	ev, _ := req.Event()
	if !strings.EqualFold(ev.Value, "presence") {
		_ = st.Respond(sip.NewResponse(req, 489, ""))
		return
	}
	exp := 3600
	if n, err := req.Expires(); err == nil && req.HasHeader("Expires") {
		exp = min(n, 3600)
	}
	s.mu.Lock()
	w := s.watchers[req.CallID()]
	if req.ToTag() != "" && (w == nil || w.local.Tag() != req.ToTag()) {
		s.mu.Unlock()
		_ = st.Respond(sip.NewResponse(req, 481, ""))
		return
	}
	if w == nil {
		from, _ := req.From()
		to, _ := req.To()
		w = &watch{user: sip.Unescape(req.URI.User), callID: req.CallID(), local: to.WithTag(sip.NewTag()), remote: from}
		s.watchers[w.callID] = w
	}
	if cs, err := req.Contacts(); err == nil && len(cs) > 0 {
		w.target = cs[0].URI
	}
	w.expires = exp
	if exp == 0 {
		delete(s.watchers, w.callID)
	}
	s.mu.Unlock()
	resp := sip.NewResponse(req, 200, "")
	_ = resp.SetToTag(w.local.Tag())
	resp.SetContacts(sip.Address{URI: sip.URI{Scheme: "sip", Host: s.addr.Addr().String(), Port: int(s.addr.Port())}})
	resp.SetExpires(exp)
	_ = st.Respond(resp)
	if exp == 0 {
		s.notify(w, "terminated;reason=timeout")
	} else {
		s.notify(w, "active;expires="+strconv.Itoa(exp))
	}
}

func (s *Server) notifyAll(user string) {
	s.mu.Lock()
	var ws []*watch
	for _, w := range s.watchers {
		if w.user == user {
			ws = append(ws, w)
		}
	}
	s.mu.Unlock()
	for _, w := range ws {
		s.notify(w, "active;expires="+strconv.Itoa(w.expires))
	}
}

// Terminate ends every subscription to user's presence with a NOTIFY
// "terminated;reason=reason" (RFC 6665 §4.2.2).
func (s *Server) Terminate(user, reason string) {
	s.mu.Lock()
	var ws []*watch
	for id, w := range s.watchers {
		if w.user == user {
			ws = append(ws, w)
			delete(s.watchers, id)
		}
	}
	s.mu.Unlock()
	for _, w := range ws {
		state := "terminated"
		if reason != "" {
			state += ";reason=" + reason
		}
		s.notify(w, state)
	}
}

// Watchers returns how many subscriptions to user's presence are active.
func (s *Server) Watchers(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, w := range s.watchers {
		if w.user == user {
			n++
		}
	}
	return n
}

func (s *Server) notify(w *watch, state string) {
	s.mu.Lock()
	w.seq++
	seq := w.seq
	var doc []byte
	if p := s.pres[w.user]; p != nil {
		doc = p.doc
	}
	s.mu.Unlock()
	tgt, ok := targetOf(w.target)
	if !ok {
		return
	}
	req := sip.NewRequest("NOTIFY", w.target)
	req.SetFrom(w.local)
	req.SetTo(w.remote)
	req.SetCallID(w.callID)
	req.SetCSeq(sip.CSeq{Seq: seq, Method: "NOTIFY"})
	req.SetContacts(sip.Address{URI: sip.URI{Scheme: "sip", Host: s.addr.Addr().String(), Port: int(s.addr.Port())}})
	req.SetHeader("Event", "presence")
	req.SetHeader("Subscription-State", state)
	if doc != nil {
		req.SetContent("application/pidf+xml", doc)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_, _ = s.tx.Do(context.Background(), req, tgt)
	}()
}
