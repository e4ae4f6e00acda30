// Package interop holds tests that run teaphone's transaction and dialog
// layers over the real transport on loopback sockets: against SIPp (the
// built-in uac and uas scenarios, RFC 3261 INVITE/ACK/BYE calls) and a
// benchmark of the full stack. It has no non-test code.
//
// The SIPp tests need the sipp binary (Debian package sip-tester); they
// skip when it is missing unless CI=true, where they fail.
package interop
