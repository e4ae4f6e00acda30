package rtpsession

import (
	"strings"
	"time"
)

// Impairment holds a codec's E-model parameters (ITU-T G.113 Appendix I
// and estimates where G.113 gives none).
type Impairment struct {
	Ie        float64       // equipment impairment factor
	Bpl       float64       // packet-loss robustness factor
	Lookahead time.Duration // algorithmic delay beyond the packet time
}

// CodecImpairment returns the E-model parameters for an SDP encoding name:
//
//	codec        Ie   Bpl   look-ahead  source
//	PCMU, PCMA    0   25.1  0           G.113 App. I, G.711 with PLC (G.711 App. I)
//	G722          0   25.1  1.5 ms      narrowband scale: G.722 is at least as good
//	                                    as G.711; Bpl assumed equal (G.107.1 would be
//	                                    needed to credit wideband)
//	opus          6   20    6.5 ms      estimate for 16–32 kbit/s with PLC
//	other        10   10    5 ms        conservative default
func CodecImpairment(name string) Impairment {
	switch strings.ToUpper(name) {
	case "PCMU", "PCMA":
		return Impairment{Ie: 0, Bpl: 25.1}
	case "G722":
		return Impairment{Ie: 0, Bpl: 25.1, Lookahead: 1500 * time.Microsecond}
	case "OPUS":
		return Impairment{Ie: 6, Bpl: 20, Lookahead: 6500 * time.Microsecond}
	}
	return Impairment{Ie: 10, Bpl: 10, Lookahead: 5 * time.Millisecond}
}

// RFactor computes the G.107 transmission rating for loss (fraction of
// frames lost, 0..1) and one-way delay, with all other parameters at their
// G.107 defaults (R0 − Is = 93.2).
func RFactor(imp Impairment, loss float64, oneWay time.Duration) float64 {
	d := float64(oneWay) / float64(time.Millisecond)
	id := 0.024 * d
	if d > 177.3 {
		id += 0.11 * (d - 177.3)
	}
	ppl := 100 * loss
	if ppl < 0 {
		ppl = 0
	}
	// G.107 §7.4 (BurstR = 1, random loss).
	ieEff := imp.Ie + (95-imp.Ie)*ppl/(ppl+imp.Bpl)
	return 93.2 - id - ieEff
}

// MOS maps an R factor to a mean opinion score (G.107 Annex B).
func MOS(r float64) float64 {
	switch {
	case r <= 0:
		return 1
	case r >= 100:
		return 4.5
	}
	return 1 + 0.035*r + r*(r-60)*(100-r)*7e-6
}
