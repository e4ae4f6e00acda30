// Package jitter is teaphone's adaptive RTP jitter buffer for audio.
//
// A Buffer takes packets as they arrive (Push) and gives back one frame per
// playout tick (Pop): the packet due, a "lost" indication so the decoder runs
// packet loss concealment (or Opus in-band FEC from the following packet,
// which PeekNext exposes), an "underrun" while the buffer waits for data, or
// "buffering" before playout starts.
//
// Packets are keyed by sequence number, extended past the 16-bit wrap the way
// RFC 3550 Appendix A.1 does. Timing comes from RTP timestamps against
// arrival times: each packet's transit time (arrival − timestamp) goes into a
// sliding window, and the playout offset tracks a high quantile of that
// window (95 % by default), so the delay grows when the network jitters and
// shrinks again when it calms. Growing inserts one concealed frame; shrinking
// drops one frame at a time, no more than once per ShrinkInterval and
// preferably a silent frame, so neither is audible as a glitch; only an
// excess of more than three frames (the playout clock stalled) is shed at
// once. Overflow beyond MaxPackets drops the oldest packet. The RFC 3550
// §6.4.1 / Appendix A.8 interarrival jitter estimate is kept as a statistic.
//
// The buffer is pure: the caller passes the current time to Push and Pop, so
// tests drive it with synthetic arrival schedules. It is not safe for
// concurrent use; media/rtpsession guards it with a mutex.
//
// This package must not import any other teaphone package.
package jitter
