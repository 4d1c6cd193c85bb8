package user_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/projection"

	"github.com/activityapp/event-processor/services/user-projector/internal/domain/user"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 123456000, time.UTC)

func ptr[T any](v T) *T { return &v }

// step is one event applied to a user.
type step struct {
	name  string
	apply func(*user.User) bool
}

func created(v int64) step {
	return step{"created", func(u *user.User) bool {
		return u.Create(v, t0.Add(time.Duration(v)*time.Minute), events.UserCreatedV1{
			UserID: "u1", Email: "ada@example.com", Username: "ada", FullName: "Ada Lovelace", City: "London",
		})
	}}
}

func updated(v int64, p events.UserUpdatedV1) step {
	return step{"updated", func(u *user.User) bool { return u.Update(v, t0.Add(time.Duration(v)*time.Minute), p) }}
}

func deleted(v int64) step {
	return step{"deleted", func(u *user.User) bool {
		return u.Delete(v, t0.Add(time.Duration(v)*time.Minute), events.UserDeletedV1{UserID: "u1", Reason: "requested"})
	}}
}

func run(steps ...step) user.User {
	u := user.User{ID: "u1"}
	for _, s := range steps {
		s.apply(&u)
	}
	return u
}

func TestCreateSetsProfileAndStatus(t *testing.T) {
	u := run(created(1))
	assert.Equal(t, "ada@example.com", u.Email)
	assert.Equal(t, "ada", u.Username)
	assert.Equal(t, "Ada Lovelace", u.FullName)
	assert.Equal(t, "London", u.City)
	assert.Equal(t, user.StatusActive, u.Status)
	assert.Equal(t, t0.Add(time.Minute).Truncate(time.Millisecond), u.CreatedAt)
	assert.Equal(t, u.CreatedAt, u.UpdatedAt)
	assert.EqualValues(t, 1, u.Version)
	assert.Nil(t, u.DeletedAt)
}

func TestUpdateChangesOnlyItsFields(t *testing.T) {
	u := run(created(1), updated(2, events.UserUpdatedV1{UserID: "u1", City: ptr("Paris")}))
	assert.Equal(t, "Paris", u.City)
	assert.Equal(t, "ada@example.com", u.Email)
	assert.EqualValues(t, 2, u.Version)
	assert.Equal(t, t0.Add(2*time.Minute).Truncate(time.Millisecond), u.UpdatedAt)
	assert.Equal(t, t0.Add(time.Minute).Truncate(time.Millisecond), u.CreatedAt)
}

func TestDeleteErasesPersonalFieldsAndKeepsTombstone(t *testing.T) {
	u := run(created(1), deleted(2))
	assert.Equal(t, user.StatusDeleted, u.Status)
	require.NotNil(t, u.DeletedAt)
	assert.Equal(t, t0.Add(2*time.Minute).Truncate(time.Millisecond), *u.DeletedAt)
	assert.Equal(t, "requested", u.DeletionReason)
	assert.Empty(t, u.Email+u.Username+u.FullName+u.City)
}

func TestRedeliveryChangesNothing(t *testing.T) {
	u := run(created(1), updated(2, events.UserUpdatedV1{UserID: "u1", Email: ptr("new@example.com")}))
	before := u
	assert.False(t, created(1).apply(&u), "created again")
	assert.False(t, updated(2, events.UserUpdatedV1{UserID: "u1", Email: ptr("new@example.com")}).apply(&u), "updated again")
	assert.Equal(t, before, u)
}

func TestStaleEventNeverOverwritesNewerState(t *testing.T) {
	u := run(created(1), updated(3, events.UserUpdatedV1{UserID: "u1", Email: ptr("v3@example.com")}))
	changed := updated(2, events.UserUpdatedV1{UserID: "u1", Email: ptr("v2@example.com"), City: ptr("Rome")}).apply(&u)
	assert.True(t, changed, "the older event still owns city")
	assert.Equal(t, "v3@example.com", u.Email, "newer email kept")
	assert.Equal(t, "Rome", u.City, "city was last written by version 2")
	assert.EqualValues(t, 3, u.Version)
}

func TestLateUpdateCannotResurrectDeletedUser(t *testing.T) {
	u := run(created(1), deleted(3))
	updated(2, events.UserUpdatedV1{UserID: "u1", Email: ptr("back@example.com")}).apply(&u)
	assert.Equal(t, user.StatusDeleted, u.Status)
	assert.Empty(t, u.Email)
}

// Every order of the same events, with duplicates, ends in one state.
func TestAnyOrderGivesTheSameUser(t *testing.T) {
	steps := []step{
		created(1),
		updated(2, events.UserUpdatedV1{UserID: "u1", Email: ptr("two@example.com")}),
		updated(3, events.UserUpdatedV1{UserID: "u1", FullName: ptr("Ada King"), City: ptr("Oxford")}),
		updated(4, events.UserUpdatedV1{UserID: "u1", City: ptr("Cambridge")}),
		deleted(5),
	}
	want := run(steps...)
	for _, order := range permutations(len(steps)) {
		var shuffled []step
		for _, i := range order {
			shuffled = append(shuffled, steps[i], steps[i]) // each twice
		}
		require.Equal(t, want, run(shuffled...), "order %v", order)
	}
	// Without the deletion, the profile is the newest write per field.
	live := run(steps[:4]...)
	assert.Equal(t, "two@example.com", live.Email)
	assert.Equal(t, "Ada King", live.FullName)
	assert.Equal(t, "Cambridge", live.City)
	assert.Equal(t, user.StatusActive, live.Status)
}

func TestUpdateBeforeCreateMarksUserActive(t *testing.T) {
	u := run(updated(2, events.UserUpdatedV1{UserID: "u1", City: ptr("Paris")}))
	assert.Equal(t, user.StatusActive, u.Status)
	u = run(updated(2, events.UserUpdatedV1{UserID: "u1", City: ptr("Paris")}), created(1))
	assert.Equal(t, "Paris", u.City)
	assert.Equal(t, "ada@example.com", u.Email)
}

func permutations(n int) [][]int {
	var out [][]int
	var rec func(prefix []int, rest []int)
	rec = func(prefix, rest []int) {
		if len(rest) == 0 {
			out = append(out, append([]int(nil), prefix...))
			return
		}
		for i := range rest {
			next := append(append([]int(nil), rest[:i]...), rest[i+1:]...)
			rec(append(prefix, rest[i]), next)
		}
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	rec(nil, idx)
	return out
}

func deletedFor(v int64, reason string) step {
	return step{"deleted " + reason, func(u *user.User) bool {
		return u.Delete(v, t0.Add(time.Duration(v)*time.Minute), events.UserDeletedV1{UserID: "u1", Reason: reason})
	}}
}

// A newer update after the deletion restores no personal field and not
// the status; it moves the version and updated_at only.
func TestUpdateAfterDeletionRestoresNothing(t *testing.T) {
	u := run(created(1), deleted(2))
	assert.True(t, updated(3, events.UserUpdatedV1{UserID: "u1", Email: ptr("back@example.com"), City: ptr("Oslo")}).apply(&u),
		"the head moves")
	assert.Equal(t, user.StatusDeleted, u.Status)
	assert.Empty(t, u.Email+u.Username+u.FullName+u.City)
	require.NotNil(t, u.DeletedAt)
	assert.Equal(t, t0.Add(2*time.Minute).Truncate(time.Millisecond), *u.DeletedAt)
	assert.EqualValues(t, 3, u.Version)
	assert.Equal(t, t0.Add(3*time.Minute).Truncate(time.Millisecond), u.UpdatedAt)
	assert.Equal(t, projection.Versions{"email": 3, "username": 2, "full_name": 2, "city": 3, "status": 2, "created_at": 1}, u.Versions)
}

// The same events, the newer update arriving before the deletion: the
// deletion erases what the update wrote, and the user ends as above.
func TestUpdateArrivingBeforeAnOlderDeletion(t *testing.T) {
	update := updated(3, events.UserUpdatedV1{UserID: "u1", Email: ptr("back@example.com"), City: ptr("Oslo")})
	inOrder := run(created(1), deleted(2), update)

	u := run(created(1), update)
	assert.Equal(t, "Oslo", u.City)
	assert.True(t, deleted(2).apply(&u))
	assert.Equal(t, inOrder, u)
	assert.Equal(t, user.StatusDeleted, u.Status)
	assert.Empty(t, u.Email+u.City)
	assert.EqualValues(t, 3, u.Version, "the update is still the newest event")

	for _, s := range []step{created(1), deleted(2), update} {
		assert.False(t, s.apply(&u), "%s again changes nothing", s.name)
	}
	assert.Equal(t, inOrder, u)
}

// A newer UserCreated of a deleted user does not bring it back, whether it
// arrives after the deletion or before it; it dates created_at.
func TestLaterCreateDoesNotResurrect(t *testing.T) {
	after := run(created(1), deleted(2), created(3))
	before := run(created(1), created(3), deleted(2))
	assert.Equal(t, after, before)
	assert.Equal(t, user.StatusDeleted, after.Status)
	assert.Empty(t, after.Email+after.Username+after.FullName+after.City)
	assert.Equal(t, t0.Add(3*time.Minute).Truncate(time.Millisecond), after.CreatedAt)
	require.NotNil(t, after.DeletedAt)
	assert.Equal(t, t0.Add(2*time.Minute).Truncate(time.Millisecond), *after.DeletedAt)
	assert.EqualValues(t, 3, after.Version)
}

// Events before and after a deletion, a second deletion and a second
// creation, in every order and each twice, end in one state: deleted, by
// the newer deletion, with no personal field.
func TestAnyOrderAroundADeletionGivesTheSameUser(t *testing.T) {
	steps := []step{
		created(1),
		updated(2, events.UserUpdatedV1{UserID: "u1", Email: ptr("two@example.com")}),
		deletedFor(3, "first"),
		updated(4, events.UserUpdatedV1{UserID: "u1", FullName: ptr("Ada King"), City: ptr("Oxford")}),
		created(5),
		deletedFor(6, "second"),
	}
	want := run(steps...)
	assert.Equal(t, user.StatusDeleted, want.Status)
	assert.Empty(t, want.Email+want.Username+want.FullName+want.City)
	assert.Equal(t, "second", want.DeletionReason)
	assert.EqualValues(t, 6, want.Version)
	for _, order := range permutations(len(steps)) {
		var shuffled []step
		for _, i := range order {
			shuffled = append(shuffled, steps[i], steps[i])
		}
		require.Equal(t, want, run(shuffled...), "order %v", order)
	}
}
