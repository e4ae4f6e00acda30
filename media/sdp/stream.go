package sdp

import (
	"net/netip"
	"strconv"
	"strings"

	psdp "github.com/pion/sdp/v3"
)

// stream is one m= section read with session-level fallbacks applied.
type stream struct {
	media    string
	port     int
	proto    string
	formats  []Format // in m= order; payload types without a known mapping are left out
	dir      Direction
	hasDir   bool
	addr     netip.Addr
	hasAddr  bool
	ptime    int
	maxptime int
	rtcp     netip.AddrPort // from a=rtcp (RFC 3605), port 0 if absent
	rtcpMux  bool
}

// attrs looks up attributes by name without case, media level first, then
// session level when fallback is set.
func findAttrs(sd *psdp.SessionDescription, md *psdp.MediaDescription, key string, fallback bool) []string {
	var out []string
	for _, a := range md.Attributes {
		if strings.EqualFold(a.Key, key) {
			out = append(out, a.Value)
		}
	}
	if len(out) == 0 && fallback {
		for _, a := range sd.Attributes {
			if strings.EqualFold(a.Key, key) {
				out = append(out, a.Value)
			}
		}
	}
	return out
}

func firstAttr(sd *psdp.SessionDescription, md *psdp.MediaDescription, key string, fallback bool) (string, bool) {
	v := findAttrs(sd, md, key, fallback)
	if len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// attrInt reads a numeric attribute such as a=ptime:20 (RFC 4566 §6);
// fractional values ("a=ptime:20.0", seen in the wild) are truncated.
func attrInt(sd *psdp.SessionDescription, md *psdp.MediaDescription, key string) int {
	v, ok := firstAttr(sd, md, key, true)
	if !ok {
		return 0
	}
	v, _, _ = strings.Cut(strings.TrimSpace(v), ".")
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// mediaDirection returns the direction attribute of a media description,
// falling back to the session level (RFC 4566 §6: a session-level direction
// applies to every medium that has none of its own).
func mediaDirection(sd *psdp.SessionDescription, md *psdp.MediaDescription) (Direction, bool) {
	for _, attrs := range [][]psdp.Attribute{md.Attributes, sd.Attributes} {
		for _, a := range attrs {
			if d, ok := ParseDirection(a.Key); ok && a.Value == "" {
				return d, true
			}
		}
	}
	return SendRecv, false
}

func readStream(sd *psdp.SessionDescription, md *psdp.MediaDescription) stream {
	st := stream{
		media: strings.ToLower(md.MediaName.Media),
		port:  md.MediaName.Port.Value,
		proto: strings.ToUpper(strings.Join(md.MediaName.Protos, "/")),
	}
	st.dir, st.hasDir = mediaDirection(sd, md)
	// RFC 4566 §5.7: media-level c= overrides the session-level one.
	if a, ok := connAddr(md.ConnectionInformation); ok {
		st.addr, st.hasAddr = a, true
	} else if md.ConnectionInformation == nil {
		st.addr, st.hasAddr = connAddr(sd.ConnectionInformation)
	}
	st.ptime = attrInt(sd, md, "ptime")
	st.maxptime = attrInt(sd, md, "maxptime")
	_, st.rtcpMux = firstAttr(sd, md, "rtcp-mux", false)
	if v, ok := firstAttr(sd, md, "rtcp", false); ok {
		st.rtcp = parseRTCPAttr(v, st.addr)
	}

	// RFC 4566 §6 a=rtpmap / a=fmtp per payload type. Session-level ones
	// are a sloppiness some phones show; they are used as a fallback.
	rtpmaps := map[int]Format{}
	fmtps := map[int]string{}
	for _, attrs := range [][]psdp.Attribute{sd.Attributes, md.Attributes} {
		for _, a := range attrs {
			switch strings.ToLower(a.Key) {
			case "rtpmap":
				if f, ok := parseRtpmap(a.Value); ok {
					rtpmaps[int(f.PT)] = f // media level overrides session level
				}
			case "fmtp":
				if pt, p, ok := parseFmtp(a.Value); ok {
					fmtps[pt] = p
				}
			}
		}
	}
	seen := map[int]bool{}
	for _, tok := range md.MediaName.Formats {
		pt, err := strconv.Atoi(tok)
		if err != nil || pt < 0 || pt > 127 || seen[pt] {
			continue
		}
		seen[pt] = true
		f, ok := rtpmaps[pt]
		if !ok {
			// RFC 3551 §6: static payload types need no a=rtpmap.
			if f, ok = staticFormat(pt); !ok {
				continue
			}
		}
		f.Fmtp = fmtps[pt]
		st.formats = append(st.formats, f)
	}
	return st
}

// parseRTCPAttr reads a=rtcp:<port> [IN IP4|IP6 <addr>] (RFC 3605 §2.1).
func parseRTCPAttr(v string, rtpAddr netip.Addr) netip.AddrPort {
	f := splitFields(v)
	if len(f) == 0 {
		return netip.AddrPort{}
	}
	port, err := strconv.Atoi(f[0])
	if err != nil || port <= 0 || port > 65535 {
		return netip.AddrPort{}
	}
	addr := rtpAddr
	if len(f) >= 4 {
		if a, err := netip.ParseAddr(f[3]); err == nil {
			addr = a.Unmap()
		}
	}
	return netip.AddrPortFrom(addr, uint16(port))
}

// heldAddr reports the RFC 2543 hold convention c=0.0.0.0 (RFC 3264 §8.4),
// and its IPv6 twin "::".
func heldAddr(a netip.Addr) bool { return a.IsUnspecified() }

// rtpProfileOK reports the transport profiles we can answer: plain RTP/AVP
// (RFC 3551) and RTP/AVPF (RFC 4585), which an endpoint that sends no
// feedback may use as it does AVP. Anything secure (SAVP, SAVPF,
// UDP/TLS/RTP/SAVPF) needs SRTP/DTLS, which teaphone lacks.
func rtpProfileOK(proto string) bool {
	return proto == "RTP/AVP" || proto == "RTP/AVPF"
}
