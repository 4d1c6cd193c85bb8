package loadgen

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/events"
)

var testEpoch = time.Date(2026, 11, 27, 10, 15, 0, 0, time.UTC)

func newTestWorld(t *testing.T, seed uint64, mix Mix, runID string) *World {
	t.Helper()
	w, err := NewWorld(WorldConfig{Seed: seed, Mix: mix, RunID: runID, Epoch: testEpoch})
	require.NoError(t, err)
	return w
}

func generate(w *World, n int) []Event {
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = w.Next()
	}
	return evs
}

// The world over many events: every event is what the application could
// have written at that point, checked by an independent referee that
// replays the decoded payloads.
func TestWorldKeepsAggregatesConsistent(t *testing.T) {
	t.Parallel()
	for _, mix := range []Mix{DefaultMix(), {Participant: 100}, {User: 10, Activity: 10, Participant: 80}} {
		t.Run(mix.String(), func(t *testing.T) {
			w := newTestWorld(t, 42, mix, "run-1")
			ref := newReferee(t)
			for i, ev := range generate(w, 5000) {
				require.Equal(t, i, ev.Seq, "Seq numbers events in generation order")
				ref.check(ev)
			}
			if mix.User > 0 && mix.Activity > 0 && mix.Participant > 0 {
				for _, typ := range EventTypes {
					assert.Positive(t, ref.byType[typ], "the run has %s events", typ)
				}
			}
		})
	}
}

func TestWorldFollowsTheMix(t *testing.T) {
	t.Parallel()
	const n = 5000
	for _, tc := range []struct {
		mix       Mix
		tolerance float64 // percentage points; fallbacks to creations shift a little
	}{
		{DefaultMix(), 3},
		{Mix{User: 20, Activity: 50, Participant: 30}, 3},
		{Mix{User: 100}, 0},
	} {
		t.Run(tc.mix.String(), func(t *testing.T) {
			byCategory := map[string]int{}
			for _, ev := range generate(newTestWorld(t, 7, tc.mix, "run-1"), n) {
				byCategory[ev.Category()]++
			}
			for _, c := range Categories {
				got := float64(byCategory[c]) * 100 / n
				assert.InDelta(t, float64(tc.mix.Percent(c)), got, tc.tolerance, "%s share", c)
			}
		})
	}
}

// Without user events in the mix, users still appear, but only as the
// creations other events need.
func TestWorldFallsBackToCreations(t *testing.T) {
	t.Parallel()
	w := newTestWorld(t, 3, Mix{Participant: 100}, "run-1")
	evs := generate(w, 2000)
	assert.Equal(t, events.UserCreated, evs[0].EventType, "a join in an empty world needs a user first")
	assert.Equal(t, events.ActivityCreated, evs[1].EventType, "then an activity")
	byType := map[string]int{}
	for _, ev := range evs {
		byType[ev.EventType]++
	}
	for _, typ := range []string{events.UserUpdated, events.UserDeleted, events.ActivityUpdated, events.ActivityCancelled} {
		assert.Zero(t, byType[typ], "%s is no fallback", typ)
	}
	assert.Greater(t, byType[events.ParticipantJoined]+byType[events.ParticipantLeft], 1000)
	assert.Positive(t, byType[events.ParticipantLeft])
}

func TestWorldIsDeterministicBySeed(t *testing.T) {
	t.Parallel()
	a := generate(newTestWorld(t, 99, DefaultMix(), "run-1"), 1000)
	b := generate(newTestWorld(t, 99, DefaultMix(), "run-1"), 1000)
	assert.Equal(t, a, b, "same seed and run id: the same events")

	other := generate(newTestWorld(t, 100, DefaultMix(), "run-1"), 1000)
	assert.NotEqual(t, eventTypes(a), eventTypes(other), "another seed: other events")

	rerun := generate(newTestWorld(t, 99, DefaultMix(), "run-2"), 1000)
	assert.Equal(t, eventTypes(a), eventTypes(rerun), "another run id: the same events...")
	assert.NotEqual(t, a[0].EventID, rerun[0].EventID, "...under other ids")
	assert.NotEqual(t, a[0].AggregateID, rerun[0].AggregateID)
}

func TestWorldConfigValidate(t *testing.T) {
	t.Parallel()
	_, err := NewWorld(WorldConfig{Seed: 1, Mix: Mix{User: 50}, RunID: "r"})
	require.ErrorIs(t, err, ErrInvalidWorldConfig)
	assert.ErrorContains(t, err, "Mix")
	_, err = NewWorld(WorldConfig{Seed: 1})
	require.ErrorIs(t, err, ErrInvalidWorldConfig)
	assert.ErrorContains(t, err, "RunID")
}

func eventTypes(evs []Event) []string {
	types := make([]string, len(evs))
	for i, ev := range evs {
		types[i] = ev.EventType
	}
	return types
}

// referee replays decoded events and checks each against what exists.
type referee struct {
	t          *testing.T
	versions   map[string]int64
	users      map[string]*refUser
	activities map[string]*refActivity
	taken      map[string]bool // emails, usernames, event and correlation ids
	byType     map[string]int
}

type refUser struct {
	createSeq                       int
	email, username, fullName, city string
	deleted                         bool
	refs                            []int
}

type refActivity struct {
	title, description, category, location string
	startsAt                               time.Time
	max                                    int
	participants                           map[string]bool
	cancelled                              bool
}

func newReferee(t *testing.T) *referee {
	return &referee{t: t, versions: map[string]int64{}, users: map[string]*refUser{},
		activities: map[string]*refActivity{}, taken: map[string]bool{}, byType: map[string]int{}}
}

func (r *referee) check(ev Event) {
	t := r.t
	t.Helper()
	at := fmt.Sprintf("event #%d %s v%d of %s", ev.Seq, ev.EventType, ev.Version, ev.AggregateID)
	p, err := decodeGenerated(ev)
	require.NoError(t, err, at)
	require.Equal(t, r.versions[ev.AggregateID]+1, ev.Version, "%s: versions contiguous from 1", at)
	r.versions[ev.AggregateID] = ev.Version
	for _, dep := range ev.DependsOn {
		require.Less(t, dep, ev.Seq, "%s: dependencies are earlier events", at)
	}
	r.unique(at, ev.EventID, ev.CorrelationID)
	r.byType[ev.EventType]++

	wantAggregate := events.AggregateActivity
	if CategoryOf(ev.EventType) == CategoryUser {
		wantAggregate = events.AggregateUser
	}
	require.Equal(t, wantAggregate, ev.AggregateType, at)
	isCreation := ev.EventType == events.UserCreated || ev.EventType == events.ActivityCreated
	require.Equal(t, isCreation, ev.Version == 1, "%s: version 1 is the creation", at)

	switch p := p.(type) {
	case events.UserCreatedV1:
		r.unique(at, p.Email, p.Username)
		r.users[p.UserID] = &refUser{createSeq: ev.Seq, email: p.Email, username: p.Username, fullName: p.FullName, city: p.City}
	case events.UserUpdatedV1:
		u := r.liveUser(at, p.UserID)
		r.changes(at, changed(p.Email, &u.email), changed(p.Username, &u.username), changed(p.FullName, &u.fullName), changed(p.City, &u.city))
		if p.Email != nil {
			r.unique(at, *p.Email)
		}
		if p.Username != nil {
			r.unique(at, *p.Username)
		}
	case events.UserDeletedV1:
		u := r.liveUser(at, p.UserID)
		for _, ref := range u.refs {
			require.Contains(t, ev.DependsOn, ref, "%s: the deletion waits for event #%d that referenced the user", at, ref)
		}
		u.deleted = true
	case events.ActivityCreatedV1:
		creator := r.liveUser(at, p.CreatorID)
		require.Contains(t, ev.DependsOn, creator.createSeq, "%s: waits for the creator's UserCreated", at)
		creator.refs = append(creator.refs, ev.Seq)
		require.True(t, p.StartsAt.After(testEpoch), "%s: starts in the future", at)
		require.True(t, p.MaxParticipants == 0 || (p.MaxParticipants >= 2 && p.MaxParticipants <= 30), "%s: max_participants %d", at, p.MaxParticipants)
		require.Contains(t, categoryNames, p.Category, at)
		r.activities[p.ActivityID] = &refActivity{title: p.Title, description: p.Description, category: p.Category,
			location: p.Location, startsAt: p.StartsAt, max: p.MaxParticipants, participants: map[string]bool{}}
	case events.ActivityUpdatedV1:
		a := r.liveActivity(at, p.ActivityID)
		r.changes(at, changed(p.Title, &a.title), changed(p.Description, &a.description), changed(p.Category, &a.category),
			changed(p.Location, &a.location), changed(p.StartsAt, &a.startsAt), changed(p.MaxParticipants, &a.max))
		require.True(t, a.startsAt.After(testEpoch), "%s: starts in the future", at)
		require.True(t, a.max == 0 || (a.max >= len(a.participants) && a.max >= 2 && a.max <= 30),
			"%s: max_participants %d with %d participants", at, a.max, len(a.participants))
	case events.ActivityCancelledV1:
		r.liveActivity(at, p.ActivityID).cancelled = true
	case events.ParticipantJoinedV1:
		a := r.liveActivity(at, p.ActivityID)
		u := r.liveUser(at, p.UserID)
		require.False(t, a.participants[p.UserID], "%s: joins only once", at)
		require.True(t, a.max == 0 || len(a.participants) < a.max, "%s: activity full (%d)", at, a.max)
		require.Contains(t, ev.DependsOn, u.createSeq, "%s: waits for the user's UserCreated", at)
		u.refs = append(u.refs, ev.Seq)
		a.participants[p.UserID] = true
	case events.ParticipantLeftV1:
		a := r.liveActivity(at, p.ActivityID)
		require.True(t, a.participants[p.UserID], "%s: only a participant leaves", at)
		u := r.liveUser(at, p.UserID)
		u.refs = append(u.refs, ev.Seq)
		delete(a.participants, p.UserID)
	default:
		t.Fatalf("%s: payload %T", at, p)
	}
}

func (r *referee) liveUser(at, id string) *refUser {
	u, ok := r.users[id]
	require.True(r.t, ok, "%s: user %s exists", at, id)
	require.False(r.t, u.deleted, "%s: user %s is not deleted", at, id)
	return u
}

func (r *referee) liveActivity(at, id string) *refActivity {
	a, ok := r.activities[id]
	require.True(r.t, ok, "%s: activity %s exists", at, id)
	require.False(r.t, a.cancelled, "%s: activity %s is not cancelled", at, id)
	return a
}

func (r *referee) unique(at string, values ...string) {
	for _, v := range values {
		require.False(r.t, r.taken[v], "%s: %q is unique in the run", at, v)
		r.taken[v] = true
	}
}

// changes checks that an update changes 1 to 3 fields, each to a new value.
func (r *referee) changes(at string, fields ...fieldChange) {
	n := 0
	for _, f := range fields {
		if !f.present {
			continue
		}
		n++
		require.True(r.t, f.differs, "%s: an updated field gets a new value", at)
	}
	require.True(r.t, n >= 1 && n <= 3, "%s: %d fields changed, want 1..3", at, n)
}

type fieldChange struct{ present, differs bool }

// changed compares an update's field with the current value and applies it.
func changed[T comparable](update *T, current *T) fieldChange {
	if update == nil {
		return fieldChange{}
	}
	differs := *update != *current
	if tm, ok := any(*update).(time.Time); ok {
		differs = !tm.Equal(any(*current).(time.Time))
	}
	*current = *update
	return fieldChange{present: true, differs: differs}
}
