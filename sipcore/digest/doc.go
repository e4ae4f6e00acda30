// Package digest implements HTTP Digest access authentication as used by SIP:
// challenge and credentials parsing, the client side that answers 401/407
// challenges, and a server side that issues challenges and verifies
// credentials.
//
// It owns:
//   - parsing of WWW-Authenticate / Proxy-Authenticate header values, including
//     several challenges in one value (RFC 7235 §4.1, §2.1: auth-scheme, auth-param,
//     token68, quoted-string with quoted-pair) and choosing the strongest
//     supported one (Choose);
//   - parsing and formatting of Authorization / Proxy-Authorization values
//     (RFC 7616 §3.4, RFC 3261 §22.4, §25.1 digest-response);
//   - the digest computation for MD5, MD5-sess, SHA-256, SHA-256-sess,
//     SHA-512-256 and SHA-512-256-sess (RFC 7616 §3.4.1–§3.4.3, RFC 8760 §2),
//     with qop auth and auth-int, and the RFC 2069 form without qop
//     (RFC 2617 §3.2.2.1, RFC 3261 §22.4 backwards compatibility);
//   - nonce counts per nonce and cnonce generation on the client
//     (RFC 7616 §3.4), opaque echo, stale=true retry without the user
//     (RFC 7616 §3.3), userhash (RFC 7616 §3.4.4) and username* (RFC 7616
//     §3.4.4 with RFC 5987 encoding);
//   - a server that issues nonces carrying an HMAC-protected timestamp so
//     stale nonces are detected without per-nonce state (RFC 7616 §3.3, §5.4),
//     and reports ok, stale, wrong password, unknown user, replay and
//     malformed input through distinct exported sentinel errors.
//
// The package works on header value strings only: it does not import
// sipcore/sip or anything else in teaphone, only the standard library.
// Passwords never appear in error strings.
//
// Typical client use: on a 401/407, ParseChallenges over every
// WWW-Authenticate (or Proxy-Authenticate) value, then Client.Answer with the
// request and the credentials the request carried, and resend with the
// returned value in Authorization (or Proxy-Authorization). Client.Cached
// answers the last challenge again (next nonce count) for refreshes.
//
// Not done: Authentication-Info / rspauth (RFC 7615, RFC 2617 §3.2.3),
// comparing the digest uri with the Request-URI by SIP URI equivalence
// (Server.Verify compares strings when asked to), charsets other than UTF-8,
// and holding several realms' credentials in one Client (use one per realm).
package digest
