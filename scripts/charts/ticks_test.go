package charts_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/scripts/charts"
)

func TestNiceTicks_KnownRanges(t *testing.T) {
	tests := []struct {
		lo, hi float64
		n      int
		want   []float64
	}{
		{0, 100, 5, []float64{0, 20, 40, 60, 80, 100}},
		{3, 97, 10, []float64{0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100}},
		{0, 1, 5, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{0.1, 0.3, 4, []float64{0.1, 0.15, 0.2, 0.25, 0.3}},
		{-7, 13, 4, []float64{-10, -5, 0, 5, 10, 15}},
		{12.5, 1234, 3, []float64{0, 500, 1000, 1500}},
		{1000, 1000.3, 3, []float64{1000, 1000.1, 1000.2, 1000.3}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v..%v/%d", tt.lo, tt.hi, tt.n), func(t *testing.T) {
			// Exact equality: ticks are rounded to their step's decimals, so
			// labels never show float noise like 0.30000000000000004.
			assert.Equal(t, tt.want, charts.NiceTicks(tt.lo, tt.hi, tt.n))
		})
	}
}

func TestNiceTicks_CoverTheRangeWithNiceSteps(t *testing.T) {
	ranges := [][2]float64{
		{0, 1}, {0, 3}, {0.001, 0.0097}, {-250, -3}, {17, 18}, {2.5, 2.5001},
		{-1e6, 3e6}, {0, 4373.8}, {99.9, 100.1}, {1e-9, 7e-9}, {-0.3, 0.7},
	}
	for _, r := range ranges {
		for _, n := range []int{1, 2, 5, 8, 20} {
			ticks := charts.NiceTicks(r[0], r[1], n)
			requireNiceSteps(t, ticks)
			assert.LessOrEqualf(t, ticks[0], r[0], "%v/%d: %v", r, n, ticks)
			assert.GreaterOrEqualf(t, ticks[len(ticks)-1], r[1], "%v/%d: %v", r, n, ticks)
			// Rounding both ends outwards adds at most one interval.
			assert.LessOrEqualf(t, len(ticks)-1, n+1, "%v/%d: %v", r, n, ticks)
		}
	}
}

func TestNiceTicks_DegenerateInput(t *testing.T) {
	t.Run("equal ends are widened around the value", func(t *testing.T) {
		ticks := charts.NiceTicks(42, 42, 5)
		requireNiceSteps(t, ticks)
		assert.Less(t, ticks[0], 42.0)
		assert.Greater(t, ticks[len(ticks)-1], 42.0)
	})
	t.Run("zero becomes 0..1", func(t *testing.T) {
		assert.Equal(t, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}, charts.NiceTicks(0, 0, 5))
	})
	t.Run("reversed ends", func(t *testing.T) {
		assert.Equal(t, charts.NiceTicks(0, 100, 5), charts.NiceTicks(100, 0, 5))
	})
	t.Run("n below one counts as one", func(t *testing.T) {
		assert.Equal(t, []float64{0, 10}, charts.NiceTicks(0, 10, 0))
		assert.Equal(t, []float64{0, 10}, charts.NiceTicks(0, 10, -3))
	})
	t.Run("non-finite ends", func(t *testing.T) {
		assert.Nil(t, charts.NiceTicks(math.NaN(), 1, 5))
		assert.Nil(t, charts.NiceTicks(0, math.Inf(1), 5))
	})
	t.Run("range wider than float64", func(t *testing.T) {
		require.Nil(t, charts.NiceTicks(-math.MaxFloat64, math.MaxFloat64, 5))
	})
	t.Run("no negative zero", func(t *testing.T) {
		for _, v := range charts.NiceTicks(-1, 1, 4) {
			assert.False(t, v == 0 && math.Signbit(v), "tick -0")
		}
	})
}
