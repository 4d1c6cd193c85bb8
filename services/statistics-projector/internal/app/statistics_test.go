package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/outbox"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/statistics-projector/internal/app"
	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

// publisher is a fake stats.Publisher.
type publisher struct {
	mu    sync.Mutex
	calls []call
	err   error
}

type call struct {
	correlationID string
	cs            []stats.Contribution
}

func (p *publisher) Publish(_ context.Context, correlationID string, cs ...stats.Contribution) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.calls = append(p.calls, call{correlationID: correlationID, cs: cs})
	return nil
}

func (p *publisher) published() []stats.Contribution {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []stats.Contribution
	for _, c := range p.calls {
		out = append(out, c.cs...)
	}
	return out
}

const (
	ada      = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	bob      = "16fd2706-8baf-433b-82eb-8c7fada847da"
	activity = "886313e1-3b8a-5372-9b90-0c9aee199e5d"
)

var t0 = time.Date(2026, 11, 27, 23, 58, 0, 0, time.UTC)

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
	}
}

func TestFanoutPublishesContributions(t *testing.T) {
	pub := &publisher{}
	f := app.NewFanout(pub)
	e := ev(events.ActivityCreated, activity, t0, `{"activity_id":"`+activity+`","creator_id":"`+ada+
		`","title":"Run","category":"sport","starts_at":"2026-12-01T08:00:00Z"}`)
	require.NoError(t, f.Handle(context.Background(), e))

	want, err := stats.Contributions(e)
	require.NoError(t, err)
	require.Len(t, pub.calls, 1, "one publish per event")
	assert.Equal(t, e.Metadata.CorrelationID, pub.calls[0].correlationID)
	assert.Equal(t, want, pub.calls[0].cs)
	require.Len(t, want, 2)
	assert.Equal(t, "daily_statistics/2026-11-27/ActivityCreated", want[0].Key())
	assert.Equal(t, "user_statistics/"+ada, want[1].Key())
	assert.Equal(t, int64(1), want[1].Inc[stats.ActivitiesCreated])

	// An activity update has no user: only the daily contribution.
	pub.calls = nil
	require.NoError(t, f.Handle(context.Background(),
		ev(events.ActivityUpdated, activity, t0, `{"activity_id":"`+activity+`","title":"Long run"}`)))
	require.Len(t, pub.calls, 1)
	require.Len(t, pub.calls[0].cs, 1)
	assert.Equal(t, "daily_statistics/2026-11-27/ActivityUpdated", pub.calls[0].cs[0].Key())
}

func TestFanoutInvalidPayloadIsPermanentAndPublishesNothing(t *testing.T) {
	pub := &publisher{}
	f := app.NewFanout(pub)
	for _, e := range []outbox.Event{
		ev(events.ParticipantJoined, activity, t0, `{"activity_id":"`+activity+`"}`),
		ev(events.UserCreated, ada, t0, `not json`),
		ev(events.ActivityCancelled, activity, t0, `{"activity_id":"someone-else"}`),
	} {
		err := f.Handle(context.Background(), e)
		require.Error(t, err, e.EventType)
		assert.True(t, fault.IsPermanent(err), "%v is not permanent", err)
	}
	bad := ev(events.UserCreated, ada, t0, `{"user_id":"`+ada+`","email":"a@b","username":"ada"}`)
	bad.SchemaVersion = 2
	err := f.Handle(context.Background(), bad)
	assert.True(t, fault.IsPermanent(err), "schema version 2: %v", err)
	assert.Empty(t, pub.calls)
}

// A failing publish is transient (retried, never poisoned).
func TestFanoutPublishErrorIsTransient(t *testing.T) {
	broken := errors.New("broker down")
	f := app.NewFanout(&publisher{err: broken})
	err := f.Handle(context.Background(), ev(events.UserDeleted, ada, t0, `{"user_id":"`+ada+`"}`))
	require.ErrorIs(t, err, broken)
	assert.False(t, fault.IsPermanent(err))
}

func TestFanoutRegistersEveryCountedType(t *testing.T) {
	regs := app.NewFanout(&publisher{}).Registrations()
	var types []string
	for _, r := range regs {
		types = append(types, r.EventType)
		assert.Equal(t, "statistics", r.Name)
		assert.NotNil(t, r.Fn)
	}
	assert.ElementsMatch(t, stats.EventTypes, types)

	// The registered function is Handle.
	pub := &publisher{}
	regs = app.NewFanout(pub).Registrations()
	require.NoError(t, regs[0].Fn(context.Background(), ev(events.UserUpdated, bob, t0, `{"user_id":"`+bob+`","city":"Oslo"}`)))
	assert.Len(t, pub.published(), 2)
}

// The two use cases end to end, in memory: the fan-out's contributions,
// delivered at least once, applied by the writer exactly once.
func TestFanoutThenWriterCountsOnce(t *testing.T) {
	pub := &publisher{}
	f := app.NewFanout(pub)
	stream := []outbox.Event{
		ev(events.UserCreated, ada, t0, `{"user_id":"`+ada+`","email":"ada@example.com","username":"ada"}`),
		ev(events.UserCreated, bob, t0.Add(time.Minute), `{"user_id":"`+bob+`","email":"bob@example.com","username":"bob"}`),
		ev(events.ActivityCreated, activity, t0.Add(2*time.Minute), `{"activity_id":"`+activity+`","creator_id":"`+ada+
			`","title":"Run","category":"sport","starts_at":"2026-12-01T08:00:00Z"}`),
		ev(events.ParticipantJoined, activity, t0.Add(3*time.Minute), `{"activity_id":"`+activity+`","user_id":"`+bob+`"}`),
		ev(events.ParticipantLeft, activity, t0.Add(4*time.Minute), `{"activity_id":"`+activity+`","user_id":"`+bob+`"}`),
		ev(events.ParticipantJoined, activity, t0.Add(5*time.Minute), `{"activity_id":"`+activity+`","user_id":"`+bob+`"}`),
		ev(events.ActivityUpdated, activity, t0.Add(6*time.Minute), `{"activity_id":"`+activity+`","location":"Park"}`),
		ev(events.ActivityCancelled, activity, t0.Add(7*time.Minute), `{"activity_id":"`+activity+`"}`),
		ev(events.UserDeleted, ada, t0.Add(8*time.Minute), `{"user_id":"`+ada+`"}`),
	}
	// Every event is delivered twice to the fan-out.
	for range 2 {
		for _, e := range stream {
			require.NoError(t, f.Handle(context.Background(), e))
		}
	}
	ledger := adapters.NewLedgerMemory()
	w := app.NewWriter(ledger)
	for _, c := range pub.published() {
		require.NoError(t, w.Apply(context.Background(), c))
	}

	day1, day2 := "2026-11-27", "2026-11-28"
	wantDaily := map[string]int64{
		day1 + "/UserCreated": 2, day2 + "/ActivityCreated": 1, // 00:00 is the next day
		day2 + "/ParticipantJoined": 2, day2 + "/ParticipantLeft": 1, day2 + "/ActivityUpdated": 1,
		day2 + "/ActivityCancelled": 1, day2 + "/UserDeleted": 1,
	}
	for id, n := range wantDaily {
		d, ok := ledger.Document(stats.DailyStatistics, id)
		require.True(t, ok, id)
		assert.Equal(t, map[string]int64{stats.Count: n}, d.Counters, id)
	}
	a, ok := ledger.Document(stats.UserStatistics, ada)
	require.True(t, ok)
	assert.Equal(t, map[string]int64{stats.ActivitiesCreated: 1, stats.ActivitiesJoined: 0, stats.ActivitiesLeft: 0}, a.Counters)
	assert.True(t, a.Latest[stats.LastActivityAt].Equal(t0.Add(8*time.Minute)))
	assert.Equal(t, map[string]string{"user_id": ada}, a.Identity)
	b, ok := ledger.Document(stats.UserStatistics, bob)
	require.True(t, ok)
	assert.Equal(t, map[string]int64{stats.ActivitiesCreated: 0, stats.ActivitiesJoined: 2, stats.ActivitiesLeft: 1}, b.Counters)
	assert.True(t, b.Latest[stats.LastActivityAt].Equal(t0.Add(5*time.Minute)))
	_, ok = ledger.Document(stats.UserStatistics, activity)
	assert.False(t, ok, "an activity has no user statistics")
}

// failingLedger fails every Apply.
type failingLedger struct{ err error }

func (l failingLedger) Apply(context.Context, stats.Contribution) (bool, error) { return false, l.err }

func TestWriterReturnsLedgerErrors(t *testing.T) {
	w := app.NewWriter(failingLedger{err: adapters.ErrLedgerConflict})
	err := w.Apply(context.Background(), stats.Contribution{EventID: "e1", Collection: stats.DailyStatistics, DocID: "d"})
	require.ErrorIs(t, err, adapters.ErrLedgerConflict)
	assert.False(t, fault.IsPermanent(err), "a ledger conflict is retried")

	w = app.NewWriter(adapters.NewLedgerMemory())
	c := stats.Contribution{EventID: "e1", Collection: stats.DailyStatistics, DocID: "d", Inc: map[string]int64{stats.Count: 1}}
	require.NoError(t, w.Apply(context.Background(), c))
	require.NoError(t, w.Apply(context.Background(), c), "a duplicate is no error")
}
