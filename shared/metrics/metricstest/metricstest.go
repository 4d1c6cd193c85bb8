// Package metricstest reads metrics back from a registry in tests.
package metricstest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Value is the sum over the series of metric name whose labels include
// the given name, value pairs: the counters' or gauges' values, or the
// histograms' sample counts. A metric never observed is 0.
func Value(tb testing.TB, g prometheus.Gatherer, name string, labels ...string) float64 {
	tb.Helper()
	var sum float64
	for _, m := range series(tb, g, name, labels) {
		switch {
		case m.GetCounter() != nil:
			sum += m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			sum += m.GetGauge().GetValue()
		case m.GetHistogram() != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// HistogramSum is the sum of the values observed by the series of
// histogram name whose labels include the given pairs.
func HistogramSum(tb testing.TB, g prometheus.Gatherer, name string, labels ...string) float64 {
	tb.Helper()
	var sum float64
	for _, m := range series(tb, g, name, labels) {
		sum += m.GetHistogram().GetSampleSum()
	}
	return sum
}

// Series is the label sets of metric name's series, each as a map.
func Series(tb testing.TB, g prometheus.Gatherer, name string) []map[string]string {
	tb.Helper()
	var out []map[string]string
	for _, m := range series(tb, g, name, nil) {
		ls := make(map[string]string, len(m.GetLabel()))
		for _, l := range m.GetLabel() {
			ls[l.GetName()] = l.GetValue()
		}
		out = append(out, ls)
	}
	return out
}

func series(tb testing.TB, g prometheus.Gatherer, name string, labels []string) []*dto.Metric {
	tb.Helper()
	if len(labels)%2 != 0 {
		tb.Fatalf("metricstest: labels %q are not name, value pairs", labels)
	}
	families, err := g.Gather()
	if err != nil {
		tb.Fatalf("metricstest: gather: %v", err)
	}
	var out []*dto.Metric
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if hasLabels(m, labels) {
				out = append(out, m)
			}
		}
	}
	return out
}

func hasLabels(m *dto.Metric, pairs []string) bool {
	for i := 0; i < len(pairs); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == pairs[i] && l.GetValue() == pairs[i+1] {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
