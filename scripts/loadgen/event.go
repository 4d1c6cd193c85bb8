package loadgen

import "github.com/activityapp/event-processor/shared/events"

// Event is one generated outbox event, before it is written.
type Event struct {
	// Seq is the event's position in generation order, from 0.
	Seq           int
	EventID       string
	AggregateID   string
	AggregateType string
	// Version is the aggregate version: 1 for the creation, then 2, 3, ...
	Version       int64
	EventType     string
	CorrelationID string
	// Payload is the shared/events V1 struct of EventType.
	Payload events.Payload
	// DependsOn lists the Seqs of earlier events of other aggregates that
	// must have committed before this one begins: the creation of a user
	// that an activity or a join references, and, for UserDeleted, every
	// event that referenced the user. Events of the same aggregate are not
	// listed: the Loader keeps them in order by writing them on one worker.
	DependsOn []int
}

// Category returns the Mix category of the event's type.
func (e Event) Category() string { return CategoryOf(e.EventType) }

// CategoryOf maps an event type onto its Mix category ("" if unknown).
func CategoryOf(eventType string) string {
	switch eventType {
	case events.UserCreated, events.UserUpdated, events.UserDeleted:
		return CategoryUser
	case events.ActivityCreated, events.ActivityUpdated, events.ActivityCancelled:
		return CategoryActivity
	case events.ParticipantJoined, events.ParticipantLeft:
		return CategoryParticipant
	}
	return ""
}

// EventTypes lists the whole catalogue in the order summaries print it.
var EventTypes = []string{
	events.UserCreated, events.UserUpdated, events.UserDeleted,
	events.ActivityCreated, events.ActivityUpdated, events.ActivityCancelled,
	events.ParticipantJoined, events.ParticipantLeft,
}
