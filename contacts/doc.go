// Package contacts is teaphone's address book and buddy list model.
//
// It owns:
//   - [Contact] and [Book]: add, update, delete, favourites (the buddy list:
//     the UA subscribes to the presence of [Book.Favorites]), ranked
//     [Book.Search], and [Book.Lookup], which finds the contact for the From
//     URI of an incoming call or message;
//   - address comparison ([NormalizeURI], [ValidateURI]): a small local check
//     of sip:, sips: and tel: URIs, user@host and bare numbers, not a SIP
//     parser;
//   - the contacts file: TOML (github.com/BurntSushi/toml), [Load] and
//     [Book.Save] with atomic writes, errors naming file and line, unknown
//     keys preserved ([FileError], testdata/contacts.example.toml);
//   - vCard import ([ImportVCard]): 2.1, 3.0 and 4.0 files as phones export
//     them, with per-card warnings.
//
// Call and message history lives in the subpackage contacts/history.
//
// Standards: RFC 3261 §19.1.1 (SIP URI components) and §19.1.4 (URI
// comparison: case-insensitive scheme and host, escaped user characters,
// parameters ignored here for lookup), RFC 3966 §3 and §5.1.1 (tel URIs,
// visual separators), RFC 6350 §3.2-§3.4 (vCard line folding, property
// syntax, escaping), §6.2.1-§6.2.2 (FN, N), §6.4.1 (TEL), §5.3/§5.6
// (PREF, TYPE), RFC 2426 (vCard 3.0), vCard 2.1 (quoted-printable and bare
// parameters, RFC 2045 §6.7), RFC 4770 (IMPP).
//
// Deliberate simplifications: lookup treats sips: and sip: as the same
// address, drops all URI parameters, and matches telephone numbers by
// digits (falling back to the last 8 digits when exactly one contact
// matches), without country or dial-plan knowledge.
//
// This package is a pure model and store: it knows nothing of SIP stacks,
// presence or the UI, and must not import teaphone's ua, ui, media or
// sipcore packages (a test enforces it). The UI joins contacts with presence
// events by URI.
package contacts
