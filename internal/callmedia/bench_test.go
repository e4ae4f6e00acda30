package callmedia

import (
	"testing"

	"github.com/teaphone/teaphone/media/audio"
)

// BenchmarkHubFrame measures the hub's work per 20 ms frame at 48 kHz with
// two calls: feeding the microphone frame to both ports, the sessions
// taking and giving a frame each, and mixing the speaker frame.
func BenchmarkHubFrame(b *testing.B) {
	const rate, frame = 48000, 960
	h := newHub(Null{}, rate, frame, nil)
	p1, p2 := newPort(rate, frame), newPort(rate, frame)
	for _, p := range []*port{p1, p2} {
		p.setFlow(true, true)
	}
	h.ports = []*port{p1, p2}
	h.mixer, _ = audio.NewMixer(rate, p1.playSource(), p2.playSource())
	mic := make([]int16, frame)
	audio.NewTone(rate, 440, -20).Read(mic)
	buf := make([]int16, frame)
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range h.ports {
			p.feed(mic)
			p.source().Read(buf)
			p.sink().Write(buf)
		}
		h.mixer.Read(buf)
	}
}
