package apptest

import (
	"context"
	"fmt"
	"testing"

	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/registry"
)

// Replay is the loop of a projection benchmark: each b.Loop iteration hands
// the next event of stream to the handler fresh returned. When the stream
// runs out it starts again with a new handler (over a new, empty store),
// so every event changes something. It reports events/s and returns how
// many events it handled; the last one is stream[(n-1)%len(stream)].
func Replay(b *testing.B, stream []outbox.Event, fresh func() registry.HandlerFunc) int {
	b.Helper()
	ctx := context.Background()
	var (
		handle registry.HandlerFunc
		n      int
	)
	b.ReportAllocs()
	for b.Loop() {
		i := n % len(stream)
		if i == 0 {
			handle = fresh()
		}
		if err := handle(ctx, stream[i]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	return n
}

// Dispatch routes an event to the registration of its type, as the
// registry does for one handler per type, without the registry's
// bookkeeping.
func Dispatch(regs []registry.Registration) registry.HandlerFunc {
	byType := make(map[string]registry.HandlerFunc, len(regs))
	for _, r := range regs {
		byType[r.EventType] = r.Fn
	}
	return func(ctx context.Context, ev outbox.Event) error {
		fn, ok := byType[ev.EventType]
		if !ok {
			return fmt.Errorf("no handler for %s", ev.EventType)
		}
		return fn(ctx, ev)
	}
}
