package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/teaphone/teaphone/internal/callmedia"
	"github.com/teaphone/teaphone/ua"
)

// Defaults of Options.
const (
	DefaultEchoDelay      = time.Second
	DefaultPresencePeriod = 20 * time.Second
)

// Options configures the demo peers. Zero fields take the defaults.
type Options struct {
	// Logger receives the peers' engine logs; discarded when nil.
	Logger *slog.Logger
	// EchoDelay is how long the echo user waits before playing back what
	// it hears (DefaultEchoDelay).
	EchoDelay time.Duration
	// PresencePeriod is how often the echo user's idle presence changes
	// (DefaultPresencePeriod); negative keeps it fixed.
	PresencePeriod time.Duration
	// RingTime is how long the echo user lets a call ring before it
	// answers; zero answers at once.
	RingTime time.Duration
}

// Contact is one entry of the demo's address book.
type Contact struct {
	Name      string // display name, e.g. "Echo"
	URI       string // e.g. "sip:echo@127.0.0.1:40123"
	Favourite bool
	Note      string // what the contact is for, for an address-book note
}

// UserConfig is what main needs to run the user's agent against the demo:
// one direct-IP account (no registrar) and the contacts to show and
// subscribe to. Main maps it onto ua.Config and the contacts store.
type UserConfig struct {
	// User and Domain make the account: Domain is "127.0.0.1:PORT", so the
	// address of record sip:me@127.0.0.1:PORT carries the port and the
	// peers' replies (MESSAGE back to From) reach the user's agent.
	User        string
	Domain      string
	DisplayName string
	AOR         string
	// Conn is the user's SIP socket on Domain's port: pass it in
	// ua.Config.PacketConns (the agent then owns it). The first call of
	// UserConfig hands it over; Peer.Close closes it only if nobody took it.
	Conn net.PacketConn
	// Listen is the same address as a listen spec, for logs and display.
	Listen string
	// Contacts are Echo and Alice, both favourites.
	Contacts []Contact
}

// Peer is the running demo: the echo user and Alice, each a ua.Agent on
// its own loopback port, plus the user's reserved socket.
type Peer struct {
	opts    Options
	user    net.PacketConn
	userAOR string
	taken   bool
	mu      sync.Mutex

	echo   *echoPeer
	alice  *alicePeer
	media  *callmedia.Factory
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed bool
}

// listenLoopback binds a UDP socket on 127.0.0.1 with a port the kernel
// picks, and returns it with the "127.0.0.1:PORT" domain of accounts on it.
func listenLoopback() (net.PacketConn, string, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("demo: listen on loopback: %w", err)
	}
	return pc, pc.LocalAddr().String(), nil
}

// Start starts the echo user and Alice on loopback and returns once both
// are ready for calls, messages and subscriptions. ctx bounds the start
// only; Close stops the peers.
func Start(ctx context.Context, opts Options) (_ *Peer, err error) {
	if opts.EchoDelay <= 0 {
		opts.EchoDelay = DefaultEchoDelay
	}
	if opts.PresencePeriod == 0 {
		opts.PresencePeriod = DefaultPresencePeriod
	}
	if opts.RingTime < 0 {
		opts.RingTime = 0
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Peer{opts: opts}
	var conns []net.PacketConn
	defer func() {
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
		}
	}()
	userPC, userDomain, err := listenLoopback()
	if err != nil {
		return nil, err
	}
	conns = append(conns, userPC)
	echoPC, echoDomain, err := listenLoopback()
	if err != nil {
		return nil, err
	}
	conns = append(conns, echoPC)
	alicePC, aliceDomain, err := listenLoopback()
	if err != nil {
		return nil, err
	}
	conns = append(conns, alicePC)
	p.user, p.userAOR = userPC, "sip:me@"+userDomain

	p.media, err = callmedia.New(callmedia.Config{
		Devices:  newEchoDevices(opts.EchoDelay),
		BindAddr: netip.AddrFrom4([4]byte{127, 0, 0, 1}),
		Logger:   opts.Logger.With("demo", "echo-media"),
	})
	if err != nil {
		return nil, fmt.Errorf("demo: echo media: %w", err)
	}
	agentCfg := func(user, domain, name string, pc net.PacketConn, media ua.MediaFactory) ua.Config {
		return ua.Config{
			Accounts: []ua.Account{{
				Name: user, User: user, Domain: domain, DisplayName: name, NoRegister: true,
			}},
			PacketConns:   []net.PacketConn{pc},
			Media:         media,
			StatsInterval: -1,
			UserAgent:     "teaphone-demo",
			Logger:        opts.Logger.With("demo", user),
		}
	}
	ecfg := agentCfg("echo", echoDomain, "Echo", echoPC, p.media)
	ecfg.AutoAnswer, ecfg.AutoAnswerDelay = true, opts.RingTime
	echoAgent, err := ua.New(ecfg)
	if err != nil {
		p.media.Close()
		return nil, fmt.Errorf("demo: echo: %w", err)
	}
	// Alice answers no call (she rejects them), so she needs no media.
	aliceAgent, err := ua.New(agentCfg("alice", aliceDomain, "Alice", alicePC, refuseMedia{}))
	if err != nil {
		p.media.Close()
		return nil, fmt.Errorf("demo: alice: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.echo = &echoPeer{a: echoAgent, aor: "sip:echo@" + echoDomain, opts: opts, log: opts.Logger.With("demo", "echo"), calls: map[string]string{}}
	p.alice = &alicePeer{a: aliceAgent, aor: "sip:alice@" + aliceDomain, log: opts.Logger.With("demo", "alice")}

	if err := echoAgent.Start(ctx); err != nil {
		cancel()
		p.media.Close()
		return nil, fmt.Errorf("demo: start echo: %w", err)
	}
	conns = conns[:1] // the agents own theirs now
	if err := aliceAgent.Start(ctx); err != nil {
		cancel()
		closeCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		_ = echoAgent.Close(closeCtx)
		alicePC.Close()
		p.media.Close()
		return nil, fmt.Errorf("demo: start alice: %w", err)
	}
	own := []string{p.echo.aor, p.alice.aor}
	p.echo.ignore, p.alice.ignore = own, own
	// Presence first, so the first NOTIFY to a new watcher carries it.
	errE := p.echo.publish(ctx, p.echo.idle())
	errA := aliceAgent.Publish(ctx, "alice", alicePresence())
	p.wg.Add(2)
	go func() { defer p.wg.Done(); p.echo.run(runCtx) }()
	go func() { defer p.wg.Done(); p.alice.run(runCtx) }()
	if err := errors.Join(errE, errA); err != nil {
		closeCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		_ = p.closePeers(closeCtx)
		return nil, fmt.Errorf("demo: presence: %w", err)
	}
	return p, nil
}

// Echo returns the echo user's address, e.g. "sip:echo@127.0.0.1:40123".
func (p *Peer) Echo() string { return p.echo.aor }

// Alice returns Alice's address.
func (p *Peer) Alice() string { return p.alice.aor }

// UserConfig returns the user's account and contacts. The first call
// hands the user's socket (Conn) over to the caller.
func (p *Peer) UserConfig() UserConfig {
	p.mu.Lock()
	p.taken = true
	p.mu.Unlock()
	domain := p.user.LocalAddr().String()
	return UserConfig{
		User:        "me",
		Domain:      domain,
		DisplayName: "Me",
		AOR:         p.userAOR,
		Conn:        p.user,
		Listen:      "udp:" + domain,
		Contacts: []Contact{
			{Name: "Echo", URI: p.echo.aor, Favourite: true,
				Note: "Call me: I play back what I hear after " + p.opts.EchoDelay.String() + ". Messages and DTMF come back too."},
			{Name: "Alice", URI: p.alice.aor, Favourite: true,
				Note: "Away: she rejects calls and auto-replies to messages."},
		},
	}
}

// Close stops both peers: calls are hung up, watchers get their final
// NOTIFY, and every goroutine has ended when it returns (bounded by ctx).
func (p *Peer) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	taken := p.taken
	p.mu.Unlock()
	err := p.closePeers(ctx)
	if !taken {
		p.user.Close()
	}
	return err
}

// politeClose bounds how long the peers' agents wait for responses to
// their goodbyes (BYE, final NOTIFYs): the user's agent has usually closed
// first and will never answer, and when it is still up it answers over
// in-process loopback within milliseconds. Quitting the demo waits this
// long at worst.
const politeClose = 250 * time.Millisecond

func (p *Peer) closePeers(ctx context.Context) error {
	p.cancel()
	polite, stop := context.WithTimeout(ctx, politeClose)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- p.alice.a.Close(polite) }()
	errE := p.echo.a.Close(polite)
	errA := <-errc
	if ctx.Err() == nil {
		// Only the polite part gave up: everything is closed all the same.
		errE, errA = nil, nil
	}
	// The behaviour goroutines end when the agents close their Events.
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	var errW error
	select {
	case <-done:
	case <-ctx.Done():
		errW = fmt.Errorf("demo: close: %w", ctx.Err())
	}
	errM := p.media.Close()
	if err := errors.Join(errE, errA, errW, errM); err != nil {
		return fmt.Errorf("demo: close: %w", err)
	}
	return nil
}

// refuseMedia is the media of a peer that never answers: any session it
// is asked for fails (the engine then answers 500).
type refuseMedia struct{}

func (refuseMedia) NewSession(ua.MediaConfig, ua.MediaNotifier) (ua.MediaSession, error) {
	return nil, errors.New("demo: this peer takes no calls")
}
