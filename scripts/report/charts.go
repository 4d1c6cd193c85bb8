package report

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Chart file names, in the report's directory.
const (
	LatencyChart    = "latency.svg"
	ThroughputChart = "throughput.svg"
)

// Chart size, and the most bins of the latency histogram.
const (
	chartWidth    vg.Length = 675 // points: 900 px at 96 dpi
	chartHeight   vg.Length = 375 // 500 px
	histogramBins           = 20
)

// palette is the series colour cycle: the Okabe–Ito colours, which stay
// distinguishable for colour-blind readers, without the yellow that
// vanishes on white.
var palette = []color.RGBA{
	{0x00, 0x72, 0xB2, 0xff}, // blue
	{0xE6, 0x9F, 0x00, 0xff}, // orange
	{0x00, 0x9E, 0x73, 0xff}, // bluish green
	{0xD5, 0x5E, 0x00, 0xff}, // vermillion
	{0xCC, 0x79, 0xA7, 0xff}, // reddish purple
	{0x56, 0xB4, 0xE9, 0xff}, // sky blue
	{0x00, 0x00, 0x00, 0xff}, // black
}

// Timelines are the throughput series the chart draws.
type Timelines struct {
	Load      Series
	Consumers []NamedSeries
}

// NamedSeries is a series with its legend.
type NamedSeries struct {
	Name   string
	Series Series
}

// WriteCharts writes the latency histogram and the throughput chart into
// dir and records their names in r.Charts.
func (r *Report) WriteCharts(dir string, fresh Freshness, lines Timelines) error {
	hist, err := r.latencyChart(fresh)
	if err != nil {
		return err
	}
	through, err := r.throughputChart(lines)
	if err != nil {
		return err
	}
	for name, p := range map[string]*plot.Plot{LatencyChart: hist, ThroughputChart: through} {
		if err := writeFile(filepath.Join(dir, name), func(f *os.File) error { return writeSVG(f, p) }); err != nil {
			return err
		}
	}
	r.Charts = map[string]string{"latency": filepath.Join(dir, LatencyChart), "throughput": filepath.Join(dir, ThroughputChart)}
	return nil
}

// latencyChart is a histogram per read model on shared bins, drawn as
// grouped bars (each bin split between the read models) so their
// distributions compare bin by bin, with p50, p95 and p99 of all of them
// as dashed lines.
func (r *Report) latencyChart(fresh Freshness) (*plot.Plot, error) {
	p := newPlot(fmt.Sprintf("Commit-to-read-model latency, %s (%d documents)", r.Mode, r.Latency["all"].N),
		"latency (ms): document written minus event committed", "documents")
	series := make([][]float64, len(ReadModels))
	var all []float64
	for i, name := range ReadModels {
		for _, d := range fresh.Latencies[name] {
			series[i] = append(series[i], float64(ToMillis(d)))
		}
		all = append(all, series[i]...)
	}
	lo, width, n := bins(all, histogramBins)
	top := 0.0 // the highest bar
	for i, name := range ReadModels {
		h := &plotter.Histogram{FillColor: palette[i%len(palette)], Width: width / float64(len(ReadModels))}
		h.LineStyle.Width = 0
		for b := range n {
			start := lo + float64(b)*width + float64(i)*h.Width
			h.Bins = append(h.Bins, plotter.HistogramBin{Min: start, Max: start + h.Width})
		}
		for _, v := range series[i] {
			b := min(int((v-lo)/width), n-1)
			h.Bins[b].Weight++
			top = max(top, h.Bins[b].Weight)
		}
		p.Add(h)
		p.Legend.Add(name, h)
	}
	// Room above the highest bar for the legend and the markers' labels.
	p.X.Min, p.X.Max = lo, lo+float64(n)*width
	p.Y.Min, p.Y.Max = 0, max(top, 1)*1.35
	if all := r.Latency["all"]; all.N > 0 {
		for i, m := range []struct {
			label string
			at    Millis
		}{{"p50", all.P50}, {"p95", all.P95}, {"p99", all.P99}} {
			at := float64(m.at)
			line, err := plotter.NewLine(plotter.XYs{{X: at, Y: 0}, {X: at, Y: p.Y.Max}})
			if err != nil {
				return nil, fmt.Errorf("report: %w", err)
			}
			line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			label, err := plotter.NewLabels(plotter.XYLabels{
				XYs:    []plotter.XY{{X: at, Y: p.Y.Max * (0.78 - 0.05*float64(i))}}, // below the legend
				Labels: []string{fmt.Sprintf("%s = %.0f", m.label, float64(m.at))},
			})
			if err != nil {
				return nil, fmt.Errorf("report: %w", err)
			}
			label.Offset = vg.Point{X: vg.Points(3)}
			label.TextStyle[0].Font = sans(9, xfont.WeightNormal)
			p.Add(line, label)
		}
	}
	return p, nil
}

// throughputChart draws the load's commits and each consumer per second,
// each bucket at its middle second.
func (r *Report) throughputChart(lines Timelines) (*plot.Plot, error) {
	p := newPlot(fmt.Sprintf("Throughput over time, %s", r.Mode),
		"seconds since the first event", "per second: events; statistics writer: contributions")
	all := append([]NamedSeries{{Name: "load (commits)", Series: lines.Load}}, lines.Consumers...)
	for i, s := range all {
		xys := make(plotter.XYs, len(s.Series))
		for j, v := range s.Series {
			xys[j] = plotter.XY{X: float64(j) + 0.5, Y: v}
		}
		l, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("report: %s: %w", s.Name, err)
		}
		c := palette[i%len(palette)]
		l.Color, l.Width = c, vg.Points(1.5)
		if i/len(palette)%2 == 1 { // colours repeat: dash the second round
			l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
		// A point only where the line cannot show one: a single bucket.
		pts.Shape, pts.Color, pts.Radius = draw.CircleGlyph{}, c, 0
		if len(xys) == 1 {
			pts.Radius = vg.Points(2.5)
		}
		p.Add(l, pts)
		p.Legend.Add(s.Name, l)
	}
	p.X.Min, p.Y.Min = 0, 0
	p.Y.Max *= 1.3 // room for the legend
	return p, nil
}

// newPlot is a plot in the sans-serif face (gonum's default is serif),
// with a bold title, a light horizontal grid, plain tick numbers, and the
// legend at the top right.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(14, xfont.WeightBold)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text, p.Y.Label.Text = x, y
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans(11, xfont.WeightNormal)
		a.Tick.Label.Font = sans(9, xfont.WeightNormal)
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = ticks{n: 9}, ticks{n: 8}
	p.Legend.TextStyle.Font = sans(10, xfont.WeightNormal)
	p.Legend.Top = true
	p.Legend.Padding = vg.Points(4)
	p.Legend.ThumbnailWidth = vg.Points(14)
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(6), -vg.Points(4)
	grid := plotter.NewGrid()
	grid.Vertical.Width = 0
	grid.Horizontal.Color = color.Gray{Y: 0xe4}
	p.Add(grid)
	return p
}

func sans(points float64, weight xfont.Weight) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Weight: weight, Size: vg.Points(points)}
}

// ticks put about n ticks on an axis at round numbers (1, 2 or 5 × 10^k
// apart), labelled plainly: 50, not 50.00; gonum's own put three or four.
type ticks struct{ n int }

func (t ticks) Ticks(lo, hi float64) []plot.Tick {
	step := niceStep((hi - lo) / float64(t.n))
	decimals := max(0, int(-math.Floor(math.Log10(step))))
	var out []plot.Tick
	for k := math.Ceil(lo / step); k*step <= hi+step/1e6; k++ {
		out = append(out, plot.Tick{Value: k * step, Label: strconv.FormatFloat(k*step, 'f', decimals, 64)})
	}
	return out
}

// bins are n equal bins from lo covering values: a width of 1, 2 or 5 ×
// 10^k, so the edges are round numbers, and at most most of them.
func bins(values []float64, most int) (lo, width float64, n int) {
	if len(values) == 0 {
		return 0, 1, 1
	}
	lo, hi := slices.Min(values), slices.Max(values)
	width = niceStep(max(hi-lo, 1) / float64(most))
	lo = math.Floor(lo/width) * width
	n = max(int(math.Ceil((hi-lo)/width)), 1)
	if lo+float64(n)*width <= hi {
		n++ // hi on the last edge: a bin of its own
	}
	return lo, width, n
}

// niceStep is the smallest 1, 2 or 5 × 10^k at least step.
func niceStep(step float64) float64 {
	pow := math.Pow(10, math.Floor(math.Log10(step)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*pow >= step {
			return m * pow
		}
	}
	return 10 * pow
}

// writeSVG draws p with a margin (gonum draws to the very edge). gonum
// names its font alone; a viewer without Liberation Sans is pointed at
// Arial, whose metrics are the same, so the text keeps the width gonum
// laid it out with.
func writeSVG(w io.Writer, p *plot.Plot) error {
	c := vgsvg.New(chartWidth, chartHeight)
	p.Draw(draw.Crop(draw.New(c), vg.Points(10), -vg.Points(16), vg.Points(6), -vg.Points(10)))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return err
	}
	_, err := w.Write(bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")))
	return err
}

func writeFile(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := write(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("report: %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
