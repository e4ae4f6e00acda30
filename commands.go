package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/teaphone/teaphone/internal/callmedia"
	"github.com/teaphone/teaphone/media/audio"
	"github.com/teaphone/teaphone/ua"
)

// engineConfig maps the loaded configuration onto the engine's and media's
// options, and returns the listen specs.
func engineConfig(c *config, log *slog.Logger) (ua.Config, callmedia.Config, []string) {
	uc := ua.Config{
		AutoAnswer:      c.Behaviour.AutoAnswer,
		AutoAnswerDelay: c.Behaviour.AutoAnswerDelay,
		DND:             c.Behaviour.DND,
		NoCallWaiting:   !c.Behaviour.CallWaiting,
		RTPTimeout:      c.Behaviour.RTPTimeout,
		MaxRedirects:    c.Behaviour.MaxRedirects,
		TLSCAFile:       c.Network.TLSCAFile,
		TLSInsecure:     c.Network.TLSInsecureSkipVerify,
		TLSCertFile:     c.Network.TLSCertFile,
		TLSKeyFile:      c.Network.TLSKeyFile,
		UserAgent:       orDefault(c.General.UserAgent, "teaphone/"+buildVersion()),
		Logger:          log,
	}
	if !c.Behaviour.FollowRedirects {
		uc.MaxRedirects = -1
	}
	for _, a := range c.Accounts {
		uc.Accounts = append(uc.Accounts, ua.Account{
			Name: a.Name, User: a.User, Domain: a.Domain, DisplayName: a.DisplayName, AuthUser: a.AuthUser,
			Password: a.Password.Reveal(), Registrar: a.Registrar, OutboundProxy: a.OutboundProxy,
			Transport: a.Transport, Expires: time.Duration(a.Expires) * time.Second, NoRegister: !a.Register,
			DTMF: a.DTMF, Codecs: a.Codecs,
		})
	}
	mc := callmedia.Config{
		PortMin: c.Network.RTPPortRange[0], PortMax: c.Network.RTPPortRange[1],
		Codecs: c.Audio.Codecs, RTPTimeout: c.Behaviour.RTPTimeout, Logger: log,
	}
	if c.Audio.Record {
		mc.RecordDir = c.Audio.RecordingDir
	}
	if rt := c.Audio.RingTone; rt != "" && rt != "builtin" {
		mc.RingTone = func(rate int) (audio.Source, error) {
			return audio.OpenWAV(rt, audio.WAVOptions{Rate: rate, AtEOF: audio.LoopAtEOF})
		}
	}
	if c.Behaviour.RTPTimeout == 0 {
		mc.RTPTimeout = -1
	}
	var listen []string
	for _, l := range c.Network.Listen {
		listen = append(listen, l.Transport+":"+l.Addr)
	}
	return uc, mc, listen
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// cmdAgent runs `teaphone agent`: the headless mode.
func cmdAgent(args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string) int {
	fl := flag.NewFlagSet("teaphone agent", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var (
		cfgPath    = fl.String("config", "", "configuration file (default: none; accounts from the flags)")
		listenF    stringList
		user       = fl.String("user", "", "account user part")
		domain     = fl.String("domain", "", "account domain (registrar domain or this host's IP for direct use)")
		display    = fl.String("display-name", "", "display name")
		authUser   = fl.String("auth-user", "", "digest user name (default: -user)")
		password   = fl.String("password", "", "password (prefer -password-env)")
		passEnv    = fl.String("password-env", "", "environment variable holding the password")
		registrar  = fl.String("registrar", "", "registrar URI (default: sip:DOMAIN)")
		proxy      = fl.String("proxy", "", "outbound proxy URI")
		transport  = fl.String("transport", "udp", "udp, tcp or tls")
		expires    = fl.Duration("expires", 10*time.Minute, "registration lifetime asked for")
		noRegister = fl.Bool("no-register", false, "direct-IP account: do not REGISTER")
		dtmfMode   = fl.String("dtmf", "rfc4733", "rfc4733 or info")
		codecs     = fl.String("codecs", "", "codec preference, e.g. PCMU,opus (default: opus,G722,PCMU,PCMA)")
		autoAnswer = fl.Bool("auto-answer", false, "answer incoming calls")
		aaDelay    = fl.Duration("auto-answer-delay", 0, "wait before auto-answering")
		dnd        = fl.Bool("dnd", false, "do not disturb: reject incoming calls")
		audioF     = fl.String("audio", "null", "portaudio, null, file:IN.wav,OUT.wav or tone:HZ[,OUT.wav]")
		input      = fl.String("input", "", "portaudio input device name")
		output     = fl.String("output", "", "portaudio output device name")
		record     = fl.String("record", "", "directory to record each call to (WAV)")
		rtpTimeout = fl.Duration("rtp-timeout", 0, "hang up after this long without RTP (0: never)")
		caFile     = fl.String("ca-file", "", "CA certificates for TLS")
		certFile   = fl.String("cert-file", "", "our TLS certificate (PEM), for tls: listeners")
		keyFile    = fl.String("key-file", "", "the key of -cert-file (PEM)")
		insecure   = fl.Bool("insecure", false, "do not verify TLS certificates (dangerous)")
		trace      = fl.Bool("trace", false, "print every SIP message as a \"sip\" event")
		stats      = fl.Bool("stats", false, "print media statistics as \"stats\" events")
		logPath    = fl.String("log", "", "log file (default: stderr)")
		logLevel   = fl.String("log-level", "warn", "debug, info, warn or error")
	)
	fl.Var(&listenF, "listen", "listen spec udp:IP:PORT, tcp:… or tls:… (repeatable; default udp:0.0.0.0:5060)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "teaphone agent: unexpected argument %q\n", fl.Arg(0))
		return 2
	}
	log, logFile, err := newLogger(*logPath, *logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "teaphone agent:", err)
		return 2
	}
	if logFile != nil {
		defer logFile.Close()
	}

	var uc ua.Config
	var mc callmedia.Config
	var listenSpecs []string
	if *cfgPath != "" {
		c, warns, err := loadConfig(*cfgPath, env)
		if err != nil {
			fmt.Fprintln(stderr, "teaphone agent:", err)
			return 2
		}
		for _, w := range warns {
			fmt.Fprintln(stderr, "teaphone agent: warning:", w)
		}
		uc, mc, listenSpecs = engineConfig(c, log)
	} else {
		uc = ua.Config{UserAgent: "teaphone/" + buildVersion(), Logger: log}
		mc = callmedia.Config{Logger: log, RTPTimeout: -1}
	}
	if *user != "" {
		pw := *password
		if *passEnv != "" {
			if pw = env(*passEnv); pw == "" {
				fmt.Fprintf(stderr, "teaphone agent: environment variable %s is not set\n", *passEnv)
				return 2
			}
		}
		if *domain == "" {
			fmt.Fprintln(stderr, "teaphone agent: -user needs -domain")
			return 2
		}
		acc := ua.Account{User: *user, Domain: *domain, DisplayName: *display, AuthUser: *authUser, Password: pw,
			Registrar: *registrar, OutboundProxy: *proxy, Transport: *transport, Expires: *expires,
			NoRegister: *noRegister, DTMF: *dtmfMode}
		if *codecs != "" {
			acc.Codecs = strings.Split(*codecs, ",")
		}
		uc.Accounts = append([]ua.Account{acc}, uc.Accounts...)
	}
	if len(uc.Accounts) == 0 {
		fmt.Fprintln(stderr, "teaphone agent: no account: give -user and -domain, or -config")
		return 2
	}
	if len(listenF) > 0 {
		listenSpecs = listenF
	}
	if len(listenSpecs) == 0 {
		listenSpecs = []string{"udp:0.0.0.0:5060"}
	}
	setIf := func(cond bool, f func()) {
		if cond {
			f()
		}
	}
	setIf(*autoAnswer, func() { uc.AutoAnswer = true })
	setIf(*aaDelay > 0, func() { uc.AutoAnswerDelay = *aaDelay })
	setIf(*dnd, func() { uc.DND = true })
	setIf(*rtpTimeout > 0, func() { uc.RTPTimeout, mc.RTPTimeout = *rtpTimeout, *rtpTimeout })
	setIf(*caFile != "", func() { uc.TLSCAFile = *caFile })
	setIf(*insecure, func() { uc.TLSInsecure = true })
	setIf(*certFile != "", func() { uc.TLSCertFile, uc.TLSKeyFile = *certFile, *keyFile })
	setIf(*record != "", func() { mc.RecordDir = *record })
	if *codecs != "" {
		mc.Codecs = strings.Split(*codecs, ",")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out := newJSONOut(stdout, time.Now)
	parts, err := startEngine(ctx, uc, mc, audioSpec(*audioF), *input, *output, "", listenSpecs)
	if err != nil {
		out.write(map[string]any{"event": "error", "op": "start", "error": err.Error()})
		fmt.Fprintln(stderr, "teaphone agent:", err)
		return 1
	}
	opts := agentOptions{Trace: *trace, Stats: *stats}
	printer := newEventPrinter(out, opts)
	eng := newRecordingEngine(parts.agent, nil, tones(nil))
	drained := make(chan struct{})
	go func() { printer.drain(eng.Events()); close(drained) }()
	out.write(map[string]any{"event": "started", "version": buildVersion(), "listen": parts.agent.Listening(), "pid": os.Getpid()})
	stopRel := keepSmall(ctx, parts.agent.Quiet)

	runErr := runAgent(ctx, eng, stdin, out, opts)
	stopRel()
	// Stdin EOF, quit or a signal: un-register, hang up, and print what
	// the engine reports while it shuts down.
	closeErr := parts.close(4 * time.Second)
	<-drained
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		fmt.Fprintln(stderr, "teaphone agent: stdin:", runErr)
	}
	if closeErr != nil {
		fmt.Fprintln(stderr, "teaphone agent: close:", closeErr)
	}
	out.write(map[string]any{"event": "stopped"})
	return 0
}

// configOrDemo loads the configuration; with no file at the default path it
// reports demo mode.
func configOrDemo(path string, env func(string) string, stderr io.Writer) (c *config, demo bool, err error) {
	c, warns, err := loadConfig(path, env)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && path != "" {
			return nil, false, fmt.Errorf("%s: no such file", path)
		}
		return nil, false, err
	}
	for _, w := range warns {
		fmt.Fprintln(stderr, "teaphone: warning:", w)
	}
	return c, c.Path == "", nil
}
