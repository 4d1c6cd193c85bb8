package demo

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/scripts/loadgen"
	"github.com/activityapp/event-processor/scripts/report"
)

const topic = "outbox"

var t0 = time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// sample has every outbox group at committed of end, the statistics writer
// at twice that, and poisoned records on one topic.
func sample(s float64, committed, end, poisoned int64) report.Sample {
	smp := report.Sample{At: at(s), Consumers: map[string]report.Position{}, Poisoned: map[string]int64{"user-projector.poison": poisoned}}
	for _, c := range report.Pipeline(topic) {
		k := int64(1)
		if c.Topic != topic {
			k = 2
		}
		smp.Consumers[c.Group] = report.Position{Committed: k * committed, End: k * end, Lag: k * (end - committed)}
	}
	return smp
}

func TestBuildReport(t *testing.T) {
	t.Parallel()
	res := loadgen.Result{RunID: "r1", Mode: loadgen.ModeCount, Planned: 4, Started: at(0),
		ByType:     map[string]int{"UserCreated": 3, "ActivityCreated": 1},
		ByCategory: map[string]int{"user": 3, "activity": 1}}
	for _, s := range []float64{0.1, 0.2, 0.3, 1.5} {
		res.Events = append(res.Events, loadgen.Committed{EventType: "UserCreated", CommittedAt: at(s)})
	}
	// 10 records before the run; the four new ones committed by 3 s, one
	// of them poisoned by the user-projector.
	samples := []report.Sample{sample(-1, 10, 10, 5), sample(1, 11, 13, 5), sample(3, 14, 14, 6), sample(4, 14, 14, 6)}
	fresh := report.Freshness{
		Latencies: map[string][]time.Duration{"users": {100 * time.Millisecond, 300 * time.Millisecond}, "daily_statistics": {200 * time.Millisecond}},
		LastWrite: at(4),
	}

	r := build(Config{OutboxTopic: topic}, res, samples, fresh)
	assert.Equal(t, "4 events", r.Mode)
	assert.Empty(t, r.Pace, "a count-mode run has no target rate")
	assert.Equal(t, 4, r.Events)
	assert.Equal(t, at(1.5), r.LoadFinished)
	assert.Equal(t, at(4), r.Projected)
	assert.InDelta(t, 4/1.5, r.Throughput.Load.Average, 1e-9)
	assert.InDelta(t, 3, r.Throughput.Load.Peak, 1e-9, "three commits in the first second")
	assert.InDelta(t, 1, r.Throughput.EndToEnd, 1e-9, "4 events in 4 s")
	require.Len(t, r.Throughput.Consumers, 4)
	user := r.Throughput.Consumers[0]
	assert.Equal(t, "user-projector", user.Group)
	assert.InDelta(t, 4.0/3, user.Average, 1e-9, "4 records, done at the 3 s sample")
	writer := r.Throughput.Consumers[3]
	assert.Equal(t, "contributions", writer.Unit)
	assert.InDelta(t, 8.0/3, writer.Average, 1e-9)

	assert.Equal(t, report.Summary{N: 2, Min: 100, P50: 100, P95: 300, P99: 300, Max: 300, Mean: 200}, r.Latency["users"])
	assert.Equal(t, 3, r.Latency["all"].N)
	assert.Equal(t, map[string]int64{"user-projector.poison": 1}, r.Success.Poisoned, "only what the run added")
	assert.InDelta(t, 1-1.0/12, r.Success.Rate, 1e-9, "one of 4 events × 3 projectors")
	assert.Equal(t, []report.Share{{Name: "UserCreated", Count: 3, Percent: 75}, {Name: "ActivityCreated", Count: 1, Percent: 25}}, r.Mix)

	tl := timelines(Config{OutboxTopic: topic}, res, samples)
	assert.Equal(t, report.Series{3, 1}, tl.Load)
	require.Len(t, tl.Consumers, 4)
	assert.Equal(t, "statistics writer", tl.Consumers[3].Name)
}

// The projectors may have caught up with a topic Debezium has not finished
// writing to: caught up counts only once the topic holds the new events.
func TestPublishedNeedsTheNewEventsOnTheTopic(t *testing.T) {
	t.Parallel()
	before := sample(0, 10, 10, 0)
	assert.False(t, published(before, sample(1, 13, 13, 0), topic, 4))
	assert.True(t, published(before, sample(2, 14, 14, 0), topic, 4))
	assert.True(t, published(before, sample(2, 12, 15, 0), topic, 4), "others wrote too")
}

func TestConfigDefaultsAndValidate(t *testing.T) {
	t.Parallel()
	cfg := Config{Load: loadgen.Config{Count: 1000}}
	cfg.setDefaults()
	assert.Equal(t, time.Minute+30*time.Second, cfg.Timeout)
	assert.Equal(t, "postgres.activity.event_outbox", cfg.OutboxTopic)
	assert.ErrorContains(t, cfg.Validate(), "-postgres")
	cfg.Load.PostgresURL, cfg.MongoURI, cfg.Brokers = "postgres://x", "mongodb://x", []string{"k:9092"}
	assert.ErrorContains(t, cfg.Validate(), "-out")
	cfg.OutDir = t.TempDir()
	assert.NoError(t, cfg.Validate())
	rate := Config{Load: loadgen.Config{Rate: 100, Duration: 10 * time.Second}}
	rate.setDefaults()
	assert.Equal(t, time.Minute+30*time.Second, rate.Timeout, "1,000 planned events")
}
