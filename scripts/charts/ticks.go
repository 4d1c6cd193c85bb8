package charts

import (
	"math"
	"strconv"
)

// niceMantissas are the step multipliers people read easily: 1, 2 or 5 × 10^k.
var niceMantissas = []float64{1, 2, 5}

// NiceTicks returns evenly spaced tick values that cover [lo, hi]: the
// first tick is <= lo, the last is >= hi, and the step is 1, 2 or 5 × 10^k,
// the smallest such step that needs at most n intervals for the range (the
// ends are rounded outwards, which can add one interval).
//
// lo and hi may come in either order. When they are equal the range is
// widened around the value (to [0, 1] for zero) so there is still an axis.
// Non-finite bounds, or a range wider than float64 holds, give nil;
// n < 1 counts as 1.
func NiceTicks(lo, hi float64, n int) []float64 {
	if !isFinite(lo) || !isFinite(hi) {
		return nil
	}
	n = max(n, 1)
	if lo > hi {
		lo, hi = hi, lo
	}
	lo, hi = widenDegenerate(lo, hi)
	span := hi - lo
	if !isFinite(span) {
		return nil // the range overflows float64; there is no sensible step
	}
	step, exp := niceStepAtLeast(span / float64(n))
	if step <= 0 || !isFinite(step) {
		return nil
	}
	first, last := coveringMultiples(lo, hi, step, exp)
	ticks := make([]float64, 0, int(last-first)+1)
	for i := first; i <= last; i++ {
		ticks = append(ticks, roundToStep(i*step, exp))
	}
	return ticks
}

// widenDegenerate gives a zero-width (or float-noise-width) range some room,
// because an axis needs two distinct ends.
func widenDegenerate(lo, hi float64) (float64, float64) {
	mid := lo/2 + hi/2
	if hi-lo > math.Abs(mid)*1e-12 {
		return lo, hi
	}
	if mid == 0 {
		return 0, 1
	}
	pad := math.Abs(mid) * 0.1
	return mid - pad, mid + pad
}

// niceStepAtLeast returns the smallest 1, 2 or 5 × 10^exp that is >= raw,
// together with exp.
func niceStepAtLeast(raw float64) (step float64, exp int) {
	if raw <= 0 || !isFinite(raw) {
		return 1, 0
	}
	exp = int(math.Floor(math.Log10(raw)))
	for {
		for _, m := range niceMantissas {
			step = m * math.Pow10(exp)
			// The tolerance keeps 0.2 from becoming 0.5 when raw is 0.2 plus
			// floating-point noise.
			if step >= raw*(1-1e-9) {
				return step, exp
			}
		}
		exp++
	}
}

// nextNiceStep returns the nice step after step: 1→2→5→10 × 10^exp.
func nextNiceStep(step float64, exp int) (float64, int) {
	base := math.Pow10(exp)
	switch {
	case step < 1.5*base:
		return 2 * base, exp
	case step < 3.5*base:
		return 5 * base, exp
	default:
		return math.Pow10(exp + 1), exp + 1
	}
}

// coveringMultiples returns the multiples first*step <= lo and
// last*step >= hi, checked against the rounded values that will be emitted
// so floating-point noise cannot leave lo or hi uncovered.
func coveringMultiples(lo, hi, step float64, exp int) (first, last float64) {
	first = math.Floor(lo / step)
	if roundToStep(first*step, exp) > lo {
		first--
	}
	last = math.Ceil(hi / step)
	if roundToStep(last*step, exp) < hi {
		last++
	}
	return first, last
}

// roundToStep snaps x to the decimal precision of a step of 10^exp, so
// 3 × 0.1 becomes 0.3 rather than 0.30000000000000004.
func roundToStep(x float64, exp int) float64 {
	decimals := max(0, -exp)
	rounded, err := strconv.ParseFloat(strconv.FormatFloat(x, 'f', decimals, 64), 64)
	if err != nil {
		return x // cannot happen for a formatted finite float
	}
	if rounded == 0 {
		return 0 // never -0, which would print as "-0"
	}
	return rounded
}
