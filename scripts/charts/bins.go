package charts

import (
	"math"
	"sort"
)

// maxStepTries bounds the search for a nice bin width that fits in n bins;
// each try at least doubles the width, so a handful always suffices unless
// n == 1 and the values straddle a round number.
const maxStepTries = 8

// Bin is one histogram bucket holding the values v with Lo <= v < Hi; the
// last bin also holds v == Hi, so the maximum is always counted.
type Bin struct {
	Lo, Hi float64
	Count  int
}

// Bins sorts values into at most n equal-width bins that together cover
// [min, max] of the values. Bin edges are multiples of a 1, 2 or 5 × 10^k
// width whenever that fits in n bins (readable edges on the axis); otherwise
// [min, max] is split exactly. Equal values are given a small range around
// them so they still land in a bin with a width.
//
// NaN and ±Inf are ignored, so the counts add up to the number of finite
// values. No finite values gives nil; n < 1 counts as 1.
func Bins(values []float64, n int) []Bin {
	finite := finiteValues(values)
	if len(finite) == 0 {
		return nil
	}
	edges := binEdges(finite, max(n, 1))
	bins := make([]Bin, len(edges)-1)
	for i := range bins {
		bins[i] = Bin{Lo: edges[i], Hi: edges[i+1]}
	}
	for _, v := range finite {
		bins[binIndex(edges, v)].Count++
	}
	return bins
}

// binEdges returns the ascending edges (bins+1 of them) for non-empty,
// finite values.
func binEdges(finite []float64, n int) []float64 {
	lo, hi := minMax(finite)
	lo, hi = widenDegenerate(lo, hi)
	if edges := niceBinEdges(lo, hi, n); edges != nil {
		return edges
	}
	return exactBinEdges(lo, hi, n)
}

// niceBinEdges returns edges at multiples of the smallest nice width that
// covers [lo, hi] in at most n bins, or nil if there is none.
func niceBinEdges(lo, hi float64, n int) []float64 {
	span := hi - lo
	if !isFinite(span) {
		return nil
	}
	step, exp := niceStepAtLeast(span / float64(n))
	for range maxStepTries {
		first, last := coveringMultiples(lo, hi, step, exp)
		edges := make([]float64, 0, int(last-first)+1)
		for i := first; i <= last; i++ {
			edges = append(edges, roundToStep(i*step, exp))
		}
		edges = trimEmptyEnds(edges, lo, hi)
		if len(edges)-1 <= n {
			return edges
		}
		step, exp = nextNiceStep(step, exp)
	}
	return nil
}

// trimEmptyEnds drops an outer bin that no value in [lo, hi] can fall in,
// which rounding the ends outwards can produce.
func trimEmptyEnds(edges []float64, lo, hi float64) []float64 {
	for len(edges) > 2 && edges[1] <= lo {
		edges = edges[1:]
	}
	for len(edges) > 2 && edges[len(edges)-2] >= hi {
		edges = edges[:len(edges)-1]
	}
	return edges
}

// exactBinEdges splits [lo, hi] into n equal parts. Interpolating rather
// than adding a width keeps it free of overflow for extreme values.
func exactBinEdges(lo, hi float64, n int) []float64 {
	edges := make([]float64, n+1)
	for i := range edges {
		t := float64(i) / float64(n)
		edges[i] = lo*(1-t) + hi*t
	}
	edges[0], edges[n] = lo, hi
	for i := 1; i <= n; i++ {
		edges[i] = math.Max(edges[i], edges[i-1]) // keep them sorted despite rounding
	}
	return edges
}

// binIndex returns the bin of edges that holds v: the first bin whose upper
// edge is above v, or the last bin for v == the last edge.
func binIndex(edges []float64, v float64) int {
	bins := len(edges) - 1
	i := sort.Search(bins, func(i int) bool { return v < edges[i+1] })
	return min(i, bins-1)
}
