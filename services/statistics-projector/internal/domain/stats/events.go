package stats

import (
	"time"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/projection"
)

// Contributions returns what ev contributes to the statistics: one count in
// the daily statistics of its UTC day and type, and, for events a user did,
// that user's counters and last activity time. An invalid payload is a
// permanent error.
func Contributions(ev outbox.Event) ([]Contribution, error) {
	at := projection.Time(ev.CreatedAt)
	day := at.Format("2006-01-02")
	daily := Contribution{
		EventID: ev.EventID, Collection: DailyStatistics, DocID: day + "/" + ev.EventType,
		Inc:         map[string]int64{Count: 1},
		Identity:    map[string]string{"day": day, "event_type": ev.EventType},
		CommittedAt: ev.CommitTime(),
		Source:      ev.Position, CorrelationID: ev.Metadata.CorrelationID,
		Replay: ev.ReplayOf != "",
	}

	userID, counter, err := actor(ev)
	if err != nil {
		return nil, err
	}
	if userID == "" {
		return []Contribution{daily}, nil
	}
	inc := map[string]int64{ActivitiesCreated: 0, ActivitiesJoined: 0, ActivitiesLeft: 0}
	if counter != "" {
		inc[counter] = 1
	}
	user := Contribution{
		EventID: ev.EventID, Collection: UserStatistics, DocID: userID,
		Inc:         inc,
		Max:         map[string]time.Time{LastActivityAt: at},
		Identity:    map[string]string{"user_id": userID},
		CommittedAt: ev.CommitTime(),
		Source:      ev.Position, CorrelationID: ev.Metadata.CorrelationID,
		Creates: ev.EventType == events.UserCreated && ev.AggregateVersion == 1,
		Replay:  ev.ReplayOf != "",
	}
	return []Contribution{daily, user}, nil
}

// actor is the user who did ev, and the counter it adds to. Activity
// updates and cancellations carry no user: they count only per day.
func actor(ev outbox.Event) (userID, counter string, err error) {
	switch ev.EventType {
	case events.UserCreated:
		p, err := events.Decode[events.UserCreatedV1](ev)
		return p.UserID, "", err
	case events.UserUpdated:
		p, err := events.Decode[events.UserUpdatedV1](ev)
		return p.UserID, "", err
	case events.UserDeleted:
		p, err := events.Decode[events.UserDeletedV1](ev)
		return p.UserID, "", err
	case events.ActivityCreated:
		p, err := events.Decode[events.ActivityCreatedV1](ev)
		return p.CreatorID, ActivitiesCreated, err
	case events.ActivityUpdated:
		_, err := events.Decode[events.ActivityUpdatedV1](ev)
		return "", "", err
	case events.ActivityCancelled:
		_, err := events.Decode[events.ActivityCancelledV1](ev)
		return "", "", err
	case events.ParticipantJoined:
		p, err := events.Decode[events.ParticipantJoinedV1](ev)
		return p.UserID, ActivitiesJoined, err
	case events.ParticipantLeft:
		p, err := events.Decode[events.ParticipantLeftV1](ev)
		return p.UserID, ActivitiesLeft, err
	}
	return "", "", nil
}

// EventTypes are the types the statistics count.
var EventTypes = []string{
	events.UserCreated, events.UserUpdated, events.UserDeleted,
	events.ActivityCreated, events.ActivityUpdated, events.ActivityCancelled,
	events.ParticipantJoined, events.ParticipantLeft,
}
