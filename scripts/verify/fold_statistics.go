package verify

// The user counter an event adds one to.
type userCounter int

const (
	counterNone userCounter = iota
	counterCreated
	counterJoined
	counterLeft
)

// countOnly counts ev in the daily statistics of its UTC day and type.
func (f *folder) countOnly(ev event) {
	day := msTime(ev.CreatedAt).Format("2006-01-02")
	id := day + "/" + ev.Type
	d := f.model.DailyStatistics[id]
	d.Day, d.EventType = day, ev.Type
	d.Count++
	f.model.DailyStatistics[id] = d
}

// touchUser counts ev per day and records it as done by userID: the
// user's counter, if any, and last_activity_at (the latest such event).
func (f *folder) touchUser(ev event, userID string, counter userCounter) {
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
	if at := msTime(ev.CreatedAt); at.After(s.LastActivityAt) {
		s.LastActivityAt = at
	}
	f.model.UserStatistics[userID] = s
}
