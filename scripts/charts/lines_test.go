package charts_test

import (
	"bytes"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/scripts/charts"
)

func renderLines(t *testing.T, spec charts.LineSpec) ([]byte, *svgNode) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, charts.Lines(&buf, spec))
	return buf.Bytes(), parseChart(t, buf.Bytes())
}

func TestLines_OnePolylinePerSeries(t *testing.T) {
	load := []charts.Point{{0, 0}, {1, 480}, {2, 510}, {3, 495}, {4, 500}}
	users := []charts.Point{{0.5, 100}, {1.5, 320}, {2.5, 300}}
	late := []charts.Point{{4, 250}}
	_, root := renderLines(t, charts.LineSpec{
		Title:  "Throughput",
		XLabel: "seconds since start",
		YLabel: "events/s",
		Series: []charts.LineSeries{
			{Name: "committed (load)", Points: load},
			{Name: "user-projector", Points: users},
			{Name: "late-starter", Points: late},
		},
	})

	assert.Equal(t, []string{"Throughput"}, texts(root.byClass("title")))
	assert.Equal(t, []string{"seconds since start", "events/s"}, texts(root.byClass("axis-label")))
	assert.Equal(t, []string{"committed (load)", "user-projector", "late-starter"}, texts(root.byClass("legend-label")))
	requireNiceSteps(t, tickLabels(t, root, "x-axis"))
	requireNiceSteps(t, tickLabels(t, root, "y-axis"))

	lines := root.byClass("line")
	require.Len(t, lines, 3)
	for i, want := range [][]charts.Point{load, users, late} {
		assert.Equal(t, len(want), lines[i].int(t, "data-points"))
		points, _ := lines[i].attr("points")
		assert.Len(t, pointNumbers(t, points), 2*len(want))
	}
	strokes := map[string]bool{}
	for _, line := range lines {
		stroke, _ := line.attr("stroke")
		strokes[stroke] = true
	}
	assert.Len(t, strokes, 3, "each series has its own colour")

	dots := root.byClass("point")
	require.Len(t, dots, 1, "only the one-point series needs a dot")
	series, _ := dots[0].attr("data-series")
	assert.Equal(t, "late-starter", series)
}

func TestLines_PointsAreMappedLinearly(t *testing.T) {
	data := []charts.Point{{0, 0}, {10, 200}, {20, 100}, {30, 400}}
	_, root := renderLines(t, charts.LineSpec{Series: []charts.LineSeries{{Name: "load", Points: data}}})

	points, _ := root.byClass("line")[0].attr("points")
	px := pointNumbers(t, points)
	require.Len(t, px, 2*len(data))

	// Pixels per unit are the same between every pair of points, on both
	// axes, and y grows upwards.
	xScale := (px[2] - px[0]) / (data[1].X - data[0].X)
	yScale := (px[3] - px[1]) / (data[1].Y - data[0].Y)
	assert.Positive(t, xScale)
	assert.Negative(t, yScale)
	for i := 1; i < len(data); i++ {
		assert.InDelta(t, xScale*(data[i].X-data[0].X), px[2*i]-px[0], 0.02)
		assert.InDelta(t, yScale*(data[i].Y-data[0].Y), px[2*i+1]-px[1], 0.02)
	}

	// Y = 0 sits on the lowest grid line: the y axis starts at zero.
	grid := root.byClass("grid")
	lowest := math.Inf(-1)
	for _, g := range grid {
		lowest = max(lowest, g.float(t, "y1"))
	}
	assert.InDelta(t, lowest, px[1], 0.011)
	assert.Equal(t, 0.0, tickLabels(t, root, "y-axis")[0])
}

func TestLines_DropsNonFinitePoints(t *testing.T) {
	_, root := renderLines(t, charts.LineSpec{Series: []charts.LineSeries{{
		Name:   "users",
		Points: []charts.Point{{0, 1}, {1, math.NaN()}, {math.Inf(1), 3}, {3, 4}, {4, math.Inf(-1)}},
	}}})

	line := root.byClass("line")[0]
	assert.Equal(t, 2, line.int(t, "data-points"))
	points, _ := line.attr("points")
	assert.Len(t, pointNumbers(t, points), 4)
}

func TestLines_EscapesText(t *testing.T) {
	name := `"proj" <a> & b`
	out, root := renderLines(t, charts.LineSpec{
		Title:  "<&>",
		YLabel: "events/s <&>",
		Series: []charts.LineSeries{{Name: name, Points: []charts.Point{{0, 1}, {1, 2}}}},
	})

	assert.NotContains(t, string(out), "<&>")
	assert.Equal(t, []string{"<&>"}, texts(root.byClass("title")))
	assert.Equal(t, "events/s <&>", root.byClass("axis-label")[1].Text)
	assert.Equal(t, []string{name}, texts(root.byClass("legend-label")))
	series, _ := root.byClass("line")[0].attr("data-series")
	assert.Equal(t, name, series)
}

func TestLines_DegenerateInput(t *testing.T) {
	tests := []struct {
		name   string
		series []charts.LineSeries
		noData bool
	}{
		{name: "no series", noData: true},
		{name: "series without points", series: []charts.LineSeries{{Name: "users"}}, noData: true},
		{name: "only non-finite points", series: []charts.LineSeries{
			{Name: "users", Points: []charts.Point{{math.NaN(), 1}, {2, math.Inf(1)}}},
		}, noData: true},
		{name: "one point", series: []charts.LineSeries{{Name: "users", Points: []charts.Point{{3, 7}}}}},
		{name: "one point at origin", series: []charts.LineSeries{{Name: "users", Points: []charts.Point{{0, 0}}}}},
		{name: "flat line", series: []charts.LineSeries{
			{Name: "users", Points: []charts.Point{{0, 5}, {1, 5}, {2, 5}}}, {Name: "empty"},
		}},
		{name: "negative values", series: []charts.LineSeries{
			{Name: "lag", Points: []charts.Point{{0, -5}, {1, -2}}},
		}},
		{name: "range wider than float64", series: []charts.LineSeries{
			{Name: "users", Points: []charts.Point{{-math.MaxFloat64, -math.MaxFloat64}, {math.MaxFloat64, math.MaxFloat64}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, root := renderLines(t, charts.LineSpec{Title: tt.name, Series: tt.series})

			noData := texts(root.byClass("no-data"))
			if tt.noData {
				assert.Equal(t, []string{"no data"}, noData)
				assert.Empty(t, root.byClass("line"))
			} else {
				assert.Empty(t, noData)
				assert.Len(t, root.byClass("line"), len(tt.series))
			}
			assert.Len(t, root.byClass("legend-label"), len(tt.series))
		})
	}
}

func TestLines_IsDeterministic(t *testing.T) {
	spec := charts.LineSpec{Series: []charts.LineSeries{
		{Name: "a", Points: []charts.Point{{0, 1.25}, {1, 7}}},
		{Name: "b", Points: []charts.Point{{0, 3}, {2, 0.5}}},
	}}
	first, _ := renderLines(t, spec)
	second, _ := renderLines(t, spec)

	assert.Equal(t, first, second)
}

func TestLines_ManySeriesStayDistinguishable(t *testing.T) {
	var series []charts.LineSeries
	for i := range 10 {
		series = append(series, charts.LineSeries{Name: string(rune('a' + i)), Points: []charts.Point{{0, float64(i)}, {1, 1}}})
	}
	_, root := renderLines(t, charts.LineSpec{Series: series})

	styles := map[string]bool{}
	for _, line := range root.byClass("line") {
		stroke, _ := line.attr("stroke")
		dash, _ := line.attr("stroke-dasharray")
		styles[stroke+"/"+dash] = true
	}
	assert.Len(t, styles, len(series), "colour and dash together differ for every line")
}

func TestLines_RejectsInvalidSpec(t *testing.T) {
	spec := charts.LineSpec{Width: 10, Height: 10}
	assert.ErrorIs(t, spec.Validate(), charts.ErrSizeOutOfRange)
	assert.ErrorIs(t, charts.Lines(&bytes.Buffer{}, spec), charts.ErrSizeOutOfRange)
	assert.ErrorIs(t, charts.Lines(nil, charts.LineSpec{}), charts.ErrNilWriter)
	assert.ErrorIs(t, charts.Lines(failingWriter{}, charts.LineSpec{}), errWriteFailed)
}
