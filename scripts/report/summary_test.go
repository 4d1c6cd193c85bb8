package report_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/activityapp/event-processor/scripts/report"
)

func TestSummarizeNearestRank(t *testing.T) {
	t.Parallel()
	var samples []time.Duration
	for i := 100; i >= 1; i-- { // 1..100 ms, unsorted
		samples = append(samples, time.Duration(i)*time.Millisecond)
	}
	assert.Equal(t, report.Summary{N: 100, Min: 1, P50: 50, P95: 95, P99: 99, Max: 100, Mean: 50.5}, report.Summarize(samples))
	assert.Equal(t, 100*time.Millisecond, samples[0], "the caller's slice is not sorted in place")

	one := report.Summarize([]time.Duration{7 * time.Millisecond})
	assert.Equal(t, report.Summary{N: 1, Min: 7, P50: 7, P95: 7, P99: 7, Max: 7, Mean: 7}, one)

	// Few samples: p99 of 3 is the largest, p50 the middle one.
	three := report.Summarize([]time.Duration{30 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond})
	assert.Equal(t, report.Millis(20), three.P50)
	assert.Equal(t, report.Millis(30), three.P99)

	assert.Equal(t, report.Summary{}, report.Summarize(nil))
}
