package screen

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"
)

// ErrNotTerminal is returned by Open when its input or output is not a
// terminal.
var ErrNotTerminal = errors.New("not a terminal")

// FrameInterval is the shortest time between two flushes: a frame that
// changes sooner waits for the rest of it (at most 60 flushes a second).
const FrameInterval = time.Second / 60

// Control sequences (ECMA-48 and xterm private modes).
const (
	// setup: alternate screen (1049), hide the cursor (25), mouse button
	// and drag reporting (1002) with SGR coordinates (1006), bracketed
	// paste (2004), then cursor home and erase the display.
	setupSeq = "\x1b[?1049h\x1b[?25l\x1b[?1002h\x1b[?1006h\x1b[?2004h\x1b[H\x1b[2J"
	// restoreSeq undoes setupSeq in reverse order.
	restoreSeq = "\x1b[?2004l\x1b[?1006l\x1b[?1002l\x1b[?25h\x1b[?1049l"
	// syncBegin/syncEnd bracket a flush in synchronized output (mode
	// 2026): the terminal paints it at once. Terminals that lack the mode
	// ignore it.
	syncBegin = "\x1b[?2026h"
	syncEnd   = "\x1b[?2026l"
	clearSeq  = "\x1b[H\x1b[2J" // CUP home, ED 2 (erase display)
	eraseEOL  = "\x1b[K"        // EL 0: erase to the end of the line
	eraseLine = "\x1b[2K"       // EL 2: erase the whole line
)

// Screen draws frames on a terminal. Its methods are safe for concurrent
// use: View runs on bubbletea's goroutine, the flush timer on its own.
type Screen struct {
	w       io.Writer
	restore func() error               // puts the input back in its previous mode; nil without a tty
	getSize func() (w, h int, e error) // the terminal's size now; nil without a tty

	mu            sync.Mutex
	width, height int      // 0: unknown, no limit
	last          []string // the lines of lastFrame on the terminal
	spare         []string // the line slice before last, reused
	lastFrame     string
	drawn         bool // last and lastFrame hold what the terminal shows
	repaint       bool // clear the terminal on the next flush
	pending       string
	hasPending    bool
	lastFlush     time.Time
	timer         *time.Timer
	armed         bool
	closed        bool
	attached      bool
	err           error // the first write error
	buf           []byte

	done chan struct{} // closed by Close: stops the resize goroutine
	wg   sync.WaitGroup
}

// Open takes over the terminal: in goes into raw mode and out switches
// to the alternate screen with the cursor hidden, mouse reporting and
// bracketed paste on. Close undoes all of it.
func Open(in, out *os.File) (*Screen, error) {
	if err := Check(in, out); err != nil {
		return nil, err
	}
	size := func() (int, int, error) { return term.GetSize(out.Fd()) }
	w, h, err := size()
	if err != nil {
		return nil, fmt.Errorf("terminal size: %w", err)
	}
	state, err := term.MakeRaw(in.Fd())
	if err != nil {
		return nil, fmt.Errorf("raw mode: %w", err)
	}
	s := newScreen(out, w, h)
	s.restore = func() error { return term.Restore(in.Fd(), state) }
	s.getSize = size
	if _, err := io.WriteString(out, setupSeq); err != nil {
		_ = s.restore()
		return nil, fmt.Errorf("terminal setup: %w", err)
	}
	return s, nil
}

// Check reports, wrapping ErrNotTerminal, when in or out is not a
// terminal: what Open needs, to be tested before starting anything else.
func Check(in, out *os.File) error {
	if !term.IsTerminal(in.Fd()) {
		return fmt.Errorf("input %s: %w", in.Name(), ErrNotTerminal)
	}
	if !term.IsTerminal(out.Fd()) {
		return fmt.Errorf("output %s: %w", out.Name(), ErrNotTerminal)
	}
	return nil
}

// newScreen is a Screen writing to w, of the given size, without a tty:
// Open's core, and what the tests use.
func newScreen(w io.Writer, width, height int) *Screen {
	return &Screen{w: w, width: width, height: height, done: make(chan struct{})}
}

// Wrap returns a model that runs m and draws its frames on s: its View
// hands m's view to s and returns "" (the program runs without
// bubbletea's renderer). A tea.WindowSizeMsg resizes s and forces a full
// repaint before m sees it.
func (s *Screen) Wrap(m tea.Model) tea.Model { return model{s: s, m: m} }

type model struct {
	s *Screen
	m tea.Model
}

func (w model) Init() tea.Cmd { return w.m.Init() }

func (w model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if ws, ok := msg.(tea.WindowSizeMsg); ok {
		w.s.resize(ws.Width, ws.Height)
	}
	m, cmd := w.m.Update(msg)
	return model{s: w.s, m: m}, cmd
}

func (w model) View() string {
	w.s.Frame(w.m.View())
	return ""
}

// Attach sends p the terminal's size now, and again on every SIGWINCH,
// until Close. Call it before p.Run and call Close after Run returns
// (p.Send blocks while the program runs but does not read its messages).
func (s *Screen) Attach(p *tea.Program) {
	if s.getSize == nil {
		return
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGWINCH)
	if !s.attach(func(m tea.Msg) { p.Send(m) }, sig, func() { signal.Stop(sig) }) {
		signal.Stop(sig)
	}
}

// attach starts the resize goroutine: it sends the size at once and on
// every value from sig, and calls stop when Close ends it. It reports
// false (starting nothing) when s is closed, already attached or has no
// terminal.
func (s *Screen) attach(send func(tea.Msg), sig <-chan os.Signal, stop func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.attached || s.getSize == nil {
		return false
	}
	s.attached = true
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer stop()
		for {
			if w, h, err := s.getSize(); err == nil {
				send(tea.WindowSizeMsg{Width: w, Height: h})
			}
			select {
			case <-s.done:
				return
			case <-sig:
			}
		}
	}()
	return true
}

// resize sets the size and makes the next frame a full repaint.
func (s *Screen) resize(w, h int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.width, s.height = w, h
	s.repaint = true
}

// Frame draws frame: at once if the last flush was at least
// FrameInterval ago, else when that interval is up (the newest frame by
// then wins). A frame equal to the newest one costs nothing.
func (s *Screen) Frame(frame string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if !s.repaint {
		if s.hasPending {
			if frame == s.pending {
				return
			}
		} else if s.drawn && frame == s.lastFrame {
			return
		}
	}
	now := time.Now()
	if s.hasPending {
		s.pending = frame // the timer is armed
		return
	}
	if since := now.Sub(s.lastFlush); !s.lastFlush.IsZero() && since < FrameInterval {
		s.pending, s.hasPending = frame, true
		s.arm(FrameInterval - since)
		return
	}
	s.flush(frame, now)
}

// arm starts the one-shot timer unless it is already running.
func (s *Screen) arm(d time.Duration) {
	if s.armed {
		return
	}
	s.armed = true
	if s.timer == nil {
		s.timer = time.AfterFunc(d, s.fire)
		return
	}
	s.timer.Reset(d)
}

// fire writes the pending frame when the interval is up.
func (s *Screen) fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armed = false
	if s.closed || !s.hasPending {
		return
	}
	frame := s.pending
	s.pending, s.hasPending = "", false
	s.flush(frame, time.Now())
}

// flush writes what differs between the terminal and frame, in one Write.
// s.mu is held.
func (s *Screen) flush(frame string, now time.Time) {
	lines := splitLines(s.spare[:0], frame)
	if s.height > 0 && len(lines) > s.height {
		lines = lines[:s.height] // the view is laid out to fit
	}
	b := append(s.buf[:0], syncBegin...)
	empty := len(b)
	last := s.last
	if s.repaint || !s.drawn {
		if s.repaint {
			b = append(b, clearSeq...)
		}
		last = nil
		s.repaint = false
	}
	for i := range lines {
		l := strings.TrimSuffix(lines[i], "\r")
		lines[i] = l
		if i < len(last) && last[i] == l {
			continue
		}
		b = appendCUP(b, i+1)
		w := ansi.StringWidth(l)
		if s.width > 0 && w > s.width {
			l = ansi.Truncate(l, s.width, "")
			w = ansi.StringWidth(l)
		}
		b = append(b, l...)
		// A full-width line leaves the cursor in the pending-wrap state,
		// where EL would erase its last cell.
		if s.width <= 0 || w < s.width {
			b = append(b, eraseEOL...)
		}
	}
	for i := len(lines); i < len(last); i++ {
		b = appendCUP(b, i+1)
		b = append(b, eraseLine...)
	}
	s.spare = s.last
	s.last, s.lastFrame, s.drawn = lines, frame, true
	s.buf = b
	if len(b) == empty {
		return
	}
	b = append(b, syncEnd...)
	s.buf = b
	s.write(b)
	s.lastFlush = now
}

// splitLines appends frame's lines (split at '\n') to dst.
func splitLines(dst []string, frame string) []string {
	for {
		i := strings.IndexByte(frame, '\n')
		if i < 0 {
			return append(dst, frame)
		}
		dst = append(dst, frame[:i])
		frame = frame[i+1:]
	}
}

// appendCUP appends CUP (cursor position) to row, column 1.
func appendCUP(b []byte, row int) []byte {
	b = append(b, "\x1b["...)
	b = strconv.AppendInt(b, int64(row), 10)
	return append(b, ";1H"...)
}

func (s *Screen) write(b []byte) {
	if _, err := s.w.Write(b); err != nil && s.err == nil {
		s.err = fmt.Errorf("terminal write: %w", err)
	}
}

// Close writes the pending frame, turns off what Open turned on (in
// reverse order), stops the resize goroutine and restores the input's
// mode. It returns the first write error since Open, if any. Closing
// twice does nothing.
func (s *Screen) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
		s.armed = false
	}
	if s.hasPending {
		frame := s.pending
		s.pending, s.hasPending = "", false
		s.flush(frame, time.Now())
	}
	s.write([]byte(restoreSeq))
	err := s.err
	s.mu.Unlock()

	close(s.done)
	s.wg.Wait()
	if s.restore != nil {
		if rerr := s.restore(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("restore terminal mode: %w", rerr))
		}
	}
	return err
}
