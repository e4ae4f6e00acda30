package ua

import (
	"slices"

	"github.com/teaphone/teaphone/sipcore/sip"
)

// subDialog is the RFC 3261 §12 dialog state of a presence subscription
// (RFC 6665): IDs, CSeqs, remote target and route set. Calls use
// sipcore/dialog; subscriptions keep this until the dialog layer can
// create a dialog from a NOTIFY that overtakes the SUBSCRIBE's 2xx
// (RFC 6665 §4.1.2.4).
type subDialog struct {
	callID       string
	local        sip.Address // our URI with our tag
	remote       sip.Address // their URI with their tag
	localSeq     uint32
	remoteSeq    uint32
	remoteTarget sip.URI
	routes       []sip.Address
	contact      sip.Address
	transport    string
}

// uacDialog builds the dialog a response to req creates (§12.1.2): route
// set from Record-Route in reverse, remote target from Contact.
func uacDialog(req *sip.Request, resp *sip.Response, contact sip.Address, tr string) *subDialog {
	to, _ := resp.To()
	from, _ := req.From()
	cs, _ := req.CSeq()
	d := &subDialog{callID: req.CallID(), local: from, remote: to, localSeq: cs.Seq, contact: contact, transport: tr, remoteTarget: req.URI.Clone()}
	d.refresh(resp)
	if rr, err := resp.RecordRoutes(); err == nil {
		slices.Reverse(rr)
		d.routes = rr
	}
	return d
}

// refresh applies a target refresh (§12.2.1.2): the Contact of a 2xx or a
// re-INVITE becomes the remote target.
func (d *subDialog) refresh(m interface{ Contacts() ([]sip.Address, error) }) {
	if cs, err := m.Contacts(); err == nil && len(cs) > 0 && !cs[0].Wildcard {
		d.remoteTarget = cs[0].URI.Clone()
	}
}

// uasDialog builds the dialog we create by answering req (§12.1.1).
func uasDialog(req *sip.Request, localTag string, contact sip.Address, tr string) *subDialog {
	from, _ := req.From()
	to, _ := req.To()
	to = to.WithTag(localTag)
	cs, _ := req.CSeq()
	d := &subDialog{callID: req.CallID(), local: to, remote: from, remoteSeq: cs.Seq, contact: contact, transport: tr, remoteTarget: req.URI.Clone()}
	d.refresh(req)
	if rr, err := req.RecordRoutes(); err == nil {
		d.routes = rr
	}
	return d
}

// matches reports whether an in-dialog request belongs to d (§12.2.2).
func (d *subDialog) matches(req *sip.Request) bool {
	return req.CallID() == d.callID && req.ToTag() == d.local.Tag() && req.FromTag() == d.remote.Tag()
}

// request builds an in-dialog request (§12.2.1.1).
func (d *subDialog) request(method string) *sip.Request {
	req := sip.NewRequest(method, d.remoteTarget.Clone())
	req.SetFrom(d.local)
	req.SetTo(d.remote)
	req.SetCallID(d.callID)
	if method != "ACK" && method != "CANCEL" {
		d.localSeq++
	}
	req.SetCSeq(sip.CSeq{Seq: d.localSeq, Method: method})
	if len(d.routes) > 0 {
		req.SetRoutes(d.routes)
	}
	switch method {
	case "INVITE", "UPDATE", "SUBSCRIBE", "NOTIFY":
		req.SetContacts(d.contact)
	}
	return req
}

// checkSeq applies §12.2.2: a request with a lower CSeq than the last one
// is out of order (500); it records the new value.
func (d *subDialog) checkSeq(req *sip.Request) bool {
	cs, err := req.CSeq()
	if err != nil {
		return false
	}
	if req.Method == "ACK" || req.Method == "CANCEL" {
		return true
	}
	if d.remoteSeq != 0 && cs.Seq <= d.remoteSeq {
		return false
	}
	d.remoteSeq = cs.Seq
	return true
}
