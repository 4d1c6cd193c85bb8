package charts

import (
	"fmt"
	"io"
	"strconv"
)

// Histogram bin counts.
const (
	DefaultBins = 20
	MaxBins     = 200
)

// histogramXIntervals and histogramYIntervals bound the tick count per axis.
const (
	histogramXIntervals = 8
	histogramYIntervals = 5
)

// HistogramSpec describes a histogram of one or more series of values, e.g.
// commit-to-read-model latency per read model.
type HistogramSpec struct {
	Title  string
	XLabel string // e.g. "latency (ms)"
	YLabel string // defaults to "count"
	// Series share one set of bins and are drawn as grouped bars, one
	// colour each, so their distributions can be compared bin by bin.
	Series []HistogramSeries
	// Bins is the most bins to use over [min, max] of all values; 0 means
	// DefaultBins. See Bins for how the edges are chosen.
	Bins int
	// Markers are drawn as labelled vertical dashed lines, e.g. p50/p95/p99.
	Markers []Marker
	// Width and Height are in pixels; 0 means DefaultWidth/DefaultHeight.
	Width, Height int
}

// HistogramSeries is one named set of values; NaN and ±Inf are ignored.
type HistogramSeries struct {
	Name   string
	Values []float64
}

// Marker is a labelled position on the x axis. Markers with a non-finite
// Value are not drawn.
type Marker struct {
	Label string
	Value float64
}

func (s *HistogramSpec) setDefaults() {
	if s.YLabel == "" {
		s.YLabel = "count"
	}
	if s.Bins == 0 {
		s.Bins = DefaultBins
	}
	defaultSize(&s.Width, &s.Height)
}

// Validate reports a spec that cannot be drawn. Zero values are valid: they
// are replaced by defaults when drawing.
func (s HistogramSpec) Validate() error {
	if s.Bins < 0 || s.Bins > MaxBins {
		return fmt.Errorf("%w: %d, want 0..%d", ErrBinsOutOfRange, s.Bins, MaxBins)
	}
	width, height := s.Width, s.Height
	defaultSize(&width, &height)
	return validateSize(width, height)
}

// Histogram writes spec as a standalone SVG document to w. Each bar is a
// rect with class="bar" and data-series, data-bin, data-count, data-lo and
// data-hi attributes, so the chart can be checked or scraped; empty bins
// get no rect.
func Histogram(w io.Writer, spec HistogramSpec) error {
	if w == nil {
		return ErrNilWriter
	}
	spec.setDefaults()
	if err := spec.Validate(); err != nil {
		return err
	}

	f := newFrame(spec.Width, spec.Height, spec.Title)
	names := make([]string, len(spec.Series))
	perSeries := make([][]float64, len(spec.Series))
	var all []float64
	for i, series := range spec.Series {
		names[i] = series.Name
		perSeries[i] = finiteValues(series.Values)
		all = append(all, perSeries[i]...)
	}
	if len(all) == 0 {
		f.drawAxes(nil, nil, spec.XLabel, spec.YLabel)
		f.drawNoData()
		f.drawLegend(names, swatchBox)
		return f.doc.writeTo(w)
	}

	edges := binEdges(all, spec.Bins)
	counts, maxCount := countPerSeries(perSeries, edges)
	markers := finiteMarkers(spec.Markers)

	lo, hi := edges[0], edges[len(edges)-1]
	for _, m := range markers {
		lo, hi = min(lo, m.Value), max(hi, m.Value)
	}
	xLeft, xRight := f.xRange()
	yBottom, yTop := f.yRange()
	xAxis := newAxis(lo, hi, histogramXIntervals, xLeft, xRight)
	// At most maxCount intervals keeps the count ticks on whole numbers.
	yAxis := newAxis(0, float64(maxCount), min(histogramYIntervals, maxCount), yBottom, yTop)

	f.drawAxes(&xAxis, &yAxis, spec.XLabel, spec.YLabel)
	drawBars(f, names, counts, edges, xAxis.scale, yAxis.scale)
	drawMarkers(f, markers, xAxis.scale)
	f.drawLegend(names, swatchBox)
	return f.doc.writeTo(w)
}

// countPerSeries bins every series over the shared edges.
func countPerSeries(perSeries [][]float64, edges []float64) (counts [][]int, maxCount int) {
	counts = make([][]int, len(perSeries))
	for s, values := range perSeries {
		counts[s] = make([]int, len(edges)-1)
		for _, v := range values {
			b := binIndex(edges, v)
			counts[s][b]++
			maxCount = max(maxCount, counts[s][b])
		}
	}
	return counts, maxCount
}

func finiteMarkers(markers []Marker) []Marker {
	finite := make([]Marker, 0, len(markers))
	for _, m := range markers {
		if isFinite(m.Value) {
			finite = append(finite, m)
		}
	}
	return finite
}

// drawBars draws, per bin, one bar per series side by side, leaving a small
// gap between bins so neighbouring groups stay apart.
func drawBars(f *frame, names []string, counts [][]int, edges []float64, x, y linearScale) {
	binStep := edges[1] - edges[0]
	base := y.at(0)
	f.doc.open("g", str("class", "bars"))
	for b := range len(edges) - 1 {
		x0, x1 := x.at(edges[b]), x.at(edges[b+1])
		gap := (x1 - x0) * 0.1
		barWidth := (x1 - x0 - gap) / float64(len(names))
		for s, name := range names {
			count := counts[s][b]
			if count == 0 {
				continue
			}
			top := y.at(float64(count))
			f.doc.open("rect",
				str("class", "bar"),
				str("data-series", name),
				integer("data-bin", b),
				integer("data-count", count),
				str("data-lo", exactNumber(edges[b])),
				str("data-hi", exactNumber(edges[b+1])),
				coord("x", x0+gap/2+float64(s)*barWidth),
				coord("y", top),
				coord("width", barWidth),
				coord("height", base-top),
				str("fill", seriesColour(s)),
			)
			// A <title> child is the SVG tooltip a browser shows on hover.
			f.doc.textElement("title", fmt.Sprintf("%s: %d in [%s, %s%s", name, count,
				formatTick(edges[b], binStep), formatTick(edges[b+1], binStep), closingBracket(b, len(edges)-1)))
			f.doc.close("rect")
		}
	}
	f.doc.close("g")
}

// closingBracket shows that only the last bin includes its upper edge.
func closingBracket(bin, bins int) string {
	if bin == bins-1 {
		return "]"
	}
	return ")"
}

// drawMarkers draws labelled vertical dashed lines. Labels are staggered
// vertically because percentiles often sit close together.
func drawMarkers(f *frame, markers []Marker, x linearScale) {
	if len(markers) == 0 {
		return
	}
	f.doc.open("g", str("class", "markers"), str("font-size", "11"))
	for i, m := range markers {
		px := x.at(m.Value)
		label := formatValue(m.Value)
		if m.Label != "" {
			label = m.Label + " = " + label
		}
		labelX, anchor := px+4, "start"
		if px > f.left+(f.right-f.left)*0.75 {
			labelX, anchor = px-4, "end" // keep labels near the right edge inside the plot
		}
		f.doc.open("g", str("class", "marker"))
		f.doc.empty("line", str("class", "marker-line"), str("data-value", exactNumber(m.Value)),
			coord("x1", px), coord("y1", f.top), coord("x2", px), coord("y2", f.bottom),
			str("stroke", axisColour), str("stroke-width", "1.5"), str("stroke-dasharray", "6,4"))
		f.doc.textElement("text", label, str("class", "marker-label"),
			coord("x", labelX), coord("y", f.top+12+float64(i%3)*13), str("text-anchor", anchor))
		f.doc.close("g")
	}
	f.doc.close("g")
}

// exactNumber writes a value so that parsing it gives the same float64.
func exactNumber(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}
