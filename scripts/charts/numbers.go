package charts

import (
	"math"
	"strconv"
	"strings"
)

func isFinite(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0)
}

// finiteValues drops NaN and ±Inf, which have no place on an axis.
func finiteValues(values []float64) []float64 {
	finite := make([]float64, 0, len(values))
	for _, v := range values {
		if isFinite(v) {
			finite = append(finite, v)
		}
	}
	return finite
}

// minMax returns the extremes of a non-empty slice.
func minMax(values []float64) (lo, hi float64) {
	lo, hi = values[0], values[0]
	for _, v := range values[1:] {
		lo = math.Min(lo, v)
		hi = math.Max(hi, v)
	}
	return lo, hi
}

// formatCoord writes pixel coordinates with two decimals at most: enough for
// crisp rendering, short enough to keep files small.
func formatCoord(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// formatTick labels a tick so that all ticks of one axis show the same
// number of decimals, as many as their spacing needs.
func formatTick(v, step float64) string {
	if v == 0 {
		v = 0 // turns -0 into 0
	}
	if step <= 0 || !isFinite(step) {
		return formatValue(v)
	}
	decimals := max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
	if decimals > 12 || math.Abs(v) >= 1e15 {
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

// formatValue writes a single value (a marker position) compactly.
func formatValue(v float64) string {
	if v == 0 {
		return "0"
	}
	if math.Abs(v) >= 1000 && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// truncate shortens s to at most n runes, marking the cut with an ellipsis,
// so a long series name cannot run off the legend.
func truncate(s string, n int) string {
	runes := []rune(s)
	if len(runes) <= n {
		return s
	}
	return string(runes[:n-1]) + "…"
}
