package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/teaphone/teaphone/contacts"
	"github.com/teaphone/teaphone/contacts/history"
	"github.com/teaphone/teaphone/ua"
	"github.com/teaphone/teaphone/ui"
	"github.com/teaphone/teaphone/ui/screen"
	"github.com/teaphone/teaphone/ui/theme"
)

// cmdTUI runs the full-screen softphone; with no configuration (or when
// forced) it runs the offline demo through the same engine and UI.
func cmdTUI(args []string, forceDemo bool, stdout, stderr io.Writer, env func(string) string) int {
	name := "teaphone"
	if forceDemo {
		name = "teaphone demo"
	}
	fl := flag.NewFlagSet(name, flag.ContinueOnError)
	fl.SetOutput(stderr)
	cfgPath := fl.String("config", "", "configuration file (default: $XDG_CONFIG_HOME/teaphone/config.toml)")
	audioF := fl.String("audio", "", "portaudio (default), null, file:IN.wav,OUT.wav or tone:HZ[,OUT.wav]")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	paths, err := resolvePaths(env)
	if err != nil {
		return fail(err)
	}
	// Everything that can go wrong with the configuration is reported
	// here, before the TUI owns the terminal.
	cfg, demoMode, err := configOrDemo(*cfgPath, env, stderr)
	if err != nil {
		return fail(err)
	}
	demoMode = demoMode || forceDemo
	if err := screen.Check(os.Stdin, os.Stdout); err != nil {
		return fail(fmt.Errorf("the TUI needs a terminal on stdin and stdout (for line commands use 'teaphone agent'): %w", err))
	}
	log, logFile, err := newLogger(paths.LogFile, cfg.General.LogLevel)
	if err != nil {
		return fail(fmt.Errorf("log file: %w", err))
	}
	defer logFile.Close()
	log.Info("starting", "version", buildVersion(), "demo", demoMode, "config", cfg.Path)

	if err := ensureParentDir(paths.HistoryDB); err != nil {
		return fail(err)
	}
	hist, err := history.Open(paths.HistoryDB)
	if err != nil {
		return fail(fmt.Errorf("history: %w", err))
	}
	defer hist.Close()

	// These signals end teaphone through ctx, also while the TUI runs
	// (bubbletea's own handler is off: see below).
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGHUP, os.Interrupt)
	defer stop()

	uc, mc, listenSpecs := engineConfig(cfg, log)
	book := contacts.NewBook()
	bookPath := paths.ContactsFile
	var demoPeer interface{ Close(context.Context) error }
	if demoMode {
		setup, err := startDemo(ctx, log)
		if err != nil {
			return fail(fmt.Errorf("demo: %w", err))
		}
		demoPeer = setup.peer
		uc.Accounts, uc.PacketConns, listenSpecs = setup.accounts, setup.conns, nil
		for _, c := range setup.contacts {
			if _, err := book.Add(c); err != nil {
				log.Warn("demo contact", "err", err)
			}
		}
		bookPath = "" // the demo's address book is not saved
	} else if b, err := contacts.Load(paths.ContactsFile); err == nil {
		book = b
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fail(err)
	}
	if demoPeer != nil {
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = demoPeer.Close(cctx)
		}()
	}

	spec := audioSpec(*audioF)
	parts, err := startEngine(ctx, uc, mc, spec, cfg.Audio.Input, cfg.Audio.Output, paths.LogFile, listenSpecs)
	if err != nil && *audioF == "" {
		// No usable sound device: run without audio rather than not at all.
		log.Warn("audio unavailable, continuing without", "err", err)
		parts, err = startEngine(ctx, uc, mc, audioSpec("null"), "", "", "", listenSpecs)
	}
	if err != nil {
		return fail(err)
	}
	rec := newRecorder(hist, log)
	eng := newRecordingEngine(parts.agent, rec, tones(parts.media))

	th := theme.Select(cfg.UI.Theme, lipgloss.HasDarkBackground(), env)
	var names []string
	for _, a := range uc.Accounts {
		names = append(names, orDefault(a.Name, a.User+"@"+a.Domain))
	}
	bell := func() {}
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		bell = func() { _, _ = tty.Write([]byte{'\a'}) }
	}
	app := ui.New(tuiEngine{eng}, &bookStore{book: book, bookPath: bookPath, hist: hist},
		ui.Options{Theme: th, Accounts: names, Bell: bell, Audio: parts.audio})
	stopRel := keepSmall(ctx, parts.agent.Quiet)
	runErr := runScreen(ctx, app, log)
	stopRel()

	// The TUI no longer reads events; keep them flowing (into history)
	// while the engine hangs up and un-registers.
	go func() {
		for range eng.Events() {
		}
	}()
	closeErr := parts.close(4 * time.Second)
	if closeErr != nil {
		log.Warn("close", "err", closeErr)
	}
	if runErr != nil && !errors.Is(runErr, tea.ErrProgramKilled) && !errors.Is(runErr, context.Canceled) {
		return fail(runErr)
	}
	log.Info("stopped")
	return 0
}

// runScreen runs app on the terminal until it quits or ctx ends, and
// restores the terminal before returning. bubbletea v1's own renderer
// redraws on a fixed frame ticker, which costs CPU even when nothing
// changes; ui/screen draws only changed frames (at most 60 a second) and
// owns the terminal modes. stdin is the terminal, so bubbletea reads the
// keys and mouse from it.
func runScreen(ctx context.Context, app tea.Model, log *slog.Logger) error {
	scr, err := screen.Open(os.Stdin, os.Stdout)
	if err != nil {
		return err
	}
	// WithoutSignalHandler: bubbletea's SIGINT/SIGTERM handler sends its
	// quit message without watching the context, so when ctx (cancelled by
	// the same signal) ends the event loop first, Run waits for that
	// handler forever. ctx alone ends the program on those signals.
	prog := tea.NewProgram(scr.Wrap(app), tea.WithoutRenderer(), tea.WithContext(ctx), tea.WithoutSignalHandler())
	scr.Attach(prog)
	_, runErr := prog.Run()
	if err := scr.Close(); err != nil {
		log.Warn("terminal", "err", err)
	}
	return runErr
}

// tuiEngine adapts the recording engine to ui.Engine.
type tuiEngine struct{ *recordingEngine }

var _ ui.Engine = tuiEngine{}

// demoSetup is what the demo peer gives the user's engine.
type demoSetup struct {
	peer     interface{ Close(context.Context) error }
	accounts []ua.Account
	conns    []net.PacketConn
	contacts []contacts.Contact
}
