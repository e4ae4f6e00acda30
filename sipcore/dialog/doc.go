// Package dialog is teaphone's SIP dialog layer (RFC 3261 §12, §13, §14,
// §15 with RFC 6026): dialog state, the in-dialog request builder, and the
// UAC and UAS core duties for INVITE that sit between the transaction
// layer and the user agent.
//
// It owns:
//
//   - Dialog identity and state (§12): ID (Call-ID, local tag, remote
//     tag); early dialogs from 101-199 responses with a To tag, one per tag
//     when a request forks (§12.1.2); confirmation by a 2xx (§13.2.2.4).
//   - Route set (Record-Route, reversed for the UAC, §12.1.1/§12.1.2),
//     remote target (Contact) and its refresh by re-INVITE/UPDATE and
//     other target refresh requests, on receipt (UAS, §12.2.2) and on
//     their 2xx (UAC, §12.2.1.2).
//   - Local and remote CSeq: requests with a lower remote CSeq get 500
//     (§12.2.2); the local number starts at a random value (§8.1.1.5).
//   - The in-dialog request builder with loose and strict routing
//     (§12.2.1.1).
//   - INVITE UAC core: the ACK for a 2xx, new branch, the INVITE's CSeq
//     number and credentials, re-sent for every 2xx retransmission
//     (§13.2.2.4); other
//     forks' 2xx are ACKed and ended with BYE (§13.2.2.4).
//   - INVITE UAS core: 2xx retransmission at T1 doubling to T2 until the
//     ACK, giving up after 64·T1 with ErrNoACK so the UA sends BYE
//     (§13.3.1.4, RFC 6026).
//   - 481 for in-dialog requests matching no dialog (§12.2.2), 491 for a
//     re-INVITE while ours is pending and 500 + Retry-After while theirs is
//     (§14.2), the §14.1 back-off (GlareBackoff).
//   - BYE (§15): answered 200 and the dialog terminated; Dialog.Bye.
//   - Termination releases the dialog (Manager.Count).
//
// A Manager creates and owns the transaction layer, so that it sees the
// ACKs for 2xx and stray 2xx retransmissions; out-of-dialog requests go to
// Config.Transaction.Handler. A UA with its own event loop sets
// Config.Unrouted and calls Deliver, HandleACK and HandleStrayResponse
// itself; one that runs the dialog-creating client transaction itself
// (failover, digest retry, redirects) builds the dialog with NewUAC (or
// NewNotified, RFC 6665 §4.1.2.4) and sends the 2xx ACK with Dialog.ACK
// (own.go). Nothing here resolves DNS: Config.Resolve
// turns a next-hop URI into a transaction.Target (IP literals by default).
//
// This package imports only the standard library, sipcore/sip and
// sipcore/transaction. It must not import transport, ua, media or ui.
package dialog
