// Package demo runs teaphone's offline demo peers: with no configuration
// (and for `teaphone demo`) main starts them in-process on loopback and
// points the user's agent at them, so a newcomer can call, chat and watch
// presence within seconds, with no provider and no network.
//
// The peers are built on the same engine as the user's side: each is a
// ua.Agent with one direct-IP account (no registrar) on its own
// 127.0.0.1 UDP port the kernel picks, driven by a goroutine that reads its
// Events and calls its methods. Nothing in the UI or the engine knows about
// the demo.
//
//   - Echo (sip:echo@127.0.0.1:PORT) auto-answers calls (Options.RingTime
//     after the INVITE, at once by default) and plays back what it hears
//     after Options.EchoDelay: its media is an internal/callmedia Factory
//     whose "sound card" is a delay line (device.go) — the speaker's audio
//     comes out of the microphone EchoDelay later. It answers every
//     MESSAGE with "echo: <text>", each DTMF digit (RFC 4733) with a
//     MESSAGE "you pressed <digit>", and answers SUBSCRIBEs for its own
//     address peer to peer (no presence server) with NOTIFYs of a status
//     that changes every Options.PresencePeriod, and is on-the-phone while
//     a call is up.
//   - Alice (sip:alice@127.0.0.1:PORT) is open but away ("back in 10
//     minutes"), rejects calls with 480 Temporarily Unavailable and
//     auto-replies to messages. She has no media.
//
// Peer.UserConfig gives main the user's account (sip:me@127.0.0.1:PORT,
// with a socket already bound to that port, so the peers' replies to From
// reach it) and the contacts to show (Echo and Alice, favourites); main
// maps them onto ua.Config and the contacts store.
//
// Standards (implemented by ua and callmedia; chosen here): RFC 3261
// §21.4.18 (480 for Alice's calls), RFC 3428 (MESSAGE replies), RFC 3856
// and RFC 6665 (presence subscriptions answered by the peers themselves),
// RFC 3863 basic status with RFC 4480 §3.2 activities (away, busy,
// on-the-phone), RFC 4733 (DTMF received by Echo).
//
// Files: demo.go (Start, Peer, UserConfig, Close), peers.go (what Echo and
// Alice do with their events), device.go (the echo delay-line devices).
//
// Imports: ua, internal/callmedia and media/audio only. It must not import
// ui, contacts, sipcore or media/portaudio; only main imports it.
package demo
