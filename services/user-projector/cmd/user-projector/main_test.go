package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/activityapp/event-processor/shared/debezium/debeziumtest"
	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/metrics/metricstest"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/service"
	"github.com/activityapp/event-processor/shared/service/servicetest"
	"github.com/activityapp/event-processor/testkit/mongotest"

	"github.com/activityapp/event-processor/services/user-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/user-projector/internal/domain/user"
)

const serviceName = "user-projector"

func TestMain(m *testing.M) {
	os.Exit(mongotest.Main(m))
}

// projector is the wired user-projector on its own Kafka and database.
type projector struct{ *servicetest.Service }

func startProjector(t *testing.T) projector {
	return projector{servicetest.Start(t, serviceName, initRunner, servicetest.Options{})}
}

func (p projector) documents(t *testing.T) map[string]bson.M {
	return servicetest.Documents(t, p.DB, adapters.UsersCollection)
}

func user_(id string) *servicetest.Aggregate {
	return &servicetest.Aggregate{ID: id, Type: events.AggregateUser}
}

func date(t time.Time) bson.DateTime { return bson.NewDateTimeFromTime(t) }

func TestProjectsEveryEventType(t *testing.T) {
	p := startProjector(t)
	ada, bob := user_(servicetest.UUID(1)), user_(servicetest.UUID(2))

	p.Produce(t,
		ada.Next(t, events.UserCreated, events.UserCreatedV1{
			UserID: ada.ID, Email: "ada@example.com", Username: "ada", FullName: "Ada Lovelace", City: "London",
		}),
		bob.Next(t, events.UserCreated, events.UserCreatedV1{UserID: bob.ID, Email: "bob@example.com", Username: "bob"}),
	)
	p.WaitProcessed(t)
	adaCreated := bson.M{
		"_id": ada.ID, "_rev": int64(1),
		"email": "ada@example.com", "username": "ada", "full_name": "Ada Lovelace", "city": "London",
		"status": "active", "created_at": date(servicetest.At(1)), "updated_at": date(servicetest.At(1)), "deleted_at": nil,
		"version": int64(1),
		"field_versions": bson.M{
			"email": int64(1), "username": int64(1), "full_name": int64(1), "city": int64(1),
			"status": int64(1), "created_at": int64(1),
		},
	}
	bobCreated := bson.M{
		"_id": bob.ID, "_rev": int64(1),
		"email": "bob@example.com", "username": "bob", "full_name": "", "city": "",
		"status": "active", "created_at": date(servicetest.At(1)), "updated_at": date(servicetest.At(1)), "deleted_at": nil,
		"version": int64(1),
		"field_versions": bson.M{
			"email": int64(1), "username": int64(1), "full_name": int64(1), "city": int64(1),
			"status": int64(1), "created_at": int64(1),
		},
	}
	require.Equal(t, map[string]bson.M{ada.ID: adaCreated, bob.ID: bobCreated}, p.documents(t), "after UserCreated")

	p.Produce(t, ada.Next(t, events.UserUpdated, events.UserUpdatedV1{
		UserID: ada.ID, Email: servicetest.Ptr("ada@lovelace.org"), City: servicetest.Ptr(""),
	}))
	p.WaitProcessed(t)
	adaUpdated := bson.M{
		"_id": ada.ID, "_rev": int64(2),
		"email": "ada@lovelace.org", "username": "ada", "full_name": "Ada Lovelace", "city": "",
		"status": "active", "created_at": date(servicetest.At(1)), "updated_at": date(servicetest.At(2)), "deleted_at": nil,
		"version": int64(2),
		"field_versions": bson.M{
			"email": int64(2), "username": int64(1), "full_name": int64(1), "city": int64(2),
			"status": int64(1), "created_at": int64(1),
		},
	}
	require.Equal(t, map[string]bson.M{ada.ID: adaUpdated, bob.ID: bobCreated}, p.documents(t), "after UserUpdated")

	p.Produce(t, ada.Next(t, events.UserDeleted, events.UserDeletedV1{UserID: ada.ID, Reason: "requested"}))
	p.WaitProcessed(t)
	adaDeleted := bson.M{
		"_id": ada.ID, "_rev": int64(3),
		"email": "", "username": "", "full_name": "", "city": "",
		"status": "deleted", "created_at": date(servicetest.At(1)), "updated_at": date(servicetest.At(3)),
		"deleted_at": date(servicetest.At(3)), "deletion_reason": "requested",
		"version": int64(3),
		"field_versions": bson.M{
			"email": int64(3), "username": int64(3), "full_name": int64(3), "city": int64(3),
			"status": int64(3), "created_at": int64(1),
		},
	}
	require.Equal(t, map[string]bson.M{ada.ID: adaDeleted, bob.ID: bobCreated}, p.documents(t), "after UserDeleted")
}

// A restarted projector starts on the database its predecessor set up
// (its indexes exist already) and carries on where it stopped.
func TestRestartedProjectorCarriesOn(t *testing.T) {
	p := startProjector(t)
	ada := user_(servicetest.UUID(1))
	p.Produce(t, ada.Next(t, events.UserCreated, events.UserCreatedV1{UserID: ada.ID, Email: "ada@example.com", Username: "ada"}))
	p.WaitProcessed(t)
	p.Restart(t) // a first restart, with nothing to do
	p.Restart(t)

	p.Produce(t, ada.Next(t, events.UserUpdated, events.UserUpdatedV1{UserID: ada.ID, City: servicetest.Ptr("Paris")}))
	p.WaitProcessed(t)
	p.Stop()
	doc := p.documents(t)[ada.ID]
	assert.Equal(t, "Paris", doc["city"])
	assert.Equal(t, "ada@example.com", doc["email"])
	assert.EqualValues(t, 2, doc["_rev"])
}

func TestDuplicatesChangeNothing(t *testing.T) {
	p := startProjector(t)
	var stream []outbox.Event
	for i := range 3 {
		u := user_(servicetest.UUID(i + 1))
		stream = append(stream,
			u.Next(t, events.UserCreated, events.UserCreatedV1{
				UserID: u.ID, Email: fmt.Sprintf("u%d@example.com", i), Username: fmt.Sprintf("u%d", i), City: "Oslo",
			}),
			u.Next(t, events.UserUpdated, events.UserUpdatedV1{UserID: u.ID, FullName: servicetest.Ptr(fmt.Sprintf("User %d", i))}),
		)
		if i == 0 {
			stream = append(stream, u.Next(t, events.UserDeleted, events.UserDeletedV1{UserID: u.ID}))
		}
	}
	p.Produce(t, stream...)
	p.WaitProcessed(t)
	first := p.documents(t)
	require.Len(t, first, 3)
	require.Equal(t, model(t, stream), servicetest.Without(first, "_rev"))

	p.Produce(t, stream...)
	p.WaitProcessed(t)
	assert.Equal(t, first, p.documents(t), "the same records again change nothing, not even _rev")
}

func TestOutOfOrderDeliveryNewerStateWins(t *testing.T) {
	p := startProjector(t)
	ada, bob := user_(servicetest.UUID(1)), user_(servicetest.UUID(2))
	adaCreated := ada.Next(t, events.UserCreated, events.UserCreatedV1{
		UserID: ada.ID, Email: "ada@example.com", Username: "ada", FullName: "Ada Lovelace", City: "London",
	})
	adaMoved := ada.Next(t, events.UserUpdated, events.UserUpdatedV1{UserID: ada.ID, Email: servicetest.Ptr("ada@paris.fr"), City: servicetest.Ptr("Paris")})
	adaMovedAgain := ada.Next(t, events.UserUpdated, events.UserUpdatedV1{UserID: ada.ID, City: servicetest.Ptr("Rome")})
	bobCreated := bob.Next(t, events.UserCreated, events.UserCreatedV1{UserID: bob.ID, Email: "bob@example.com", Username: "bob"})
	bobDeleted := bob.Next(t, events.UserDeleted, events.UserDeletedV1{UserID: bob.ID, Reason: "spam"})

	// Newest first. How many writes that takes depends on how the records
	// fall into batches (one write per document per batch), so _rev is
	// left out.
	p.Produce(t, adaMovedAgain, adaMoved, adaCreated, bobDeleted, bobCreated)
	p.WaitProcessed(t)

	assert.Equal(t, map[string]bson.M{
		ada.ID: {
			"_id":   ada.ID,
			"email": "ada@paris.fr", "username": "ada", "full_name": "Ada Lovelace", "city": "Rome",
			"status": "active", "created_at": date(servicetest.At(1)), "updated_at": date(servicetest.At(3)), "deleted_at": nil,
			"version": int64(3),
			"field_versions": bson.M{
				"email": int64(2), "username": int64(1), "full_name": int64(1), "city": int64(3),
				"status": int64(1), "created_at": int64(1),
			},
		},
		bob.ID: {
			"_id":   bob.ID,
			"email": "", "username": "", "full_name": "", "city": "",
			"status": "deleted", "created_at": date(servicetest.At(1)), "updated_at": date(servicetest.At(2)),
			"deleted_at": date(servicetest.At(2)), "deletion_reason": "spam",
			"version": int64(2),
			"field_versions": bson.M{
				"email": int64(2), "username": int64(2), "full_name": int64(2), "city": int64(2),
				"status": int64(2), "created_at": int64(1),
			},
		},
	}, servicetest.Without(p.documents(t), "_rev"), "the newest write wins per field; older events fill the rest; a late create cannot revive a deleted user")
}

// projection is this service's read model for the shared scenarios.
var projection = servicetest.Projection{
	Start:     func(t *testing.T) *servicetest.Service { return startProjector(t).Service },
	Documents: func(t *testing.T, s *servicetest.Service) map[string]bson.M { return projector{s}.documents(t) },
	Streams:   randomStreams,
	Model:     model,
}

func TestConcurrentDeliveryFromAllPartitions(t *testing.T) {
	servicetest.CheckConcurrentDelivery(t, projection, 1)
}

// Replaying the same events into a fresh read model, in another order that
// keeps each aggregate's events in order, every event twice, gives
// identical documents: the read model depends on the events only.
func TestReplayIntoFreshReadModelGivesIdenticalDocuments(t *testing.T) {
	servicetest.CheckReplay(t, projection, 3)
}

func TestInvalidRecordsGoToThePoisonQueue(t *testing.T) {
	p := startProjector(t)
	ada, bob, cyd := user_(servicetest.UUID(1)), user_(servicetest.UUID(2)), user_(servicetest.UUID(3))

	// ada: a record that is no JSON at all, then her events.
	adaCreated := ada.Next(t, events.UserCreated, events.UserCreatedV1{UserID: ada.ID, Email: "ada@example.com", Username: "ada"})
	adaKey := debeziumtest.Key(adaCreated)
	p.ProduceRaw(t, adaKey, []byte("not json"))
	p.Produce(t, adaCreated)

	// bob: a UserCreated without email, then an update.
	bobInvalid := bob.Next(t, events.UserCreated, map[string]string{"user_id": bob.ID, "username": "bob"})
	bobUpdated := bob.Next(t, events.UserUpdated, events.UserUpdatedV1{UserID: bob.ID, City: servicetest.Ptr("Berlin")})
	p.Produce(t, bobInvalid, bobUpdated)

	// cyd: a schema version this build does not know, then a deletion.
	cydFuture := cyd.Next(t, events.UserCreated, events.UserCreatedV1{UserID: cyd.ID, Email: "cyd@example.com", Username: "cyd"})
	cydFuture.SchemaVersion = 9
	cydDeleted := cyd.Next(t, events.UserDeleted, events.UserDeletedV1{UserID: cyd.ID})
	p.Produce(t, cydFuture, cydDeleted)

	p.WaitProcessed(t)

	// Each user's later event is parked behind the bad one, not applied
	// past it.
	parked := "an earlier record of its sequence is poisoned"
	p.ExpectPoisoned(t, service.OutboxHandlerName(serviceName),
		servicetest.Poison{Key: adaKey, Value: []byte("not json"), Reason: "not JSON"},
		servicetest.Poison{Key: adaKey, Value: debeziumtest.Envelope(adaCreated), Reason: parked, Parked: true},
		servicetest.Poison{Key: debeziumtest.Key(bobInvalid), Value: debeziumtest.Envelope(bobInvalid), Reason: "email: required"},
		servicetest.Poison{Key: debeziumtest.Key(bobUpdated), Value: debeziumtest.Envelope(bobUpdated), Reason: parked, Parked: true},
		servicetest.Poison{Key: debeziumtest.Key(cydFuture), Value: debeziumtest.Envelope(cydFuture), Reason: "schema_version"},
		servicetest.Poison{Key: debeziumtest.Key(cydDeleted), Value: debeziumtest.Envelope(cydDeleted), Reason: parked, Parked: true},
	)
	assert.Empty(t, p.documents(t), "nothing applied past a poisoned event of its user")
	blocks := p.Blocks(t)
	require.Len(t, blocks, 3, "one blocked sequence per user, in MongoDB")
	for _, b := range blocks {
		assert.Len(t, b.Parked, 2, "%s: the poisoned record, then the parked one", b.Key)
	}
}

// randomStreams makes n valid user histories: UserCreated, updates of
// random fields, and sometimes a final UserDeleted; perUser events each.
func randomStreams(t *testing.T, r *rand.Rand, n, perUser int) [][]outbox.Event {
	t.Helper()
	word := func(prefix string) string { return fmt.Sprintf("%s%d", prefix, r.IntN(1000)) }
	maybe := func(s string) string {
		if r.IntN(4) == 0 {
			return ""
		}
		return s
	}
	streams := make([][]outbox.Event, n)
	for i := range streams {
		u := user_(fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), r.IntN(1<<12), r.Uint64()&(1<<48-1)))
		s := []outbox.Event{u.Next(t, events.UserCreated, events.UserCreatedV1{
			UserID: u.ID, Email: word("mail") + "@example.com", Username: word("user"),
			FullName: maybe(word("Name ")), City: maybe(word("City")),
		})}
		deleted := r.IntN(3) == 0
		for len(s) < perUser-1 || (len(s) < perUser && !deleted) {
			p := events.UserUpdatedV1{UserID: u.ID}
			for p.Email == nil && p.Username == nil && p.FullName == nil && p.City == nil {
				if r.IntN(3) == 0 {
					p.Email = servicetest.Ptr(word("mail") + "@example.org")
				}
				if r.IntN(3) == 0 {
					p.Username = servicetest.Ptr(word("user"))
				}
				if r.IntN(3) == 0 {
					p.FullName = servicetest.Ptr(maybe(word("Name ")))
				}
				if r.IntN(3) == 0 {
					p.City = servicetest.Ptr(maybe(word("City")))
				}
			}
			s = append(s, u.Next(t, events.UserUpdated, p))
		}
		if deleted {
			s = append(s, u.Next(t, events.UserDeleted, events.UserDeletedV1{UserID: u.ID, Reason: maybe(word("reason"))}))
		}
		// Sub-millisecond, irregular times.
		for j := range s {
			s[j].CreatedAt = s[j].CreatedAt.Add(time.Duration(r.IntN(59_000_000)) * time.Microsecond)
		}
		streams[i] = s
	}
	return streams
}

// model applies evs in order with the domain package, in memory, and
// returns the documents the read model must hold (without _rev).
func model(t *testing.T, evs []outbox.Event) map[string]bson.M {
	t.Helper()
	users := map[string]*user.User{}
	for _, ev := range evs {
		u := users[ev.AggregateID]
		if u == nil {
			u = &user.User{ID: ev.AggregateID}
			users[ev.AggregateID] = u
		}
		switch ev.EventType {
		case events.UserCreated:
			p, err := events.Decode[events.UserCreatedV1](ev)
			require.NoError(t, err)
			u.Create(ev.AggregateVersion, ev.CreatedAt, p)
		case events.UserUpdated:
			p, err := events.Decode[events.UserUpdatedV1](ev)
			require.NoError(t, err)
			u.Update(ev.AggregateVersion, ev.CreatedAt, p)
		case events.UserDeleted:
			p, err := events.Decode[events.UserDeletedV1](ev)
			require.NoError(t, err)
			u.Delete(ev.AggregateVersion, ev.CreatedAt, p)
		default:
			t.Fatalf("unexpected event type %s", ev.EventType)
		}
	}
	out := make(map[string]bson.M, len(users))
	for id, u := range users {
		out[id] = document(*u)
	}
	return out
}

// document is u as docs/events.md describes the stored user, without _rev.
func document(u user.User) bson.M {
	d := bson.M{
		"_id": u.ID, "email": u.Email, "username": u.Username, "full_name": u.FullName, "city": u.City,
		"status": string(u.Status), "created_at": nil, "updated_at": date(u.UpdatedAt), "deleted_at": nil,
		"version": u.Version, "field_versions": nil,
	}
	if !u.CreatedAt.IsZero() {
		d["created_at"] = date(u.CreatedAt)
	}
	if u.DeletedAt != nil {
		d["deleted_at"] = date(*u.DeletedAt)
	}
	if u.DeletionReason != "" {
		d["deletion_reason"] = u.DeletionReason
	}
	if u.Versions != nil {
		fv := bson.M{}
		for k, v := range u.Versions {
			fv[k] = v
		}
		d["field_versions"] = fv
	}
	return d
}

// The running service serves its metrics on /metrics: the router's
// counts, Watermill's, the store's with the commit-to-write histogram, the
// lag of the partitions it owns, and Go's own.
func TestServesMetrics(t *testing.T) {
	p := startProjector(t)
	ada, bob := user_(servicetest.UUID(1)), user_(servicetest.UUID(2))
	p.Produce(t,
		ada.Next(t, events.UserCreated, events.UserCreatedV1{UserID: ada.ID, Email: "ada@example.com", Username: "ada"}),
		bob.Next(t, events.UserCreated, events.UserCreatedV1{UserID: bob.ID, Email: "bob@example.com", Username: "bob"}),
		ada.Next(t, events.UserUpdated, events.UserUpdatedV1{UserID: ada.ID, City: servicetest.Ptr("London")}),
	)
	p.WaitProcessed(t)

	m := p.Metrics(t)
	handler := service.OutboxHandlerName(serviceName)
	assert.InDelta(t, 3, metricstest.Value(t, m, metrics.MessagesProcessed, "handler", handler), 0)
	assert.Len(t, metricstest.Series(t, m, metrics.MessagesPoisoned), 1, "the handler's poisoned counter exists at 0")
	assert.Zero(t, metricstest.Value(t, m, metrics.MessagesPoisoned))
	assert.InDelta(t, 3, metricstest.HistogramSum(t, m, metrics.BatchRecords, "handler", handler), 0)
	assert.InDelta(t, 3, metricstest.Value(t, m, metrics.CommitToWrite, "read_model", adapters.UsersCollection), 0,
		"every event that changed a document, timed")
	assert.Positive(t, metricstest.Value(t, m, metrics.StoreDocumentsWritten, "collection", adapters.UsersCollection))
	assert.Positive(t, metricstest.Value(t, m, "projector_watermill_handler_execution_time_seconds", "handler_name", handler))
	assert.Positive(t, metricstest.Value(t, m, "go_goroutines"))
	assert.Len(t, metricstest.Series(t, m, "go_build_info"), 1)
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		lag := metricstest.Series(t, m, metrics.ConsumerLag)
		assert.Len(ct, lag, 12, "one series per partition the only instance owns")
		assert.Zero(ct, metricstest.Value(t, m, metrics.ConsumerLag, "topic", servicetest.Topic), "caught up")
	}, servicetest.WaitTimeout, 100*time.Millisecond)
}
