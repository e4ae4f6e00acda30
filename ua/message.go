package ua

import (
	"context"
	"strings"
	"time"

	"github.com/teaphone/teaphone/sipcore/sip"
	"github.com/teaphone/teaphone/sipcore/transaction"
)

// SendMessage sends an instant message (RFC 3428) from account to `to` and
// returns its ID at once; delivery is reported by a MessageStatusEvent.
func (a *Agent) SendMessage(ctx context.Context, account, to, body string) (string, error) {
	var id string
	err := a.do(ctx, func() error {
		acc, err := a.account(account)
		if err != nil {
			return err
		}
		u, err := acc.targetURI(to)
		if err != nil {
			return err
		}
		id = a.newID("m")
		req := acc.newRequest("MESSAGE", sip.Address{URI: u})
		req.SetContent("text/plain;charset=UTF-8", []byte(body))
		a.emit(MessageStatusEvent{ID: id, To: u.String(), State: MessageSending})
		a.hold()
		o := &outReq{acc: acc, req: req, dest: nextHop(req, acc.cfg.Transport)}
		o.h = func(resp *sip.Response, err error) {
			if resp != nil && resp.IsProvisional() {
				return
			}
			a.release()
			ev := MessageStatusEvent{ID: id, To: u.String()}
			switch {
			case err != nil:
				ev.State = MessageFailed
				ev.Code, ev.Reason, ev.Kind = classify(err)
			case resp.IsSuccess():
				ev.State, ev.Code, ev.Reason = MessageDelivered, resp.StatusCode, resp.Reason
			default:
				ev.State, ev.Code, ev.Reason, ev.Kind = MessageFailed, resp.StatusCode, resp.Reason, failKind(resp.StatusCode)
			}
			a.emit(ev)
		}
		a.start(o)
		return nil
	})
	return id, err
}

// incomingMessage accepts text/plain (RFC 3428 §7: 200, or 415 with
// Accept for types we cannot show).
func (a *Agent) incomingMessage(acc *account, s *transaction.Server) {
	req := s.Request()
	typ := bodyType(req)
	if typ == "" && len(req.Body()) > 0 {
		typ = "text/plain"
	}
	if typ != "text/plain" {
		a.reply(s, 415, "", "Accept", "text/plain")
		return
	}
	from, _ := req.From()
	ct := req.Header("Content-Type")
	a.reply(s, 200, "")
	a.emit(MessageEvent{
		ID:          a.newID("r"),
		Account:     acc.cfg.Name,
		From:        from.URI.String(),
		FromName:    from.DisplayName,
		To:          req.URI.String(),
		ContentType: strings.TrimSpace(ct),
		Body:        string(req.Body()),
		At:          time.Now(),
	})
}
