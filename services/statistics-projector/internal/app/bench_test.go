package app_test

// Benchmark of the statistics-projector's two use cases back to back, in
// memory: the fan-out computes the contributions of a batch of events and
// the writer counts them in the in-memory store. Kafka between them (the
// increments topic) and MongoDB are left out; adapters'
// BenchmarkStatisticsMongoApply measures the MongoDB store.
//
// Run: go test -run '^$' -bench . ./internal/app/

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/registry"
	"github.com/activityapp/event-processor/shared/service/servicetest"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/statistics-projector/internal/app"
	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

// writingPublisher hands a batch's contributions straight to a writer,
// where production sends them through the increments topic.
type writingPublisher struct{ w *app.Writer }

func (p writingPublisher) Publish(ctx context.Context, cs ...stats.Contribution) error {
	return p.w.Apply(ctx, cs)
}

// benchDay is the UTC day of every event of statsStream.
var benchDay = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// statsPartitions is how many outbox partitions statsStream spreads over.
const statsPartitions = 3

// statsStream is n events of every counted type on one day, mostly joins
// and leaves, by 100 users on 10 activities, spread over statsPartitions
// outbox partitions with growing offsets in each.
func statsStream(n int) []outbox.Event {
	userOf := func(i int) string { return fmt.Sprintf("%08d-0000-4000-8000-000000000000", i%100) }
	activityOf := func(i int) string { return fmt.Sprintf("%08d-0000-4000-8000-000000000001", i%10) }
	out := make([]outbox.Event, 0, n)
	for i := range n {
		at := benchDay.Add(time.Duration(i) * time.Second)
		u, a := userOf(i), activityOf(i)
		var e outbox.Event
		switch i % 10 {
		case 0:
			e = ev(events.UserCreated, u, at, `{"user_id":"`+u+`","email":"u@example.com","username":"u`+u[:8]+`"}`)
		case 1:
			e = ev(events.UserUpdated, u, at, `{"user_id":"`+u+`","city":"Paris"}`)
		case 2:
			e = ev(events.ActivityCreated, a, at, `{"activity_id":"`+a+`","creator_id":"`+u+
				`","title":"Run","category":"sport","starts_at":"2026-12-01T08:00:00Z"}`)
		case 3, 4, 5, 6:
			e = ev(events.ParticipantJoined, a, at, `{"activity_id":"`+a+`","user_id":"`+u+`"}`)
		case 7:
			e = ev(events.ParticipantLeft, a, at, `{"activity_id":"`+a+`","user_id":"`+u+`"}`)
		case 8:
			e = ev(events.ActivityUpdated, a, at, `{"activity_id":"`+a+`","location":"Park"}`)
		default:
			e = ev(events.ActivityCancelled, a, at, `{"activity_id":"`+a+`"}`)
		}
		// ev types every aggregate but its two fixture users as an activity.
		if e.EventType == events.UserCreated || e.EventType == events.UserUpdated {
			e.AggregateType = events.AggregateUser
		}
		e.Position = outbox.Position{Partition: int32(i % statsPartitions), Offset: int64(i / statsPartitions)}
		out = append(out, e)
	}
	return out
}

// BenchmarkFanoutThenWriter is the statistics-projector's application path
// per outbox event, a batch of events at a time: contributions (one daily,
// most one per user too) and their counting, each document once per batch.
// The stream starts again on a new store when it runs out, so every
// contribution is new.
func BenchmarkFanoutThenWriter(b *testing.B) {
	stream := statsStream(1000)
	for _, size := range []int{1, 100, 500} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			var store *adapters.StatisticsMemory
			n := servicetest.Replay(b, stream, size, func() registry.BatchFunc {
				store = adapters.NewStatisticsMemory()
				return app.NewFanout(writingPublisher{w: app.NewWriter(store)}).Handle
			})

			// Each event of the current pass is counted once for the day.
			var counted int64
			for _, t := range stats.EventTypes {
				d, _, err := store.Document(context.Background(), stats.DailyStatistics, benchDay.Format("2006-01-02")+"/"+t)
				require.NoError(b, err)
				counted += d.Counters[stats.Count]
			}
			require.EqualValues(b, (n-1)%len(stream)+1, counted, "events counted in the last pass")
		})
	}
}
