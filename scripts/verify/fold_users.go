package verify

import (
	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/projection"
)

// User statuses.
const (
	UserActive  = "active"
	UserDeleted = "deleted"
)

// In version order every event is newer than all before it, so the
// projectors' per-field last-writer-wins reduces to plain assignment.

func (f *folder) userCreated(ev outbox.Event, p events.UserCreatedV1) {
	f.updateUser(ev, func(u *User) {
		u.Email, u.Username, u.FullName, u.City = p.Email, p.Username, p.FullName, p.City
		u.CreatedAt = projection.Time(ev.CreatedAt)
		u.Status = UserActive
	})
	f.touchUser(ev, p.UserID, counterNone)
}

func (f *folder) userUpdated(ev outbox.Event, p events.UserUpdatedV1) {
	f.updateUser(ev, func(u *User) {
		for _, field := range []struct {
			dst   *string
			value *string
		}{{&u.Email, p.Email}, {&u.Username, p.Username}, {&u.FullName, p.FullName}, {&u.City, p.City}} {
			if field.value != nil {
				*field.dst = *field.value
			}
		}
		// An update is proof the user exists; it never decides the
		// status of one already created or deleted.
		if u.Status == "" {
			u.Status = UserActive
		}
	})
	f.touchUser(ev, p.UserID, counterNone)
}

// userDeleted is a soft delete: personal fields erased, the document kept.
func (f *folder) userDeleted(ev outbox.Event, p events.UserDeletedV1) {
	f.updateUser(ev, func(u *User) {
		u.Email, u.Username, u.FullName, u.City = "", "", "", ""
		u.Status = UserDeleted
		u.DeletedAt, u.DeletionReason = projection.Time(ev.CreatedAt), p.Reason
	})
	f.touchUser(ev, p.UserID, counterNone)
}

// updateUser applies change to the event's user and moves its head.
func (f *folder) updateUser(ev outbox.Event, change func(*User)) {
	u := f.model.Users[ev.AggregateID]
	change(&u)
	u.Version, u.UpdatedAt = ev.AggregateVersion, projection.Time(ev.CreatedAt)
	f.model.Users[ev.AggregateID] = u
}
