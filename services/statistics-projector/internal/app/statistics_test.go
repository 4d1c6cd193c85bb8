package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/projection"
	"github.com/activityapp/event-processor/shared/registry"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/statistics-projector/internal/app"
	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

// publisher is a fake stats.Publisher: it records every call.
type publisher struct {
	mu    sync.Mutex
	calls [][]stats.Contribution
	err   error
}

func (p *publisher) Publish(_ context.Context, cs ...stats.Contribution) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.calls = append(p.calls, cs)
	return nil
}

// published is every contribution published, in order.
func (p *publisher) published() []stats.Contribution {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Concat(p.calls...)
}

const (
	ada      = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	bob      = "16fd2706-8baf-433b-82eb-8c7fada847da"
	activity = "886313e1-3b8a-5372-9b90-0c9aee199e5d"
)

var t0 = time.Date(2026, 11, 27, 23, 58, 0, 0, time.UTC)

// seq numbers the events ev makes, and places them: offset seq of
// partition 0.
var seq int

func ev(eventType, aggregateID string, at time.Time, payload string) outbox.Event {
	seq++
	aggType := events.AggregateActivity
	if aggregateID == ada || aggregateID == bob {
		aggType = events.AggregateUser
	}
	return outbox.Event{
		EventID: fmt.Sprintf("00000000-0000-4000-8000-%012d", seq), AggregateID: aggregateID, AggregateType: aggType,
		AggregateVersion: 1, EventType: eventType, SchemaVersion: 1, Payload: json.RawMessage(payload),
		Metadata: outbox.Metadata{CorrelationID: fmt.Sprintf("corr-%d", seq)}, CreatedAt: at,
		Position: outbox.Position{Partition: 0, Offset: int64(seq)},
	}
}

func activityCreated(at time.Time, creator string) outbox.Event {
	return ev(events.ActivityCreated, activity, at, `{"activity_id":"`+activity+`","creator_id":"`+creator+
		`","title":"Run","category":"sport","starts_at":"2026-12-01T08:00:00Z"}`)
}

func joined(at time.Time, user string) outbox.Event {
	return ev(events.ParticipantJoined, activity, at, `{"activity_id":"`+activity+`","user_id":"`+user+`"}`)
}

// One batch of events is one publish of all their contributions, in event
// order, each carrying its event's position and correlation id.
func TestFanoutPublishesABatchInEventOrder(t *testing.T) {
	pub := &publisher{}
	f := app.NewFanout(pub)
	batch := []outbox.Event{
		activityCreated(t0, ada),
		ev(events.ActivityUpdated, activity, t0, `{"activity_id":"`+activity+`","title":"Long run"}`),
		joined(t0.Add(time.Minute), bob),
	}
	require.NoError(t, f.Handle(context.Background(), batch))

	require.Len(t, pub.calls, 1, "one publish per batch")
	var want []stats.Contribution
	for _, e := range batch {
		cs, err := stats.Contributions(e)
		require.NoError(t, err)
		for _, c := range cs {
			assert.Equal(t, e.Position, c.Source, c.ID())
			assert.Equal(t, e.Metadata.CorrelationID, c.CorrelationID, c.ID())
		}
		want = append(want, cs...)
	}
	assert.Equal(t, want, pub.calls[0])

	keys := make([]string, 0, len(want))
	for _, c := range pub.calls[0] {
		keys = append(keys, c.Key())
	}
	assert.Equal(t, []string{
		"daily_statistics/2026-11-27/ActivityCreated", "user_statistics/" + ada,
		"daily_statistics/2026-11-27/ActivityUpdated", // no user: only the day
		"daily_statistics/2026-11-27/ParticipantJoined", "user_statistics/" + bob,
	}, keys)
	assert.Equal(t, int64(1), pub.calls[0][1].Inc[stats.ActivitiesCreated])
	assert.Equal(t, int64(1), pub.calls[0][4].Inc[stats.ActivitiesJoined])
}

// An invalid event fails its whole batch permanently, before anything of
// the batch is published (the router then finds it alone).
func TestFanoutInvalidEventFailsTheBatchBeforePublishing(t *testing.T) {
	schema2 := ev(events.UserCreated, ada, t0, `{"user_id":"`+ada+`","email":"a@b","username":"ada"}`)
	schema2.SchemaVersion = 9
	for name, bad := range map[string]outbox.Event{
		"join without user":          ev(events.ParticipantJoined, activity, t0, `{"activity_id":"`+activity+`"}`),
		"not JSON":                   ev(events.UserCreated, ada, t0, `not json`),
		"cancel of another activity": ev(events.ActivityCancelled, activity, t0, `{"activity_id":"someone-else"}`),
		"schema version 2":           schema2,
	} {
		t.Run(name, func(t *testing.T) {
			pub := &publisher{}
			batch := []outbox.Event{activityCreated(t0, ada), bad, joined(t0, bob)}
			err := app.NewFanout(pub).Handle(context.Background(), batch)
			require.Error(t, err)
			assert.True(t, fault.IsPermanent(err), "%v is not permanent", err)
			assert.Contains(t, err.Error(), bad.EventID, "the error names the event")
			assert.Empty(t, pub.calls, "nothing of the batch is published")
		})
	}
}

// A failing publish is transient (retried, never poisoned).
func TestFanoutPublishErrorIsTransient(t *testing.T) {
	broken := errors.New("broker down")
	f := app.NewFanout(&publisher{err: broken})
	err := f.Handle(context.Background(), []outbox.Event{ev(events.UserDeleted, ada, t0, `{"user_id":"`+ada+`"}`)})
	require.ErrorIs(t, err, broken)
	assert.False(t, fault.IsPermanent(err))
}

// The fan-out is one handler, "statistics", of every counted type; through
// the registry it gets the counted events of a batch, in order.
func TestFanoutHandlers(t *testing.T) {
	pub := &publisher{}
	handlers := app.NewFanout(pub).Handlers()
	require.Len(t, handlers, 1)
	assert.Equal(t, "statistics", handlers[0].Name)
	assert.ElementsMatch(t, stats.EventTypes, handlers[0].EventTypes)

	reg, err := registry.New(slog.New(slog.DiscardHandler), nil, handlers...)
	require.NoError(t, err)
	updated := ev(events.UserUpdated, bob, t0, `{"user_id":"`+bob+`","city":"Oslo"}`)
	unknown := ev("SomethingElse", bob, t0, `{}`)
	cancelled := ev(events.ActivityCancelled, activity, t0, `{"activity_id":"`+activity+`"}`)
	require.NoError(t, reg.Handle(context.Background(), []outbox.Event{updated, unknown, cancelled}))

	require.Len(t, pub.calls, 1)
	var sources []outbox.Position
	for _, c := range pub.calls[0] {
		sources = append(sources, c.Source)
	}
	assert.Equal(t, []outbox.Position{updated.Position, updated.Position, cancelled.Position}, sources,
		"UserUpdated (day and user), then ActivityCancelled (day); the unknown type is left alone")
}

// onPartitions places each event on the outbox partition of its aggregate
// (ada 0, bob 1, the activity 2), at the next offset of that partition,
// keeping the stream's order within each partition.
func onPartitions(stream []outbox.Event) [][]outbox.Event {
	partitionOf := map[string]int32{ada: 0, bob: 1, activity: 2}
	parts := make([][]outbox.Event, len(partitionOf))
	for _, e := range stream {
		p := partitionOf[e.AggregateID]
		e.Position = outbox.Position{Partition: p, Offset: int64(100 + 3*len(parts[p]))} // offsets with gaps
		parts[p] = append(parts[p], e)
	}
	return parts
}

// document reads id of collection from the in-memory store.
func document(t *testing.T, store *adapters.StatisticsMemory, collection, id string) stats.Document {
	t.Helper()
	d, ok, err := store.Document(context.Background(), collection, id)
	require.NoError(t, err)
	require.True(t, ok, "%s/%s exists", collection, id)
	return d
}

// The two use cases end to end, in memory: events of three outbox
// partitions, handled in batches, every batch delivered twice and one
// partition replayed from the start; the writer, given every published
// contribution in batches and then all of them again, counts each event
// once.
func TestFanoutThenWriterCountsOnce(t *testing.T) {
	stream := []outbox.Event{
		ev(events.UserCreated, ada, t0, `{"user_id":"`+ada+`","email":"ada@example.com","username":"ada"}`),
		ev(events.UserCreated, bob, t0.Add(time.Minute), `{"user_id":"`+bob+`","email":"bob@example.com","username":"bob"}`),
		activityCreated(t0.Add(2*time.Minute), ada),
		joined(t0.Add(3*time.Minute), bob),
		ev(events.ParticipantLeft, activity, t0.Add(4*time.Minute), `{"activity_id":"`+activity+`","user_id":"`+bob+`"}`),
		joined(t0.Add(5*time.Minute), bob),
		ev(events.ActivityUpdated, activity, t0.Add(6*time.Minute), `{"activity_id":"`+activity+`","location":"Park"}`),
		ev(events.ActivityCancelled, activity, t0.Add(7*time.Minute), `{"activity_id":"`+activity+`"}`),
		ev(events.UserDeleted, ada, t0.Add(8*time.Minute), `{"user_id":"`+ada+`"}`),
	}
	parts := onPartitions(stream)

	pub := &publisher{}
	f := app.NewFanout(pub)
	// Batches of two, partitions taking turns; each batch delivered twice.
	for i := 0; ; i += 2 {
		handled := false
		for _, part := range parts {
			if i >= len(part) {
				continue
			}
			batch := part[i:min(i+2, len(part))]
			for range 2 {
				require.NoError(t, f.Handle(context.Background(), batch))
			}
			handled = true
		}
		if !handled {
			break
		}
	}
	// Partition 2 replayed from its start, as after a lost commit.
	require.NoError(t, f.Handle(context.Background(), parts[2]))

	store := adapters.NewStatisticsMemory()
	w := app.NewWriter(store)
	published := pub.published()
	for batch := range slices.Chunk(published, 3) {
		require.NoError(t, w.Apply(context.Background(), batch))
	}
	require.NoError(t, w.Apply(context.Background(), published), "everything again")

	day1, day2 := "2026-11-27", "2026-11-28"
	wantDaily := map[string]int64{
		day1 + "/UserCreated": 2, day2 + "/ActivityCreated": 1, // 00:00 is the next day
		day2 + "/ParticipantJoined": 2, day2 + "/ParticipantLeft": 1, day2 + "/ActivityUpdated": 1,
		day2 + "/ActivityCancelled": 1, day2 + "/UserDeleted": 1,
	}
	for id, n := range wantDaily {
		assert.Equal(t, map[string]int64{stats.Count: n}, document(t, store, stats.DailyStatistics, id).Counters, id)
	}
	_, ok, err := store.Document(context.Background(), stats.DailyStatistics, day2+"/UserCreated")
	require.NoError(t, err)
	assert.False(t, ok)

	a := document(t, store, stats.UserStatistics, ada)
	assert.Equal(t, map[string]int64{stats.ActivitiesCreated: 1, stats.ActivitiesJoined: 0, stats.ActivitiesLeft: 0}, a.Counters)
	assert.Equal(t, t0.Add(8*time.Minute), a.Latest[stats.LastActivityAt])
	assert.Equal(t, map[string]string{"user_id": ada}, a.Identity)
	// Ada's statistics count events of her own partition (her user
	// events) and the activity's (the activity she created).
	assert.Equal(t, map[int32]int64{0: parts[0][1].Position.Offset, 2: parts[2][0].Position.Offset}, a.Sources)

	b := document(t, store, stats.UserStatistics, bob)
	assert.Equal(t, map[string]int64{stats.ActivitiesCreated: 0, stats.ActivitiesJoined: 2, stats.ActivitiesLeft: 1}, b.Counters)
	assert.Equal(t, t0.Add(5*time.Minute), b.Latest[stats.LastActivityAt])

	_, ok, err = store.Document(context.Background(), stats.UserStatistics, activity)
	require.NoError(t, err)
	assert.False(t, ok, "an activity has no user statistics")
}

// storeCall is one UpdateBatch a recordingStore received.
type storeCall struct {
	collection string
	changes    []projection.Change[stats.Document]
}

// recordingStore records what the writer asks of it, and fails the
// collection failOn with err.
type recordingStore struct {
	calls  []storeCall
	failOn string
	err    error
}

func (s *recordingStore) UpdateBatch(_ context.Context, collection string, changes []projection.Change[stats.Document]) error {
	s.calls = append(s.calls, storeCall{collection: collection, changes: changes})
	if collection == s.failOn {
		return s.err
	}
	return nil
}

func contribution(collection, docID string, p int32, offset int64) stats.Contribution {
	c := stats.Contribution{
		EventID: fmt.Sprintf("e-%d-%d", p, offset), Collection: collection, DocID: docID,
		Inc:         map[string]int64{stats.Count: 1},
		CommittedAt: t0.Add(time.Duration(offset) * time.Second),
		Source:      outbox.Position{Partition: p, Offset: offset},
	}
	if collection == stats.UserStatistics {
		c.Inc = map[string]int64{stats.ActivitiesJoined: 1}
	}
	return c
}

// The writer sends each collection's contributions to the store in one
// call, in their order, as changes of their documents stamped with their
// commit time.
func TestWriterBatchesByCollection(t *testing.T) {
	cs := []stats.Contribution{
		contribution(stats.UserStatistics, "u1", 0, 1),
		contribution(stats.DailyStatistics, "d1", 0, 1),
		contribution(stats.UserStatistics, "u2", 0, 2),
		contribution(stats.UserStatistics, "u1", 1, 7),
		contribution(stats.DailyStatistics, "d1", 0, 2),
	}
	store := &recordingStore{}
	require.NoError(t, app.NewWriter(store).Apply(context.Background(), cs))

	require.Len(t, store.calls, 2, "one call per collection")
	assert.Equal(t, stats.DailyStatistics, store.calls[0].collection)
	assert.Equal(t, stats.UserStatistics, store.calls[1].collection)
	for _, call := range store.calls {
		var want []stats.Contribution
		for _, c := range cs {
			if c.Collection == call.collection {
				want = append(want, c)
			}
		}
		require.Len(t, call.changes, len(want), call.collection)
		for i, ch := range call.changes {
			assert.Equal(t, want[i].DocID, ch.ID)
			assert.Equal(t, want[i].CommittedAt, ch.CommittedAt)
			// The change absorbs its contribution: once.
			d := stats.Document{ID: ch.ID}
			changed, err := ch.Apply(&d)
			require.NoError(t, err)
			assert.True(t, changed)
			assert.Equal(t, map[int32]int64{want[i].Source.Partition: want[i].Source.Offset}, d.Sources)
			changed, err = ch.Apply(&d)
			require.NoError(t, err)
			assert.False(t, changed, "applied again after a conflict: nothing more")
		}
	}

	// Nothing to apply: nothing asked of the store.
	store.calls = nil
	require.NoError(t, app.NewWriter(store).Apply(context.Background(), nil))
	assert.Empty(t, store.calls)
}

// A store error is returned as it is (transient ones are retried), and
// stops the batch.
func TestWriterReturnsStoreErrors(t *testing.T) {
	broken := errors.New("mongodb: connection reset")
	store := &recordingStore{failOn: stats.DailyStatistics, err: broken}
	err := app.NewWriter(store).Apply(context.Background(), []stats.Contribution{
		contribution(stats.UserStatistics, "u1", 0, 1), contribution(stats.DailyStatistics, "d1", 0, 1),
	})
	require.ErrorIs(t, err, broken)
	assert.False(t, fault.IsPermanent(err))
	require.Len(t, store.calls, 1, "the user statistics are not written after the failure")
}

// The in-memory store knows the statistics collections only, as the
// MongoDB one does.
func TestStatisticsMemoryUnknownCollection(t *testing.T) {
	store := adapters.NewStatisticsMemory()
	err := store.UpdateBatch(context.Background(), "users", nil)
	assert.ErrorContains(t, err, `unknown collection "users"`)
	_, _, err = store.Document(context.Background(), "users", "u1")
	assert.ErrorContains(t, err, `unknown collection "users"`)
}

// Duplicates and contributions below a watermark are no error and count
// nothing; another partition has a watermark of its own.
func TestWriterCountsEachContributionOnce(t *testing.T) {
	store := adapters.NewStatisticsMemory()
	w := app.NewWriter(store)
	c := contribution(stats.DailyStatistics, "d1", 0, 5)
	require.NoError(t, w.Apply(context.Background(), []stats.Contribution{c, c}))
	require.NoError(t, w.Apply(context.Background(), []stats.Contribution{c}), "a redelivery")
	require.NoError(t, w.Apply(context.Background(), []stats.Contribution{
		contribution(stats.DailyStatistics, "d1", 0, 4), // below the watermark
		contribution(stats.DailyStatistics, "d1", 1, 4), // another partition
		contribution(stats.DailyStatistics, "d1", 0, 6),
	}))
	d := document(t, store, stats.DailyStatistics, "d1")
	assert.Equal(t, map[string]int64{stats.Count: 3}, d.Counters)
	assert.Equal(t, map[int32]int64{0: 6, 1: 4}, d.Sources)
}
