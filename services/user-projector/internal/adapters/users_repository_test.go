package adapters_test

import (
	"testing"
	"time"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/projection"
	"github.com/activityapp/event-processor/shared/readmodel/readmodeltest"

	"github.com/activityapp/event-processor/services/user-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/user-projector/internal/domain/user"
)

// t0 has millisecond precision, as every time the read model keeps.
var t0 = time.Date(2026, 11, 27, 10, 15, 30, 123_000_000, time.UTC)

func ptr[T any](v T) *T { return &v }

// usersContract has the users' fixtures: a live and a deleted user, and
// the events of one user's life, the update arriving before the creation.
func usersContract(newRepo func(*testing.T) readmodeltest.Repository[user.User]) readmodeltest.Contract[user.User] {
	return readmodeltest.Contract[user.User]{
		New:     newRepo,
		Empty:   func(id string) user.User { return user.User{ID: id} },
		Samples: func(id string) []user.User { return []user.User{liveUser(id), deletedUser(id)} },
		Alter: func(u *user.User) {
			u.City, u.Version = "Paris", 99
			u.Versions["city"] = 99
			if u.DeletedAt != nil {
				*u.DeletedAt = t0.Add(99 * time.Hour)
			}
		},
		Steps: []func(*user.User) bool{
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
		},
	}
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

// partialUser is a user seen only through an update: no creation time,
// only the fields the update carried.
func partialUser(id string) user.User {
	return user.User{
		ID: id, City: "Paris", Status: user.StatusActive,
		Head:     projection.Head{Version: 2, UpdatedAt: t0},
		Versions: projection.Versions{"city": 2},
	}
}

// Both repositories of users keep the contract of every read-model
// repository (shared/readmodel/readmodeltest).
func TestMemoryRepository(t *testing.T) {
	readmodeltest.Run(t, usersContract(readmodeltest.Memory[user.User](adapters.NewUsersMemoryRepository)))
}

func TestMongoRepository(t *testing.T) {
	readmodeltest.Run(t, usersContract(readmodeltest.Mongo[user.User](newMongoRepository)))
}
