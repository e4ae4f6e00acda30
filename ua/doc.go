// Package ua is teaphone's SIP user agent engine (UAC and UAS): accounts and
// registration, calls (dial, answer, reject, cancel, hold, mute, DTMF),
// instant messages and presence, driven by the sipcore layers.
//
// One goroutine owns all account, call and subscription state; public methods
// post requests to it and wait for the result, and Events() delivers typed
// value events in order through an unbounded queue, so a slow reader never
// blocks SIP processing and nothing is dropped. The TUI (ui) and the headless
// agent (main) are both thin layers over the same Agent.
//
// Standards: RFC 3261 (§8 UAC/UAS behaviour, §10 registration, §13–§15
// sessions, §22 authentication), RFC 3264 through media's negotiation,
// RFC 3428 (MESSAGE), RFC 3856/3863/6665/3903 (presence, PIDF, SUBSCRIBE/
// NOTIFY, PUBLISH), RFC 4733 and SIP INFO for DTMF, RFC 3325 (caller
// identity), RFC 3581 (learned public address in Contact).
//
// Files: agent.go (the loop, the event FIFO, Start/Close), sipio.go
// (transport glue, tracing with credential redaction, RFC 3263 next hop,
// incoming request dispatch and validation), account.go (registration,
// digest retries), call.go (calls, hold, DTMF, re-INVITE glare, and the
// glue to sipcore/dialog), message.go (MESSAGE), presence.go (PUBLISH,
// SUBSCRIBE/NOTIFY both ways). uatest holds a fake MediaFactory and a
// scripted registrar/proxy/presence server for tests.
//
// Dialogs (RFC 3261 §12–§15) are sipcore/dialog's: a dialog.Manager owns
// the transaction layer; the loop routes requests itself (Config.Unrouted)
// and hands in-dialog requests, ACKs and stray 2xx to it. The dialog layer
// keeps the route set, remote target and CSeqs, answers 481/500 and BYE,
// sends and re-sends the ACK for our 2xx, retransmits our 2xx until the
// ACK (giving up after 64·T1), ends extra forks and supplies the §14.1
// glare back-off. The engine runs the client transactions (failover,
// digest retry, redirects) and the offer/answer.
//
// Not done yet: REFER transfer, PRACK/100rel, session timers, forking
// beyond "first 2xx wins" (later 2xx are ACKed and BYEd), RFC 3263
// failover across several targets (the first resolved target is used),
// Outbound (RFC 5626) flows.
//
// Imports: sipcore/... only. It must never import media (it declares the
// small media interface it needs; main wires media in) nor ui.
package ua
