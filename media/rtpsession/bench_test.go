package rtpsession

import (
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/teaphone/teaphone/media/audio"
	"github.com/teaphone/teaphone/media/codec"
	"github.com/teaphone/teaphone/media/jitter"
)

// BenchmarkPipeline measures the per-call media CPU for one second of
// audio (50 frames of 20 ms): encode, packetize, marshal, unmarshal,
// jitter buffer push and pop, decode. No sockets, no sleeping: the clock
// is synthetic. Target for PCMU: ≤ 0.5 ms CPU per second of audio.
func BenchmarkPipeline(b *testing.B) {
	codecs := []codec.Codec{codec.PCMU(), codec.PCMA(), codec.G722()}
	if o, err := codec.NewOpus(codec.DefaultOpusOptions()); err == nil {
		codecs = append(codecs, o)
	}
	for _, c := range codecs {
		b.Run(c.Name(), func(b *testing.B) {
			enc, err := c.NewEncoder()
			if err != nil {
				b.Fatal(err)
			}
			dec, err := c.NewDecoder()
			if err != nil {
				b.Fatal(err)
			}
			samples := c.SampleRate() / 50
			step := uint32(c.ClockRate() / 50)
			tone := audio.NewTone(c.SampleRate(), 440, -10)
			const frames = 50
			src := make([][]int16, frames)
			for i := range src {
				src[i] = make([]int16, samples)
				tone.Read(src[i])
			}
			jb := jitter.New(jitter.Config{ClockRate: c.ClockRate(), FrameDuration: 20 * time.Millisecond})
			wire := make([]byte, 0, 1500)
			var pkt rtp.Packet
			pcm := make([]int16, 0, samples)
			now := time.Unix(1000, 0)
			h := rtp.Header{Version: 2, PayloadType: c.PayloadType(), SSRC: 0x1234}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				for i := range frames {
					hn := h.MarshalSize()
					buf, err := enc.Encode(wire[:hn], src[i])
					if err != nil {
						b.Fatal(err)
					}
					if _, err := h.MarshalTo(buf); err != nil {
						b.Fatal(err)
					}
					if err := pkt.Unmarshal(buf); err != nil {
						b.Fatal(err)
					}
					jb.Push(jitter.Packet{SequenceNumber: pkt.SequenceNumber, Timestamp: pkt.Timestamp,
						SSRC: pkt.SSRC, PayloadType: pkt.PayloadType, Payload: pkt.Payload}, now)
					out, st := jb.Pop(now.Add(40 * time.Millisecond))
					switch st {
					case jitter.OK:
						pcm, err = dec.Decode(pcm[:0], out.Payload)
					default:
						pcm, err = dec.Conceal(pcm[:0], samples)
					}
					if err != nil {
						b.Fatal(err)
					}
					h.SequenceNumber++
					h.Timestamp += step
					now = now.Add(20 * time.Millisecond)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "cpu-ms/s-audio")
		})
	}
}
