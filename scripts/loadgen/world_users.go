package loadgen

import "github.com/activityapp/event-processor/shared/events"

func (w *World) createUser() Event {
	w.serial++
	fullName := w.values.fullName()
	u := &user{
		id:        w.ids.next(),
		createSeq: w.seq,
		version:   1,
		fullName:  fullName,
		email:     w.values.email(fullName, w.serial),
		username:  w.values.username(fullName, w.serial),
		livePos:   len(w.liveUsers),
	}
	if w.rng.IntN(10) < 8 { // some people leave the city empty
		u.city = w.values.pick(cities)
	}
	w.liveUsers = append(w.liveUsers, u)
	return w.emit(events.AggregateUser, u.id, u.version, events.UserCreated, events.UserCreatedV1{
		UserID: u.id, Email: u.email, Username: u.username, FullName: u.fullName, City: u.city,
	}, nil)
}

// updateUser changes 1 to 3 of email, username, full name and city, each to
// a value different from the current one.
func (w *World) updateUser(u *user) Event {
	p := events.UserUpdatedV1{UserID: u.id}
	for _, field := range w.pickFields(4) {
		switch field {
		case 0:
			w.serial++
			u.email = w.values.email(u.fullName, w.serial)
			p.Email = new(u.email)
		case 1:
			w.serial++
			u.username = w.values.username(u.fullName, w.serial)
			p.Username = new(u.username)
		case 2:
			for old := u.fullName; u.fullName == old; {
				u.fullName = w.values.fullName()
			}
			p.FullName = new(u.fullName)
		case 3:
			u.city = w.values.pickOther(cities, u.city)
			p.City = new(u.city)
		}
	}
	u.version++
	return w.emit(events.AggregateUser, u.id, u.version, events.UserUpdated, p, nil)
}

// deleteUser waits (DependsOn) for every event that referenced the user, so
// no join or activity of the user commits after the deletion.
func (w *World) deleteUser(u *user) Event {
	u.version++
	deps := u.refs
	u.refs = nil
	w.removeLiveUser(u)
	return w.emit(events.AggregateUser, u.id, u.version, events.UserDeleted, events.UserDeletedV1{
		UserID: u.id, Reason: w.values.pick(deleteReasons),
	}, deps)
}

func (w *World) randomLiveUser() *user {
	if len(w.liveUsers) == 0 {
		return nil
	}
	return w.liveUsers[w.rng.IntN(len(w.liveUsers))]
}

func (w *World) removeLiveUser(u *user) {
	last := w.liveUsers[len(w.liveUsers)-1]
	w.liveUsers[u.livePos] = last
	last.livePos = u.livePos
	w.liveUsers = w.liveUsers[:len(w.liveUsers)-1]
	u.livePos = -1
}

func (u *user) deleted() bool { return u.livePos < 0 }
