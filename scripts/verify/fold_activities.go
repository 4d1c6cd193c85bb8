package verify

import "time"

// Activity statuses.
const (
	ActivityScheduled = "scheduled"
	ActivityCancelled = "cancelled"
)

func (f *folder) activityCreated(ev event, p activityCreated) {
	f.updateActivity(ev, func(a *Activity) {
		a.CreatorID, a.Title, a.Description = p.CreatorID, p.Title, p.Description
		a.Category, a.Location, a.MaxParticipants = p.Category, p.Location, p.MaxParticipants
		a.StartsAt = msTime(p.StartsAt)
		a.CreatedAt = msTime(ev.CreatedAt)
		a.Status = ActivityScheduled
	})
	f.touchUser(ev, p.CreatorID, counterCreated)
}

func (f *folder) activityUpdated(ev event, p activityUpdated) {
	f.updateActivity(ev, func(a *Activity) {
		for _, field := range []struct {
			dst   *string
			value *string
		}{{&a.Title, p.Title}, {&a.Description, p.Description}, {&a.Category, p.Category}, {&a.Location, p.Location}} {
			if field.value != nil {
				*field.dst = *field.value
			}
		}
		if p.StartsAt != nil {
			a.StartsAt = msTime(*p.StartsAt)
		}
		if p.MaxParticipants != nil {
			a.MaxParticipants = *p.MaxParticipants
		}
		a.markSeen()
	})
	f.countOnly(ev)
}

func (f *folder) activityCancelled(ev event, p activityCancelled) {
	f.updateActivity(ev, func(a *Activity) {
		a.Status = ActivityCancelled
		a.CancelledAt, a.CancelReason = msTime(ev.CreatedAt), p.Reason
	})
	f.countOnly(ev)
}

// participantJoined adds the user with the join's time; a rejoin after a
// leave joins anew, at the new time.
func (f *folder) participantJoined(ev event, p participant) {
	f.updateActivity(ev, func(a *Activity) {
		a.Participants[p.UserID] = msTime(ev.CreatedAt)
		a.markSeen()
	})
	f.touchUser(ev, p.UserID, counterJoined)
}

func (f *folder) participantLeft(ev event, p participant) {
	f.updateActivity(ev, func(a *Activity) {
		delete(a.Participants, p.UserID)
		a.markSeen()
	})
	f.touchUser(ev, p.UserID, counterLeft)
}

// markSeen: an activity first known through an event that carries no
// status is scheduled; ActivityCreated and ActivityCancelled decide it.
func (a *Activity) markSeen() {
	if a.Status == "" {
		a.Status = ActivityScheduled
	}
}

// updateActivity applies change to the event's activity and moves its head.
func (f *folder) updateActivity(ev event, change func(*Activity)) {
	a := f.model.Activities[ev.AggregateID]
	if a.Participants == nil {
		a.Participants = map[string]time.Time{}
	}
	change(&a)
	a.Version, a.UpdatedAt = ev.Version, msTime(ev.CreatedAt)
	f.model.Activities[ev.AggregateID] = a
}
