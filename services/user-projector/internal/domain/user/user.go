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
// Deletion is soft and final: the document stays, with status deleted,
// deleted_at set and the personal fields (email, username, full name, city)
// erased, and no UserCreated or UserUpdated of the user, older or newer,
// writes a personal field or the status again (UserCreated still writes
// created_at). Such an event still claims the versions of the fields it
// carries and moves the head, so the document is the same whichever
// arrived first, the deletion or the event.
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
	// Versions records, per field, the newest event that wrote it or, on
	// a deleted user, carried it.
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

// claim records version as the field's last writer if it is newer, without
// writing the field, and reports whether it did.
func (u *User) claim(field string, version int64) bool {
	if u.Versions == nil {
		u.Versions = projection.Versions{}
	}
	return u.Versions.Claim(field, version)
}

// deleted reports whether the user is deleted: for good.
func (u *User) deleted() bool { return u.Status == StatusDeleted }

// setPersonal writes a personal field as set does; on a deleted user it
// only claims the field.
func (u *User) setPersonal(field string, version int64, dst *string, value string) bool {
	if u.deleted() {
		return u.claim(field, version)
	}
	return set(u, field, version, dst, value)
}

// personalField is a field a deletion erases, by name.
type personalField struct {
	name string
	dst  *string
}

// personal are the user's personal fields.
func (u *User) personal() []personalField {
	return []personalField{{fieldEmail, &u.Email}, {fieldUsername, &u.Username}, {fieldFullName, &u.FullName}, {fieldCity, &u.City}}
}

// Create applies UserCreated at aggregate version and time at. On a deleted
// user it writes created_at only.
func (u *User) Create(version int64, at time.Time, p events.UserCreatedV1) bool {
	changed := u.setPersonal(fieldEmail, version, &u.Email, p.Email)
	changed = u.setPersonal(fieldUsername, version, &u.Username, p.Username) || changed
	changed = u.setPersonal(fieldFullName, version, &u.FullName, p.FullName) || changed
	changed = u.setPersonal(fieldCity, version, &u.City, p.City) || changed
	changed = set(u, fieldCreatedAt, version, &u.CreatedAt, projection.Time(at)) || changed
	if !u.deleted() {
		changed = set(u, fieldStatus, version, &u.Status, StatusActive) || changed
	}
	return u.Observe(version, at) || changed
}

// Update applies UserUpdated: only the fields it carries, and on a deleted
// user none.
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
			changed = u.setPersonal(f.name, version, f.dst, *f.value) || changed
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

// Delete applies UserDeleted. It erases the personal fields whatever
// version wrote them, and claims them, so that each ends with the newest
// version of any event that carried it.
func (u *User) Delete(version int64, at time.Time, p events.UserDeletedV1) bool {
	changed := false
	for _, f := range u.personal() {
		changed = u.claim(f.name, version) || changed
		if *f.dst != "" {
			*f.dst = ""
			changed = true
		}
	}
	switch {
	case !u.deleted():
		// The first deletion to arrive decides the status, even over a
		// newer UserCreated: the status version becomes the deletion's.
		u.Status = StatusDeleted
		u.Versions[fieldStatus] = version
	case !u.claim(fieldStatus, version):
		// This deletion again, or an older one than the user's.
		return u.Observe(version, at) || changed
	}
	// Of two deletions, the newer one dates the user's.
	deletedAt := projection.Time(at)
	u.DeletedAt, u.DeletionReason = &deletedAt, p.Reason
	u.Observe(version, at)
	return true
}
