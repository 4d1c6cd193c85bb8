package app_test

// Benchmarks of the user-projector's application path: payload validation,
// the domain change and the repository, in memory and on the MongoDB
// server TestMain started (FerretDB unless TEST_MONGODB_URI names a real
// MongoDB), a batch at a time (no Kafka). shared/router's
// BenchmarkConsumerPath measures what comes before it.
//
// Run: go test -run '^$' -bench . ./internal/app/

import (
	"context"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/readmodel"
	"github.com/activityapp/event-processor/shared/registry"
	"github.com/activityapp/event-processor/shared/service/servicetest"
	"github.com/activityapp/event-processor/testkit/mongotest"

	"github.com/activityapp/event-processor/services/user-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/user-projector/internal/app"
	"github.com/activityapp/event-processor/services/user-projector/internal/domain/user"
)

// userStream is the histories of users users, interleaved as partitions
// deliver them: each user is created and updated three times, and one in
// four is deleted.
func userStream(tb testing.TB, users int) []outbox.Event {
	r := rand.New(rand.NewPCG(1, 2))
	histories := make([][]outbox.Event, users)
	for i := range histories {
		u := &servicetest.Aggregate{ID: servicetest.UUID(i + 1), Type: events.AggregateUser}
		name := fmt.Sprintf("user%d", i)
		h := []outbox.Event{
			u.Next(tb, events.UserCreated, events.UserCreatedV1{
				UserID: u.ID, Email: name + "@example.com", Username: name, FullName: "User " + name, City: "London",
			}),
			u.Next(tb, events.UserUpdated, events.UserUpdatedV1{UserID: u.ID, City: servicetest.Ptr("Paris")}),
			u.Next(tb, events.UserUpdated, events.UserUpdatedV1{UserID: u.ID, Email: servicetest.Ptr(name + "@example.org")}),
			u.Next(tb, events.UserUpdated, events.UserUpdatedV1{
				UserID: u.ID, Username: servicetest.Ptr(name + "x"), FullName: servicetest.Ptr("Renamed " + name),
			}),
		}
		if i%4 == 0 {
			h = append(h, u.Next(tb, events.UserDeleted, events.UserDeletedV1{UserID: u.ID, Reason: "requested"}))
		}
		histories[i] = h
	}
	return servicetest.Interleave(r, histories)
}

// BenchmarkProjectUsersInMemory projects a mixed stream of user events in
// batches of 100 through the projector. The stream starts again on a new
// repository when it runs out, so every event changes its user (none is a
// stale redelivery).
func BenchmarkProjectUsersInMemory(b *testing.B) {
	stream := userStream(b, 1000)
	var repo *adapters.UsersMemoryRepository
	n := servicetest.Replay(b, stream, 100, func() registry.BatchFunc {
		repo = adapters.NewUsersMemoryRepository()
		return app.NewProjector(repo).Project
	})
	servicetest.CheckLast(b, repo, stream, n, func(d user.User) int64 { return d.Version })
}

// BenchmarkProjectUsers projects the same stream into MongoDB in batches
// of 1 (one event at a time), 10, 100 and 500 events: what a partition
// costs at each batch size, in events/s, store round trips and documents
// written per event.
func BenchmarkProjectUsers(b *testing.B) {
	stream := userStream(b, 1000)
	for _, size := range []int{1, 10, 100, 500} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			var repo *adapters.UsersMongoRepository
			n := servicetest.ReplayStore(b, stream, size, func() (registry.BatchFunc, prometheus.Gatherer) {
				counters := prometheus.NewRegistry()
				var err error
				repo, err = adapters.NewUsersMongoRepository(context.Background(), mongotest.Database(b), readmodel.Namer{}, counters)
				require.NoError(b, err)
				return app.NewProjector(repo).Project, counters
			})
			servicetest.CheckLast(b, repo, stream, n, func(d user.User) int64 { return d.Version })
		})
	}
}
