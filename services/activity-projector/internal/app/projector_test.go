package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/projection"

	"github.com/activityapp/event-processor/services/activity-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/activity-projector/internal/app"
	"github.com/activityapp/event-processor/services/activity-projector/internal/domain/activity"
)

const (
	activityID = "3a9e1f00-7c2d-4b8e-9f10-112233445566"
	creatorID  = "c0c0c0c0-0000-4000-8000-000000000001"
	userA      = "aaaaaaaa-0000-4000-8000-000000000001"
	userB      = "bbbbbbbb-0000-4000-8000-000000000002"
)

// Times with sub-millisecond digits, which the read model drops.
var (
	t0     = time.Date(2026, 11, 27, 10, 15, 30, 123_456_789, time.UTC)
	starts = time.Date(2026, 12, 5, 18, 30, 0, 999_999_000, time.FixedZone("CET", 3600))
)

func at(v int64) time.Time { return t0.Add(time.Duration(v) * time.Minute) }

// ms is t as the read model keeps it.
func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func ptr[T any](v T) *T { return &v }

func event(t *testing.T, eventType string, version int64, payload any) outbox.Event {
	t.Helper()
	raw, ok := payload.(string)
	if !ok {
		b, err := json.Marshal(payload)
		require.NoError(t, err)
		raw = string(b)
	}
	return outbox.Event{
		EventID:          fmt.Sprintf("00000000-0000-4000-8000-%012d", version),
		AggregateID:      activityID,
		AggregateType:    events.AggregateActivity,
		AggregateVersion: version,
		EventType:        eventType,
		SchemaVersion:    1,
		Payload:          json.RawMessage(raw),
		CreatedAt:        at(version),
	}
}

func created(t *testing.T, version int64) outbox.Event {
	return event(t, events.ActivityCreated, version, events.ActivityCreatedV1{
		ActivityID: activityID, CreatorID: creatorID, Title: "Morning run", Description: "5k easy",
		Category: "running", Location: "Hyde Park", StartsAt: starts, MaxParticipants: 10,
	})
}

func joined(t *testing.T, version int64, userID string) outbox.Event {
	return event(t, events.ParticipantJoined, version, events.ParticipantJoinedV1{ActivityID: activityID, UserID: userID})
}

func left(t *testing.T, version int64, userID string) outbox.Event {
	return event(t, events.ParticipantLeft, version, events.ParticipantLeftV1{ActivityID: activityID, UserID: userID})
}

func setup() (*app.Projector, *adapters.ActivitiesMemoryRepository) {
	repo := adapters.NewActivitiesMemoryRepository()
	return app.NewProjector(repo), repo
}

func stored(t *testing.T, repo activity.Repository) (activity.Activity, bool) {
	t.Helper()
	a, found, err := repo.Get(t.Context(), activityID)
	require.NoError(t, err)
	return a, found
}

// createdActivity is the activity right after created(t, 1).
func createdActivity() activity.Activity {
	return activity.Activity{
		ID: activityID, CreatorID: creatorID, Title: "Morning run", Description: "5k easy",
		Category: "running", Location: "Hyde Park", StartsAt: ms(starts), MaxParticipants: 10,
		Status: activity.StatusScheduled, CreatedAt: ms(at(1)),
		Head: projection.Head{Version: 1, UpdatedAt: ms(at(1))},
		Versions: projection.Versions{
			"creator_id": 1, "title": 1, "description": 1, "category": 1, "location": 1,
			"starts_at": 1, "max_participants": 1, "status": 1, "created_at": 1,
		},
	}
}

func TestActivityCreated(t *testing.T) {
	p, repo := setup()
	require.NoError(t, one(p)(t.Context(), created(t, 1)))
	a, found := stored(t, repo)
	require.True(t, found)
	assert.Equal(t, createdActivity(), a, "starts_at in UTC, milliseconds")
}

func TestActivityUpdated(t *testing.T) {
	p, repo := setup()
	require.NoError(t, one(p)(t.Context(), created(t, 1)))
	newStart := starts.Add(24 * time.Hour)
	require.NoError(t, one(p)(t.Context(), event(t, events.ActivityUpdated, 2, events.ActivityUpdatedV1{
		ActivityID: activityID, Title: ptr("Long run"), Description: ptr(""), StartsAt: &newStart, MaxParticipants: ptr(0),
	})))

	want := createdActivity()
	want.Title, want.Description, want.StartsAt, want.MaxParticipants = "Long run", "", ms(newStart), 0
	want.Head = projection.Head{Version: 2, UpdatedAt: ms(at(2))}
	for _, f := range []string{"title", "description", "starts_at", "max_participants"} {
		want.Versions[f] = 2
	}
	a, _ := stored(t, repo)
	assert.Equal(t, want, a, "only the fields the update carries change")
}

func TestActivityCancelled(t *testing.T) {
	p, repo := setup()
	require.NoError(t, one(p)(t.Context(), created(t, 1)))
	require.NoError(t, one(p)(t.Context(), event(t, events.ActivityCancelled, 2,
		events.ActivityCancelledV1{ActivityID: activityID, Reason: "rain"})))

	want := createdActivity()
	want.Status, want.CancelledAt, want.CancelReason = activity.StatusCancelled, ptr(ms(at(2))), "rain"
	want.Head = projection.Head{Version: 2, UpdatedAt: ms(at(2))}
	want.Versions["status"] = 2
	a, _ := stored(t, repo)
	assert.Equal(t, want, a)
}

func TestParticipantJoinedAndLeft(t *testing.T) {
	p, repo := setup()
	require.NoError(t, one(p)(t.Context(), created(t, 1)))
	require.NoError(t, one(p)(t.Context(), joined(t, 2, userB)))
	require.NoError(t, one(p)(t.Context(), joined(t, 3, userA)))

	a, _ := stored(t, repo)
	assert.Equal(t, map[string]activity.Member{
		userB: {Joined: true, At: ms(at(2)), Version: 2},
		userA: {Joined: true, At: ms(at(3)), Version: 3},
	}, a.Members)
	assert.Equal(t, []activity.Participant{{UserID: userB, JoinedAt: ms(at(2))}, {UserID: userA, JoinedAt: ms(at(3))}},
		a.Participants(), "earliest joiner first")
	assert.Equal(t, projection.Head{Version: 3, UpdatedAt: ms(at(3))}, a.Head)

	require.NoError(t, one(p)(t.Context(), left(t, 4, userB)))
	a, _ = stored(t, repo)
	assert.Equal(t, activity.Member{Joined: false, At: ms(at(4)), Version: 4}, a.Members[userB], "who left stays a member, for order safety")
	assert.Equal(t, []activity.Participant{{UserID: userA, JoinedAt: ms(at(3))}}, a.Participants())
	assert.Equal(t, 1, a.ParticipantCount())
	assert.Equal(t, projection.Head{Version: 4, UpdatedAt: ms(at(4))}, a.Head)

	want := createdActivity()
	want.Members, want.Head = a.Members, a.Head
	assert.Equal(t, want, a, "joins and leaves touch nothing else")
}

func TestRedeliveredAndStaleEventsChangeNothing(t *testing.T) {
	p, repo := setup()
	require.NoError(t, one(p)(t.Context(), created(t, 1)))
	require.NoError(t, one(p)(t.Context(), joined(t, 2, userA)))
	require.NoError(t, one(p)(t.Context(), left(t, 4, userA)))
	require.NoError(t, one(p)(t.Context(), event(t, events.ActivityCancelled, 5,
		events.ActivityCancelledV1{ActivityID: activityID})))
	want, _ := stored(t, repo)

	require.NoError(t, one(p)(t.Context(), created(t, 1)))
	require.NoError(t, one(p)(t.Context(), joined(t, 2, userA)))
	require.NoError(t, one(p)(t.Context(), joined(t, 3, userA)), "a late, older join")
	got, _ := stored(t, repo)
	assert.Equal(t, want, got, "a late join does not bring a participant back; a late create does not reschedule")
	assert.Empty(t, got.Participants())
	assert.Equal(t, activity.StatusCancelled, got.Status)
}

func TestHandlers(t *testing.T) {
	p, _ := setup()
	hs := p.Handlers()
	require.Len(t, hs, 1)
	assert.Equal(t, "activities", hs[0].Name)
	assert.ElementsMatch(t, []string{events.ActivityCreated, events.ActivityUpdated, events.ActivityCancelled, events.ParticipantJoined, events.ParticipantLeft}, hs[0].EventTypes)
}

// one projects a single event as a batch of one.
func one(p *app.Projector) func(context.Context, outbox.Event) error {
	return func(ctx context.Context, ev outbox.Event) error { return p.Project(ctx, []outbox.Event{ev}) }
}

// An invalid event is a permanent error (the poison queue takes it) and
// changes nothing, whether the activity exists or not.
func TestInvalidEventsArePermanentAndChangeNothing(t *testing.T) {
	const other = "0b0b0b0b-0000-4000-8000-000000000000"
	v2 := func(ev outbox.Event) outbox.Event { ev.SchemaVersion = 2; return ev }
	valid := events.ActivityCreatedV1{
		ActivityID: activityID, CreatorID: creatorID, Title: "Run", Category: "running", StartsAt: starts,
	}
	with := func(change func(*events.ActivityCreatedV1)) events.ActivityCreatedV1 {
		p := valid
		change(&p)
		return p
	}
	tests := []struct {
		name  string
		event outbox.Event
	}{
		{"created without title", event(t, events.ActivityCreated, 5, with(func(p *events.ActivityCreatedV1) { p.Title = "" }))},
		{"created without category", event(t, events.ActivityCreated, 5, with(func(p *events.ActivityCreatedV1) { p.Category = "" }))},
		{"created without creator", event(t, events.ActivityCreated, 5, with(func(p *events.ActivityCreatedV1) { p.CreatorID = "" }))},
		{"created without starts_at", event(t, events.ActivityCreated, 5, with(func(p *events.ActivityCreatedV1) { p.StartsAt = time.Time{} }))},
		{"created with negative max_participants", event(t, events.ActivityCreated, 5, with(func(p *events.ActivityCreatedV1) { p.MaxParticipants = -1 }))},
		{"created for another activity", event(t, events.ActivityCreated, 5, with(func(p *events.ActivityCreatedV1) { p.ActivityID = other }))},
		{"created with an unparsable starts_at", event(t, events.ActivityCreated, 5,
			`{"activity_id":"`+activityID+`","creator_id":"c","title":"t","category":"c","starts_at":"tomorrow"}`)},
		{"created with schema version 2", v2(event(t, events.ActivityCreated, 5, valid))},
		{"updated without any field", event(t, events.ActivityUpdated, 5, events.ActivityUpdatedV1{ActivityID: activityID})},
		{"updated with an empty title", event(t, events.ActivityUpdated, 5, events.ActivityUpdatedV1{ActivityID: activityID, Title: ptr("")})},
		{"updated with negative max_participants", event(t, events.ActivityUpdated, 5, events.ActivityUpdatedV1{ActivityID: activityID, MaxParticipants: ptr(-3)})},
		{"updated for another activity", event(t, events.ActivityUpdated, 5, events.ActivityUpdatedV1{ActivityID: other, Title: ptr("x")})},
		{"cancelled with schema version 2", v2(event(t, events.ActivityCancelled, 5, events.ActivityCancelledV1{ActivityID: activityID}))},
		{"joined another activity", event(t, events.ParticipantJoined, 5, events.ParticipantJoinedV1{ActivityID: other, UserID: userA})},
		{"joined without user", event(t, events.ParticipantJoined, 5, events.ParticipantJoinedV1{ActivityID: activityID})},
		{"joined with schema version 2", v2(joined(t, 5, userA))},
		{"left another activity", event(t, events.ParticipantLeft, 5, events.ParticipantLeftV1{ActivityID: other, UserID: userA})},
		{"left without user", event(t, events.ParticipantLeft, 5, events.ParticipantLeftV1{ActivityID: activityID})},
		{"left with a payload that is no object", event(t, events.ParticipantLeft, 5, `"`+userA+`"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Absent activity: nothing is created.
			p, repo := setup()
			project := byType(p)[tt.event.EventType]
			err := project(t.Context(), tt.event)
			require.Error(t, err)
			assert.True(t, fault.IsPermanent(err), "%v", err)
			assert.ErrorIs(t, err, events.ErrInvalidPayload)
			_, found := stored(t, repo)
			assert.False(t, found)

			// Existing activity with a participant: unchanged.
			require.NoError(t, one(p)(t.Context(), created(t, 1)))
			require.NoError(t, one(p)(t.Context(), joined(t, 2, userA)))
			want, _ := stored(t, repo)
			err = project(t.Context(), tt.event)
			require.Error(t, err)
			assert.True(t, fault.IsPermanent(err), "%v", err)
			got, _ := stored(t, repo)
			assert.Equal(t, want, got)
		})
	}
}

func byType(p *app.Projector) map[string]func(context.Context, outbox.Event) error {
	return map[string]func(context.Context, outbox.Event) error{
		events.ActivityCreated:   one(p),
		events.ActivityUpdated:   one(p),
		events.ActivityCancelled: one(p),
		events.ParticipantJoined: one(p),
		events.ParticipantLeft:   one(p),
	}
}

// failingRepository fails every call, as MongoDB does while unreachable.
type failingRepository struct{ err error }

func (r failingRepository) Get(context.Context, string) (activity.Activity, bool, error) {
	return activity.Activity{}, false, r.err
}

func (r failingRepository) UpdateBatch(context.Context, []projection.Change[activity.Activity]) error {
	return r.err
}

// A store failure is transient: the message is retried, never poisoned.
func TestRepositoryErrorsAreTransient(t *testing.T) {
	errDown := errors.New("mongodb: connection refused")
	p := app.NewProjector(failingRepository{err: errDown})
	for _, ev := range []outbox.Event{
		created(t, 1),
		event(t, events.ActivityUpdated, 2, events.ActivityUpdatedV1{ActivityID: activityID, Title: ptr("x")}),
		event(t, events.ActivityCancelled, 3, events.ActivityCancelledV1{ActivityID: activityID}),
		joined(t, 4, userA),
		left(t, 5, userA),
	} {
		err := byType(p)[ev.EventType](t.Context(), ev)
		require.ErrorIs(t, err, errDown, ev.EventType)
		assert.False(t, fault.IsPermanent(err), ev.EventType)
	}
}
