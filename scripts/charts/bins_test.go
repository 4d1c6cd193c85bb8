package charts_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/scripts/charts"
)

func TestBins_KnownValues(t *testing.T) {
	values := []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}

	bins := charts.Bins(values, 5)

	assert.Equal(t, []charts.Bin{
		{Lo: 0, Hi: 2, Count: 2},
		{Lo: 2, Hi: 4, Count: 2},
		{Lo: 4, Hi: 6, Count: 2},
		{Lo: 6, Hi: 8, Count: 2},
		{Lo: 8, Hi: 10, Count: 3}, // 10 == max belongs to the last bin
	}, bins)
}

func TestBins_MaxLandsInLastBin(t *testing.T) {
	bins := charts.Bins([]float64{0, 5, 10, 10}, 2)

	assert.Equal(t, []charts.Bin{{Lo: 0, Hi: 5, Count: 1}, {Lo: 5, Hi: 10, Count: 3}}, bins)
}

func TestBins_DecimalEdgesAreExact(t *testing.T) {
	// 0.1 steps would accumulate to 0.30000000000000004 without rounding,
	// and 0.3 would land in the wrong bin.
	bins := charts.Bins([]float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}, 10)

	require.Len(t, bins, 10)
	for i, b := range bins {
		assert.Equal(t, float64(i)/10, b.Lo)
		want := 1
		if i == len(bins)-1 {
			want = 2
		}
		assert.Equalf(t, want, b.Count, "bin %d [%v, %v)", i, b.Lo, b.Hi)
	}
}

func TestBins_EachValueInItsBin(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	datasets := map[string][]float64{
		"latency-like": latencyLike(rng, 500),
		"negative":     {-3.7, -2, -0.01, -12, -12, -5.5},
		"straddle 0":   {-1, 1},
		"tiny range":   {1.0000001, 1.0000002, 1.0000005},
		"huge":         {3e12, 4.1e12, 9.99e12},
		"decimals":     {0.1, 0.2, 0.3, 0.7, 0.15, 0.25},
	}
	for name, values := range datasets {
		for _, n := range []int{1, 2, 3, 7, 20, 50} {
			bins := charts.Bins(values, n)
			requireBinsHold(t, values, bins, n, name)
		}
	}
}

func TestBins_DegenerateInput(t *testing.T) {
	t.Run("no values", func(t *testing.T) {
		assert.Nil(t, charts.Bins(nil, 10))
	})
	t.Run("only non-finite values", func(t *testing.T) {
		assert.Nil(t, charts.Bins([]float64{math.NaN(), math.Inf(1), math.Inf(-1)}, 10))
	})
	t.Run("non-finite values are ignored", func(t *testing.T) {
		values := []float64{1, math.NaN(), 2, math.Inf(1), 3, math.Inf(-1)}
		bins := charts.Bins(values, 4)
		requireBinsHold(t, []float64{1, 2, 3}, bins, 4, "mixed")
	})
	t.Run("one value", func(t *testing.T) {
		bins := charts.Bins([]float64{7}, 10)
		requireBinsHold(t, []float64{7}, bins, 10, "one value")
	})
	t.Run("all values equal", func(t *testing.T) {
		values := []float64{250, 250, 250}
		bins := charts.Bins(values, 20)
		requireBinsHold(t, values, bins, 20, "equal")
	})
	t.Run("all zero", func(t *testing.T) {
		values := []float64{0, 0}
		bins := charts.Bins(values, 20)
		requireBinsHold(t, values, bins, 20, "zero")
	})
	t.Run("n below one counts as one", func(t *testing.T) {
		bins := charts.Bins([]float64{1, 5, 9}, 0)
		require.Len(t, bins, 1)
		assert.Equal(t, 3, bins[0].Count)
	})
	t.Run("range wider than float64", func(t *testing.T) {
		values := []float64{-math.MaxFloat64, 0, math.MaxFloat64}
		bins := charts.Bins(values, 4)
		requireBinsHold(t, values, bins, 4, "extreme")
	})
}

// requireBinsHold checks the Bins contract for the finite values.
func requireBinsHold(t *testing.T, values []float64, bins []charts.Bin, n int, name string) {
	t.Helper()
	require.NotEmptyf(t, bins, "%s/%d", name, n)
	require.LessOrEqualf(t, len(bins), max(n, 1), "%s/%d: too many bins", name, n)

	total := 0
	for i, b := range bins {
		require.Lessf(t, b.Lo, b.Hi, "%s/%d: bin %d is empty", name, n, i)
		if i > 0 {
			require.Equalf(t, bins[i-1].Hi, b.Lo, "%s/%d: bins %d and %d are not contiguous", name, n, i-1, i)
		}
		total += b.Count
	}
	require.Equalf(t, len(values), total, "%s/%d: counts do not add up", name, n)

	// Recount independently: v belongs to [Lo, Hi), or [Lo, Hi] for the
	// last bin.
	for i, b := range bins {
		want := 0
		for _, v := range values {
			last := i == len(bins)-1
			if v >= b.Lo && (v < b.Hi || last && v == b.Hi) {
				want++
			}
		}
		require.Equalf(t, want, b.Count, "%s/%d: bin %d [%v, %v]", name, n, i, b.Lo, b.Hi)
	}
}

// latencyLike returns a right-skewed, millisecond-ish sample.
func latencyLike(rng *rand.Rand, n int) []float64 {
	values := make([]float64, n)
	for i := range values {
		values[i] = math.Round((20+rng.ExpFloat64()*35)*100) / 100
	}
	return values
}
