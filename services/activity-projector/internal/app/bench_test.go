package app_test

// Benchmarks of the activity-projector's application path: payload
// validation, the domain change and the repository, in memory and on the
// MongoDB server TestMain started (FerretDB unless TEST_MONGODB_URI names a
// real MongoDB), a batch at a time (no Kafka). shared/router's
// BenchmarkConsumerPath measures what comes before it.
//
// Run: go test -run '^$' -bench . ./internal/app/

import (
	"context"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/readmodel"
	"github.com/activityapp/event-processor/shared/registry"
	"github.com/activityapp/event-processor/shared/service/servicetest"
	"github.com/activityapp/event-processor/testkit/mongotest"

	"github.com/activityapp/event-processor/services/activity-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/activity-projector/internal/app"
	"github.com/activityapp/event-processor/services/activity-projector/internal/domain/activity"
)

// activityStream is the histories of activities activities, interleaved
// as partitions deliver them: each is created, joined by members users,
// updated, and left by half of them.
func activityStream(tb testing.TB, activities, members int) []outbox.Event {
	r := rand.New(rand.NewPCG(1, 2))
	histories := make([][]outbox.Event, activities)
	for i := range histories {
		a := &servicetest.Aggregate{ID: servicetest.UUID(i + 1), Type: events.AggregateActivity}
		h := []outbox.Event{a.Next(tb, events.ActivityCreated, events.ActivityCreatedV1{
			ActivityID: a.ID, CreatorID: servicetest.UUID(1_000_000), Title: "Morning run", Category: "running",
			Location: "Hyde Park", StartsAt: servicetest.T0.Add(7 * 24 * time.Hour), MaxParticipants: members,
		})}
		for u := range members {
			h = append(h, a.Next(tb, events.ParticipantJoined,
				events.ParticipantJoinedV1{ActivityID: a.ID, UserID: servicetest.UUID(2_000_000 + u)}))
		}
		h = append(h, a.Next(tb, events.ActivityUpdated,
			events.ActivityUpdatedV1{ActivityID: a.ID, Location: servicetest.Ptr("Regent's Park")}))
		for u := range members / 2 {
			h = append(h, a.Next(tb, events.ParticipantLeft,
				events.ParticipantLeftV1{ActivityID: a.ID, UserID: servicetest.UUID(2_000_000 + u)}))
		}
		histories[i] = h
	}
	return servicetest.Interleave(r, histories)
}

// BenchmarkProjectActivitiesInMemory projects joins and leaves on a few
// activities whose members grow from 0 to members, in batches of 100:
// ns/op is the average over that growth. The stream starts again on a new
// repository when it runs out, so every event changes its activity.
func BenchmarkProjectActivitiesInMemory(b *testing.B) {
	for _, members := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("members=%d", members), func(b *testing.B) {
			stream := activityStream(b, 4, members)
			var repo *adapters.ActivitiesMemoryRepository
			n := servicetest.Replay(b, stream, 100, func() registry.BatchFunc {
				repo = adapters.NewActivitiesMemoryRepository()
				return app.NewProjector(repo).Project
			})
			servicetest.CheckLast(b, repo, stream, n, func(d activity.Activity) int64 { return d.Version })
		})
	}
}

// BenchmarkProjectActivities projects 100 activities of 20 members each
// into MongoDB in batches of 1 (one event at a time), 10, 100 and 500
// events: what a partition costs at each batch size, in events/s, store
// round trips and documents written per event.
func BenchmarkProjectActivities(b *testing.B) {
	stream := activityStream(b, 100, 20)
	for _, size := range []int{1, 10, 100, 500} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			var repo *adapters.ActivitiesMongoRepository
			n := servicetest.ReplayStore(b, stream, size, func() (registry.BatchFunc, prometheus.Gatherer) {
				counters := prometheus.NewRegistry()
				var err error
				repo, err = adapters.NewActivitiesMongoRepository(context.Background(), mongotest.Database(b), readmodel.Namer{}, counters)
				require.NoError(b, err)
				return app.NewProjector(repo).Project, counters
			})
			servicetest.CheckLast(b, repo, stream, n, func(d activity.Activity) int64 { return d.Version })
		})
	}
}
