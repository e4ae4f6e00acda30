package screen

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// recorder keeps every Write call separately.
type recorder struct {
	mu     sync.Mutex
	writes []string
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

// take returns the writes since the last take.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.writes
	r.writes = nil
	return w
}

// flushOf is what a flush writing body looks like.
func flushOf(body string) string { return syncBegin + body + syncEnd }

// testScreen runs f in a synctest bubble with a w×h screen writing to a
// recorder. step waits out the frame interval (fake time) and draws
// frame, returning what was written.
func testScreen(t *testing.T, w, h int, f func(t *testing.T, s *Screen, rec *recorder, step func(string) []string)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s := newScreen(rec, w, h)
		step := func(frame string) []string {
			time.Sleep(FrameInterval)
			s.Frame(frame)
			return rec.take()
		}
		f(t, s, rec, step)
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}

func checkWrites(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: writes\n%q\nwant\n%q", what, got, want)
	}
}

func TestFirstFrameWritesEveryLine(t *testing.T) {
	testScreen(t, 20, 5, func(t *testing.T, s *Screen, rec *recorder, step func(string) []string) {
		s.Frame("ab\n\x1b[1mcd\x1b[0m\nef")
		checkWrites(t, "first frame", rec.take(),
			flushOf("\x1b[1;1Hab\x1b[K\x1b[2;1H\x1b[1mcd\x1b[0m\x1b[K\x1b[3;1Hef\x1b[K"))
		checkWrites(t, "same frame again", step("ab\n\x1b[1mcd\x1b[0m\nef"))
		checkWrites(t, "one line changed", step("ab\ncd\nef"),
			flushOf("\x1b[2;1Hcd\x1b[K"))
		checkWrites(t, "shorter frame", step("ab"),
			flushOf("\x1b[2;1H\x1b[2K\x1b[3;1H\x1b[2K"))
		checkWrites(t, "longer frame", step("ab\n\nxy"),
			flushOf("\x1b[2;1H\x1b[K\x1b[3;1Hxy\x1b[K"))
	})
}

func TestLineWidths(t *testing.T) {
	testScreen(t, 5, 10, func(t *testing.T, s *Screen, rec *recorder, step func(string) []string) {
		checkWrites(t, "full-width line", step("abcde\nabcd"),
			flushOf("\x1b[1;1Habcde\x1b[2;1Habcd\x1b[K"))
		checkWrites(t, "too wide", step("abcdefgh\nabcd"),
			flushOf("\x1b[1;1Habcde"))
		checkWrites(t, "too wide, styled", step("\x1b[31mabcdefg\x1b[0m\nabcd"),
			flushOf("\x1b[1;1H\x1b[31mabcde\x1b[0m"))
		// "ab世界" is 6 cells: cut to "ab世" (4 cells), so EL clears the 5th.
		checkWrites(t, "wide character cut", step("ab世界\nabcd"),
			flushOf("\x1b[1;1Hab世\x1b[K"))
		checkWrites(t, "full width with a wide character", step("abc世\nabcd"),
			flushOf("\x1b[1;1Habc世"))
	})
}

func TestFrameTallerThanScreen(t *testing.T) {
	testScreen(t, 10, 2, func(t *testing.T, s *Screen, rec *recorder, step func(string) []string) {
		checkWrites(t, "3 lines on 2 rows", step("a\nb\nc"),
			flushOf("\x1b[1;1Ha\x1b[K\x1b[2;1Hb\x1b[K"))
		checkWrites(t, "change below the screen", step("a\nb\nd"))
	})
}

func TestResizeRepaints(t *testing.T) {
	testScreen(t, 10, 5, func(t *testing.T, s *Screen, rec *recorder, step func(string) []string) {
		m := s.Wrap(&fakeModel{view: "a\nb"})
		time.Sleep(FrameInterval)
		m.View()
		checkWrites(t, "first frame", rec.take(), flushOf("\x1b[1;1Ha\x1b[K\x1b[2;1Hb\x1b[K"))

		m, _ = m.Update(tea.WindowSizeMsg{Width: 1, Height: 1})
		time.Sleep(FrameInterval)
		m.View() // the same text: repainted all the same, at the new size
		checkWrites(t, "after resize", rec.take(), flushOf(clearSeq+"\x1b[1;1Ha"))

		time.Sleep(FrameInterval)
		m.View()
		checkWrites(t, "same frame after the repaint", rec.take())
	})
}

func TestResizeWhilePending(t *testing.T) {
	testScreen(t, 10, 5, func(t *testing.T, s *Screen, rec *recorder, step func(string) []string) {
		s.Frame("a")
		s.Frame("b") // pending
		s.resize(10, 5)
		s.Frame("b") // equal to the pending frame, but a repaint is due
		rec.take()
		time.Sleep(FrameInterval)
		synctest.Wait()
		checkWrites(t, "timer flush", rec.take(), flushOf(clearSeq+"\x1b[1;1Hb\x1b[K"))
	})
}

func TestRateLimit(t *testing.T) {
	testScreen(t, 20, 5, func(t *testing.T, s *Screen, rec *recorder, step func(string) []string) {
		for i := range 100 {
			s.Frame(fmt.Sprintf("frame %d", i))
		}
		checkWrites(t, "at once", rec.take(), flushOf("\x1b[1;1Hframe 0\x1b[K"))

		time.Sleep(FrameInterval - time.Nanosecond)
		synctest.Wait()
		checkWrites(t, "just before the interval is up", rec.take())

		time.Sleep(time.Nanosecond)
		synctest.Wait()
		checkWrites(t, "when the interval is up", rec.take(), flushOf("\x1b[1;1Hframe 99\x1b[K"))

		time.Sleep(10 * time.Second)
		synctest.Wait()
		checkWrites(t, "10 s later", rec.take())

		// Long after the last flush a changed frame goes out at once.
		s.Frame("frame 100")
		checkWrites(t, "after a quiet spell", rec.take(), flushOf("\x1b[1;1Hframe 100\x1b[K"))

		// A frame half an interval later waits only the other half.
		time.Sleep(FrameInterval / 2)
		s.Frame("frame 101")
		time.Sleep(FrameInterval - FrameInterval/2)
		synctest.Wait()
		checkWrites(t, "one interval after the last flush", rec.take(), flushOf("\x1b[1;1Hframe 101\x1b[K"))
	})
}

func TestPendingRevertedToShown(t *testing.T) {
	testScreen(t, 20, 5, func(t *testing.T, s *Screen, rec *recorder, step func(string) []string) {
		s.Frame("a")
		s.Frame("b")
		s.Frame("a") // back to what the terminal shows
		rec.take()
		time.Sleep(time.Second)
		synctest.Wait()
		checkWrites(t, "nothing to change", rec.take())
	})
}

func TestClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s := newScreen(rec, 20, 5)
		restored := 0
		s.restore = func() error { restored++; return nil }
		s.Frame("a")
		s.Frame("b") // pending
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		checkWrites(t, "Close", rec.take(),
			flushOf("\x1b[1;1Ha\x1b[K"), flushOf("\x1b[1;1Hb\x1b[K"),
			"\x1b[?2004l\x1b[?1006l\x1b[?1002l\x1b[?25h\x1b[?1049l")
		if restored != 1 {
			t.Errorf("input restored %d times, want 1", restored)
		}
		// Idempotent, and frames after Close are dropped; the stopped timer
		// does not fire.
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		s.Frame("c")
		time.Sleep(time.Second)
		synctest.Wait()
		checkWrites(t, "after Close", rec.take())
		if restored != 1 {
			t.Errorf("input restored %d times after two Closes, want 1", restored)
		}
	})
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("eio") }

func TestCloseReportsWriteError(t *testing.T) {
	s := newScreen(failWriter{}, 10, 5)
	s.Frame("a")
	if err := s.Close(); err == nil || !strings.Contains(err.Error(), "eio") {
		t.Errorf("Close = %v, want the write error", err)
	}
}

// fakeModel records what it is given.
type fakeModel struct {
	view  string
	inits int
	msgs  []tea.Msg
}

type initMsg struct{}

func (m *fakeModel) Init() tea.Cmd {
	m.inits++
	return func() tea.Msg { return initMsg{} }
}

func (m *fakeModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m.msgs = append(m.msgs, msg)
	if k, ok := msg.(tea.KeyMsg); ok {
		next := &fakeModel{view: "key " + k.String(), msgs: m.msgs}
		return next, tea.Quit
	}
	return m, nil
}

func (m *fakeModel) View() string { return m.view }

func TestWrap(t *testing.T) {
	rec := &recorder{}
	s := newScreen(rec, 20, 5)
	inner := &fakeModel{view: "hello"}
	w := s.Wrap(inner)

	cmd := w.Init()
	if inner.inits != 1 || cmd == nil {
		t.Fatalf("Init: inner inits %d, cmd %v; want 1 and the inner cmd", inner.inits, cmd)
	}
	if _, ok := cmd().(initMsg); !ok {
		t.Errorf("Init's cmd is not the inner model's")
	}
	if v := w.View(); v != "" {
		t.Errorf("View = %q, want \"\"", v)
	}
	checkWrites(t, "View", rec.take(), flushOf("\x1b[1;1Hhello\x1b[K"))

	size := tea.WindowSizeMsg{Width: 30, Height: 8}
	w2, cmd := w.Update(size)
	if cmd != nil {
		t.Errorf("Update(size) cmd = %v, want nil", cmd)
	}
	if len(inner.msgs) != 1 || inner.msgs[0] != size {
		t.Errorf("inner model got %v, want [%v]", inner.msgs, size)
	}
	if s.width != 30 || s.height != 8 || !s.repaint {
		t.Errorf("screen %d×%d repaint %v after %v, want 30×8 and a repaint", s.width, s.height, s.repaint, size)
	}

	key := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")}
	w3, cmd := w2.Update(key)
	if cmd == nil {
		t.Fatal("Update(key) lost the inner model's cmd")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("Update(key) cmd is not the inner model's tea.Quit")
	}
	wm, ok := w3.(model)
	if !ok {
		t.Fatalf("Update returned %T, want the wrapper", w3)
	}
	if fm, ok := wm.m.(*fakeModel); !ok || fm.view != "key q" {
		t.Errorf("wrapper holds %#v, want the model the inner Update returned", wm.m)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestWrapInProgram runs a real bubbletea program without its renderer
// and checks the size message reaches the model and its frames the screen.
func TestWrapInProgram(t *testing.T) {
	rec := &recorder{}
	s := newScreen(rec, 20, 5)
	s.getSize = func() (int, int, error) { return 33, 7, nil }
	inner := &fakeModel{view: "hi"}
	in, inw := io.Pipe()
	defer inw.Close()
	p := tea.NewProgram(s.Wrap(inner), tea.WithoutRenderer(), tea.WithInput(in),
		tea.WithOutput(io.Discard), tea.WithoutSignalHandler(), tea.WithContext(t.Context()))
	sig := make(chan os.Signal)
	stopped := make(chan struct{})
	var once sync.Once
	send := func(m tea.Msg) {
		p.Send(m)
		// The size is in: now the key that quits.
		once.Do(func() { go func() { _, _ = inw.Write([]byte("q")) }() })
	}
	if !s.attach(send, sig, func() { close(stopped) }) {
		t.Fatal("attach refused")
	}
	final, err := p.Run()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	<-stopped
	fm := final.(model).m.(*fakeModel)
	if !slices.Contains(fm.msgs, tea.Msg(tea.WindowSizeMsg{Width: 33, Height: 7})) {
		t.Errorf("inner model got %v, want the 33×7 size among them", fm.msgs)
	}
	all := strings.Join(rec.take(), "")
	if !strings.Contains(all, "\x1b[1;1Hhi") || !strings.Contains(all, "\x1b[1;1Hkey q") {
		t.Errorf("screen output %q lacks the frames \"hi\" and \"key q\"", all)
	}
}

func TestAttachSendsSizes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScreen(io.Discard, 10, 5)
		var mu sync.Mutex
		w, h := 80, 24
		s.getSize = func() (int, int, error) {
			mu.Lock()
			defer mu.Unlock()
			return w, h, nil
		}
		sent := make(chan tea.Msg, 10)
		sig := make(chan os.Signal)
		stopped := false
		if !s.attach(func(m tea.Msg) { sent <- m }, sig, func() { stopped = true }) {
			t.Fatal("attach refused")
		}
		if s.attach(func(tea.Msg) {}, sig, func() {}) {
			t.Error("second attach accepted")
		}
		synctest.Wait()
		if got := <-sent; got != (tea.WindowSizeMsg{Width: 80, Height: 24}) {
			t.Errorf("initial size %v, want 80×24", got)
		}
		mu.Lock()
		w, h = 120, 40
		mu.Unlock()
		sig <- os.Interrupt // any value: SIGWINCH in real use
		synctest.Wait()
		if got := <-sent; got != (tea.WindowSizeMsg{Width: 120, Height: 40}) {
			t.Errorf("size after the signal %v, want 120×40", got)
		}
		synctest.Wait()
		if len(sent) != 0 {
			t.Errorf("%d more sizes sent with no signal", len(sent))
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if !stopped {
			t.Error("Close did not stop the resize goroutine")
		}
	})
}

func TestOpenNotTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "notatty")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := Open(f, f); !errors.Is(err, ErrNotTerminal) {
		t.Errorf("Open(file) = %v, want ErrNotTerminal", err)
	}
}

// benchFrame is a 120×40 frame styled like teaphone's: bordered panes,
// colours; row changed holds text.
func benchFrame(changed int, text string) string {
	var b strings.Builder
	for i := range 40 {
		if i > 0 {
			b.WriteByte('\n')
		}
		body := fmt.Sprintf("contact %2d  sip:user%d@example.com  available", i, i)
		if i == changed {
			body = text
		}
		body += strings.Repeat(" ", 56-len(body))
		fmt.Fprintf(&b, "\x1b[38;5;63m│\x1b[0m\x1b[1m%s\x1b[0m\x1b[38;5;63m│\x1b[0m\x1b[38;5;63m│\x1b[0m %-58s \x1b[38;5;63m│\x1b[0m",
			body, "\x1b[32m● online\x1b[0m call timer 00:01:2"+string(rune('0'+i%10)))
	}
	return b.String()
}

func BenchmarkFlushOneLineChanged(b *testing.B) {
	s := newScreen(io.Discard, 120, 40)
	frames := [2]string{benchFrame(20, "Echo  00:00:01"), benchFrame(20, "Echo  00:00:02")}
	s.flush(frames[1], time.Now())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.flush(frames[i%2], time.Now())
	}
}
