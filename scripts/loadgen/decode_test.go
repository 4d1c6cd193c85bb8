package loadgen

import (
	"encoding/json"
	"fmt"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"
)

// decode runs the projectors' events.Decode for the event's type, as a
// projector would on the row's payload and schema version.
func decode(ev outbox.Event) (events.Payload, error) {
	switch ev.EventType {
	case events.UserCreated:
		return events.Decode[events.UserCreatedV1](ev)
	case events.UserUpdated:
		return events.Decode[events.UserUpdatedV1](ev)
	case events.UserDeleted:
		return events.Decode[events.UserDeletedV1](ev)
	case events.ActivityCreated:
		return events.Decode[events.ActivityCreatedV1](ev)
	case events.ActivityUpdated:
		return events.Decode[events.ActivityUpdatedV1](ev)
	case events.ActivityCancelled:
		return events.Decode[events.ActivityCancelledV1](ev)
	case events.ParticipantJoined:
		return events.Decode[events.ParticipantJoinedV1](ev)
	case events.ParticipantLeft:
		return events.Decode[events.ParticipantLeftV1](ev)
	}
	return nil, fmt.Errorf("unknown event type %q", ev.EventType)
}

// decodeGenerated marshals a generated event's payload the way the writer
// does and decodes it.
func decodeGenerated(ev Event) (events.Payload, error) {
	payload, err := json.Marshal(ev.Payload)
	if err != nil {
		return nil, err
	}
	return decode(outbox.Event{
		EventID: ev.EventID, AggregateID: ev.AggregateID, AggregateType: ev.AggregateType,
		AggregateVersion: ev.Version, EventType: ev.EventType,
		SchemaVersion: events.CurrentSchemaVersion, Payload: payload,
	})
}
