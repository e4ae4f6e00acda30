package sdp

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"

	psdp "github.com/pion/sdp/v3"
)

// ErrOfferPending: an offer arrived while ours is still unanswered (glare,
// RFC 3261 §14.2: the UAS answers 491 Request Pending).
var ErrOfferPending = errors.New("sdp: offer already outstanding")

// Config describes the local end of the audio stream.
type Config struct {
	// Addr is the local address written in c= and o= (IPv4 or IPv6).
	Addr netip.Addr
	// Port is the local RTP port (1-65535).
	Port int
	// Codecs in preference order. Static codecs (PCMU, PCMA, G722) get
	// their RFC 3551 payload types; others keep a PT in 96-127 when given
	// one or get a free one. Empty means PCMU, PCMA.
	Codecs []Format
	// NoDTMF leaves telephone-event (RFC 4733) out of offers and answers.
	NoDTMF bool
	// DTMFPT is the payload type of telephone-event/8000; 0 means 101.
	DTMFPT uint8
	// Ptime is the packetization we want to receive, in ms (RFC 4566 §6
	// a=ptime); 0 means 20.
	Ptime int
	// MaxPtime, when not 0, is written as a=maxptime (RFC 4566 §6).
	MaxPtime int
	// RTCPMux offers a=rtcp-mux (RFC 5761 §5.1.1). An offered rtcp-mux is
	// accepted whether or not this is set.
	RTCPMux bool
	// SingleCodecAnswer makes answers list only the chosen codec (plus
	// telephone-event) instead of every codec in common.
	SingleCodecAnswer bool
	// Username and SessionName go into o= and s=; defaults "-" and
	// "teaphone".
	Username    string
	SessionName string
	// SessionID is the o= sess-id; 0 picks a random one (RFC 4566 §5.2).
	SessionID uint64
}

// Media is the outcome of one offer/answer exchange, everything the RTP
// layer needs, as a plain value. Directions are teaphone's own.
type Media struct {
	// RemoteAddr is where to send RTP. It can be 0.0.0.0 when the peer uses
	// RFC 2543 hold; Direction then does not include sending.
	RemoteAddr netip.AddrPort
	// RemoteRTCP is where to send RTCP: a=rtcp (RFC 3605), else RTP port+1
	// (RFC 3550 §11), else the RTP address when RTCPMux.
	RemoteRTCP netip.AddrPort
	// Codec is the format to send, with the payload type the peer expects.
	Codec Format
	// DTMF is the telephone-event format to send (RFC 4733); PT 0 and Name
	// "" when the peer takes none.
	DTMF Format
	// Recv lists the formats we may receive, with the payload types of our
	// own SDP, telephone-event included.
	Recv []Format
	// Ptime is the packetization to send with, in ms.
	Ptime int
	// Direction says whether we send and/or receive.
	Direction Direction
	// RTCPMux: RTP and RTCP share one port (RFC 5761).
	RTCPMux bool
	// RemoteHold: the peer holds us. Its SDP refuses to receive media
	// (a=sendonly, a=inactive or c=0.0.0.0, RFC 3264 §8.4) although we
	// offered to send or it is the offerer.
	RemoteHold bool
}

// HasDTMF reports whether the peer accepts RFC 4733 events.
func (m Media) HasDTMF() bool { return m.DTMF.Name != "" }

// Negotiator runs RFC 3264 offer/answer for one call (one SIP dialog). It
// remembers the last SDP it sent so that re-offers keep the o= session id
// and bump the version only when the SDP changed (RFC 3264 §8). It is not
// safe for concurrent use; the call that owns it serializes access.
type Negotiator struct {
	cfg      Config
	dir      Direction // our wish: sendrecv, or sendonly/inactive on hold
	version  uint64
	lastSent []byte                   // body of the last SDP we sent, version included
	local    *psdp.SessionDescription // current local SDP (offer or answer)
	prev     *psdp.SessionDescription // local SDP before a pending offer, for Rollback
	pending  *psdp.SessionDescription // offer sent, answer not yet seen
	// peerHolds: the last exchange left the peer holding us.
	peerHolds bool
}

// NewNegotiator checks cfg and fills its defaults.
func NewNegotiator(cfg Config) (*Negotiator, error) {
	if !cfg.Addr.IsValid() {
		return nil, fmt.Errorf("%w: no local address", ErrBadConfig)
	}
	cfg.Addr = cfg.Addr.Unmap()
	if cfg.Port <= 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("%w: rtp port %d out of range", ErrBadConfig, cfg.Port)
	}
	if len(cfg.Codecs) == 0 {
		cfg.Codecs = []Format{PCMU(), PCMA()}
	}
	codecs, err := assignPTs(cfg.Codecs)
	if err != nil {
		return nil, err
	}
	cfg.Codecs = codecs
	if cfg.DTMFPT == 0 {
		cfg.DTMFPT = DefaultDTMFPT
	}
	if cfg.Ptime <= 0 {
		cfg.Ptime = 20
	}
	if cfg.Username == "" {
		cfg.Username = "-"
	}
	if cfg.SessionName == "" {
		cfg.SessionName = "teaphone"
	}
	if cfg.SessionID == 0 {
		// RFC 4566 §5.2 suggests an NTP timestamp; any unique number does.
		// Kept below 2^62 for peers that read it as a signed integer.
		cfg.SessionID = rand.Uint64()>>2 | 1
	}
	return &Negotiator{cfg: cfg, dir: SendRecv, version: 1}, nil
}

// assignPTs validates the codec list and gives each a payload type:
// static ones per RFC 3551 §6, dynamic ones in 96-127 (RFC 3551 §3).
func assignPTs(in []Format) ([]Format, error) {
	out := make([]Format, 0, len(in))
	used := map[uint8]bool{}
	for _, f := range in {
		if f.Name == "" || strings.ContainsAny(f.Name, " \t/") || f.Clock <= 0 || f.IsDTMF() {
			return nil, fmt.Errorf("%w: codec %q", ErrBadConfig, f.String())
		}
		if strings.EqualFold(f.Name, NameG722) {
			f.Clock = 8000 // RFC 3551 §4.5.2
		}
		f.Channels = f.channels()
		if pt, ok := staticPT(f); ok {
			f.PT = pt
		} else if f.PT < 96 || f.PT > 127 || used[f.PT] {
			f.PT = 0
		}
		for _, g := range out {
			if g.Same(f) {
				return nil, fmt.Errorf("%w: codec %q listed twice", ErrBadConfig, f.String())
			}
		}
		if f.PT != 0 || f.Name == NamePCMU {
			used[f.PT] = true
		}
		out = append(out, f)
	}
	for i := range out {
		if out[i].PT == 0 && !strings.EqualFold(out[i].Name, NamePCMU) {
			want := uint8(96)
			if strings.EqualFold(out[i].Name, NameOpus) {
				want = DefaultOpusPT
			}
			pt, ok := freePT(used, want)
			if !ok {
				return nil, fmt.Errorf("%w: too many dynamic codecs", ErrBadConfig)
			}
			out[i].PT = pt
		}
	}
	return out, nil
}

// freePT returns want if free, else the lowest free dynamic payload type.
func freePT(used map[uint8]bool, want uint8) (uint8, bool) {
	if want >= 96 && want <= 127 && !used[want] {
		used[want] = true
		return want, true
	}
	for pt := uint8(96); pt <= 127; pt++ {
		if !used[pt] {
			used[pt] = true
			return pt, true
		}
	}
	return 0, false
}

// Config returns the configuration with defaults filled in.
func (n *Negotiator) Config() Config { return n.cfg }

// SetDirection sets what we want for the audio stream from now on:
// SendRecv normally, SendOnly to put the peer on hold (RFC 3264 §8.4),
// Inactive to hold a stream the peer already holds. It applies to the next
// Offer or Answer.
func (n *Negotiator) SetDirection(d Direction) {
	if d == 0 {
		d = SendRecv
	}
	n.dir = d
}

// SetLocal changes the local address and RTP port, for example after the
// network changed or a NAT binding was learned. The next Offer or Answer
// carries them (and, being different, a new o= version).
func (n *Negotiator) SetLocal(addr netip.Addr, port int) error {
	if !addr.IsValid() {
		return fmt.Errorf("%w: no local address", ErrBadConfig)
	}
	if port <= 0 || port > 65535 {
		return fmt.Errorf("%w: rtp port %d out of range", ErrBadConfig, port)
	}
	n.cfg.Addr, n.cfg.Port = addr.Unmap(), port
	return nil
}

// Direction is the direction set by SetDirection.
func (n *Negotiator) Direction() Direction { return n.dir }

// LocalSDP returns the last SDP we sent, or nil before the first one.
func (n *Negotiator) LocalSDP() []byte { return bytes.Clone(n.lastSent) }

// Pending reports whether an offer of ours awaits its answer.
func (n *Negotiator) Pending() bool { return n.pending != nil }

// Offer returns an SDP offer. The first one is built from the Config; later
// ones (re-INVITE or UPDATE: hold, resume, session refresh) repeat the
// current local SDP with the direction from SetDirection, keeping the o=
// session id and incrementing its version only if something changed
// (RFC 3264 §8). Holding (SendOnly) a stream the peer already holds offers
// inactive (RFC 3264 §8.4). The offer stays pending until ProcessAnswer or
// Rollback.
func (n *Negotiator) Offer() ([]byte, error) {
	var sd *psdp.SessionDescription
	if n.local == nil {
		sd = n.buildOffer()
	} else {
		dir := n.dir
		if dir == SendOnly && n.peerHolds {
			// RFC 3264 §8.4: a stream that was recvonly (the peer holds
			// us) is put on hold by marking it inactive.
			dir = Inactive
		}
		var err error
		if sd, err = clone(n.local); err != nil {
			return nil, err
		}
		for _, md := range sd.MediaDescriptions {
			if strings.EqualFold(md.MediaName.Media, "audio") && md.MediaName.Port.Value != 0 {
				setDirection(md, dir)
				md.MediaName.Port.Value = n.cfg.Port
				md.ConnectionInformation = nil
			}
		}
		sd.Attributes = withoutDirection(sd.Attributes)
		sd.ConnectionInformation = n.skeleton().ConnectionInformation
	}
	out, err := n.send(sd)
	if err != nil {
		return nil, err
	}
	n.prev, n.local, n.pending = n.local, sd, sd
	return out, nil
}

// Rollback forgets a pending offer that the peer rejected or that was
// cancelled; the session goes on with the SDP in force before it (RFC 3264
// §8). The version counter is not rolled back, so the next SDP that differs
// from the rejected one gets a higher version.
func (n *Negotiator) Rollback() {
	if n.pending == nil {
		return
	}
	n.local, n.pending, n.prev = n.prev, nil, nil
}

func clone(sd *psdp.SessionDescription) (*psdp.SessionDescription, error) {
	b, err := sd.Marshal()
	if err != nil {
		return nil, fmt.Errorf("sdp: marshal: %w", err)
	}
	return Parse(b)
}

// send stamps the o= line and marshals. RFC 3264 §8: the version goes up by
// one when the SDP differs from the previous one we sent, and stays when it
// is identical.
func (n *Negotiator) send(sd *psdp.SessionDescription) ([]byte, error) {
	sd.Origin = n.origin()
	out, err := sd.Marshal()
	if err != nil {
		return nil, fmt.Errorf("sdp: marshal: %w", err)
	}
	if n.lastSent != nil && !bytes.Equal(out, n.lastSent) {
		n.version++
		sd.Origin = n.origin()
		if out, err = sd.Marshal(); err != nil {
			return nil, fmt.Errorf("sdp: marshal: %w", err)
		}
	}
	n.lastSent = out
	return bytes.Clone(out), nil
}

func (n *Negotiator) origin() psdp.Origin {
	return psdp.Origin{
		Username:       n.cfg.Username,
		SessionID:      n.cfg.SessionID,
		SessionVersion: n.version,
		NetworkType:    "IN",
		AddressType:    addrType(n.cfg.Addr),
		UnicastAddress: n.cfg.Addr.String(),
	}
}

func addrType(a netip.Addr) string {
	if a.Is4() {
		return "IP4"
	}
	return "IP6"
}

// skeleton is the session part of every SDP we send (RFC 4566 §5, RFC 3264
// §5: t=0 0).
func (n *Negotiator) skeleton() *psdp.SessionDescription {
	return &psdp.SessionDescription{
		SessionName: psdp.SessionName(n.cfg.SessionName),
		ConnectionInformation: &psdp.ConnectionInformation{
			NetworkType: "IN",
			AddressType: addrType(n.cfg.Addr),
			Address:     &psdp.Address{Address: n.cfg.Addr.String()},
		},
		TimeDescriptions: []psdp.TimeDescription{{}},
	}
}

// buildOffer writes the initial offer (RFC 3264 §5): one audio stream over
// RTP/AVP with our codecs in preference order, telephone-event at 8000 Hz
// and, when opus is offered, at 48000 Hz too (RFC 4733 §2.1: the event clock
// must match the audio clock).
func (n *Negotiator) buildOffer() *psdp.SessionDescription {
	sd := n.skeleton()
	formats := append([]Format(nil), n.cfg.Codecs...)
	if !n.cfg.NoDTMF {
		used := map[uint8]bool{}
		for _, f := range formats {
			used[f.PT] = true
		}
		clocks := []int{8000}
		for _, f := range n.cfg.Codecs {
			if f.Clock != 8000 && !containsInt(clocks, f.Clock) {
				clocks = append(clocks, f.Clock)
			}
		}
		want := n.cfg.DTMFPT
		for _, clock := range clocks {
			if pt, ok := freePT(used, want); ok {
				formats = append(formats, TelephoneEvent(pt, clock))
			}
			want = 110
		}
	}
	sd.MediaDescriptions = []*psdp.MediaDescription{n.audioMedia("RTP/AVP", formats, n.dir, n.cfg.RTCPMux)}
	return sd
}

func containsInt(l []int, v int) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

// audioMedia writes our m=audio section: rtpmap for every format (static
// ones too, as RFC 3264 §5.1 recommends), fmtp, ptime, maxptime, rtcp-mux
// and the direction (RFC 4566 §6).
func (n *Negotiator) audioMedia(proto string, formats []Format, dir Direction, mux bool) *psdp.MediaDescription {
	md := &psdp.MediaDescription{
		MediaName: psdp.MediaName{
			Media:  "audio",
			Port:   psdp.RangedPort{Value: n.cfg.Port},
			Protos: strings.Split(proto, "/"),
		},
	}
	for _, f := range formats {
		md.MediaName.Formats = append(md.MediaName.Formats, strconv.Itoa(int(f.PT)))
	}
	for _, f := range formats {
		md.Attributes = append(md.Attributes, psdp.NewAttribute("rtpmap", strconv.Itoa(int(f.PT))+" "+f.rtpmap()))
		if f.Fmtp != "" {
			md.Attributes = append(md.Attributes, psdp.NewAttribute("fmtp", strconv.Itoa(int(f.PT))+" "+f.Fmtp))
		}
	}
	md.Attributes = append(md.Attributes, psdp.NewAttribute("ptime", strconv.Itoa(n.cfg.Ptime)))
	if n.cfg.MaxPtime > 0 {
		md.Attributes = append(md.Attributes, psdp.NewAttribute("maxptime", strconv.Itoa(n.cfg.MaxPtime)))
	}
	if mux {
		md.Attributes = append(md.Attributes, psdp.NewPropertyAttribute("rtcp-mux"))
	}
	setDirection(md, dir)
	return md
}

func setDirection(md *psdp.MediaDescription, d Direction) {
	md.Attributes = append(withoutDirection(md.Attributes), psdp.NewPropertyAttribute(d.String()))
}

func withoutDirection(attrs []psdp.Attribute) []psdp.Attribute {
	out := attrs[:0:0]
	for _, a := range attrs {
		if _, ok := ParseDirection(a.Key); ok && a.Value == "" {
			continue
		}
		out = append(out, a)
	}
	return out
}

// Answer answers an offer (RFC 3264 §6). Every m= line of the offer gets
// one in the answer, in the same order. The first audio stream over RTP/AVP
// or RTP/AVPF with an address and a codec in common is accepted; every other
// stream (video, T.38 image, application, secure profiles, further audio
// streams, port 0) is rejected with port 0 (RFC 3264 §6).
//
// Codec choice: the answer lists the codecs in common in OUR preference
// order (the user's order in Config.Codecs), with the offerer's payload type
// numbers (RFC 3264 §6.1), plus each offered telephone-event whose clock
// rate matches a listed codec. The first listed codec is the one we send.
//
// Direction (RFC 3264 §6.1): the offer's direction is reversed and combined
// with ours (SetDirection); c=0.0.0.0 in the offer is RFC 2543 hold
// (RFC 3264 §8.4) and is read as "the offerer does not receive".
//
// An offer with no usable audio stream gives a *NegotiationError wrapping
// ErrNoCommonCodec (488); unparseable SDP gives a *ParseError (488).
func (n *Negotiator) Answer(offer []byte) ([]byte, Media, error) {
	if n.pending != nil {
		return nil, Media{}, ErrOfferPending
	}
	sd, err := Parse(offer)
	if err != nil {
		return nil, Media{}, err
	}
	ans := n.skeleton()
	reasons := make([]string, len(sd.MediaDescriptions))
	var media Media
	accepted := false
	for i, md := range sd.MediaDescriptions {
		st := readStream(sd, md)
		var out *psdp.MediaDescription
		if accepted {
			reasons[i] = fmt.Sprintf("m=%d: only one %s stream is used", i, st.media)
		} else {
			var reason string
			out, media, reason = n.answerStream(st)
			if reason != "" {
				reasons[i] = fmt.Sprintf("m=%d: %s", i, reason)
			}
			accepted = out != nil
		}
		if out == nil {
			out = rejected(md)
		}
		ans.MediaDescriptions = append(ans.MediaDescriptions, out)
	}
	if !accepted {
		return nil, Media{}, &NegotiationError{Err: ErrNoCommonCodec, Streams: reasons}
	}
	out, err := n.send(ans)
	if err != nil {
		return nil, Media{}, err
	}
	n.local, n.peerHolds = ans, media.RemoteHold
	return out, media, nil
}

// rejected copies an offered m= line with port 0 (RFC 3264 §6).
func rejected(md *psdp.MediaDescription) *psdp.MediaDescription {
	formats := md.MediaName.Formats
	if len(formats) == 0 {
		formats = []string{"0"} // RFC 4566 §5.14 requires one <fmt>
	}
	return &psdp.MediaDescription{MediaName: psdp.MediaName{
		Media:   md.MediaName.Media,
		Port:    psdp.RangedPort{Value: 0},
		Protos:  md.MediaName.Protos,
		Formats: append([]string(nil), formats...),
	}}
}

// answerStream answers one offered stream, or says why it cannot.
func (n *Negotiator) answerStream(st stream) (*psdp.MediaDescription, Media, string) {
	var m Media
	switch {
	case st.media != "audio":
		return nil, m, fmt.Sprintf("%s stream not supported", st.media)
	case st.port == 0:
		return nil, m, "audio stream disabled (port 0)"
	case !rtpProfileOK(st.proto):
		return nil, m, fmt.Sprintf("audio transport %s not supported", st.proto)
	case !st.hasAddr:
		return nil, m, "audio stream has no usable connection address"
	}
	// Intersection in our preference order, offerer's payload types.
	var common []Format
	for _, ours := range n.cfg.Codecs {
		for _, theirs := range st.formats {
			if !theirs.IsDTMF() && theirs.Same(ours) {
				f := ours
				f.PT = theirs.PT
				common = append(common, f)
				break
			}
		}
		if n.cfg.SingleCodecAnswer && len(common) == 1 {
			break
		}
	}
	if len(common) == 0 {
		return nil, m, "no codec of ours among " + formatNames(st.formats)
	}
	m.Codec = common[0]
	// Remote fmtp for what we send (e.g. opus maxplaybackrate) is the
	// peer's wish as a receiver.
	for _, theirs := range st.formats {
		if theirs.PT == m.Codec.PT {
			m.Codec.Fmtp = theirs.Fmtp
		}
	}
	answerFormats := common
	if !n.cfg.NoDTMF {
		te, all := pickDTMF(st.formats, common)
		m.DTMF = te
		for _, f := range all {
			f.Fmtp = DefaultDTMFEvents
			answerFormats = append(answerFormats, f)
		}
	}

	offerDir := st.dir
	if heldAddr(st.addr) {
		offerDir = offerDir.And(SendOnly) // RFC 3264 §8.4
	}
	m.Direction = offerDir.Reverse().And(n.dir)
	m.RemoteHold = !offerDir.Receives()
	m.RemoteAddr = netip.AddrPortFrom(st.addr, uint16(st.port))
	m.RTCPMux = st.rtcpMux // RFC 5761 §5.1.1: accept when offered
	m.RemoteRTCP = remoteRTCP(st, m.RTCPMux)
	m.Ptime = n.sendPtime(st)
	m.Recv = answerFormats
	return n.audioMedia(st.proto, answerFormats, m.Direction, m.RTCPMux), m, ""
}

// pickDTMF finds the offered telephone-event formats whose clock matches a
// codec in common (RFC 4733 §2.1) and the one that goes with the first
// codec. When none matches the first codec's clock, the 8000 Hz one is used
// anyway: peers that offer opus with only telephone-event/8000 exist.
func pickDTMF(offered, common []Format) (Format, []Format) {
	var all []Format
	var chosen Format
	for _, f := range offered {
		if !f.IsDTMF() {
			continue
		}
		match := false
		for _, c := range common {
			match = match || c.Clock == f.Clock
		}
		if !match {
			continue
		}
		all = append(all, f)
		if chosen.Name == "" && f.Clock == common[0].Clock {
			chosen = f
		}
	}
	if chosen.Name == "" {
		for _, f := range offered {
			if f.IsDTMF() && f.Clock == 8000 {
				chosen = f
				if !containsFormat(all, f) {
					all = append(all, f)
				}
				break
			}
		}
	}
	return chosen, all
}

func containsFormat(l []Format, f Format) bool {
	for _, g := range l {
		if g.PT == f.PT && g.Same(f) {
			return true
		}
	}
	return false
}

func formatNames(fs []Format) string {
	if len(fs) == 0 {
		return "nothing known"
	}
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.rtpmap()
	}
	return strings.Join(names, " ")
}

// sendPtime: the peer's a=ptime is how it wants to receive (RFC 4566 §6);
// without one we use our own, never above the peer's a=maxptime.
func (n *Negotiator) sendPtime(st stream) int {
	p := st.ptime
	if p <= 0 || p > 200 {
		p = n.cfg.Ptime
	}
	if st.maxptime > 0 && p > st.maxptime {
		p = st.maxptime
	}
	return p
}

// remoteRTCP: with rtcp-mux, RTCP goes to the RTP address (RFC 5761);
// else a=rtcp (RFC 3605 §2.1); else the next port up (RFC 3550 §11).
func remoteRTCP(st stream, mux bool) netip.AddrPort {
	switch {
	case mux:
		return netip.AddrPortFrom(st.addr, uint16(st.port))
	case st.rtcp.IsValid() && st.rtcp.Port() != 0:
		return st.rtcp
	case st.port < 65535:
		return netip.AddrPortFrom(st.addr, uint16(st.port+1))
	}
	return netip.AddrPort{}
}

// ProcessAnswer reads the answer to our pending offer (RFC 3264 §7). The
// answer must have as many m= lines as the offer. From our audio stream it
// takes the first codec in the answer that we offered (that is what we
// send), the peer's telephone-event, address, RTCP port and direction.
// A rejected audio stream or no common codec gives a *NegotiationError
// wrapping ErrNoCommonCodec; the offer then stays pending so the caller can
// decide between Rollback and ending the call.
func (n *Negotiator) ProcessAnswer(answer []byte) (Media, error) {
	if n.pending == nil {
		return Media{}, ErrNoPendingOffer
	}
	sd, err := Parse(answer)
	if err != nil {
		return Media{}, err
	}
	offer := n.pending
	if len(sd.MediaDescriptions) != len(offer.MediaDescriptions) {
		return Media{}, fmt.Errorf("%w: %d m= lines for %d offered (RFC 3264 §6)",
			ErrBadAnswer, len(sd.MediaDescriptions), len(offer.MediaDescriptions))
	}
	reasons := make([]string, len(offer.MediaDescriptions))
	for i, omd := range offer.MediaDescriptions {
		ours := readStream(offer, omd)
		if ours.media != "audio" || ours.port == 0 {
			continue
		}
		theirs := readStream(sd, sd.MediaDescriptions[i])
		if theirs.media != ours.media {
			return Media{}, fmt.Errorf("%w: m=%d is %s, offered %s", ErrBadAnswer, i, theirs.media, ours.media)
		}
		m, reason := n.answered(ours, theirs)
		if reason != "" {
			reasons[i] = fmt.Sprintf("m=%d: %s", i, reason)
			continue
		}
		n.pending, n.prev, n.peerHolds = nil, nil, m.RemoteHold
		return m, nil
	}
	return Media{}, &NegotiationError{Err: ErrNoCommonCodec, Streams: reasons}
}

func (n *Negotiator) answered(ours, theirs stream) (Media, string) {
	var m Media
	switch {
	case theirs.port == 0:
		return m, "audio stream rejected (port 0)"
	case !theirs.hasAddr:
		return m, "audio stream has no usable connection address"
	}
	// RFC 3264 §7: the first format in the answer that we offered.
	for _, f := range theirs.formats {
		if f.IsDTMF() {
			continue
		}
		for _, o := range ours.formats {
			if o.Same(f) {
				if m.Codec.Name == "" {
					m.Codec = f
				}
				m.Recv = append(m.Recv, o)
			}
		}
	}
	if m.Codec.Name == "" {
		return m, "no codec we offered among " + formatNames(theirs.formats)
	}
	if !n.cfg.NoDTMF {
		for _, f := range theirs.formats {
			if !f.IsDTMF() {
				continue
			}
			for _, o := range ours.formats {
				if o.IsDTMF() && o.Clock == f.Clock && !containsFormat(m.Recv, o) {
					m.Recv = append(m.Recv, o)
				}
			}
			if m.DTMF.Name == "" || (m.DTMF.Clock != m.Codec.Clock && f.Clock == m.Codec.Clock) {
				m.DTMF = f
			}
		}
	}
	ansDir := theirs.dir
	if heldAddr(theirs.addr) {
		ansDir = ansDir.And(SendOnly) // RFC 3264 §8.4
	}
	m.Direction = ours.dir.And(ansDir.Reverse())
	// When we offered not to send, the answer cannot tell whether the peer
	// still holds us (RFC 3264 §6.1 forces it to not receive): keep what we
	// knew.
	m.RemoteHold = n.peerHolds
	if ours.dir.Sends() {
		m.RemoteHold = !ansDir.Receives()
	}
	m.RemoteAddr = netip.AddrPortFrom(theirs.addr, uint16(theirs.port))
	m.RTCPMux = ours.rtcpMux && theirs.rtcpMux
	m.RemoteRTCP = remoteRTCP(theirs, m.RTCPMux)
	m.Ptime = n.sendPtime(theirs)
	return m, ""
}
