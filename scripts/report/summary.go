// Package report measures a demo run of the pipeline and writes what a
// person wants to read about it: throughput, commit-to-read-model latency,
// success and the event mix, as a table, as JSON and as charts.
package report

import (
	"math"
	"slices"
	"time"
)

// Millis is a duration in milliseconds, as the report shows it.
type Millis float64

// ToMillis converts d.
func ToMillis(d time.Duration) Millis { return Millis(float64(d) / float64(time.Millisecond)) }

// Summary describes a set of latencies.
type Summary struct {
	N    int    `json:"n"`
	Min  Millis `json:"min_ms"`
	P50  Millis `json:"p50_ms"`
	P95  Millis `json:"p95_ms"`
	P99  Millis `json:"p99_ms"`
	Max  Millis `json:"max_ms"`
	Mean Millis `json:"mean_ms"`
}

// Summarize returns the summary of samples (a zero Summary when empty).
// Percentiles are nearest-rank: always one of the samples.
func Summarize(samples []time.Duration) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return Summary{
		N:    len(s),
		Min:  ToMillis(s[0]),
		P50:  ToMillis(Percentile(s, 50)),
		P95:  ToMillis(Percentile(s, 95)),
		P99:  ToMillis(Percentile(s, 99)),
		Max:  ToMillis(s[len(s)-1]),
		Mean: ToMillis(sum / time.Duration(len(s))),
	}
}

// Percentile is the nearest-rank p-th percentile of sorted (not empty):
// the smallest sample at least p % of the samples are less than or equal
// to.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}
