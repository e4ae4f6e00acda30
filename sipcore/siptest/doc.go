// Package siptest is the in-memory test network for sipcore and the user
// agent: datagram sockets ([PacketConn]) and stream connections ([Conn],
// [Listener]) that never touch the operating system, with per-network and
// per-link knobs for loss, delay, jitter, duplication, reordering,
// partitions and MTU, plus recorders and scripted peers for assertions.
//
// Everything is built from channels, time.AfterFunc timers and goroutines
// started by the caller, so a [Network] created inside a testing/synctest
// bubble runs in fake time: a reader blocked in ReadFrom is durably blocked,
// and a 32 s delay elapses instantly once every goroutine in the bubble
// waits. The same network works with real time outside a bubble. Create the
// Network inside the bubble that uses it (channels created outside a bubble
// do not block durably).
//
// Randomness comes from one seeded generator per network (Options.Seed), so
// a given seed and a given order of sends yields the same losses, delays and
// duplicates on every run.
//
// What it does not model: loss, delay, duplication and reordering apply
// to datagrams only; streams are perfect pipes that honour partitions
// (data is held until the partition heals) and can be reset with
// [Network.BreakStreams].
//
// This package is for tests. It may import any sipcore package except
// those that import it; it imports only the standard library and
// sipcore/sip.
package siptest
