package verify

import (
	"time"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/projection"
)

// Activity statuses.
const (
	ActivityScheduled = "scheduled"
	ActivityCancelled = "cancelled"
)

func (f *folder) activityCreated(ev outbox.Event, p events.ActivityCreatedV1) {
	f.updateActivity(ev, func(a *Activity) {
		a.CreatorID, a.Title, a.Description = p.CreatorID, p.Title, p.Description
		a.Category, a.Location, a.MaxParticipants = p.Category, p.Location, p.MaxParticipants
		a.StartsAt = projection.Time(p.StartsAt)
		a.CreatedAt = projection.Time(ev.CreatedAt)
		a.Status = ActivityScheduled
	})
	f.touchUser(ev, p.CreatorID, counterCreated)
}

func (f *folder) activityUpdated(ev outbox.Event, p events.ActivityUpdatedV1) {
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
			a.StartsAt = projection.Time(*p.StartsAt)
		}
		if p.MaxParticipants != nil {
			a.MaxParticipants = *p.MaxParticipants
		}
		a.markSeen()
	})
	f.countOnly(ev)
}

func (f *folder) activityCancelled(ev outbox.Event, p events.ActivityCancelledV1) {
	f.updateActivity(ev, func(a *Activity) {
		a.Status = ActivityCancelled
		a.CancelledAt, a.CancelReason = projection.Time(ev.CreatedAt), p.Reason
	})
	f.countOnly(ev)
}

// participantJoined adds the user with the join's time; a rejoin after a
// leave joins anew, at the new time.
func (f *folder) participantJoined(ev outbox.Event, p events.ParticipantJoinedV1) {
	f.updateActivity(ev, func(a *Activity) {
		a.Participants[p.UserID] = projection.Time(ev.CreatedAt)
		a.markSeen()
	})
	f.touchUser(ev, p.UserID, counterJoined)
}

func (f *folder) participantLeft(ev outbox.Event, p events.ParticipantLeftV1) {
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
func (f *folder) updateActivity(ev outbox.Event, change func(*Activity)) {
	a := f.model.Activities[ev.AggregateID]
	if a.Participants == nil {
		a.Participants = map[string]time.Time{}
	}
	change(&a)
	a.Version, a.UpdatedAt = ev.AggregateVersion, projection.Time(ev.CreatedAt)
	f.model.Activities[ev.AggregateID] = a
}
