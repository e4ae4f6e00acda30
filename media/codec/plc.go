package codec

// Concealer is a generic packet-loss concealer for codecs without a native
// one (G.711, G.722), in the spirit of ITU-T G.711 Appendix I: on a loss it
// finds the pitch period of the recent signal by normalised
// autocorrelation, repeats the last period (its wrap point smoothed by an
// overlap-add), keeps full level for the first 10 ms, fades linearly to
// silence at 60 ms, and when good audio returns cross-fades from the
// synthetic signal into it over a few milliseconds.
//
// Unlike Appendix I it adds no algorithmic delay: the first splice is not
// overlap-added with already played audio. Decoders feed every decoded
// frame to Good and call Conceal for each lost one.
type Concealer struct {
	rate     int
	hist     []int16 // last histLen samples played (good or concealed)
	histLen  int
	minP     int // shortest pitch period searched (400 Hz)
	maxP     int // longest (66 Hz)
	win      int // correlation window
	full     int // samples at full level at the start of a loss (10 ms)
	fadeEnd  int // samples after which output is silent (60 ms)
	mergeLen int // cross-fade into the first good frame (4 ms)

	lost  int     // samples concealed in the current loss, 0 when none
	cycle []int16 // one pitch period, made circular
	phase int     // next index into cycle
}

// NewConcealer returns a concealer for PCM at rate Hz.
func NewConcealer(rate int) *Concealer {
	ms := func(m int) int { return rate * m / 1000 }
	c := &Concealer{
		rate:     rate,
		minP:     rate / 400,
		maxP:     rate / 66,
		win:      ms(20),
		full:     ms(10),
		fadeEnd:  ms(60),
		mergeLen: ms(4),
	}
	c.histLen = c.win + c.maxP + c.maxP/4 + 1
	c.hist = make([]int16, 0, 2*c.histLen)
	return c
}

// Good records a correctly decoded frame. If it follows concealed audio,
// the start of pcm is cross-faded (in place) from the synthetic signal.
func (c *Concealer) Good(pcm []int16) {
	if c.lost > 0 {
		n := min(c.mergeLen, len(pcm))
		for i := range n {
			w := float32(i+1) / float32(n+1)
			syn := float32(c.next())
			pcm[i] = int16(w*float32(pcm[i]) + (1-w)*syn)
		}
		c.lost = 0
	}
	c.remember(pcm)
}

// Lost reports whether the last call was a concealment.
func (c *Concealer) Lost() bool { return c.lost > 0 }

func (c *Concealer) remember(x []int16) {
	if len(x) >= c.histLen {
		c.hist = append(c.hist[:0], x[len(x)-c.histLen:]...)
		return
	}
	if len(c.hist)+len(x) > cap(c.hist) {
		keep := c.histLen - len(x)
		c.hist = c.hist[:copy(c.hist, c.hist[len(c.hist)-keep:])]
	}
	c.hist = append(c.hist, x...)
}

// Conceal appends n samples standing in for lost audio to dst.
func (c *Concealer) Conceal(dst []int16, n int) []int16 {
	if c.lost == 0 {
		c.startLoss()
	}
	start := len(dst)
	for range n {
		dst = append(dst, c.next())
	}
	c.remember(dst[start:])
	return dst
}

// next returns the next synthetic sample and advances the loss clock.
func (c *Concealer) next() int16 {
	k := c.lost
	c.lost++
	if len(c.cycle) == 0 || k >= c.fadeEnd {
		return 0
	}
	v := float32(c.cycle[c.phase])
	c.phase++
	if c.phase == len(c.cycle) {
		c.phase = 0
	}
	if k > c.full {
		v *= float32(c.fadeEnd-k) / float32(c.fadeEnd-c.full)
	}
	return int16(v)
}

// startLoss picks the pitch period and builds the repeated cycle.
func (c *Concealer) startLoss() {
	c.cycle, c.phase = c.cycle[:0], 0
	h := c.hist
	if len(h) < c.histLen {
		return // too little history (loss at stream start): silence
	}
	var energy int64
	for _, v := range h[len(h)-c.win:] {
		energy += int64(v) * int64(v)
	}
	if energy == 0 {
		return
	}
	p := c.pitch()
	// The cycle is the last period; its tail is blended towards the
	// samples that precede its head in the history, so the wrap from
	// cycle[p-1] to cycle[0] is as smooth as the original signal.
	end := len(h)
	c.cycle = append(c.cycle, h[end-p:]...)
	ola := p / 4
	for i := range ola {
		w := float32(i+1) / float32(ola+1)
		j := p - ola + i
		c.cycle[j] = int16((1-w)*float32(c.cycle[j]) + w*float32(h[end-p-ola+i]))
	}
}

// pitch returns the lag in [minP, maxP] maximising the normalised
// correlation between the last win samples and the win samples lag before.
func (c *Concealer) pitch() int {
	h := c.hist
	end := len(h)
	ref := h[end-c.win:]
	best, bestP := -2.0, c.maxP
	for p := c.minP; p <= c.maxP; p++ {
		cand := h[end-c.win-p : end-p]
		var dot, e int64
		for i, v := range ref {
			dot += int64(v) * int64(cand[i])
			e += int64(cand[i]) * int64(cand[i])
		}
		if e == 0 || dot <= 0 {
			continue
		}
		// Compare dot/sqrt(e) without the square root: dot²/e.
		score := float64(dot) * float64(dot) / float64(e)
		if score > best {
			best, bestP = score, p
		}
	}
	return bestP
}
