package charts

// linearScale maps data values in [d0, d1] to pixels in [r0, r1].
type linearScale struct {
	d0, d1, r0, r1 float64
}

func (s linearScale) at(v float64) float64 {
	// Halving first keeps the arithmetic finite even for a domain that
	// spans most of float64.
	span := s.d1/2 - s.d0/2
	if span == 0 {
		return (s.r0 + s.r1) / 2
	}
	return s.r0 + (v/2-s.d0/2)/span*(s.r1-s.r0)
}

// axis is a scale whose domain ends on nice ticks.
type axis struct {
	ticks []float64
	step  float64 // tick spacing, 0 if the ticks are not evenly spaced
	scale linearScale
}

// newAxis covers [lo, hi] with at most about maxIntervals nice tick
// intervals and maps the ticks' range to pixels [r0, r1].
func newAxis(lo, hi float64, maxIntervals int, r0, r1 float64) axis {
	ticks := NiceTicks(lo, hi, maxIntervals)
	if len(ticks) < 2 {
		// Only a range wider than float64 holds ends up here: label its ends.
		return axis{ticks: []float64{lo, hi}, scale: linearScale{d0: lo, d1: hi, r0: r0, r1: r1}}
	}
	first, last := ticks[0], ticks[len(ticks)-1]
	return axis{
		ticks: ticks,
		step:  ticks[1] - ticks[0],
		scale: linearScale{d0: first, d1: last, r0: r0, r1: r1},
	}
}
