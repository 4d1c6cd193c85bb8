package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/scripts/demo"
	"github.com/activityapp/event-processor/scripts/loadgen"
	"github.com/activityapp/event-processor/scripts/report"
)

// The demo, as `make demo` runs it, against the real stack: the load
// generator's events reach every read model, the verifier finds the read
// models equal to the model it recomputes from the whole outbox (every
// earlier scenario's events too), and the report holds a measurement for
// every read model and consumer, with its files written.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	waitCaughtUp(t, ctx, 2*time.Minute)

	const events = 300
	out := t.TempDir()
	log := &lineLog{t: t}
	r, err := demo.Run(ctx, demo.Config{
		Load:     loadgen.Config{PostgresURL: stack.PostgresURL, Count: events, Seed: 5, Progress: log},
		MongoURI: stack.MongoURI, Brokers: []string{stack.KafkaBroker}, OutDir: out, Log: log,
	})
	require.NoError(t, err)
	var table bytes.Buffer
	require.NoError(t, r.WriteTable(&table))
	t.Log("\n" + table.String())

	assert.True(t, r.Success.CaughtUp, "every consumer caught up")
	assert.True(t, r.Success.Verified, "the verifier agrees")
	assert.InDelta(t, 1.0, r.Success.Rate, 1e-9, "nothing poisoned")
	assert.True(t, r.OK())
	assert.Equal(t, events, r.Events)
	mixed := 0
	for _, s := range r.Mix {
		mixed += s.Count
	}
	assert.Equal(t, events, mixed)

	// Every read model was written, after the commits it reflects and
	// within the run; every consumer did work.
	for _, name := range append(report.ReadModels, "all") {
		l := r.Latency[name]
		assert.Positive(t, l.N, name)
		assert.GreaterOrEqual(t, float64(l.Min), 0.0, "%s: a document written before its event committed", name)
		assert.Less(t, float64(l.Max), float64(r.Projected.Sub(r.Started)/time.Millisecond)+1000, name)
	}
	assert.Positive(t, r.Throughput.Load.Average)
	require.Len(t, r.Throughput.Consumers, 4)
	for _, c := range r.Throughput.Consumers {
		assert.Positive(t, c.Average, c.Group)
	}
	assert.False(t, r.Projected.Before(r.LoadFinished), "the read models caught up after the last commit")

	raw, err := os.ReadFile(filepath.Join(out, "report.json"))
	require.NoError(t, err)
	var written report.Report
	require.NoError(t, json.Unmarshal(raw, &written))
	assert.Equal(t, r.RunID, written.RunID)
	assert.Equal(t, r.Latency, written.Latency)
	for _, f := range []string{"report.txt", report.LatencyChart, report.ThroughputChart} {
		b, err := os.ReadFile(filepath.Join(out, f))
		require.NoError(t, err, f)
		assert.NotEmpty(t, b, f)
	}
}

// lineLog passes the demo's progress lines to the test log.
type lineLog struct{ t *testing.T }

func (l *lineLog) Write(p []byte) (int, error) {
	if s := strings.TrimSpace(string(p)); s != "" {
		l.t.Log(s)
	}
	return len(p), nil
}
