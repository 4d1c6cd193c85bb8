package servicetest

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/metrics/metricstest"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/registry"
)

// Replay is the loop of a projection benchmark: each b.Loop iteration hands
// the next batch of size events of stream to the handler fresh returned.
// When the stream runs out it starts again with a new handler (over a new,
// empty store), so every event changes something. It reports events/s and
// returns how many events it handled.
func Replay(b *testing.B, stream []outbox.Event, size int, fresh func() registry.BatchFunc) int {
	b.Helper()
	return ReplayStore(b, stream, size, func() (registry.BatchFunc, prometheus.Gatherer) { return fresh(), nil })
}

// ReplayStore is Replay for a handler over a real store: fresh (run with
// the timer stopped) returns the handler over a new, empty database and
// the registry its store's metrics are in (nil: none). With a registry it
// also reports the store round trips and the documents written per event.
func ReplayStore(b *testing.B, stream []outbox.Event, size int, fresh func() (registry.BatchFunc, prometheus.Gatherer)) int {
	b.Helper()
	ctx := context.Background()
	var (
		handle      registry.BatchFunc
		counters    prometheus.Gatherer
		n, next     int
		trips, docs float64
	)
	counted := false
	flush := func() {
		if counters != nil {
			counted = true
			trips += metricstest.Value(b, counters, metrics.StoreRoundTrips)
			docs += metricstest.Value(b, counters, metrics.StoreDocumentsWritten)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if next == 0 {
			b.StopTimer()
			flush()
			handle, counters = fresh()
			b.StartTimer()
		}
		end := min(next+size, len(stream))
		if err := handle(ctx, stream[next:end]); err != nil {
			b.Fatal(err)
		}
		n += end - next
		next = end % len(stream)
	}
	flush()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	if counted {
		b.ReportMetric(trips/float64(max(n, 1)), "trips/event")
		b.ReportMetric(docs/float64(max(n, 1)), "docs/event")
	}
	return n
}

// CheckLast checks that the last of n events Replay handled (the stream
// starts again when it runs out) reached its document, whose aggregate
// version version reads.
func CheckLast[D any](b *testing.B, repo interface {
	Get(ctx context.Context, id string) (D, bool, error)
}, stream []outbox.Event, n int, version func(D) int64,
) {
	b.Helper()
	last := stream[(n-1)%len(stream)]
	doc, found, err := repo.Get(context.Background(), last.AggregateID)
	if err != nil || !found {
		b.Fatalf("document %s of the last event: found %v, %v", last.AggregateID, found, err)
	}
	if got := version(doc); got != last.AggregateVersion {
		b.Fatalf("document %s at version %d, want %d: the last event was not projected", last.AggregateID, got, last.AggregateVersion)
	}
}
