package main

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/activityapp/event-processor/shared/debezium/debeziumtest"
	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/service"
	"github.com/activityapp/event-processor/shared/service/servicetest"
	"github.com/activityapp/event-processor/testkit/mongotest"

	"github.com/activityapp/event-processor/services/activity-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/activity-projector/internal/domain/activity"
)

const serviceName = "activity-projector"

// starts has sub-millisecond digits and a zone: payload times may carry
// nanoseconds; the read model keeps milliseconds in UTC.
var starts = time.Date(2026, 12, 5, 19, 30, 0, 987_654_321, time.FixedZone("CET", 3600))

func TestMain(m *testing.M) {
	os.Exit(mongotest.Main(m))
}

// projector is the wired activity-projector on its own Kafka and database.
type projector struct{ *servicetest.Service }

func startProjector(t *testing.T) projector {
	return projector{servicetest.Start(t, serviceName, initRunner, servicetest.Options{})}
}

func (p projector) documents(t *testing.T) map[string]bson.M {
	return servicetest.Documents(t, p.DB, adapters.ActivitiesCollection)
}

// aggregate writes one activity's events.
type aggregate struct{ *servicetest.Aggregate }

func newActivity(id string) aggregate {
	return aggregate{&servicetest.Aggregate{ID: id, Type: events.AggregateActivity}}
}

func (a aggregate) created(t *testing.T, p events.ActivityCreatedV1) outbox.Event {
	p.ActivityID = a.ID
	return a.Next(t, events.ActivityCreated, p)
}

func (a aggregate) updated(t *testing.T, p events.ActivityUpdatedV1) outbox.Event {
	p.ActivityID = a.ID
	return a.Next(t, events.ActivityUpdated, p)
}

func (a aggregate) cancelled(t *testing.T, reason string) outbox.Event {
	return a.Next(t, events.ActivityCancelled, events.ActivityCancelledV1{ActivityID: a.ID, Reason: reason})
}

func (a aggregate) joined(t *testing.T, userID string) outbox.Event {
	return a.Next(t, events.ParticipantJoined, events.ParticipantJoinedV1{ActivityID: a.ID, UserID: userID})
}

func (a aggregate) left(t *testing.T, userID string) outbox.Event {
	return a.Next(t, events.ParticipantLeft, events.ParticipantLeftV1{ActivityID: a.ID, UserID: userID})
}

func date(t time.Time) bson.DateTime { return bson.NewDateTimeFromTime(t) }

// clone copies a document and sets fields.
func clone(d bson.M, set bson.M) bson.M {
	d = maps.Clone(d)
	maps.Copy(d, set)
	return d
}

func versions(d bson.M, set bson.M) bson.M {
	return clone(d["field_versions"].(bson.M), set)
}

func TestProjectsEveryEventType(t *testing.T) {
	p := startProjector(t)
	run := newActivity(servicetest.UUID(1))
	creator, ann, ben := servicetest.UUID(100), servicetest.UUID(101), servicetest.UUID(102)

	p.Produce(t, run.created(t, events.ActivityCreatedV1{
		CreatorID: creator, Title: "Morning run", Description: "5k easy", Category: "running",
		Location: "Hyde Park", StartsAt: starts, MaxParticipants: 10,
	}))
	p.WaitProcessed(t)
	created := bson.M{
		"_id": run.ID, "_rev": int64(1),
		"creator_id": creator, "title": "Morning run", "description": "5k easy", "category": "running",
		"location": "Hyde Park", "starts_at": date(time.Date(2026, 12, 5, 18, 30, 0, 987_000_000, time.UTC)),
		"max_participants": int32(10), "status": "scheduled", "cancelled_at": nil,
		"created_at": date(servicetest.At(1)), "updated_at": date(servicetest.At(1)),
		"participants": bson.A{}, "participant_count": int32(0), "members": bson.A{},
		"version": int64(1),
		"field_versions": bson.M{
			"creator_id": int64(1), "title": int64(1), "description": int64(1), "category": int64(1),
			"location": int64(1), "starts_at": int64(1), "max_participants": int64(1), "status": int64(1),
			"created_at": int64(1),
		},
	}
	require.Equal(t, map[string]bson.M{run.ID: created}, p.documents(t), "after ActivityCreated")

	p.Produce(t, run.updated(t, events.ActivityUpdatedV1{Title: servicetest.Ptr("Long run"), Location: servicetest.Ptr(""), MaxParticipants: servicetest.Ptr(0)}))
	p.WaitProcessed(t)
	updated := clone(created, bson.M{
		"_rev": int64(2), "title": "Long run", "location": "", "max_participants": int32(0),
		"updated_at": date(servicetest.At(2)), "version": int64(2),
		"field_versions": versions(created, bson.M{"title": int64(2), "location": int64(2), "max_participants": int64(2)}),
	})
	require.Equal(t, map[string]bson.M{run.ID: updated}, p.documents(t), "after ActivityUpdated")

	p.Produce(t, run.joined(t, ben), run.joined(t, ann))
	p.WaitProcessed(t)
	joined := clone(updated, bson.M{
		"_rev": int64(4), "updated_at": date(servicetest.At(4)), "version": int64(4),
		"participants": bson.A{
			bson.M{"user_id": ben, "joined_at": date(servicetest.At(3))},
			bson.M{"user_id": ann, "joined_at": date(servicetest.At(4))},
		},
		"participant_count": int32(2),
		"members": bson.A{
			bson.M{"user_id": ann, "joined": true, "at": date(servicetest.At(4)), "version": int64(4)},
			bson.M{"user_id": ben, "joined": true, "at": date(servicetest.At(3)), "version": int64(3)},
		},
	})
	require.Equal(t, servicetest.Without(map[string]bson.M{run.ID: joined}, "_rev"), servicetest.Without(p.documents(t), "_rev"),
		"after ParticipantJoined (events produced together are written together: _rev depends on batching)")

	p.Produce(t, run.left(t, ben))
	p.WaitProcessed(t)
	left := clone(joined, bson.M{
		"_rev": int64(5), "updated_at": date(servicetest.At(5)), "version": int64(5),
		"participants":      bson.A{bson.M{"user_id": ann, "joined_at": date(servicetest.At(4))}},
		"participant_count": int32(1),
		"members": bson.A{
			bson.M{"user_id": ann, "joined": true, "at": date(servicetest.At(4)), "version": int64(4)},
			bson.M{"user_id": ben, "joined": false, "at": date(servicetest.At(5)), "version": int64(5)},
		},
	})
	require.Equal(t, servicetest.Without(map[string]bson.M{run.ID: left}, "_rev"), servicetest.Without(p.documents(t), "_rev"),
		"after ParticipantLeft (events produced together are written together: _rev depends on batching)")

	p.Produce(t, run.cancelled(t, "rain"))
	p.WaitProcessed(t)
	cancelled := clone(left, bson.M{
		"_rev": int64(6), "updated_at": date(servicetest.At(6)), "version": int64(6),
		"status": "cancelled", "cancelled_at": date(servicetest.At(6)), "cancel_reason": "rain",
		"field_versions": versions(left, bson.M{"status": int64(6)}),
	})
	require.Equal(t, servicetest.Without(map[string]bson.M{run.ID: cancelled}, "_rev"), servicetest.Without(p.documents(t), "_rev"),
		"after ActivityCancelled (events produced together are written together: _rev depends on batching)")
}

// A restarted projector starts on the database its predecessor set up
// (its indexes exist already) and carries on where it stopped.
func TestRestartedProjectorCarriesOn(t *testing.T) {
	p := startProjector(t)
	run := newActivity(servicetest.UUID(1))
	p.Produce(t, run.created(t, events.ActivityCreatedV1{CreatorID: servicetest.UUID(100), Title: "Run", Category: "running", StartsAt: starts}))
	p.WaitProcessed(t)
	p.Restart(t) // a first restart, with nothing to do
	p.Restart(t)

	p.Produce(t, run.joined(t, servicetest.UUID(101)))
	p.WaitProcessed(t)
	p.Stop()
	doc := p.documents(t)[run.ID]
	assert.Equal(t, "Run", doc["title"])
	assert.EqualValues(t, 1, doc["participant_count"])
	assert.EqualValues(t, 2, doc["_rev"])
}

func TestDuplicatesChangeNothing(t *testing.T) {
	p := startProjector(t)
	var stream []outbox.Event
	for i := range 3 {
		a := newActivity(servicetest.UUID(i + 1))
		stream = append(stream,
			a.created(t, events.ActivityCreatedV1{
				CreatorID: servicetest.UUID(100), Title: fmt.Sprintf("Activity %d", i), Category: "yoga", StartsAt: starts,
			}),
			a.joined(t, servicetest.UUID(101)),
			a.joined(t, servicetest.UUID(102)),
			a.left(t, servicetest.UUID(101)),
		)
		if i == 0 {
			stream = append(stream, a.cancelled(t, ""))
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
	run, swim := newActivity(servicetest.UUID(1)), newActivity(servicetest.UUID(2))
	creator, ann, ben := servicetest.UUID(100), servicetest.UUID(101), servicetest.UUID(102)

	runEvents := []outbox.Event{
		run.created(t, events.ActivityCreatedV1{
			CreatorID: creator, Title: "Run", Description: "easy", Category: "running", Location: "Park",
			StartsAt: starts, MaxParticipants: 8,
		}),
		run.updated(t, events.ActivityUpdatedV1{Title: servicetest.Ptr("Tempo run"), Location: servicetest.Ptr("Track")}),
		run.joined(t, ann),
		run.left(t, ann),
		run.joined(t, ben),
		run.updated(t, events.ActivityUpdatedV1{Title: servicetest.Ptr("Race")}),
	}
	swimEvents := []outbox.Event{
		swim.created(t, events.ActivityCreatedV1{CreatorID: creator, Title: "Swim", Category: "swimming", StartsAt: starts}),
		swim.joined(t, ann),
		swim.cancelled(t, "closed"),
	}
	// Newest first.
	slices.Reverse(runEvents)
	slices.Reverse(swimEvents)
	p.Produce(t, append(runEvents, swimEvents...)...)
	p.WaitProcessed(t)

	startsUTC := date(time.Date(2026, 12, 5, 18, 30, 0, 987_000_000, time.UTC))
	assert.Equal(t, map[string]bson.M{
		run.ID: {
			"_id":        run.ID,
			"creator_id": creator, "title": "Race", "description": "easy", "category": "running",
			"location": "Track", "starts_at": startsUTC, "max_participants": int32(8),
			"status": "scheduled", "cancelled_at": nil,
			"created_at": date(servicetest.At(1)), "updated_at": date(servicetest.At(6)),
			"participants":      bson.A{bson.M{"user_id": ben, "joined_at": date(servicetest.At(5))}},
			"participant_count": int32(1),
			"members": bson.A{
				bson.M{"user_id": ann, "joined": false, "at": date(servicetest.At(4)), "version": int64(4)},
				bson.M{"user_id": ben, "joined": true, "at": date(servicetest.At(5)), "version": int64(5)},
			},
			"version": int64(6),
			"field_versions": bson.M{
				"creator_id": int64(1), "title": int64(6), "description": int64(1), "category": int64(1),
				"location": int64(2), "starts_at": int64(1), "max_participants": int64(1), "status": int64(1),
				"created_at": int64(1),
			},
		},
		swim.ID: {
			"_id":        swim.ID,
			"creator_id": creator, "title": "Swim", "description": "", "category": "swimming",
			"location": "", "starts_at": startsUTC, "max_participants": int32(0),
			"status": "cancelled", "cancelled_at": date(servicetest.At(3)), "cancel_reason": "closed",
			"created_at": date(servicetest.At(1)), "updated_at": date(servicetest.At(3)),
			"participants":      bson.A{bson.M{"user_id": ann, "joined_at": date(servicetest.At(2))}},
			"participant_count": int32(1),
			"members": bson.A{
				bson.M{"user_id": ann, "joined": true, "at": date(servicetest.At(2)), "version": int64(2)},
			},
			"version": int64(3),
			"field_versions": bson.M{
				"creator_id": int64(1), "title": int64(1), "description": int64(1), "category": int64(1),
				"location": int64(1), "starts_at": int64(1), "max_participants": int64(1), "status": int64(3),
				"created_at": int64(1),
			},
		},
	}, servicetest.Without(p.documents(t), "_rev"), "the newest write wins per field and per member; older events fill the rest; a late create cannot reschedule")
}

// projection is this service's read model for the shared scenarios.
var projection = servicetest.Projection{
	Start:     func(t *testing.T) *servicetest.Service { return startProjector(t).Service },
	Documents: func(t *testing.T, s *servicetest.Service) map[string]bson.M { return projector{s}.documents(t) },
	Streams:   randomStreams,
	Model:     model,
}

func TestConcurrentDeliveryFromAllPartitions(t *testing.T) {
	servicetest.CheckConcurrentDelivery(t, projection, 5)
}

// Replaying the same events into a fresh read model, in another order that
// keeps each aggregate's events in order, every event twice, gives
// identical documents: the read model depends on the events only.
func TestReplayIntoFreshReadModelGivesIdenticalDocuments(t *testing.T) {
	servicetest.CheckReplay(t, projection, 7)
}

func TestInvalidRecordsGoToThePoisonQueue(t *testing.T) {
	p := startProjector(t)
	run, swim, yoga := newActivity(servicetest.UUID(1)), newActivity(servicetest.UUID(2)), newActivity(servicetest.UUID(3))
	creator, ann := servicetest.UUID(100), servicetest.UUID(101)
	valid := events.ActivityCreatedV1{CreatorID: creator, Title: "Run", Category: "running", StartsAt: starts}

	// run: a record that is no JSON at all, then its creation.
	runCreated := run.created(t, valid)
	runKey := debeziumtest.Key(runCreated)
	p.ProduceRaw(t, runKey, []byte("not json"))
	p.Produce(t, runCreated)

	// swim: a join whose activity_id is another activity, then a join.
	swimInvalid := swim.Next(t, events.ParticipantJoined, events.ParticipantJoinedV1{ActivityID: run.ID, UserID: ann})
	swimJoined := swim.joined(t, ann)
	p.Produce(t, swimInvalid, swimJoined)

	// yoga: a schema version this build does not know, then a creation.
	yogaFuture := yoga.joined(t, ann)
	yogaFuture.SchemaVersion = 2
	yogaCreated := yoga.created(t, valid)
	p.Produce(t, yogaFuture, yogaCreated)

	p.WaitProcessed(t)

	// Each activity's later event is parked behind the bad one, not
	// applied past it.
	parked := "an earlier record of its sequence is poisoned"
	p.ExpectPoisoned(t, service.OutboxHandlerName(serviceName),
		servicetest.Poison{Key: runKey, Value: []byte("not json"), Reason: "not JSON"},
		servicetest.Poison{Key: runKey, Value: debeziumtest.Envelope(runCreated), Reason: parked, Parked: true},
		servicetest.Poison{Key: debeziumtest.Key(swimInvalid), Value: debeziumtest.Envelope(swimInvalid), Reason: "does not match aggregate_id"},
		servicetest.Poison{Key: debeziumtest.Key(swimJoined), Value: debeziumtest.Envelope(swimJoined), Reason: parked, Parked: true},
		servicetest.Poison{Key: debeziumtest.Key(yogaFuture), Value: debeziumtest.Envelope(yogaFuture), Reason: "schema_version"},
		servicetest.Poison{Key: debeziumtest.Key(yogaCreated), Value: debeziumtest.Envelope(yogaCreated), Reason: parked, Parked: true},
	)
	assert.Empty(t, p.documents(t), "nothing applied past a poisoned event of its activity")
	require.Len(t, p.Blocks(t), 3, "one blocked sequence per activity, in MongoDB")
}

// randomStreams makes n valid activity histories of perActivity events:
// ActivityCreated, then updates, joins and leaves of a small pool of users
// (so some rejoin), and sometimes a final ActivityCancelled.
func randomStreams(t *testing.T, r *rand.Rand, n, perActivity int) [][]outbox.Event {
	t.Helper()
	word := func(prefix string) string { return fmt.Sprintf("%s %d", prefix, r.IntN(1000)) }
	maybe := func(s string) string {
		if r.IntN(4) == 0 {
			return ""
		}
		return s
	}
	startsAt := func() time.Time {
		return starts.Add(time.Duration(r.IntN(30*24*3600)) * time.Second).Add(time.Duration(r.IntN(1e9)))
	}
	categories := []string{"running", "yoga", "chess", "climbing"}
	pool := []string{servicetest.UUID(101), servicetest.UUID(102), servicetest.UUID(103), servicetest.UUID(104), servicetest.UUID(105)}

	streams := make([][]outbox.Event, n)
	for i := range streams {
		a := newActivity(fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), r.IntN(1<<12), r.Uint64()&(1<<48-1)))
		s := []outbox.Event{a.created(t, events.ActivityCreatedV1{
			CreatorID: pool[r.IntN(len(pool))], Title: word("Title"), Description: maybe(word("Description")),
			Category: categories[r.IntN(len(categories))], Location: maybe(word("Location")),
			StartsAt: startsAt(), MaxParticipants: r.IntN(3) * 5,
		})}
		cancelled := r.IntN(4) == 0
		joined := map[string]bool{}
		for len(s) < perActivity-1 || (len(s) < perActivity && !cancelled) {
			var current []string
			for _, u := range pool {
				if joined[u] {
					current = append(current, u)
				}
			}
			switch k := r.IntN(10); {
			case k < 3:
				p := events.ActivityUpdatedV1{}
				for p.Title == nil && p.Description == nil && p.Category == nil && p.Location == nil &&
					p.StartsAt == nil && p.MaxParticipants == nil {
					if r.IntN(3) == 0 {
						p.Title = servicetest.Ptr(word("Title"))
					}
					if r.IntN(3) == 0 {
						p.Description = servicetest.Ptr(maybe(word("Description")))
					}
					if r.IntN(4) == 0 {
						p.Category = servicetest.Ptr(categories[r.IntN(len(categories))])
					}
					if r.IntN(3) == 0 {
						p.Location = servicetest.Ptr(maybe(word("Location")))
					}
					if r.IntN(4) == 0 {
						p.StartsAt = servicetest.Ptr(startsAt())
					}
					if r.IntN(4) == 0 {
						p.MaxParticipants = servicetest.Ptr(r.IntN(4) * 5)
					}
				}
				s = append(s, a.updated(t, p))
			case k < 6 && len(current) > 0:
				u := current[r.IntN(len(current))]
				joined[u] = false
				s = append(s, a.left(t, u))
			case len(current) < len(pool):
				var free []string
				for _, u := range pool {
					if !joined[u] {
						free = append(free, u)
					}
				}
				u := free[r.IntN(len(free))]
				joined[u] = true
				s = append(s, a.joined(t, u))
			}
		}
		if cancelled {
			s = append(s, a.cancelled(t, maybe(word("reason"))))
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
	all := map[string]*activity.Activity{}
	for _, ev := range evs {
		a := all[ev.AggregateID]
		if a == nil {
			a = &activity.Activity{ID: ev.AggregateID}
			all[ev.AggregateID] = a
		}
		switch ev.EventType {
		case events.ActivityCreated:
			a.Create(ev.AggregateVersion, ev.CreatedAt, decode[events.ActivityCreatedV1](t, ev))
		case events.ActivityUpdated:
			a.Update(ev.AggregateVersion, ev.CreatedAt, decode[events.ActivityUpdatedV1](t, ev))
		case events.ActivityCancelled:
			a.Cancel(ev.AggregateVersion, ev.CreatedAt, decode[events.ActivityCancelledV1](t, ev))
		case events.ParticipantJoined:
			a.Join(ev.AggregateVersion, ev.CreatedAt, decode[events.ParticipantJoinedV1](t, ev))
		case events.ParticipantLeft:
			a.Leave(ev.AggregateVersion, ev.CreatedAt, decode[events.ParticipantLeftV1](t, ev))
		default:
			t.Fatalf("unexpected event type %s", ev.EventType)
		}
	}
	out := make(map[string]bson.M, len(all))
	for id, a := range all {
		out[id] = document(*a)
	}
	return out
}

func decode[P events.Payload](t *testing.T, ev outbox.Event) P {
	t.Helper()
	p, err := events.Decode[P](ev)
	require.NoError(t, err)
	return p
}

// document is a as docs/events.md describes the stored activity, without
// _rev: participants earliest first, members by user id.
func document(a activity.Activity) bson.M {
	optionalDate := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return date(t)
	}
	d := bson.M{
		"_id": a.ID, "creator_id": a.CreatorID, "title": a.Title, "description": a.Description,
		"category": a.Category, "location": a.Location, "starts_at": optionalDate(a.StartsAt),
		"max_participants": int32(a.MaxParticipants), "status": string(a.Status), "cancelled_at": nil,
		"created_at": optionalDate(a.CreatedAt), "updated_at": date(a.UpdatedAt),
		"version": a.Version, "field_versions": nil,
	}
	if a.CancelledAt != nil {
		d["cancelled_at"] = date(*a.CancelledAt)
	}
	if a.CancelReason != "" {
		d["cancel_reason"] = a.CancelReason
	}
	participants := bson.A{}
	for _, p := range a.Participants() {
		participants = append(participants, bson.M{"user_id": p.UserID, "joined_at": date(p.JoinedAt)})
	}
	d["participants"], d["participant_count"] = participants, int32(len(participants))
	members := bson.A{}
	for _, id := range slices.Sorted(maps.Keys(a.Members)) {
		m := a.Members[id]
		members = append(members, bson.M{"user_id": id, "joined": m.Joined, "at": date(m.At), "version": m.Version})
	}
	d["members"] = members
	if a.Versions != nil {
		fv := bson.M{}
		for k, v := range a.Versions {
			fv[k] = v
		}
		d["field_versions"] = fv
	}
	return d
}
