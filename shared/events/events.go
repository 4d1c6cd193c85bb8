// Package events is the catalogue of outbox event types and their payloads
// (docs/events.md describes them for people). Every projector decodes
// payloads through Decode, so validation is the same everywhere: a payload
// that does not fit its type and schema version is a permanent error.
package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/outbox"
)

// Event types.
const (
	UserCreated       = "UserCreated"
	UserUpdated       = "UserUpdated"
	UserDeleted       = "UserDeleted"
	ActivityCreated   = "ActivityCreated"
	ActivityUpdated   = "ActivityUpdated"
	ActivityCancelled = "ActivityCancelled"
	ParticipantJoined = "ParticipantJoined"
	ParticipantLeft   = "ParticipantLeft"
)

// Aggregate types.
const (
	AggregateUser     = "user"
	AggregateActivity = "activity"
)

// CurrentSchemaVersion is the schema version the payload types of this
// package (the V1 structs) describe. Other versions of a type are read when
// a reader for them is registered (see versions.go), which turns them into
// the current shape; any other version is a permanent error until the
// projectors are upgraded: the poison queue keeps those events for a
// replay.
const CurrentSchemaVersion = 1

// ErrInvalidPayload is wrapped by every validation error.
var ErrInvalidPayload = errors.New("invalid event payload")

// Payload is implemented by every event payload.
type Payload interface {
	// validate checks required fields and that the payload belongs to
	// aggregateID.
	validate(aggregateID string) error
}

// Decode parses ev's payload into P and validates it. Unknown fields are
// ignored so producers can add fields without a new schema version.
func Decode[P Payload](ev outbox.Event) (P, error) {
	var p P
	payload := ev.Payload
	if ev.SchemaVersion != CurrentSchemaVersion {
		read, ok := versionReaders[versionKey{ev.EventType, ev.SchemaVersion}]
		if !ok {
			return p, invalid(ev, "schema_version: unsupported version %d (this build reads %s)", ev.SchemaVersion, readableVersions(ev.EventType))
		}
		var err error
		if payload, err = read(ev.Payload); err != nil {
			return p, invalid(ev, "payload (schema version %d): %v", ev.SchemaVersion, err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&p); err != nil {
		return p, invalid(ev, "payload: %v", err)
	}
	// A payload without its aggregate's own id (user_id of a user event,
	// activity_id of an activity event) belongs to the row's aggregate_id,
	// as rows written for the prototype have it; a different one is still
	// refused by validate.
	if o, ok := any(&p).(ownIDer); ok {
		if id := o.ownID(); *id == "" {
			*id = ev.AggregateID
		}
	}
	if err := p.validate(ev.AggregateID); err != nil {
		return p, invalid(ev, "payload.%s", strings.ReplaceAll(err.Error(), "\n", "; payload."))
	}
	return p, nil
}

// ownIDer is a payload (pointer) whose own id field is the aggregate's id.
type ownIDer interface{ ownID() *string }

func invalid(ev outbox.Event, format string, args ...any) error {
	return fault.Permanent(fmt.Errorf("%w: %s %s: %s", ErrInvalidPayload, ev.EventType, ev.EventID, fmt.Sprintf(format, args...)))
}

func required(field, value string) error {
	if value == "" {
		return fmt.Errorf("%s: required", field)
	}
	return nil
}

func sameAggregate(field, value, aggregateID string) error {
	if err := required(field, value); err != nil {
		return err
	}
	if value != aggregateID {
		return fmt.Errorf("%s: %q does not match aggregate_id %q", field, value, aggregateID)
	}
	return nil
}
