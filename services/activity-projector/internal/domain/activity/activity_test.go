package activity_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/events"

	"github.com/activityapp/event-processor/services/activity-projector/internal/domain/activity"
)

var (
	t0     = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	starts = time.Date(2026, 12, 5, 18, 30, 0, 0, time.UTC)
)

func at(v int64) time.Time { return t0.Add(time.Duration(v) * time.Minute) }
func ptr[T any](v T) *T    { return &v }

type step func(*activity.Activity) bool

func created(v int64) step {
	return func(a *activity.Activity) bool {
		return a.Create(v, at(v), events.ActivityCreatedV1{
			ActivityID: "a1", CreatorID: "u1", Title: "Morning run", Description: "5k easy",
			Category: "running", Location: "Hyde Park", StartsAt: starts, MaxParticipants: 10,
		})
	}
}

func updated(v int64, p events.ActivityUpdatedV1) step {
	p.ActivityID = "a1"
	return func(a *activity.Activity) bool { return a.Update(v, at(v), p) }
}

func cancelled(v int64) step {
	return func(a *activity.Activity) bool {
		return a.Cancel(v, at(v), events.ActivityCancelledV1{ActivityID: "a1", Reason: "rain"})
	}
}

func joined(v int64, user string) step {
	return func(a *activity.Activity) bool {
		return a.Join(v, at(v), events.ParticipantJoinedV1{ActivityID: "a1", UserID: user})
	}
}

func left(v int64, user string) step {
	return func(a *activity.Activity) bool {
		return a.Leave(v, at(v), events.ParticipantLeftV1{ActivityID: "a1", UserID: user})
	}
}

func run(steps ...step) activity.Activity {
	a := activity.Activity{ID: "a1"}
	for _, s := range steps {
		s(&a)
	}
	return a
}

func userIDs(ps []activity.Participant) []string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.UserID
	}
	return ids
}

func TestCreateSetsDetails(t *testing.T) {
	t.Parallel()
	a := run(created(1))
	assert.Equal(t, "u1", a.CreatorID)
	assert.Equal(t, "Morning run", a.Title)
	assert.Equal(t, "running", a.Category)
	assert.Equal(t, starts, a.StartsAt)
	assert.Equal(t, 10, a.MaxParticipants)
	assert.Equal(t, activity.StatusScheduled, a.Status)
	assert.Equal(t, at(1), a.CreatedAt)
	assert.EqualValues(t, 1, a.Version)
	assert.Empty(t, a.Participants())
}

func TestParticipantsJoinAndLeave(t *testing.T) {
	t.Parallel()
	a := run(created(1), joined(2, "u2"), joined(3, "u3"), joined(4, "u4"), left(5, "u3"))
	assert.Equal(t, []string{"u2", "u4"}, userIDs(a.Participants()))
	assert.Equal(t, 2, a.ParticipantCount())
	assert.Equal(t, at(2), a.Participants()[0].JoinedAt)
	a = run(created(1), joined(2, "u2"), left(3, "u2"), joined(4, "u2"))
	require.Len(t, a.Participants(), 1)
	assert.Equal(t, at(4), a.Participants()[0].JoinedAt, "rejoining starts a new membership")
}

func TestCancelKeepsDetails(t *testing.T) {
	t.Parallel()
	a := run(created(1), joined(2, "u2"), cancelled(3))
	assert.Equal(t, activity.StatusCancelled, a.Status)
	require.NotNil(t, a.CancelledAt)
	assert.Equal(t, at(3), *a.CancelledAt)
	assert.Equal(t, "rain", a.CancelReason)
	assert.Equal(t, "Morning run", a.Title)
	assert.Equal(t, 1, a.ParticipantCount())
}

func TestRedeliveryChangesNothing(t *testing.T) {
	t.Parallel()
	a := run(created(1), joined(2, "u2"), left(3, "u2"))
	before := a
	for _, s := range []step{created(1), joined(2, "u2"), left(3, "u2")} {
		assert.False(t, s(&a))
	}
	assert.Equal(t, before, a)
}

func TestLateOlderJoinDoesNotUndoLeave(t *testing.T) {
	t.Parallel()
	a := run(created(1), left(3, "u2"), joined(2, "u2"))
	assert.Empty(t, a.Participants())
	a = run(created(1), cancelled(4), updated(3, events.ActivityUpdatedV1{Title: ptr("Evening run")}))
	assert.Equal(t, activity.StatusCancelled, a.Status, "an older update does not reopen")
	assert.Equal(t, "Evening run", a.Title)
}

func TestAnyOrderGivesTheSameActivity(t *testing.T) {
	t.Parallel()
	steps := []step{
		created(1),
		joined(2, "u2"),
		updated(3, events.ActivityUpdatedV1{Title: ptr("Long run"), MaxParticipants: ptr(3)}),
		joined(4, "u3"),
		left(5, "u2"),
		cancelled(6),
	}
	want := run(steps...)
	for _, order := range permutations(len(steps)) {
		var shuffled []step
		for _, i := range order {
			shuffled = append(shuffled, steps[i], steps[i])
		}
		require.Equal(t, want, run(shuffled...), "order %v", order)
	}
	assert.Equal(t, []string{"u3"}, userIDs(want.Participants()))
	assert.Equal(t, "Long run", want.Title)
	assert.Equal(t, 3, want.MaxParticipants)
	assert.Equal(t, activity.StatusCancelled, want.Status)
}

func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}
