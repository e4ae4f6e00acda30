// Command rtpload runs many simultaneous PCMU calls over loopback through
// media/rtpsession and reports loss, lateness and the sender's pacing
// jitter. Each call is two sessions sending a tone to each other.
//
//	go run ./media/rtpsession/cmd/rtpload -calls 200 -duration 30s
//
// It binds only 127.0.0.1 (or -addr, which must be a loopback address) and
// stops by itself after -duration.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/netip"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/teaphone/teaphone/media/audio"
	"github.com/teaphone/teaphone/media/codec"
	"github.com/teaphone/teaphone/media/rtpsession"
)

func main() {
	calls := flag.Int("calls", 200, "simultaneous calls (two sessions each)")
	dur := flag.Duration("duration", 30*time.Second, "how long to run")
	addr := flag.String("addr", "127.0.0.1", "loopback address to bind")
	prof := flag.String("cpuprofile", "", "write a CPU profile to this file")
	private := flag.Bool("private-clocks", false, "give every session a clock of its own instead of one shared clock (the product shares one)")
	baseline := flag.Bool("baseline", false, "first measure bare timer pacing (2×calls goroutines, no RTP) for the same duration: the machine's floor")
	flag.Parse()
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			fmt.Fprintln(os.Stderr, "rtpload:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "rtpload:", err)
			os.Exit(1)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	if *baseline {
		timerBaseline(2**calls, *dur)
	}
	if err := run(*calls, *dur, *addr, *private); err != nil {
		fmt.Fprintln(os.Stderr, "rtpload:", err)
		pprof.StopCPUProfile()
		os.Exit(1) //nolint:gocritic // the profile was stopped above
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func run(calls int, dur time.Duration, addrText string, privateClocks bool) error {
	addr, err := netip.ParseAddr(addrText)
	if err != nil {
		return err
	}
	if !addr.IsLoopback() {
		return errors.New("-addr must be a loopback address")
	}
	if calls < 1 || dur <= 0 || dur > time.Hour {
		return errors.New("need -calls ≥ 1 and 0 < -duration ≤ 1h")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var clock *rtpsession.Clock // nil: each session has its own
	if !privateClocks {
		clock = rtpsession.NewClock()
	}
	var sessions []*rtpsession.Session
	defer func() {
		for _, s := range sessions {
			s.Close()
		}
	}()
	open := func(freq int) (*rtpsession.Session, error) {
		s, err := rtpsession.New(rtpsession.Options{
			LocalAddr: addr, Codec: codec.PCMU(), DTMFPayloadType: 101,
			Source: newLoopSource(freq), Sink: audio.NewDiscard(8000),
			InactivityTimeout: -1, Clock: clock,
		})
		if err == nil {
			sessions = append(sessions, s)
		}
		return s, err
	}
	for i := range calls {
		a, err := open(400)
		if err != nil {
			return fmt.Errorf("call %d: %w", i, err)
		}
		b, err := open(1000)
		if err != nil {
			return fmt.Errorf("call %d: %w", i, err)
		}
		a.SetRemote(b.LocalAddr(), netip.AddrPort{})
		b.SetRemote(a.LocalAddr(), netip.AddrPort{})
	}
	clocks := "one shared clock"
	if privateClocks {
		clocks = "a clock per session"
	}
	fmt.Printf("rtpload: %d calls (%d sessions) PCMU 20 ms for %v on %v, %s\n", calls, len(sessions), dur, addr, clocks)
	cpu0, t0 := cpuTime(), time.Now()
	timer := time.NewTimer(dur)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
	cpu, wall := cpuTime()-cpu0, time.Since(t0)

	var sent, recv, expected, netLost, jbLost, late, concealed, played uint64
	var n, sum, sumSq float64 // pooled interval statistics
	var worstMax time.Duration
	var mos float64
	var jbDelay, rtt, jbMax, rttMax time.Duration
	for _, s := range sessions {
		st := s.Stats()
		sent += st.PacketsSent
		recv += st.PacketsReceived
		expected += st.PacketsReceived + uint64(max(st.PacketsLost, 0))
		netLost += uint64(max(st.PacketsLost, 0))
		jbLost += st.JitterBuffer.Lost
		late += st.JitterBuffer.Late
		concealed += st.Concealed
		played += st.FramesPlayed
		mos += st.MOS
		jbDelay += st.JitterBuffer.Delay
		rtt += st.RTT
		jbMax = max(jbMax, st.JitterBuffer.Delay)
		rttMax = max(rttMax, st.RTT)
		// Rebuild Σx and Σx² from each session's mean and std dev.
		k := float64(st.PacketsSent - 1)
		m, sd := float64(st.SendInterval), float64(st.SendIntervalStdDev)
		n += k
		sum += k * m
		sumSq += (k-1)*sd*sd + k*m*m
		worstMax = max(worstMax, st.SendIntervalMax)
	}
	mean := sum / n
	std := math.Sqrt(max(0, sumSq/n-mean*mean))
	pct := func(a, b uint64) float64 {
		if b == 0 {
			return 0
		}
		return 100 * float64(a) / float64(b)
	}
	fmt.Printf("packets sent %d, received %d (%.1f/s)\n", sent, recv, float64(recv)/wall.Seconds())
	fmt.Printf("lost on the wire %d (%.3f%%), late %d (%.3f%%), lost or late at playout %d (%.3f%%)\n",
		netLost, pct(netLost, expected), late, pct(late, expected), jbLost, pct(jbLost, expected))
	fmt.Printf("frames played %d, concealed %d (%.3f%% incl. start-up)\n", played, concealed, pct(concealed, played+concealed))
	fmt.Printf("send interval mean %.3f ms, std dev %.3f ms, worst %.3f ms\n",
		mean/1e6, std/1e6, float64(worstMax)/1e6)
	ns := time.Duration(len(sessions))
	fmt.Printf("jitter-buffer delay mean %v max %v; RTT mean %v max %v\n",
		(jbDelay / ns).Round(time.Microsecond), jbMax.Round(time.Microsecond), (rtt / ns).Round(time.Microsecond), rttMax.Round(time.Microsecond))
	fmt.Printf("mean MOS %.2f; CPU %.2f s in %.1f s wall (%.0f%% of one core, %.2f ms CPU per call-second)\n",
		mos/float64(len(sessions)), cpu.Seconds(), wall.Seconds(), 100*cpu.Seconds()/wall.Seconds(),
		1000*cpu.Seconds()/wall.Seconds()/float64(calls))
	return nil
}

// loopSource repeats one 20 ms frame of a tone whose period divides the
// frame (400 Hz, 1000 Hz at 8 kHz), so the load measures the session and
// not a sine generator.
type loopSource struct {
	frame []int16
	pos   int
}

func newLoopSource(freq int) *loopSource {
	tone := audio.NewTone(8000, float64(freq), -15)
	f := make([]int16, 160)
	_, _ = tone.Read(f)
	return &loopSource{frame: f}
}

// Poll makes the source an rtpsession.Poller: it is always ready.
func (l *loopSource) Poll(dst []int16) int {
	n, _ := l.Read(dst)
	return n
}

func (l *loopSource) Read(dst []int16) (int, error) {
	for i := range dst {
		dst[i] = l.frame[l.pos]
		l.pos = (l.pos + 1) % len(l.frame)
	}
	return len(dst), nil
}

func (l *loopSource) SampleRate() int { return 8000 }
func (l *loopSource) Close() error    { return nil }

// timerBaseline paces n goroutines on absolute 20 ms deadlines doing
// nothing else and prints the interval statistics: what the scheduler and
// the machine allow before any RTP work.
func timerBaseline(n int, dur time.Duration) {
	var mu sync.Mutex
	var cnt, sum, sumSq float64
	var worst time.Duration
	var wg sync.WaitGroup
	stop := time.Now().Add(dur)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			t := time.NewTimer(time.Hour)
			defer t.Stop()
			var last time.Time
			for i := 1; ; i++ {
				d := start.Add(time.Duration(i) * 20 * time.Millisecond)
				if d.After(stop) {
					return
				}
				t.Reset(time.Until(d))
				<-t.C
				now := time.Now()
				if !last.IsZero() {
					iv := now.Sub(last)
					mu.Lock()
					cnt++
					sum += float64(iv)
					sumSq += float64(iv) * float64(iv)
					worst = max(worst, iv)
					mu.Unlock()
				}
				last = now
			}
		}()
	}
	wg.Wait()
	m := sum / cnt
	fmt.Printf("baseline: %d bare timer goroutines for %v: interval mean %.3f ms, std dev %.3f ms, worst %.3f ms\n",
		n, dur, m/1e6, math.Sqrt(max(0, sumSq/cnt-m*m))/1e6, float64(worst)/1e6)
}
