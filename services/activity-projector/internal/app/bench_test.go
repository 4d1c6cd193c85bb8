package app_test

// Benchmark of the activity-projector's application path: payload
// validation, the domain change and the in-memory repository (no MongoDB,
// no Kafka). shared/router's BenchmarkConsumerPath measures what comes
// before it.
//
// Run: go test -run '^$' -bench . ./internal/app/

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/app/apptest"
	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/registry"

	"github.com/activityapp/event-processor/services/activity-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/activity-projector/internal/app"
)

// activityStream is the histories of activities activities, interleaved
// as partitions deliver them: each is created, joined by members users,
// updated, and left by half of them.
func activityStream(tb testing.TB, activities, members int) []outbox.Event {
	r := rand.New(rand.NewPCG(1, 2))
	histories := make([][]outbox.Event, activities)
	for i := range histories {
		a := &apptest.Aggregate{ID: apptest.UUID(i + 1), Type: events.AggregateActivity}
		h := []outbox.Event{a.Next(tb, events.ActivityCreated, events.ActivityCreatedV1{
			ActivityID: a.ID, CreatorID: apptest.UUID(1_000_000), Title: "Morning run", Category: "running",
			Location: "Hyde Park", StartsAt: apptest.T0.Add(7 * 24 * time.Hour), MaxParticipants: members,
		})}
		for u := range members {
			h = append(h, a.Next(tb, events.ParticipantJoined,
				events.ParticipantJoinedV1{ActivityID: a.ID, UserID: apptest.UUID(2_000_000 + u)}))
		}
		h = append(h, a.Next(tb, events.ActivityUpdated,
			events.ActivityUpdatedV1{ActivityID: a.ID, Location: apptest.Ptr("Regent's Park")}))
		for u := range members / 2 {
			h = append(h, a.Next(tb, events.ParticipantLeft,
				events.ParticipantLeftV1{ActivityID: a.ID, UserID: apptest.UUID(2_000_000 + u)}))
		}
		histories[i] = h
	}
	return apptest.Interleave(r, histories)
}

// BenchmarkProjectActivities projects joins and leaves on a few activities
// whose members maps grow from 0 to members: ns/op is the average over
// that growth. The stream starts again on a new repository when it runs
// out, so every event changes its activity.
func BenchmarkProjectActivities(b *testing.B) {
	for _, members := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("members=%d", members), func(b *testing.B) {
			benchmarkProjectActivities(b, activityStream(b, 4, members))
		})
	}
}

func benchmarkProjectActivities(b *testing.B, stream []outbox.Event) {
	var repo *adapters.ActivitiesMemoryRepository
	n := apptest.Replay(b, stream, func() registry.HandlerFunc {
		repo = adapters.NewActivitiesMemoryRepository()
		return apptest.Dispatch(app.NewProjector(repo).Registrations())
	})

	last := stream[(n-1)%len(stream)]
	a, found, err := repo.Get(context.Background(), last.AggregateID)
	require.NoError(b, err)
	require.True(b, found)
	require.Equal(b, last.AggregateVersion, a.Version, "the last event was projected")
}
