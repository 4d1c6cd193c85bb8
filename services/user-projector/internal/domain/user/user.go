// Package user is the user read model: what a user looks like to readers,
// and how each user event changes it.
package user

import (
	"context"
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

// Repository keeps users. Update loads user id (a new User with only ID
// set when absent), calls change, and stores the result if change reports
// a modification.
type Repository interface {
	Get(ctx context.Context, id string) (User, bool, error)
	Update(ctx context.Context, id string, change func(*User) (bool, error)) error
}

// Field names, as Versions records them.
const (
	fieldEmail     = "email"
	fieldUsername  = "username"
	fieldFullName  = "full_name"
	fieldCity      = "city"
	fieldStatus    = "status"
	fieldCreatedAt = "created_at"
)

func (u *User) claim(field string, version int64) bool {
	if u.Versions == nil {
		u.Versions = projection.Versions{}
	}
	return u.Versions.Claim(field, version)
}

// setString writes *dst if the event at version owns field.
func (u *User) setString(field string, version int64, dst *string, value string) bool {
	if !u.claim(field, version) {
		return false
	}
	*dst = value
	return true
}

// Create applies UserCreated at aggregate version and time at.
func (u *User) Create(version int64, at time.Time, p events.UserCreatedV1) bool {
	changed := u.setString(fieldEmail, version, &u.Email, p.Email)
	changed = u.setString(fieldUsername, version, &u.Username, p.Username) || changed
	changed = u.setString(fieldFullName, version, &u.FullName, p.FullName) || changed
	changed = u.setString(fieldCity, version, &u.City, p.City) || changed
	if u.claim(fieldCreatedAt, version) {
		u.CreatedAt = projection.Time(at)
		changed = true
	}
	if u.claim(fieldStatus, version) {
		u.Status = StatusActive
		changed = true
	}
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
			changed = u.setString(f.name, version, f.dst, *f.value) || changed
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
		changed = u.setString(f.name, version, f.dst, "") || changed
	}
	if u.claim(fieldStatus, version) {
		deletedAt := projection.Time(at)
		u.Status, u.DeletedAt, u.DeletionReason = StatusDeleted, &deletedAt, p.Reason
		changed = true
	}
	return u.Observe(version, at) || changed
}
