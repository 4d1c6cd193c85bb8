package charts_test

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/scripts/charts"
)

func renderHistogram(t *testing.T, spec charts.HistogramSpec) ([]byte, *svgNode) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, charts.Histogram(&buf, spec))
	return buf.Bytes(), parseChart(t, buf.Bytes())
}

func TestHistogram_StandaloneChart(t *testing.T) {
	_, root := renderHistogram(t, charts.HistogramSpec{
		Title:  "Commit to read model latency",
		XLabel: "latency (ms)",
		Series: []charts.HistogramSeries{
			{Name: "users", Values: []float64{3, 5, 8, 13}},
			{Name: "activities", Values: []float64{4, 6, 9}},
		},
	})

	assert.Equal(t, 900.0, root.float(t, "width"))
	assert.Equal(t, 500.0, root.float(t, "height"))
	assert.Equal(t, []string{"Commit to read model latency"}, texts(root.byClass("title")))
	assert.Equal(t, []string{"latency (ms)", "count"}, texts(root.byClass("axis-label")))
	assert.Equal(t, []string{"users", "activities"}, texts(root.byClass("legend-label")))
	assert.Empty(t, root.byClass("no-data"))

	requireNiceSteps(t, tickLabels(t, root, "x-axis"))
	counts := tickLabels(t, root, "y-axis")
	requireNiceSteps(t, counts)
	for _, c := range counts {
		assert.Equalf(t, math.Trunc(c), c, "count tick %v is not a whole number", c)
	}
}

func TestHistogram_BarHeightsProportionalToCounts(t *testing.T) {
	users := []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10} // 2,2,2,2,3 over 5 bins of 2
	activities := []float64{1, 1, 1, 1, 9}               // 4,0,0,0,1
	_, root := renderHistogram(t, charts.HistogramSpec{
		Series: []charts.HistogramSeries{{Name: "users", Values: users}, {Name: "activities", Values: activities}},
		Bins:   5,
	})

	bars := root.byClass("bar")
	got := map[string][]int{"users": make([]int, 5), "activities": make([]int, 5)}
	var pxPerCount []float64
	baseline := -1.0
	for _, bar := range bars {
		series, _ := bar.attr("data-series")
		count := bar.int(t, "data-count")
		got[series][bar.int(t, "data-bin")] = count
		pxPerCount = append(pxPerCount, bar.float(t, "height")/float64(count))

		bottom := bar.float(t, "y") + bar.float(t, "height")
		if baseline < 0 {
			baseline = bottom
		}
		assert.InDelta(t, baseline, bottom, 0.011, "bars must stand on one baseline")
	}
	assert.Equal(t, []int{2, 2, 2, 2, 3}, got["users"])
	assert.Equal(t, []int{4, 0, 0, 0, 1}, got["activities"])
	assert.Len(t, bars, 7, "empty bins get no bar")

	require.NotEmpty(t, pxPerCount)
	assert.Greater(t, pxPerCount[0], 10.0)
	for _, ratio := range pxPerCount {
		assert.InDelta(t, pxPerCount[0], ratio, 0.01, "height per count differs between bars")
	}

	// The tallest bar reaches the top y tick, which labels its count.
	yTicks := tickLabels(t, root, "y-axis")
	assert.Equal(t, 4.0, yTicks[len(yTicks)-1])
}

func TestHistogram_BarsFollowBinsAndDoNotOverlap(t *testing.T) {
	values := []float64{1, 2, 2, 3, 3, 3, 4, 4, 5, 17}
	_, root := renderHistogram(t, charts.HistogramSpec{
		Series: []charts.HistogramSeries{{Name: "a", Values: values}, {Name: "b", Values: values}},
		Bins:   8,
	})

	bins := charts.Bins(values, 8)
	bars := root.byClass("bar")
	require.NotEmpty(t, bars)
	prevRight := math.Inf(-1)
	for _, bar := range bars {
		bin := bins[bar.int(t, "data-bin")]
		assert.Equal(t, bin.Count, bar.int(t, "data-count"))
		assert.Equal(t, bin.Lo, bar.float(t, "data-lo"))
		assert.Equal(t, bin.Hi, bar.float(t, "data-hi"))

		left := bar.float(t, "x")
		assert.GreaterOrEqual(t, left+0.011, prevRight, "bars overlap or are out of order")
		prevRight = left + bar.float(t, "width")
	}
}

func TestHistogram_Markers(t *testing.T) {
	_, root := renderHistogram(t, charts.HistogramSpec{
		Series: []charts.HistogramSeries{{Name: "users", Values: []float64{10, 20, 30, 40, 50}}},
		Markers: []charts.Marker{
			{Label: "p50", Value: 30},
			{Label: "broken", Value: math.NaN()},
			{Label: "p99", Value: 49.6},
			{Label: "beyond the data", Value: 80},
		},
	})

	lines := root.byClass("marker-line")
	require.Len(t, lines, 3, "the NaN marker is skipped")
	assert.Equal(t, []string{"p50 = 30", "p99 = 49.6", "beyond the data = 80"}, texts(root.byClass("marker-label")))

	var xs []float64
	for _, line := range lines {
		x1, x2 := line.float(t, "x1"), line.float(t, "x2")
		assert.Equal(t, x1, x2, "marker lines are vertical")
		xs = append(xs, x1)
	}
	assert.True(t, slices.IsSorted(xs), "markers out of order: %v", xs)

	// The x axis was stretched so the marker beyond the data is on it.
	xTicks := tickLabels(t, root, "x-axis")
	assert.GreaterOrEqual(t, xTicks[len(xTicks)-1], 80.0)
}

func TestHistogram_EscapesText(t *testing.T) {
	name := `"rm" <users> & co`
	out, root := renderHistogram(t, charts.HistogramSpec{
		Title:   "<&>",
		XLabel:  "ms <&>",
		Series:  []charts.HistogramSeries{{Name: name, Values: []float64{1, 2}}},
		Markers: []charts.Marker{{Label: "p99 <&>", Value: 2}},
	})

	assert.Contains(t, string(out), "&lt;&amp;&gt;")
	assert.NotContains(t, string(out), "<&>")
	assert.Equal(t, []string{"<&>"}, texts(root.byClass("title")))
	assert.Equal(t, "ms <&>", root.byClass("axis-label")[0].Text)
	assert.Equal(t, []string{name}, texts(root.byClass("legend-label")))
	assert.Equal(t, []string{"p99 <&> = 2"}, texts(root.byClass("marker-label")))
	for _, bar := range root.byClass("bar") {
		series, _ := bar.attr("data-series")
		assert.Equal(t, name, series)
	}
}

func TestHistogram_LongSeriesNameIsShortenedInLegend(t *testing.T) {
	name := strings.Repeat("statistics", 5)
	_, root := renderHistogram(t, charts.HistogramSpec{
		Series: []charts.HistogramSeries{{Name: name, Values: []float64{1}}},
	})

	label := root.byClass("legend-label")[0].Text
	assert.Less(t, len([]rune(label)), len(name))
	assert.True(t, strings.HasSuffix(label, "…"))
}

func TestHistogram_DegenerateInput(t *testing.T) {
	tests := []struct {
		name   string
		series []charts.HistogramSeries
		finite int
	}{
		{name: "no series"},
		{name: "series without values", series: []charts.HistogramSeries{{Name: "users"}}},
		{name: "only NaN and Inf", series: []charts.HistogramSeries{
			{Name: "users", Values: []float64{math.NaN(), math.Inf(1), math.Inf(-1)}},
		}},
		{name: "one value", series: []charts.HistogramSeries{{Name: "users", Values: []float64{12}}}, finite: 1},
		{name: "all values equal", series: []charts.HistogramSeries{
			{Name: "users", Values: []float64{5, 5, 5}}, {Name: "activities", Values: []float64{5}},
		}, finite: 4},
		{name: "all zero", series: []charts.HistogramSeries{{Name: "users", Values: []float64{0, 0}}}, finite: 2},
		{name: "NaN among values", series: []charts.HistogramSeries{
			{Name: "users", Values: []float64{1, math.NaN(), 2, math.Inf(1)}}, {Name: "empty"},
		}, finite: 2},
		{name: "range wider than float64", series: []charts.HistogramSeries{
			{Name: "users", Values: []float64{-math.MaxFloat64, math.MaxFloat64}},
		}, finite: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, root := renderHistogram(t, charts.HistogramSpec{
				Title:   tt.name,
				Series:  tt.series,
				Markers: []charts.Marker{{Label: "p50", Value: 5}},
			})

			total := 0
			for _, bar := range root.byClass("bar") {
				total += bar.int(t, "data-count")
			}
			assert.Equal(t, tt.finite, total)
			noData := texts(root.byClass("no-data"))
			if tt.finite == 0 {
				assert.Equal(t, []string{"no data"}, noData)
			} else {
				assert.Empty(t, noData)
			}
			assert.Len(t, root.byClass("legend-label"), len(tt.series))
		})
	}
}

func TestHistogram_IsDeterministic(t *testing.T) {
	spec := charts.HistogramSpec{
		Title:   "latency",
		Series:  []charts.HistogramSeries{{Name: "users", Values: []float64{1.5, 2.25, 9, 14, 14}}},
		Markers: []charts.Marker{{Label: "p95", Value: 14}},
	}
	first, _ := renderHistogram(t, spec)
	second, _ := renderHistogram(t, spec)

	assert.Equal(t, first, second)
}

func TestHistogram_RejectsInvalidSpec(t *testing.T) {
	values := []charts.HistogramSeries{{Name: "users", Values: []float64{1}}}
	tests := []struct {
		name string
		spec charts.HistogramSpec
		want error
	}{
		{"negative bins", charts.HistogramSpec{Series: values, Bins: -1}, charts.ErrBinsOutOfRange},
		{"too many bins", charts.HistogramSpec{Series: values, Bins: charts.MaxBins + 1}, charts.ErrBinsOutOfRange},
		{"too narrow", charts.HistogramSpec{Series: values, Width: 100}, charts.ErrSizeOutOfRange},
		{"too tall", charts.HistogramSpec{Series: values, Height: charts.MaxSize + 1}, charts.ErrSizeOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, tt.spec.Validate(), tt.want)
			var buf bytes.Buffer
			assert.ErrorIs(t, charts.Histogram(&buf, tt.spec), tt.want)
			assert.Zero(t, buf.Len(), "nothing is written for an invalid spec")
		})
	}

	assert.ErrorIs(t, charts.Histogram(nil, charts.HistogramSpec{}), charts.ErrNilWriter)
	assert.ErrorIs(t, charts.Histogram(failingWriter{}, charts.HistogramSpec{Series: values}), errWriteFailed)
}
