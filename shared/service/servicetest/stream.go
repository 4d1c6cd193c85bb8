package servicetest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/outbox"
)

// T0 has sub-millisecond digits: Debezium sends microseconds, read models
// keep milliseconds.
var T0 = time.Date(2026, 11, 27, 10, 15, 30, 123_456_000, time.UTC)

// At is the created_at of an aggregate's event at version: a minute apart.
func At(version int64) time.Time { return T0.Add(time.Duration(version) * time.Minute) }

// UUID returns a valid, readable UUID for n.
func UUID(n int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n) }

// RandomUUID returns a UUID drawn from r.
func RandomUUID(r *rand.Rand) string {
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), r.IntN(1<<12), r.Uint64()&(1<<48-1))
}

// Aggregate writes the events of one aggregate with consecutive versions,
// as the application does.
type Aggregate struct {
	ID      string
	Type    string
	Version int64
}

// Next returns the aggregate's next event, created at At(version).
func (a *Aggregate) Next(t testing.TB, eventType string, payload any) outbox.Event {
	t.Helper()
	a.Version++
	b, err := json.Marshal(payload)
	require.NoError(t, err)
	return outbox.Event{
		EventID:          fmt.Sprintf("%s-%012d", a.ID[:23], a.Version),
		AggregateID:      a.ID,
		AggregateType:    a.Type,
		AggregateVersion: a.Version,
		EventType:        eventType,
		SchemaVersion:    1,
		Payload:          b,
		Metadata:         outbox.Metadata{CorrelationID: "corr-" + a.ID},
		CreatedAt:        At(a.Version),
	}
}

// Interleave merges streams in a random order that keeps each stream's own
// order, as partitions deliver them.
func Interleave[T any](r *rand.Rand, streams [][]T) []T {
	var picks []int
	for i, s := range streams {
		for range s {
			picks = append(picks, i)
		}
	}
	r.Shuffle(len(picks), func(i, j int) { picks[i], picks[j] = picks[j], picks[i] })
	next := make([]int, len(streams))
	out := make([]T, 0, len(picks))
	for _, i := range picks {
		out = append(out, streams[i][next[i]])
		next[i]++
	}
	return out
}

// Ptr returns a pointer to v, for the optional fields of update payloads.
func Ptr[T any](v T) *T { return &v }
