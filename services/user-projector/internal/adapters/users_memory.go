package adapters

import (
	"context"
	"maps"
	"sync"

	"github.com/activityapp/event-processor/services/user-projector/internal/domain/user"
)

// UsersMemoryRepository keeps users in memory, for unit tests of the
// application layer.
type UsersMemoryRepository struct {
	mu    sync.Mutex
	users map[string]user.User
}

// NewUsersMemoryRepository returns an empty repository.
func NewUsersMemoryRepository() *UsersMemoryRepository {
	return &UsersMemoryRepository{users: make(map[string]user.User)}
}

// Get implements user.Repository.
func (r *UsersMemoryRepository) Get(_ context.Context, id string) (user.User, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u, ok := r.users[id]
	return clone(u), ok, nil
}

// Update implements user.Repository.
func (r *UsersMemoryRepository) Update(_ context.Context, id string, change func(*user.User) (bool, error)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	u, ok := r.users[id]
	if !ok {
		u = user.User{ID: id}
	}
	u = clone(u)
	changed, err := change(&u)
	if err != nil || !changed {
		return err
	}
	r.users[id] = u
	return nil
}

// clone copies the parts of u that alias memory, so a change that fails
// half-way leaves the stored user untouched.
func clone(u user.User) user.User {
	u.Versions = maps.Clone(u.Versions)
	if u.DeletedAt != nil {
		t := *u.DeletedAt
		u.DeletedAt = &t
	}
	return u
}
