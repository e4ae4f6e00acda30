package callmedia

import (
	"errors"
	"io"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teaphone/teaphone/media/audio"
	"github.com/teaphone/teaphone/ua"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// testRate is the device rate of the tests' factories: lower than the
// default to keep -race runs light; the default 48 kHz is covered too.
const testRate = 16000

// capDevices is a test device pair: a tone (or silence for Hz 0) as the
// microphone and an in-memory speaker the test can watch.
type capDevices struct {
	hz        float64
	forceRate int // open at this rate whatever is asked (0: as asked)

	mu      sync.Mutex
	samples []int16
	rate    int
	wrote   chan struct{} // signalled after every speaker write
	inOpen  atomic.Int64
	outOpen atomic.Int64
	inLive  atomic.Int64
	outLive atomic.Int64
	closed  chan struct{} // signalled when a device closes
}

func newCapDevices(hz float64) *capDevices {
	return &capDevices{hz: hz, wrote: make(chan struct{}, 1), closed: make(chan struct{}, 4)}
}

func (d *capDevices) OpenInput(rate int) (audio.Source, error) {
	if d.forceRate != 0 {
		rate = d.forceRate
	}
	d.inOpen.Add(1)
	d.inLive.Add(1)
	var src audio.Source = audio.NewSilence(rate)
	if d.hz > 0 {
		src = audio.NewTone(rate, d.hz, -20)
	}
	return newPacedSource(&closeHook{Source: src, fn: func() { d.inLive.Add(-1); d.signalClose() }}), nil
}

func (d *capDevices) OpenOutput(rate int) (audio.Sink, error) {
	if d.forceRate != 0 {
		rate = d.forceRate
	}
	d.outOpen.Add(1)
	d.outLive.Add(1)
	d.mu.Lock()
	d.rate = rate
	d.mu.Unlock()
	return newPacedSink(&capSink{d: d, rate: rate}), nil
}

func (d *capDevices) signalClose() {
	select {
	case d.closed <- struct{}{}:
	default:
	}
}

type closeHook struct {
	audio.Source
	fn   func()
	once sync.Once
}

func (c *closeHook) Close() error {
	c.once.Do(c.fn)
	return c.Source.Close()
}

type capSink struct {
	d    *capDevices
	rate int
	once sync.Once
}

func (s *capSink) Write(frame []int16) (int, error) {
	s.d.mu.Lock()
	s.d.samples = append(s.d.samples, frame...)
	s.d.mu.Unlock()
	select {
	case s.d.wrote <- struct{}{}:
	default:
	}
	return len(frame), nil
}

func (s *capSink) SampleRate() int { return s.rate }
func (s *capSink) Close() error {
	s.once.Do(func() { s.d.outLive.Add(-1); s.d.signalClose() })
	return nil
}

// tail returns the last d of what the speaker played.
func (d *capDevices) tail(dur time.Duration) ([]int16, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := int(int64(d.rate) * int64(dur) / int64(time.Second))
	if n <= 0 || len(d.samples) < n {
		return nil, d.rate
	}
	return append([]int16(nil), d.samples[len(d.samples)-n:]...), d.rate
}

// waitSpeaker waits until cond holds for the last 200 ms the speaker
// played, re-checking after every speaker write, for at most 10 s.
func waitSpeaker(t *testing.T, d *capDevices, what string, cond func(x []int16, rate int) bool) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		if x, rate := d.tail(200 * time.Millisecond); x != nil && cond(x, rate) {
			return
		}
		select {
		case <-d.wrote:
		case <-deadline.C:
			x, rate := d.tail(200 * time.Millisecond)
			t.Fatalf("speaker never played %s (last 200 ms: %s)", what, describe(x, rate))
		}
	}
}

// hears/silent are conditions on a speaker window.
func hears(hz float64) func([]int16, int) bool {
	return func(x []int16, rate int) bool { return audio.ToneLevel(x, rate, hz) > -32 }
}

func notHears(hz float64) func([]int16, int) bool {
	return func(x []int16, rate int) bool { return audio.ToneLevel(x, rate, hz) < -55 }
}

func describe(x []int16, rate int) string {
	if x == nil {
		return "nothing"
	}
	var b strings.Builder
	for _, hz := range []float64{425, 440, 660, 880} {
		b.WriteString(strconv.FormatFloat(hz, 'f', 0, 64) + " Hz " +
			strconv.FormatFloat(audio.ToneLevel(x, rate, hz), 'f', 1, 64) + " dBFS; ")
	}
	return b.String()
}

// notifier records what a session reports.
type notifier struct {
	dtmf     chan dtmfGot
	inactive chan time.Duration
}

type dtmfGot struct {
	digit rune
	d     time.Duration
}

func newNotifier() *notifier {
	return &notifier{dtmf: make(chan dtmfGot, 16), inactive: make(chan time.Duration, 4)}
}

func (n *notifier) DTMF(digit rune, d time.Duration) { n.dtmf <- dtmfGot{digit, d} }
func (n *notifier) Inactive(since time.Duration)     { n.inactive <- since }

// endpoint is one side of a test call.
type endpoint struct {
	f   *Factory
	dev *capDevices
	n   *notifier
	s   ua.MediaSession
}

func newFactory(t *testing.T, cfg Config) *Factory {
	t.Helper()
	if cfg.DeviceRate == 0 {
		cfg.DeviceRate = testRate
	}
	f, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// newEndpoint makes a factory with a tone microphone at hz and one session.
func newEndpoint(t *testing.T, hz float64, cfg Config, codecs ...string) *endpoint {
	t.Helper()
	dev := newCapDevices(hz)
	cfg.Devices = dev
	f := newFactory(t, cfg)
	n := newNotifier()
	s, err := f.NewSession(ua.MediaConfig{CallID: "call-" + strconv.Itoa(int(hz)), Local: loopback, Codecs: codecs}, n)
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return &endpoint{f: f, dev: dev, n: n, s: s}
}

// connect runs one offer/answer exchange from a to b.
func connect(t *testing.T, a, b ua.MediaSession) {
	t.Helper()
	offer, err := a.Offer()
	if err != nil {
		t.Fatalf("Offer: %v", err)
	}
	answer, err := b.Answer(offer)
	if err != nil {
		t.Fatalf("Answer: %v\noffer:\n%s", err, offer)
	}
	if err := a.Accept(answer); err != nil {
		t.Fatalf("Accept: %v\nanswer:\n%s", err, answer)
	}
}

// eventually polls cond every 20 ms for at most 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// checkNoLeaks fails if goroutines of this package or of rtpsession are
// still running. Call it after every Close. A goroutine that has signalled
// its WaitGroup may still be returning: each gets 2 s to be gone.
func checkNoLeaks(t *testing.T) {
	t.Helper()
	for _, g := range lingering(2 * time.Second) {
		t.Errorf("goroutine leaked:\n%s", g)
	}
}

// lingering waits up to d for ourGoroutines to be gone and returns those
// still there.
func lingering(d time.Duration) []string {
	for deadline := time.Now().Add(d); ; time.Sleep(10 * time.Millisecond) {
		if leaked := ourGoroutines(); len(leaked) == 0 || time.Now().After(deadline) {
			return leaked
		}
	}
}

func ourGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "media/rtpsession.") ||
			(strings.Contains(g, "internal/callmedia.") && !strings.Contains(g, "_test.go") && !strings.Contains(g, "testing.tRunner")) {
			out = append(out, g)
		}
	}
	return out
}

// sdpPort reads the m=audio port of an SDP body.
func sdpPort(t *testing.T, body []byte) int {
	t.Helper()
	for _, l := range strings.Split(string(body), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "m=audio" {
			p, err := strconv.Atoi(f[1])
			if err == nil {
				return p
			}
		}
	}
	t.Fatalf("no m=audio port in\n%s", body)
	return 0
}

// readWAV reads a whole WAV file (stereo mixed to mono).
func readWAV(t *testing.T, path string) ([]int16, int) {
	t.Helper()
	src, err := audio.OpenWAV(path, audio.WAVOptions{})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer src.Close()
	var all []int16
	buf := make([]int16, 4096)
	for {
		n, err := src.Read(buf)
		all = append(all, buf[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		if n == 0 {
			break
		}
	}
	return all, src.SampleRate()
}

// bestLevel is the highest level of hz over 100 ms windows of x.
func bestLevel(x []int16, rate int, hz float64) float64 {
	w := rate / 10
	best := -200.0
	for i := 0; i+w <= len(x); i += w {
		best = max(best, audio.ToneLevel(x[i:i+w], rate, hz))
	}
	return best
}

func writeToneWAV(t *testing.T, path string, rate int, hz float64, d time.Duration) {
	t.Helper()
	w, err := audio.CreateWAV(path, rate)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]int16, int(int64(rate)*int64(d)/int64(time.Second)))
	audio.NewTone(rate, hz, -20).Read(buf)
	if _, err := w.Write(buf); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
