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
// Imports: sipcore/... only. It must never import media (it declares the
// small media interface it needs; main wires media in) nor ui.
package ua
