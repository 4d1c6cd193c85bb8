package report

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/activityapp/event-processor/scripts/charts"
)

// Chart file names, in the report's directory.
const (
	LatencyChart    = "latency.svg"
	ThroughputChart = "throughput.svg"
)

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
	hist := charts.HistogramSpec{
		Title:  fmt.Sprintf("Commit-to-read-model latency, %s (%d documents)", r.Mode, r.Latency["all"].N),
		XLabel: "latency (ms): document written minus event committed",
		YLabel: "documents",
	}
	for _, name := range ReadModels {
		values := make([]float64, 0, len(fresh.Latencies[name]))
		for _, d := range fresh.Latencies[name] {
			values = append(values, float64(ToMillis(d)))
		}
		hist.Series = append(hist.Series, charts.HistogramSeries{Name: name, Values: values})
	}
	if all := r.Latency["all"]; all.N > 0 {
		hist.Markers = []charts.Marker{{Label: "p50", Value: float64(all.P50)}, {Label: "p95", Value: float64(all.P95)}, {Label: "p99", Value: float64(all.P99)}}
	}

	through := charts.LineSpec{
		Title:  fmt.Sprintf("Throughput over time, %s", r.Mode),
		XLabel: "seconds since the first event",
		YLabel: "per second: events; statistics writer: contributions",
	}
	through.Series = append(through.Series, line("load (commits)", lines.Load))
	for _, c := range lines.Consumers {
		through.Series = append(through.Series, line(c.Name, c.Series))
	}

	if err := writeFile(filepath.Join(dir, LatencyChart), func(f *os.File) error { return charts.Histogram(f, hist) }); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, ThroughputChart), func(f *os.File) error { return charts.Lines(f, through) }); err != nil {
		return err
	}
	r.Charts = map[string]string{"latency": filepath.Join(dir, LatencyChart), "throughput": filepath.Join(dir, ThroughputChart)}
	return nil
}

// line plots s with each bucket at its middle second.
func line(name string, s Series) charts.LineSeries {
	l := charts.LineSeries{Name: name}
	for i, v := range s {
		l.Points = append(l.Points, charts.Point{X: float64(i) + 0.5, Y: v})
	}
	return l
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
