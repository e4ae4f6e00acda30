package sdp

import "strings"

// Direction is the media direction attribute of RFC 4566 §6 (a=sendrecv,
// a=sendonly, a=recvonly, a=inactive), always from the point of view of the
// side that wrote it. In a Media value it is from teaphone's point of view.
// The zero value is unknown.
type Direction int

// Directions, RFC 4566 §6 and RFC 3264 §5.1.
const (
	SendRecv Direction = iota + 1
	SendOnly
	RecvOnly
	Inactive
)

// String returns the attribute name ("sendrecv", ...), or "" when unknown.
func (d Direction) String() string {
	switch d {
	case SendRecv:
		return "sendrecv"
	case SendOnly:
		return "sendonly"
	case RecvOnly:
		return "recvonly"
	case Inactive:
		return "inactive"
	}
	return ""
}

// ParseDirection maps an attribute name (any case) to a Direction.
func ParseDirection(s string) (Direction, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "sendrecv":
		return SendRecv, true
	case "sendonly":
		return SendOnly, true
	case "recvonly":
		return RecvOnly, true
	case "inactive":
		return Inactive, true
	}
	return 0, false
}

func makeDirection(send, recv bool) Direction {
	switch {
	case send && recv:
		return SendRecv
	case send:
		return SendOnly
	case recv:
		return RecvOnly
	}
	return Inactive
}

// Sends reports whether the side holding this direction sends media.
// An unknown direction is read as sendrecv (RFC 4566 §6 default).
func (d Direction) Sends() bool { return d == SendRecv || d == SendOnly || d == 0 }

// Receives reports whether the side holding this direction receives media.
func (d Direction) Receives() bool { return d == SendRecv || d == RecvOnly || d == 0 }

// Reverse is the direction seen from the other side: sendonly becomes
// recvonly and vice versa (RFC 3264 §6.1).
func (d Direction) Reverse() Direction { return makeDirection(d.Receives(), d.Sends()) }

// And combines two wishes of the same side: it sends only if both send and
// receives only if both receive. RFC 3264 §6.1 answer rules and our own hold
// state are both expressed through it.
func (d Direction) And(e Direction) Direction {
	return makeDirection(d.Sends() && e.Sends(), d.Receives() && e.Receives())
}
