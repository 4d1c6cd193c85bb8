// Package user is the user read model: what a user looks like to readers,
// and how each user event changes it.
package user

import (
	"time"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/projection"
)

// Status of a user.
type Status string

// Statuses.
const (
	StatusActive  Status = "active"
	StatusDeleted Status = "deleted"
)

// User is one user as the read model shows it.
//
// Deletion is soft: the document stays, with status deleted, deleted_at set
// and the personal fields (email, username, full name, city) erased. The
// tombstone is what keeps a late, older event from bringing the user back.
type User struct {
	ID       string
	Email    string
	Username string
	FullName string
	City     string
	Status   Status
	// CreatedAt is when the user was created (UserCreated's created_at).
	CreatedAt      time.Time
	DeletedAt      *time.Time
	DeletionReason string
	projection.Head
	// Versions records which event last wrote each field.
	Versions projection.Versions
}

// Repository keeps users.
type Repository = projection.Repository[User]

// Field names, as Versions records them.
const (
	fieldEmail     = "email"
	fieldUsername  = "username"
	fieldFullName  = "full_name"
	fieldCity      = "city"
	fieldStatus    = "status"
	fieldCreatedAt = "created_at"
)

func set[T any](u *User, field string, version int64, dst *T, value T) bool {
	return projection.Set(&u.Versions, field, version, dst, value)
}

// Create applies UserCreated at aggregate version and time at.
func (u *User) Create(version int64, at time.Time, p events.UserCreatedV1) bool {
	changed := set(u, fieldEmail, version, &u.Email, p.Email)
	changed = set(u, fieldUsername, version, &u.Username, p.Username) || changed
	changed = set(u, fieldFullName, version, &u.FullName, p.FullName) || changed
	changed = set(u, fieldCity, version, &u.City, p.City) || changed
	changed = set(u, fieldCreatedAt, version, &u.CreatedAt, projection.Time(at)) || changed
	changed = set(u, fieldStatus, version, &u.Status, StatusActive) || changed
	return u.Observe(version, at) || changed
}

// Update applies UserUpdated: only the fields it carries.
func (u *User) Update(version int64, at time.Time, p events.UserUpdatedV1) bool {
	changed := false
	for _, f := range []struct {
		name  string
		dst   *string
		value *string
	}{
		{fieldEmail, &u.Email, p.Email},
		{fieldUsername, &u.Username, p.Username},
		{fieldFullName, &u.FullName, p.FullName},
		{fieldCity, &u.City, p.City},
	} {
		if f.value != nil {
			changed = set(u, f.name, version, f.dst, *f.value) || changed
		}
	}
	if u.Status == "" {
		// An update seen before its UserCreated: the user exists. The
		// status stays unclaimed, so UserCreated or UserDeleted still
		// decides it whenever it arrives.
		u.Status = StatusActive
		changed = true
	}
	return u.Observe(version, at) || changed
}

// Delete applies UserDeleted.
func (u *User) Delete(version int64, at time.Time, p events.UserDeletedV1) bool {
	changed := false
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{fieldEmail, &u.Email}, {fieldUsername, &u.Username}, {fieldFullName, &u.FullName}, {fieldCity, &u.City},
	} {
		changed = set(u, f.name, version, f.dst, "") || changed
	}
	if set(u, fieldStatus, version, &u.Status, StatusDeleted) {
		deletedAt := projection.Time(at)
		u.DeletedAt, u.DeletionReason = &deletedAt, p.Reason
		changed = true
	}
	return u.Observe(version, at) || changed
}
