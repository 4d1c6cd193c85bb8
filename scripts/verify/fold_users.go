package verify

// User statuses.
const (
	UserActive  = "active"
	UserDeleted = "deleted"
)

// In version order every event is newer than all before it, so the
// projectors' per-field last-writer-wins reduces to plain assignment.
// A deletion is final: once a user is deleted, no later event restores a
// personal field (email, username, full_name, city) or the status; it
// still moves the user's version and updated_at.

func (f *folder) userCreated(ev event, p userCreated) {
	f.updateUser(ev, func(u *User) {
		u.CreatedAt = msTime(ev.CreatedAt)
		if u.Status == UserDeleted {
			return
		}
		u.Email, u.Username, u.FullName, u.City = p.Email, p.Username, p.FullName, p.City
		u.Status = UserActive
	})
	f.touchUser(ev, ev.AggregateID, counterNone)
}

func (f *folder) userUpdated(ev event, p userUpdated) {
	f.updateUser(ev, func(u *User) {
		if u.Status == UserDeleted {
			return
		}
		for _, field := range []struct {
			dst   *string
			value *string
		}{{&u.Email, p.Email}, {&u.Username, p.Username}, {&u.FullName, p.FullName}, {&u.City, p.City}} {
			if field.value != nil {
				*field.dst = *field.value
			}
		}
		// An update is proof the user exists; it never decides the
		// status of one already created.
		if u.Status == "" {
			u.Status = UserActive
		}
	})
	f.touchUser(ev, ev.AggregateID, counterNone)
}

// userDeleted is a soft delete: personal fields erased, the document kept.
// A second deletion sets deleted_at and deletion_reason anew.
func (f *folder) userDeleted(ev event, p userDeleted) {
	f.updateUser(ev, func(u *User) {
		u.Email, u.Username, u.FullName, u.City = "", "", "", ""
		u.Status = UserDeleted
		u.DeletedAt, u.DeletionReason = msTime(ev.CreatedAt), p.Reason
	})
	f.touchUser(ev, ev.AggregateID, counterNone)
}

// updateUser applies change to the event's user and moves its head.
func (f *folder) updateUser(ev event, change func(*User)) {
	u := f.model.Users[ev.AggregateID]
	change(&u)
	u.Version, u.UpdatedAt = ev.Version, msTime(ev.CreatedAt)
	f.model.Users[ev.AggregateID] = u
}
