// Package e2e holds teaphone's end-to-end tests: the real `teaphone agent`
// binary (built once in TestMain) driven as a black box through its line
// commands on stdin and JSON events on stdout, against real third-party SIP
// peers run by internal/interop: Kamailio (registrar, proxy, presence, digest
// with and without qop over UDP, TCP and TLS), baresip, linphonec, SIPp,
// sipvicious, RFC 4475 torture messages (RFC 4475 §3) sent over UDP, and a
// pair of network namespaces joined by a lossy, delayed link.
//
// Tests: TestKamailio (UDP, UDP+qop, TCP, TLS+qop: register, call,
// hold/resume, DTMF, MESSAGE both ways, PUBLISH/SUBSCRIBE presence, audio),
// TestKamailioWrongPassword, TestKamailioTLSUntrusted,
// TestQuitWithTLSSubscription, TestBaresip, TestLinphonec, TestSIPpUACLoad,
// TestSIPpUAS, TestTortureUDP and TestImpairedLink (root: network
// namespaces), TestSipvicious. Peers missing, or not root, skip the test
// unless CI=true, which fails it. TEAPHONE_E2E_BIN=PATH uses a prebuilt
// teaphone binary instead of building one.
//
// The package has only tests; this file exists for the package comment. It
// must not import teaphone's own packages (ua, sipcore, media, ...): the
// agent is tested through its process interface only, with
// internal/interop as the independent referee.
package e2e
