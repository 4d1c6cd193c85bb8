package verify

import (
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/projection"
)

// The user counter an event adds one to.
type userCounter int

const (
	counterNone userCounter = iota
	counterCreated
	counterJoined
	counterLeft
)

// countOnly counts ev in the daily statistics of its UTC day and type.
func (f *folder) countOnly(ev outbox.Event) {
	day := projection.Time(ev.CreatedAt).Format("2006-01-02")
	id := day + "/" + ev.EventType
	d := f.model.DailyStatistics[id]
	d.Day, d.EventType = day, ev.EventType
	d.Count++
	f.model.DailyStatistics[id] = d
}

// touchUser counts ev per day and records it as done by userID: the
// user's counter, if any, and last_activity_at (the latest such event).
func (f *folder) touchUser(ev outbox.Event, userID string, counter userCounter) {
	f.countOnly(ev)
	s := f.model.UserStatistics[userID]
	s.UserID = userID
	switch counter {
	case counterCreated:
		s.ActivitiesCreated++
	case counterJoined:
		s.ActivitiesJoined++
	case counterLeft:
		s.ActivitiesLeft++
	case counterNone:
	}
	if at := projection.Time(ev.CreatedAt); at.After(s.LastActivityAt) {
		s.LastActivityAt = at
	}
	f.model.UserStatistics[userID] = s
}
