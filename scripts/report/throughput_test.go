package report_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/activityapp/event-processor/scripts/report"
)

var start = time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC)

func sec(s float64) time.Time { return start.Add(time.Duration(s * float64(time.Second))) }

func TestBucketAndRate(t *testing.T) {
	t.Parallel()
	s := report.Bucket(start, []time.Time{sec(-0.1), sec(0.2), sec(0.9), sec(1.0), sec(3.5)})
	assert.Equal(t, report.Series{3, 1, 0, 1}, s, "[0,1) holds the early one, 1.0 opens the second bucket")
	assert.Equal(t, report.Rate{Average: 2.5, Peak: 3}, s.Rate(5, 2*time.Second))
	assert.Equal(t, report.Rate{}, report.Series(nil).Rate(0, 0))
	short := report.Bucket(start, []time.Time{sec(0.1), sec(0.2), sec(0.3)})
	assert.Equal(t, report.Rate{Average: 12, Peak: 12}, short.Rate(3, 250*time.Millisecond), "a quarter-second run")
}

func sample(at float64, committed int64) report.Sample {
	return report.Sample{At: sec(at), Consumers: map[string]report.Position{"g": {Committed: committed}}}
}

func TestConsumedInterpolatesBetweenSamples(t *testing.T) {
	t.Parallel()
	// 100 committed at 0 s, 300 at 2 s (100/s), nothing more until 4 s.
	samples := []report.Sample{sample(0, 100), sample(2, 300), sample(4, 300)}
	assert.Equal(t, report.Series{100, 100, 0, 0}, report.Consumed(start, samples, "g"))

	// Samples that start after the run began: clamp to the first sample.
	late := []report.Sample{sample(1, 0), sample(2, 50)}
	assert.Equal(t, report.Series{0, 50}, report.Consumed(start, late, "g"))

	assert.Nil(t, report.Consumed(start, nil, "g"))
	assert.Equal(t, report.Series{0, 0}, report.Consumed(start, samples[:2], "other"), "an unknown group consumed nothing")
}
