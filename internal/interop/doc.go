// Package interop runs real third-party SIP peers on loopback for tests:
// Kamailio (registrar, proxy and presence server with digest auth, with and
// without qop, over UDP, TCP and TLS), baresip and linphonec (headless phones
// with WAV input, recorded output and a control channel), SIPp (scenarios
// and load), sipvicious, and a pair of network namespaces joined by an
// impaired veth link (loss and delay).
//
// It is imported only by tests (teaphone's integration tests and this
// package's own self-tests). Every helper takes a testing.TB, chooses its
// own free ports on 127.0.0.1, bounds every wait in time, and registers a
// t.Cleanup that stops each process it started by PID (SIGTERM, then SIGKILL
// to the process group after a bound). When a peer program is missing the
// helper skips the test naming the Debian package to install, unless the
// environment has CI=true, in which case it fails the test.
//
// The configuration files and scripts it drives live in the repository's
// scripts/interop/ directory (kamailio.cfg, SIPp scenarios, the baresip and
// linphonec config generators, the NFQUEUE delay helper nfqdelay.c); the
// package finds that directory by walking up from the working directory to
// go.mod, or from $TEAPHONE_INTEROP_DIR.
//
// SIP it speaks itself is limited to an OPTIONS probe (RFC 3261 §11) sent
// over UDP with Timer E style retransmission (§17.1.2.2), TCP or TLS (§18).
//
// Kamailio and baresip can also run inside a namespace of an ImpairedLink
// (KamailioOptions.Netns/ListenIP, BaresipOptions.Netns/ListenIP); the
// harness reaches them from inside that namespace (InNetns).
//
// It must not import any other teaphone package: the harness has to stay an
// independent referee of the code under test. Outside the standard library
// it uses only golang.org/x/sys/unix (setns).
package interop
