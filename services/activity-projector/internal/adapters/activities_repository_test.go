package adapters_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/projection"
	"github.com/activityapp/event-processor/testkit/mongotest"

	"github.com/activityapp/event-processor/services/activity-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/activity-projector/internal/domain/activity"
)

// Times with millisecond precision, as every time the read model keeps.
var (
	t0     = time.Date(2026, 11, 27, 10, 15, 30, 123_000_000, time.UTC)
	starts = time.Date(2026, 12, 5, 18, 30, 0, 250_000_000, time.UTC)
)

var errBoom = errors.New("boom")

func ptr[T any](v T) *T { return &v }

func TestMemoryRepository(t *testing.T) {
	testRepository(t, func(*testing.T) activity.Repository { return adapters.NewActivitiesMemoryRepository() })
}

func TestMongoRepository(t *testing.T) {
	testRepository(t, func(t *testing.T) activity.Repository { return newMongoRepository(t, mongotest.Database(t)) })
}

func newMongoRepository(t *testing.T, db *mongo.Database) *adapters.ActivitiesMongoRepository {
	t.Helper()
	repo, err := adapters.NewActivitiesMongoRepository(t.Context(), db)
	require.NoError(t, err)
	return repo
}

// scheduledActivity has every field of a scheduled activity nobody joined.
func scheduledActivity(id string) activity.Activity {
	return activity.Activity{
		ID: id, CreatorID: "u-creator", Title: "Morning run", Description: "5k easy", Category: "running",
		Location: "Hyde Park", StartsAt: starts, MaxParticipants: 10,
		Status:    activity.StatusScheduled,
		CreatedAt: t0,
		Head:      projection.Head{Version: 2, UpdatedAt: t0.Add(time.Minute)},
		Versions: projection.Versions{
			"creator_id": 1, "title": 2, "description": 1, "category": 1, "location": 1,
			"starts_at": 1, "max_participants": 1, "status": 1, "created_at": 1,
		},
	}
}

// cancelledActivity has every field set, members who joined (two at the
// same time) and one who left.
func cancelledActivity(id string) activity.Activity {
	return activity.Activity{
		ID: id, CreatorID: "u-creator", Title: "Evening swim", Description: "", Category: "swimming",
		Location: "Lido", StartsAt: starts, MaxParticipants: 0,
		Status:       activity.StatusCancelled,
		CancelledAt:  ptr(t0.Add(time.Hour)),
		CancelReason: "pool closed",
		CreatedAt:    t0,
		Members: map[string]activity.Member{
			"u-b": {Joined: true, At: t0.Add(2 * time.Minute), Version: 3},
			"u-a": {Joined: true, At: t0.Add(time.Minute), Version: 2},
			"u-0": {Joined: true, At: t0.Add(2 * time.Minute), Version: 4},
			"u-c": {Joined: false, At: t0.Add(4 * time.Minute), Version: 6},
		},
		Head: projection.Head{Version: 7, UpdatedAt: t0.Add(time.Hour)},
		Versions: projection.Versions{
			"creator_id": 1, "title": 1, "description": 1, "category": 1, "location": 5,
			"starts_at": 1, "max_participants": 1, "status": 7, "created_at": 1,
		},
	}
}

func store(t *testing.T, repo activity.Repository, a activity.Activity) {
	t.Helper()
	require.NoError(t, repo.Update(t.Context(), a.ID, func(cur *activity.Activity) (bool, error) {
		*cur = a
		return true, nil
	}))
}

func get(t *testing.T, repo activity.Repository, id string) (activity.Activity, bool) {
	t.Helper()
	a, found, err := repo.Get(t.Context(), id)
	require.NoError(t, err)
	return a, found
}

// testRepository is the contract every activity.Repository keeps.
func testRepository(t *testing.T, newRepo func(t *testing.T) activity.Repository) {
	t.Run("get of an absent id finds nothing", func(t *testing.T) {
		repo := newRepo(t)
		a, found := get(t, repo, "absent")
		assert.False(t, found)
		assert.Equal(t, activity.Activity{}, a)
	})

	t.Run("update of an absent id starts from an empty activity and creates it", func(t *testing.T) {
		repo := newRepo(t)
		calls := 0
		require.NoError(t, repo.Update(t.Context(), "a1", func(a *activity.Activity) (bool, error) {
			calls++
			assert.Equal(t, activity.Activity{ID: "a1"}, *a)
			a.Status = activity.StatusScheduled
			a.Members = map[string]activity.Member{"u1": {Joined: true, At: t0, Version: 1}}
			a.Head = projection.Head{Version: 1, UpdatedAt: t0}
			return true, nil
		}))
		assert.Equal(t, 1, calls)
		a, found := get(t, repo, "a1")
		require.True(t, found)
		assert.Equal(t, activity.Activity{
			ID: "a1", Status: activity.StatusScheduled,
			Members: map[string]activity.Member{"u1": {Joined: true, At: t0, Version: 1}},
			Head:    projection.Head{Version: 1, UpdatedAt: t0},
		}, a)
	})

	t.Run("get returns exactly what update stored", func(t *testing.T) {
		repo := newRepo(t)
		for _, want := range []activity.Activity{scheduledActivity("scheduled"), cancelledActivity("cancelled")} {
			store(t, repo, want)
			got, found := get(t, repo, want.ID)
			require.True(t, found, want.ID)
			assert.Equal(t, want, got, want.ID)
		}
		// Overwriting: cancelled_at and the members go.
		overwritten := scheduledActivity("cancelled")
		store(t, repo, overwritten)
		got, _ := get(t, repo, "cancelled")
		assert.Equal(t, overwritten, got)
	})

	t.Run("update starts from the stored value", func(t *testing.T) {
		repo := newRepo(t)
		want := cancelledActivity("a1")
		store(t, repo, want)
		require.NoError(t, repo.Update(t.Context(), "a1", func(a *activity.Activity) (bool, error) {
			assert.Equal(t, want, *a)
			return false, nil
		}))
	})

	t.Run("update applies domain events", func(t *testing.T) {
		repo := newRepo(t)
		model := activity.Activity{ID: "a1"}
		steps := []func(*activity.Activity) bool{
			func(a *activity.Activity) bool {
				return a.Join(3, t0.Add(3*time.Minute+456*time.Microsecond), events.ParticipantJoinedV1{ActivityID: "a1", UserID: "u2"})
			},
			func(a *activity.Activity) bool {
				return a.Create(1, t0.Add(time.Minute+789*time.Microsecond), events.ActivityCreatedV1{
					ActivityID: "a1", CreatorID: "u1", Title: "Run", Category: "running",
					StartsAt: starts.Add(123 * time.Microsecond), MaxParticipants: 5,
				})
			},
			func(a *activity.Activity) bool {
				return a.Join(2, t0.Add(2*time.Minute), events.ParticipantJoinedV1{ActivityID: "a1", UserID: "u3"})
			},
			func(a *activity.Activity) bool {
				return a.Update(4, t0.Add(4*time.Minute), events.ActivityUpdatedV1{ActivityID: "a1", Location: ptr("Park")})
			},
			func(a *activity.Activity) bool {
				return a.Leave(5, t0.Add(5*time.Minute), events.ParticipantLeftV1{ActivityID: "a1", UserID: "u2"})
			},
			func(a *activity.Activity) bool {
				return a.Cancel(6, t0.Add(6*time.Minute), events.ActivityCancelledV1{ActivityID: "a1", Reason: "rain"})
			},
		}
		for i, step := range steps {
			require.True(t, step(&model), "step %d", i)
			require.NoError(t, repo.Update(t.Context(), "a1", func(a *activity.Activity) (bool, error) { return step(a), nil }))
			got, found := get(t, repo, "a1")
			require.True(t, found)
			require.Equal(t, model, got, "after step %d", i)
		}
	})

	t.Run("change returning false writes nothing", func(t *testing.T) {
		repo := newRepo(t)
		require.NoError(t, repo.Update(t.Context(), "new", func(a *activity.Activity) (bool, error) {
			a.Title = "ignored"
			return false, nil
		}))
		_, found := get(t, repo, "new")
		assert.False(t, found, "an unchanged new activity is not created")

		want := cancelledActivity("a1")
		store(t, repo, want)
		require.NoError(t, repo.Update(t.Context(), "a1", func(a *activity.Activity) (bool, error) {
			a.Title = "ignored"
			a.Versions["title"] = 99
			a.Members["u-new"] = activity.Member{Joined: true, At: t0, Version: 99}
			*a.CancelledAt = t0.Add(99 * time.Hour)
			return false, nil
		}))
		got, _ := get(t, repo, "a1")
		assert.Equal(t, want, got)
	})

	t.Run("change returning an error writes nothing and returns the error", func(t *testing.T) {
		repo := newRepo(t)
		err := repo.Update(t.Context(), "new", func(a *activity.Activity) (bool, error) {
			a.Title = "ignored"
			return true, errBoom
		})
		require.ErrorIs(t, err, errBoom)
		_, found := get(t, repo, "new")
		assert.False(t, found)

		want := cancelledActivity("a1")
		store(t, repo, want)
		err = repo.Update(t.Context(), "a1", func(a *activity.Activity) (bool, error) {
			a.Members["u-a"] = activity.Member{Joined: false, At: t0, Version: 99}
			a.Version = 99
			return true, errBoom
		})
		require.ErrorIs(t, err, errBoom)
		got, _ := get(t, repo, "a1")
		assert.Equal(t, want, got)
	})

	t.Run("get returns a copy", func(t *testing.T) {
		repo := newRepo(t)
		want := cancelledActivity("a1")
		store(t, repo, want)
		got, _ := get(t, repo, "a1")
		got.Versions["title"] = 99
		got.Members["u-a"] = activity.Member{}
		*got.CancelledAt = t0.Add(99 * time.Hour)
		again, _ := get(t, repo, "a1")
		assert.Equal(t, want, again)
	})

	t.Run("ids are independent", func(t *testing.T) {
		repo := newRepo(t)
		a, b := scheduledActivity("a"), cancelledActivity("b")
		store(t, repo, a)
		store(t, repo, b)
		require.NoError(t, repo.Update(t.Context(), "a", func(x *activity.Activity) (bool, error) {
			x.Title = "Renamed"
			return true, nil
		}))
		gotA, _ := get(t, repo, "a")
		gotB, _ := get(t, repo, "b")
		a.Title = "Renamed"
		assert.Equal(t, a, gotA)
		assert.Equal(t, b, gotB)
	})
}

func TestMongoRepositoryHonoursContextCancellation(t *testing.T) {
	repo := newMongoRepository(t, mongotest.Database(t))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err := repo.Get(ctx, "a1")
	require.ErrorIs(t, err, context.Canceled)
	err = repo.Update(ctx, "a1", func(*activity.Activity) (bool, error) { return true, nil })
	require.ErrorIs(t, err, context.Canceled)
}
