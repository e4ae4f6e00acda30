// Package transaction is teaphone's SIP transaction layer (RFC 3261 §17):
// client and server transactions for INVITE and non-INVITE requests, their
// timers, and the matching of responses, retransmissions, ACKs and CANCELs
// to them.
//
// It implements:
//
//   - §17.1.1 INVITE client transaction (Figure 5) with RFC 6026 §8.4's
//     Accepted state: Timers A, B, D and M; the ACK for a non-2xx final
//     response is built and sent here (§17.1.1.3, with sip.NewAck); every 2xx is
//     passed to the TU, retransmissions and other forks included.
//   - §17.1.2 non-INVITE client transaction (Figure 6): Timers E, F, K.
//   - §17.1.3 response matching (branch + CSeq method).
//   - §17.2.1 INVITE server transaction (Figure 7) with RFC 6026 §8.5-8.7's
//     Accepted state: Timers G, H, I, L; 100 Trying is sent by the
//     transaction when the TU has not answered within Config.TryingDelay
//     (default 200 ms, the §17.2.1 allowance; negative = immediately), and
//     for any INVITE retransmission arriving before the TU's first response.
//   - §17.2.2 non-INVITE server transaction (Figure 8): Timer J.
//   - §17.2.3 request matching: branch + sent-by + method (ACK matches the
//     INVITE), and the RFC 2543 fallback for branches without the magic
//     cookie (Request-URI, From tag, Call-ID, CSeq, top Via, and the To tag
//     of the request or, for an ACK, of the response sent).
//   - §9.1 CANCEL construction (sip.NewCancel from the INVITE as sent;
//     Client.Cancel waits for a provisional response before sending it)
//     and §9.2 CANCEL matching: the layer answers the
//     CANCEL itself (200, or 481 when nothing matches) and closes the INVITE
//     server transaction's Cancelled channel so the UAS core answers 487.
//   - §17.1.4 / §17.2.4 transport errors: a failed send terminates the
//     transaction; clients report it through Request's error or Err,
//     servers through Respond's error, Err and Config.OnServerError.
//
// On reliable transports (anything but UDP, Target.Reliable) the
// retransmission timers A, E and G are not started and D, I, J and K are
// zero. T1, T2, T4 and Timer D are per-Layer settings (Config).
//
// Design. A Layer owns maps of live transactions keyed by the §17 match
// rules. Each transaction is a mutex-guarded state machine whose states are
// functions named after the RFC states (inviteCalling, nonInviteTrying,
// serverInviteCompleted, ...); inputs are received messages, TU calls and
// timers. There is no goroutine per transaction: one scheduler goroutine
// per Layer runs every timer from a min-heap behind a single time.Timer
// (only the 100 Trying timer on a reliable transport, whose send may
// block, uses its own time.AfterFunc). Responses reach the TU through a
// channel fed without blocking (a helper goroutine exists only while a
// reader lags). A terminated transaction is removed from the maps and the
// timer heap at once, so its memory is released; Layer.Count reports the
// live ones. Close stops everything, including the scheduler goroutine,
// and waits for running callbacks.
//
// The transport is reached through the small Transport interface (send
// one message to a Target) and feeds the layer with HandleMessage; Target
// mirrors transport.Target so the adapter is a conversion.
//
// Requests that match no transaction reach Config.Handler as new server
// transactions; ACKs that no transaction absorbs (ACKs for 2xx) go to
// Config.OnACK and unmatched responses (2xx retransmissions after Timer M)
// to Config.OnStrayResponse: the dialog layer handles both.
//
// This package imports only the standard library and sipcore/sip. It must
// not import transport, dialog, ua, media or ui.
package transaction
