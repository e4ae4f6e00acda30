package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
)

// BaresipEvent is an asynchronous event from baresip's ctrl_tcp module,
// e.g. Type "CALL_ESTABLISHED" with Class "call".
type BaresipEvent struct {
	Class      string `json:"class"`
	Type       string `json:"type"`
	AccountAOR string `json:"accountaor"`
	Direction  string `json:"direction"`
	PeerURI    string `json:"peeruri"`
	ID         string `json:"id"`
	Param      string `json:"param"`
	Raw        json.RawMessage
}

// BaresipResponse answers one ctrl_tcp command. OK is true even when the
// command printed an error into Data (e.g. "current contact not set").
type BaresipResponse struct {
	OK    bool   `json:"ok"`
	Data  string `json:"data"`
	Token string `json:"token"`
}

// Common event types.
const (
	EventRegisterOK      = "REGISTER_OK"
	EventRegisterFail    = "REGISTER_FAIL"
	EventCallIncoming    = "CALL_INCOMING"
	EventCallRinging     = "CALL_RINGING"
	EventCallProgress    = "CALL_PROGRESS"
	EventCallEstablished = "CALL_ESTABLISHED"
	EventCallRTPEstab    = "CALL_RTPESTAB"
	EventCallClosed      = "CALL_CLOSED"
)

// ErrCtrlClosed is returned once the ctrl_tcp connection has closed.
var ErrCtrlClosed = errors.New("interop: baresip control connection closed")

// BaresipCtrl is a client for baresip's ctrl_tcp module: JSON objects framed
// as netstrings ("LEN:JSON,") in both directions. One reader goroutine owned
// by the client runs until Close.
type BaresipCtrl struct {
	conn net.Conn
	done chan struct{} // closed when the reader exits

	wmu sync.Mutex // serialises writes
	mu  sync.Mutex
	tok int
	// pending maps a token to the channel awaiting its response.
	pending  map[string]chan BaresipResponse
	events   []BaresipEvent
	consumed []bool
	changed  chan struct{} // closed and replaced when an event arrives
	err      error
}

// DialBaresipCtrl connects to a ctrl_tcp listener.
func DialBaresipCtrl(ctx context.Context, addr string) (*BaresipCtrl, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("interop: ctrl_tcp dial: %w", err)
	}
	c := &BaresipCtrl{
		conn:    conn,
		done:    make(chan struct{}),
		pending: map[string]chan BaresipResponse{},
		changed: make(chan struct{}),
	}
	go c.read()
	return c, nil
}

// Close closes the connection and waits for the reader goroutine.
func (c *BaresipCtrl) Close() error {
	err := c.conn.Close()
	<-c.done
	return err
}

func (c *BaresipCtrl) read() {
	defer close(c.done)
	br := bufio.NewReader(c.conn)
	var err error
	for {
		var msg []byte
		msg, err = readNetstring(br)
		if err != nil {
			break
		}
		var head struct {
			Response bool `json:"response"`
			Event    bool `json:"event"`
		}
		if json.Unmarshal(msg, &head) != nil {
			continue
		}
		switch {
		case head.Response:
			var r BaresipResponse
			if json.Unmarshal(msg, &r) != nil {
				continue
			}
			c.mu.Lock()
			if ch, ok := c.pending[r.Token]; ok {
				delete(c.pending, r.Token)
				ch <- r // buffered
			}
			c.mu.Unlock()
		case head.Event:
			var e BaresipEvent
			if json.Unmarshal(msg, &e) != nil {
				continue
			}
			e.Raw = msg
			c.mu.Lock()
			c.events = append(c.events, e)
			c.consumed = append(c.consumed, false)
			close(c.changed)
			c.changed = make(chan struct{})
			c.mu.Unlock()
		}
	}
	c.mu.Lock()
	c.err = fmt.Errorf("%w: %w", ErrCtrlClosed, err)
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// readNetstring reads one "LEN:DATA," frame.
func readNetstring(br *bufio.Reader) ([]byte, error) {
	lenStr, err := br.ReadString(':')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(lenStr[:len(lenStr)-1])
	if err != nil || n < 0 || n > 1<<24 {
		return nil, fmt.Errorf("interop: bad netstring length %q", lenStr)
	}
	buf := make([]byte, n+1)
	if _, err := io.ReadFull(br, buf); err != nil {
		return nil, err
	}
	if buf[n] != ',' {
		return nil, errors.New("interop: netstring without trailing comma")
	}
	return buf[:n], nil
}

// Command sends a long command (without the slash: "dial", "hangup",
// "accept", "message", "answermode", "reginfo", "listcalls", "contacts",
// "quit", ...) and waits for its response.
func (c *BaresipCtrl) Command(ctx context.Context, command, params string) (BaresipResponse, error) {
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return BaresipResponse{}, err
	}
	c.tok++
	token := "t" + strconv.Itoa(c.tok)
	ch := make(chan BaresipResponse, 1)
	c.pending[token] = ch
	c.mu.Unlock()

	body, err := json.Marshal(map[string]string{"command": command, "params": params, "token": token})
	if err != nil {
		return BaresipResponse{}, fmt.Errorf("interop: ctrl_tcp encode: %w", err)
	}
	frame := append([]byte(strconv.Itoa(len(body))+":"), body...)
	frame = append(frame, ',')
	c.wmu.Lock()
	_, err = c.conn.Write(frame)
	c.wmu.Unlock()
	if err != nil {
		return BaresipResponse{}, fmt.Errorf("interop: ctrl_tcp write: %w", err)
	}
	select {
	case r := <-ch:
		return r, nil
	case <-c.done:
		return BaresipResponse{}, ErrCtrlClosed
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, token)
		c.mu.Unlock()
		return BaresipResponse{}, fmt.Errorf("interop: ctrl_tcp %s: %w", command, ctx.Err())
	}
}

// WaitEvent returns the oldest event of type typ not yet returned by a
// WaitEvent/WaitEventFunc call, waiting for one until ctx ends. Events that
// arrived before the call count.
func (c *BaresipCtrl) WaitEvent(ctx context.Context, typ string) (BaresipEvent, error) {
	return c.WaitEventFunc(ctx, func(e BaresipEvent) bool { return e.Type == typ })
}

// WaitEventFunc is WaitEvent with a predicate.
func (c *BaresipCtrl) WaitEventFunc(ctx context.Context, match func(BaresipEvent) bool) (BaresipEvent, error) {
	for {
		c.mu.Lock()
		for i, e := range c.events {
			if !c.consumed[i] && match(e) {
				c.consumed[i] = true
				c.mu.Unlock()
				return e, nil
			}
		}
		ch, err := c.changed, c.err
		c.mu.Unlock()
		if err != nil {
			return BaresipEvent{}, err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return BaresipEvent{}, fmt.Errorf("interop: waiting for baresip event: %w", ctx.Err())
		}
	}
}

// Events returns a copy of every event received so far.
func (c *BaresipCtrl) Events() []BaresipEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]BaresipEvent(nil), c.events...)
}
