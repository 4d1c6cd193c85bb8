package loadgen

import (
	"github.com/activityapp/event-processor/shared/events"
)

// maxLimitedParticipants is the highest max_participants a limited activity
// gets; 0 means no limit.
const maxLimitedParticipants = 30

// createActivity references creator, so it waits for the creator's
// UserCreated to commit, and the creator's deletion waits for it.
func (w *World) createActivity(creator *user) Event {
	city := creator.city
	if city == "" {
		city = w.values.pick(cities)
	}
	category := w.values.category()
	a := &activity{
		id:              w.ids.next(),
		version:         1,
		city:            city,
		category:        category,
		title:           w.values.title(category, city),
		description:     w.values.pick(descriptions),
		location:        w.values.location(city),
		startsAt:        w.values.startsAt(w.cfg.Epoch),
		maxParticipants: w.values.maxParticipants(),
		participantPos:  map[*user]int{},
		livePos:         len(w.scheduled),
	}
	w.scheduled = append(w.scheduled, a)
	creator.refs = append(creator.refs, w.seq)
	return w.emit(events.AggregateActivity, a.id, a.version, events.ActivityCreated, events.ActivityCreatedV1{
		ActivityID: a.id, CreatorID: creator.id, Title: a.title, Description: a.description,
		Category: a.category, Location: a.location, StartsAt: a.startsAt, MaxParticipants: a.maxParticipants,
	}, []int{creator.createSeq})
}

// updateActivity changes 1 to 3 fields, each to a value different from the
// current one; max_participants never drops below the participant count.
func (w *World) updateActivity(a *activity) Event {
	p := events.ActivityUpdatedV1{ActivityID: a.id}
	want, changed := 1+w.rng.IntN(3), 0
	for _, field := range w.rng.Perm(6) {
		if changed == want {
			break
		}
		switch field {
		case 0:
			for old := a.title; a.title == old; {
				a.title = w.values.title(a.category, a.city)
			}
			p.Title = new(a.title)
		case 1:
			a.description = w.values.pickOther(descriptions, a.description)
			p.Description = new(a.description)
		case 2:
			a.category = w.values.pickOther(categoryNames, a.category)
			p.Category = new(a.category)
		case 3:
			for old := a.location; a.location == old; {
				a.location = w.values.location(a.city)
			}
			p.Location = new(a.location)
		case 4:
			for old := a.startsAt; a.startsAt.Equal(old); {
				a.startsAt = w.values.startsAt(w.cfg.Epoch)
			}
			p.StartsAt = new(a.startsAt)
		case 5:
			limit, ok := w.newLimit(a)
			if !ok {
				continue
			}
			a.maxParticipants = limit
			p.MaxParticipants = new(limit)
		}
		changed++
	}
	a.version++
	return w.emit(events.AggregateActivity, a.id, a.version, events.ActivityUpdated, p, nil)
}

// newLimit picks a max_participants different from the current one that
// the current participants fit into, if there is one.
func (w *World) newLimit(a *activity) (int, bool) {
	lowest := max(2, len(a.participants))
	var options []int
	if a.maxParticipants != 0 {
		options = append(options, 0)
	}
	for n := lowest; n <= maxLimitedParticipants; n++ {
		if n != a.maxParticipants {
			options = append(options, n)
		}
	}
	if len(options) == 0 {
		return 0, false
	}
	return options[w.rng.IntN(len(options))], true
}

func (w *World) cancelActivity(a *activity) Event {
	a.version++
	w.removeScheduled(a)
	return w.emit(events.AggregateActivity, a.id, a.version, events.ActivityCancelled, events.ActivityCancelledV1{
		ActivityID: a.id, Reason: w.values.pick(cancelReasons),
	}, nil)
}

// join references u, so it waits for u's UserCreated to commit, and u's
// deletion waits for the join.
func (w *World) join(a *activity, u *user) Event {
	a.version++
	a.participantPos[u] = len(a.participants)
	a.participants = append(a.participants, u)
	u.refs = append(u.refs, w.seq)
	return w.emit(events.AggregateActivity, a.id, a.version, events.ParticipantJoined, events.ParticipantJoinedV1{
		ActivityID: a.id, UserID: u.id,
	}, []int{u.createSeq})
}

// leave needs no dependency of its own: the join it undoes is an earlier
// event of the same activity. u's deletion waits for it.
func (w *World) leave(a *activity, u *user) Event {
	a.version++
	pos := a.participantPos[u]
	last := a.participants[len(a.participants)-1]
	a.participants[pos] = last
	a.participantPos[last] = pos
	a.participants = a.participants[:len(a.participants)-1]
	delete(a.participantPos, u)
	u.refs = append(u.refs, w.seq)
	return w.emit(events.AggregateActivity, a.id, a.version, events.ParticipantLeft, events.ParticipantLeftV1{
		ActivityID: a.id, UserID: u.id,
	}, nil)
}

func (w *World) randomScheduled() *activity {
	if len(w.scheduled) == 0 {
		return nil
	}
	return w.scheduled[w.rng.IntN(len(w.scheduled))]
}

// randomJoinable returns a scheduled activity that is not full: the first
// one from a random starting point.
func (w *World) randomJoinable() *activity {
	n := len(w.scheduled)
	if n == 0 {
		return nil
	}
	start := w.rng.IntN(n)
	for i := range n {
		if a := w.scheduled[(start+i)%n]; !a.full() {
			return a
		}
	}
	return nil
}

// randomNonParticipant returns a live user who has not joined a.
func (w *World) randomNonParticipant(a *activity) *user {
	n := len(w.liveUsers)
	if n == 0 {
		return nil
	}
	start := w.rng.IntN(n)
	for i := range n {
		if u := w.liveUsers[(start+i)%n]; !a.hasParticipant(u) {
			return u
		}
	}
	return nil
}

// randomLeaver returns a scheduled activity and one of its participants who
// is not deleted (deleted users do not act any more).
func (w *World) randomLeaver() (*activity, *user) {
	n := len(w.scheduled)
	if n == 0 {
		return nil, nil
	}
	start := w.rng.IntN(n)
	for i := range n {
		a := w.scheduled[(start+i)%n]
		if len(a.participants) == 0 {
			continue
		}
		from := w.rng.IntN(len(a.participants))
		for j := range a.participants {
			if u := a.participants[(from+j)%len(a.participants)]; !u.deleted() {
				return a, u
			}
		}
	}
	return nil, nil
}

func (w *World) removeScheduled(a *activity) {
	last := w.scheduled[len(w.scheduled)-1]
	w.scheduled[a.livePos] = last
	last.livePos = a.livePos
	w.scheduled = w.scheduled[:len(w.scheduled)-1]
	a.livePos = -1
}

func (a *activity) full() bool {
	return a.maxParticipants > 0 && len(a.participants) >= a.maxParticipants
}

func (a *activity) hasParticipant(u *user) bool {
	_, ok := a.participantPos[u]
	return ok
}
