//go:build !cgo || noopus

package codec

import "fmt"

// OpusOptions configure the Opus encoder (unused in this build).
type OpusOptions struct {
	Bitrate, Complexity, PacketLossPercent int
	FEC, DTX                               bool
}

// DefaultOpusOptions mirrors the cgo build's defaults.
func DefaultOpusOptions() OpusOptions {
	return OpusOptions{Bitrate: 32000, Complexity: 5, FEC: true, PacketLossPercent: 10}
}

// NewOpus fails: this binary was built without cgo or with -tags noopus.
func NewOpus(OpusOptions) (Codec, error) {
	return nil, fmt.Errorf("opus: built without libopus (cgo off or -tags noopus): %w", ErrUnavailable)
}

// OpusAvailable reports whether this build includes Opus.
const OpusAvailable = false
