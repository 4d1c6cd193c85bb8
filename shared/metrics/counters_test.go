package metrics_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/metrics"
)

func TestCountersIncAddGet(t *testing.T) {
	c := metrics.NewCounters()
	assert.EqualValues(t, 0, c.Get(metrics.MessagesProcessed, "handler", "users"))

	c.Inc(metrics.MessagesProcessed, "handler", "users")
	c.Add(metrics.MessagesProcessed, 4, "handler", "users")
	c.Inc(metrics.MessagesProcessed, "handler", "stats")
	assert.EqualValues(t, 5, c.Get(metrics.MessagesProcessed, "handler", "users"))
	assert.EqualValues(t, 1, c.Get(metrics.MessagesProcessed, "handler", "stats"))

	// Label order does not make another series.
	c.Inc(metrics.MessagesSkipped, "handler", "users", "reason", "tombstone")
	c.Inc(metrics.MessagesSkipped, "reason", "tombstone", "handler", "users")
	assert.EqualValues(t, 2, c.Get(metrics.MessagesSkipped, "reason", "tombstone", "handler", "users"))
	assert.EqualValues(t, 0, c.Get(metrics.MessagesSkipped, "handler", "users"))
}

func TestCountersConcurrentInc(t *testing.T) {
	c := metrics.NewCounters()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				c.Inc(metrics.MessagesRetried, "handler", "h", "kind", "transient")
				c.Inc(metrics.MessagesRetried, "handler", string(rune('a'+g)), "kind", "panic")
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 4000, c.Get(metrics.MessagesRetried, "handler", "h", "kind", "transient"))
	assert.EqualValues(t, 500, c.Get(metrics.MessagesRetried, "handler", "c", "kind", "panic"))
}

func TestWritePrometheus(t *testing.T) {
	c := metrics.NewCounters()
	c.Add(metrics.MessagesProcessed, 3, "handler", "users")
	c.Inc(metrics.MessagesProcessed, "handler", "activities")
	c.Add(metrics.MessagesSkipped, 2, "reason", "tombstone", "handler", "users")
	c.Inc(metrics.UnknownEventTypes, "event_type", `Weird"Type\With`+"\nNewline")

	var b strings.Builder
	require.NoError(t, c.WritePrometheus(&b, "projector_"))
	want := `# TYPE projector_messages_processed_total counter
projector_messages_processed_total{handler="activities"} 1
projector_messages_processed_total{handler="users"} 3
# TYPE projector_messages_skipped_total counter
projector_messages_skipped_total{handler="users",reason="tombstone"} 2
# TYPE projector_unknown_event_types_total counter
projector_unknown_event_types_total{event_type="Weird\"Type\\With\nNewline"} 1
`
	assert.Equal(t, want, b.String())

	// Every sample line is `name{labels} value` and follows its TYPE line.
	typed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, kind, _ := strings.Cut(name, " ")
			assert.Equal(t, "counter", kind)
			assert.False(t, typed[name], "TYPE %s twice", name)
			typed[name] = true
			continue
		}
		name, _, ok := strings.Cut(line, "{")
		require.True(t, ok, line)
		assert.True(t, typed[name], "sample %q before its TYPE line", line)
	}
}

func TestWritePrometheusEmptyAndWriteError(t *testing.T) {
	var b strings.Builder
	require.NoError(t, metrics.NewCounters().WritePrometheus(&b, "p_"))
	assert.Empty(t, b.String())

	c := metrics.NewCounters()
	c.Inc(metrics.MessagesPoisoned, "handler", "h")
	boom := errors.New("client went away")
	assert.ErrorIs(t, c.WritePrometheus(failingWriter{boom}, "p_"), boom)
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }
