package app_test

// Benchmark of the user-projector's application path: payload validation,
// the domain change and the in-memory repository (no MongoDB, no Kafka).
// shared/router's BenchmarkConsumerPath measures what comes before it.
//
// Run: go test -run '^$' -bench . ./internal/app/

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/app/apptest"
	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/registry"

	"github.com/activityapp/event-processor/services/user-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/user-projector/internal/app"
)

// userStream is the histories of users users, interleaved as partitions
// deliver them: each user is created and updated three times, and one in
// four is deleted.
func userStream(tb testing.TB, users int) []outbox.Event {
	r := rand.New(rand.NewPCG(1, 2))
	histories := make([][]outbox.Event, users)
	for i := range histories {
		u := &apptest.Aggregate{ID: apptest.UUID(i + 1), Type: events.AggregateUser}
		name := fmt.Sprintf("user%d", i)
		h := []outbox.Event{
			u.Next(tb, events.UserCreated, events.UserCreatedV1{
				UserID: u.ID, Email: name + "@example.com", Username: name, FullName: "User " + name, City: "London",
			}),
			u.Next(tb, events.UserUpdated, events.UserUpdatedV1{UserID: u.ID, City: apptest.Ptr("Paris")}),
			u.Next(tb, events.UserUpdated, events.UserUpdatedV1{UserID: u.ID, Email: apptest.Ptr(name + "@example.org")}),
			u.Next(tb, events.UserUpdated, events.UserUpdatedV1{
				UserID: u.ID, Username: apptest.Ptr(name + "x"), FullName: apptest.Ptr("Renamed " + name),
			}),
		}
		if i%4 == 0 {
			h = append(h, u.Next(tb, events.UserDeleted, events.UserDeletedV1{UserID: u.ID, Reason: "requested"}))
		}
		histories[i] = h
	}
	return apptest.Interleave(r, histories)
}

// BenchmarkProjectUsers projects a mixed stream of user events through the
// registered handlers. The stream starts again on a new repository when it
// runs out, so every event changes its user (none is a stale redelivery).
func BenchmarkProjectUsers(b *testing.B) {
	stream := userStream(b, 1000)
	var repo *adapters.UsersMemoryRepository
	n := apptest.Replay(b, stream, func() registry.HandlerFunc {
		repo = adapters.NewUsersMemoryRepository()
		return apptest.Dispatch(app.NewProjector(repo).Registrations())
	})

	last := stream[(n-1)%len(stream)]
	u, found, err := repo.Get(context.Background(), last.AggregateID)
	require.NoError(b, err)
	require.True(b, found)
	require.Equal(b, last.AggregateVersion, u.Version, "the last event was projected")
}
