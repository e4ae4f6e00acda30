package sip

import (
	"crypto/rand"
	"encoding/hex"
)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// NewTag returns a random From/To tag with 64 bits of randomness (§19.3).
func NewTag() string { return randomHex(8) }

// NewBranch returns a random RFC 3261 branch: the magic cookie followed by
// 96 random bits (§8.1.1.7).
func NewBranch() string { return BranchMagicCookie + randomHex(12) }

// NewCallID returns a random Call-ID (§8.1.1.4); host, when not empty, is
// appended after "@".
func NewCallID(host string) string {
	id := randomHex(16)
	if host != "" {
		id += "@" + host
	}
	return id
}
