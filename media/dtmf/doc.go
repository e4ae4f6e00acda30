// Package dtmf implements RFC 4733 telephone-events (which obsoletes
// RFC 2833) for DTMF digits: the 4-byte event payload (§2.3), a sender state
// machine that turns digits into a paced packet schedule (§2.5.1), and a
// receiver that turns a lossy, duplicated, reordered packet stream back into
// one report per event (§2.5.2).
//
// The package is pure: no goroutines, no sockets, no clocks of its own. The
// caller (media/rtpsession) calls the sender once per packet time with the
// RTP timestamp of that frame, and feeds the receiver every telephone-event
// packet with its arrival time.
//
// Events 0–15 are the DTMF digits 0-9 * # A-D (RFC 4733 §3.2 table 1);
// event 16 is flash (hook flash), reported with digit '!'.
//
// This package must not import any other teaphone package.
package dtmf
