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

	"github.com/activityapp/event-processor/services/user-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/user-projector/internal/domain/user"
)

// t0 has millisecond precision, as every time the read model keeps.
var t0 = time.Date(2026, 11, 27, 10, 15, 30, 123_000_000, time.UTC)

var errBoom = errors.New("boom")

func ptr[T any](v T) *T { return &v }

func TestMemoryRepository(t *testing.T) {
	testRepository(t, func(*testing.T) user.Repository { return adapters.NewUsersMemoryRepository() })
}

func TestMongoRepository(t *testing.T) {
	testRepository(t, func(t *testing.T) user.Repository { return newMongoRepository(t, mongotest.Database(t)) })
}

func newMongoRepository(t *testing.T, db *mongo.Database) *adapters.UsersMongoRepository {
	t.Helper()
	repo, err := adapters.NewUsersMongoRepository(t.Context(), db)
	require.NoError(t, err)
	return repo
}

// liveUser has every field of an active user set.
func liveUser(id string) user.User {
	return user.User{
		ID: id, Email: "ada@example.com", Username: "ada", FullName: "Ada Lovelace", City: "London",
		Status:    user.StatusActive,
		CreatedAt: t0,
		Head:      projection.Head{Version: 4, UpdatedAt: t0.Add(3 * time.Minute)},
		Versions: projection.Versions{
			"email": 1, "username": 1, "full_name": 3, "city": 4, "status": 1, "created_at": 1,
		},
	}
}

// deletedUser has every field of a deleted user set, the personal ones too
// (the repository stores whatever the domain hands it).
func deletedUser(id string) user.User {
	return user.User{
		ID: id, Email: "grace@example.com", Username: "grace", FullName: "Grace Hopper", City: "Arlington",
		Status:         user.StatusDeleted,
		CreatedAt:      t0,
		DeletedAt:      ptr(t0.Add(time.Hour)),
		DeletionReason: "requested by the user",
		Head:           projection.Head{Version: 7, UpdatedAt: t0.Add(time.Hour)},
		Versions: projection.Versions{
			"email": 7, "username": 7, "full_name": 7, "city": 7, "status": 7, "created_at": 1,
		},
	}
}

// store writes u through Update, failing t on an error.
func store(t *testing.T, repo user.Repository, u user.User) {
	t.Helper()
	require.NoError(t, repo.Update(t.Context(), u.ID, func(cur *user.User) (bool, error) {
		*cur = u
		return true, nil
	}))
}

func get(t *testing.T, repo user.Repository, id string) (user.User, bool) {
	t.Helper()
	u, found, err := repo.Get(t.Context(), id)
	require.NoError(t, err)
	return u, found
}

// testRepository is the contract every user.Repository keeps.
func testRepository(t *testing.T, newRepo func(t *testing.T) user.Repository) {
	t.Run("get of an absent id finds nothing", func(t *testing.T) {
		repo := newRepo(t)
		u, found := get(t, repo, "absent")
		assert.False(t, found)
		assert.Equal(t, user.User{}, u)
	})

	t.Run("update of an absent id starts from an empty user and creates it", func(t *testing.T) {
		repo := newRepo(t)
		calls := 0
		require.NoError(t, repo.Update(t.Context(), "u1", func(u *user.User) (bool, error) {
			calls++
			assert.Equal(t, user.User{ID: "u1"}, *u)
			u.Email, u.Status = "ada@example.com", user.StatusActive
			u.Versions = projection.Versions{"email": 1}
			u.Head = projection.Head{Version: 1, UpdatedAt: t0}
			return true, nil
		}))
		assert.Equal(t, 1, calls)
		u, found := get(t, repo, "u1")
		require.True(t, found)
		assert.Equal(t, user.User{
			ID: "u1", Email: "ada@example.com", Status: user.StatusActive,
			Head: projection.Head{Version: 1, UpdatedAt: t0}, Versions: projection.Versions{"email": 1},
		}, u)
	})

	t.Run("get returns exactly what update stored", func(t *testing.T) {
		repo := newRepo(t)
		for _, want := range []user.User{liveUser("live"), deletedUser("deleted")} {
			store(t, repo, want)
			got, found := get(t, repo, want.ID)
			require.True(t, found, want.ID)
			assert.Equal(t, want, got, want.ID)
		}
		// Overwriting a deleted user with a live one clears deleted_at.
		overwritten := liveUser("deleted")
		store(t, repo, overwritten)
		got, _ := get(t, repo, "deleted")
		assert.Equal(t, overwritten, got)
	})

	t.Run("update starts from the stored value", func(t *testing.T) {
		repo := newRepo(t)
		want := deletedUser("u1")
		store(t, repo, want)
		require.NoError(t, repo.Update(t.Context(), "u1", func(u *user.User) (bool, error) {
			assert.Equal(t, want, *u)
			return false, nil
		}))
	})

	t.Run("update applies domain events", func(t *testing.T) {
		repo := newRepo(t)
		var model user.User
		model.ID = "u1"
		steps := []func(*user.User) bool{
			func(u *user.User) bool {
				return u.Update(2, t0.Add(2*time.Minute+456*time.Microsecond), events.UserUpdatedV1{UserID: "u1", City: ptr("Paris")})
			},
			func(u *user.User) bool {
				return u.Create(1, t0.Add(time.Minute+789*time.Microsecond), events.UserCreatedV1{
					UserID: "u1", Email: "ada@example.com", Username: "ada", FullName: "Ada", City: "London",
				})
			},
			func(u *user.User) bool {
				return u.Delete(3, t0.Add(3*time.Minute), events.UserDeletedV1{UserID: "u1", Reason: "gdpr"})
			},
		}
		for i, step := range steps {
			require.True(t, step(&model), "step %d", i)
			require.NoError(t, repo.Update(t.Context(), "u1", func(u *user.User) (bool, error) { return step(u), nil }))
			got, found := get(t, repo, "u1")
			require.True(t, found)
			require.Equal(t, model, got, "after step %d", i)
		}
	})

	t.Run("change returning false writes nothing", func(t *testing.T) {
		repo := newRepo(t)
		require.NoError(t, repo.Update(t.Context(), "new", func(u *user.User) (bool, error) {
			u.Email = "ignored@example.com"
			return false, nil
		}))
		_, found := get(t, repo, "new")
		assert.False(t, found, "an unchanged new user is not created")

		want := deletedUser("u1")
		store(t, repo, want)
		require.NoError(t, repo.Update(t.Context(), "u1", func(u *user.User) (bool, error) {
			u.Email = "ignored@example.com"
			u.Versions["email"] = 99
			*u.DeletedAt = t0.Add(99 * time.Hour)
			return false, nil
		}))
		got, _ := get(t, repo, "u1")
		assert.Equal(t, want, got)
	})

	t.Run("change returning an error writes nothing and returns the error", func(t *testing.T) {
		repo := newRepo(t)
		err := repo.Update(t.Context(), "new", func(u *user.User) (bool, error) {
			u.Email = "ignored@example.com"
			return true, errBoom
		})
		require.ErrorIs(t, err, errBoom)
		_, found := get(t, repo, "new")
		assert.False(t, found)

		want := liveUser("u1")
		store(t, repo, want)
		err = repo.Update(t.Context(), "u1", func(u *user.User) (bool, error) {
			u.City = "Paris"
			u.Versions["city"] = 99
			u.Version = 99
			return true, errBoom
		})
		require.ErrorIs(t, err, errBoom)
		got, _ := get(t, repo, "u1")
		assert.Equal(t, want, got)
	})

	t.Run("get returns a copy", func(t *testing.T) {
		repo := newRepo(t)
		want := deletedUser("u1")
		store(t, repo, want)
		got, _ := get(t, repo, "u1")
		got.Versions["email"] = 99
		*got.DeletedAt = t0.Add(99 * time.Hour)
		again, _ := get(t, repo, "u1")
		assert.Equal(t, want, again)
	})

	t.Run("ids are independent", func(t *testing.T) {
		repo := newRepo(t)
		a, b := liveUser("a"), deletedUser("b")
		store(t, repo, a)
		store(t, repo, b)
		require.NoError(t, repo.Update(t.Context(), "a", func(u *user.User) (bool, error) {
			u.City = "Paris"
			return true, nil
		}))
		gotA, _ := get(t, repo, "a")
		gotB, _ := get(t, repo, "b")
		a.City = "Paris"
		assert.Equal(t, a, gotA)
		assert.Equal(t, b, gotB)
	})
}

func TestMongoRepositoryHonoursContextCancellation(t *testing.T) {
	repo := newMongoRepository(t, mongotest.Database(t))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err := repo.Get(ctx, "u1")
	require.ErrorIs(t, err, context.Canceled)
	err = repo.Update(ctx, "u1", func(*user.User) (bool, error) { return true, nil })
	require.ErrorIs(t, err, context.Canceled)
}
