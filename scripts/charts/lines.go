package charts

import (
	"io"
	"strings"
)

// lineXIntervals and lineYIntervals bound the tick count per axis.
const (
	lineXIntervals = 8
	lineYIntervals = 5
)

// LineSpec describes a line chart of one or more series, e.g. throughput
// over time of the load generator and of each projector.
type LineSpec struct {
	Title  string
	XLabel string // e.g. "seconds since start"
	YLabel string // e.g. "events/s"
	Series []LineSeries
	// Width and Height are in pixels; 0 means DefaultWidth/DefaultHeight.
	Width, Height int
}

// LineSeries is one named line. Points are joined in the order given;
// points with a NaN or ±Inf coordinate are left out.
type LineSeries struct {
	Name   string
	Points []Point
}

// Point is one data point.
type Point struct {
	X, Y float64
}

func (s *LineSpec) setDefaults() {
	defaultSize(&s.Width, &s.Height)
}

// Validate reports a spec that cannot be drawn. Zero values are valid: they
// are replaced by defaults when drawing.
func (s LineSpec) Validate() error {
	width, height := s.Width, s.Height
	defaultSize(&width, &height)
	return validateSize(width, height)
}

// Lines writes spec as a standalone SVG document to w. Each series is one
// polyline with class="line", data-series and data-points (the number of
// points drawn); a series of a single point also gets a dot, since a
// one-point line is invisible. The y axis always includes zero so that a
// small change in rate does not look like a collapse.
func Lines(w io.Writer, spec LineSpec) error {
	if w == nil {
		return ErrNilWriter
	}
	spec.setDefaults()
	if err := spec.Validate(); err != nil {
		return err
	}

	f := newFrame(spec.Width, spec.Height, spec.Title)
	names := make([]string, len(spec.Series))
	perSeries := make([][]Point, len(spec.Series))
	var xs, ys []float64
	for i, series := range spec.Series {
		names[i] = series.Name
		perSeries[i] = finitePoints(series.Points)
		for _, p := range perSeries[i] {
			xs, ys = append(xs, p.X), append(ys, p.Y)
		}
	}
	if len(xs) == 0 {
		f.drawAxes(nil, nil, spec.XLabel, spec.YLabel)
		f.drawNoData()
		f.drawLegend(names, swatchLine)
		return f.doc.writeTo(w)
	}

	minX, maxX := minMax(xs)
	minY, maxY := minMax(ys)
	xLeft, xRight := f.xRange()
	yBottom, yTop := f.yRange()
	xAxis := newAxis(minX, maxX, lineXIntervals, xLeft, xRight)
	yAxis := newAxis(min(0, minY), max(0, maxY), lineYIntervals, yBottom, yTop)

	f.drawAxes(&xAxis, &yAxis, spec.XLabel, spec.YLabel)
	drawLines(f, names, perSeries, xAxis.scale, yAxis.scale)
	f.drawLegend(names, swatchLine)
	return f.doc.writeTo(w)
}

func finitePoints(points []Point) []Point {
	finite := make([]Point, 0, len(points))
	for _, p := range points {
		if isFinite(p.X) && isFinite(p.Y) {
			finite = append(finite, p)
		}
	}
	return finite
}

// drawLines draws one polyline per series, empty series included, so the
// document has one line per legend entry.
func drawLines(f *frame, names []string, perSeries [][]Point, x, y linearScale) {
	f.doc.open("g", str("class", "lines"), str("fill", "none"))
	for s, points := range perSeries {
		var coords strings.Builder
		for i, p := range points {
			if i > 0 {
				coords.WriteByte(' ')
			}
			coords.WriteString(formatCoord(x.at(p.X)) + "," + formatCoord(y.at(p.Y)))
		}
		attrs := []attr{
			str("class", "line"),
			str("data-series", names[s]),
			integer("data-points", len(points)),
			str("points", coords.String()),
			str("stroke", seriesColour(s)),
			str("stroke-width", "2"),
			str("stroke-linejoin", "round"),
		}
		if dash := seriesDash(s); dash != "" {
			attrs = append(attrs, str("stroke-dasharray", dash))
		}
		f.doc.empty("polyline", attrs...)
		if len(points) == 1 {
			f.doc.empty("circle", str("class", "point"), str("data-series", names[s]),
				coord("cx", x.at(points[0].X)), coord("cy", y.at(points[0].Y)), str("r", "3"),
				str("fill", seriesColour(s)))
		}
	}
	f.doc.close("g")
}
