package events_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/outbox"
)

const agg = "7c9e6679-7425-40de-944b-e07fc1f90ae7"

func event(eventType, payload string) outbox.Event {
	return outbox.Event{EventID: "e1", AggregateID: agg, EventType: eventType, SchemaVersion: 1, Payload: json.RawMessage(payload)}
}

func TestDecodeValidPayloads(t *testing.T) {
	t.Parallel()
	u, err := events.Decode[events.UserCreatedV1](event(events.UserCreated,
		`{"user_id":"`+agg+`","email":"a@b.c","username":"ann","full_name":"Ann","unknown":"ignored"}`))
	require.NoError(t, err)
	assert.Equal(t, events.UserCreatedV1{UserID: agg, Email: "a@b.c", Username: "ann", FullName: "Ann"}, u)

	up, err := events.Decode[events.UserUpdatedV1](event(events.UserUpdated, `{"user_id":"`+agg+`","city":""}`))
	require.NoError(t, err)
	require.NotNil(t, up.City)
	assert.Empty(t, *up.City, "clearing a field is a change")
	assert.Nil(t, up.Email)

	a, err := events.Decode[events.ActivityCreatedV1](event(events.ActivityCreated,
		`{"activity_id":"`+agg+`","creator_id":"u1","title":"Run","category":"sport","starts_at":"2026-12-01T18:00:00Z"}`))
	require.NoError(t, err)
	assert.Equal(t, "2026-12-01T18:00:00Z", a.StartsAt.Format("2006-01-02T15:04:05Z07:00"))
}

func TestDecodeRejectsInvalidPayloads(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, eventType, payload, field string
		version                         int
	}{
		{"missing email", events.UserCreated, `{"user_id":"` + agg + `","username":"ann"}`, "payload.email", 1},
		{"other aggregate", events.UserDeleted, `{"user_id":"someone-else"}`, "payload.user_id", 1},
		{"empty update", events.UserUpdated, `{"user_id":"` + agg + `"}`, "payload.(any field)", 1},
		{"not an object", events.UserCreated, `[1]`, "payload:", 1},
		{"wrong type", events.ActivityCreated, `{"activity_id":"` + agg + `","max_participants":"ten"}`, "payload:", 1},
		{"negative capacity", events.ActivityUpdated, `{"activity_id":"` + agg + `","max_participants":-1}`, "payload.max_participants", 1},
		{"join without user", events.ParticipantJoined, `{"activity_id":"` + agg + `"}`, "payload.user_id", 1},
		{"unknown schema version", events.UserDeleted, `{"user_id":"` + agg + `"}`, "schema_version: unsupported version 2 (this build reads 1)", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := event(tc.eventType, tc.payload)
			ev.SchemaVersion = tc.version
			var err error
			switch tc.eventType {
			case events.UserCreated:
				_, err = events.Decode[events.UserCreatedV1](ev)
			case events.UserUpdated:
				_, err = events.Decode[events.UserUpdatedV1](ev)
			case events.UserDeleted:
				_, err = events.Decode[events.UserDeletedV1](ev)
			case events.ActivityCreated:
				_, err = events.Decode[events.ActivityCreatedV1](ev)
			case events.ActivityUpdated:
				_, err = events.Decode[events.ActivityUpdatedV1](ev)
			case events.ParticipantJoined:
				_, err = events.Decode[events.ParticipantJoinedV1](ev)
			}
			require.Error(t, err)
			assert.True(t, fault.IsPermanent(err), "permanent")
			assert.True(t, errors.Is(err, events.ErrInvalidPayload))
			assert.True(t, strings.Contains(err.Error(), tc.field), "%q names %s", err, tc.field)
			assert.Contains(t, err.Error(), tc.eventType)
		})
	}
}

// A payload without its aggregate's own id (as the prototype's rows are
// written) belongs to the row's aggregate; other ids are not filled in.
func TestDecodeDefaultsTheOwnIDToTheAggregate(t *testing.T) {
	t.Parallel()
	u, err := events.Decode[events.UserCreatedV1](event(events.UserCreated, `{"email": "test@example.com", "username": "testuser"}`))
	require.NoError(t, err)
	assert.Equal(t, events.UserCreatedV1{UserID: agg, Email: "test@example.com", Username: "testuser"}, u)

	j, err := events.Decode[events.ParticipantJoinedV1](event(events.ParticipantJoined, `{"user_id":"u1"}`))
	require.NoError(t, err)
	assert.Equal(t, agg, j.ActivityID)
	assert.Equal(t, "u1", j.UserID, "the participant stays the participant")

	_, err = events.Decode[events.ParticipantLeftV1](event(events.ParticipantLeft, `{}`))
	assert.ErrorContains(t, err, "payload.user_id: required", "the participant is never the aggregate")
	_, err = events.Decode[events.UserDeletedV1](event(events.UserDeleted, `{"user_id":""}`))
	assert.NoError(t, err, "an empty id is a missing id")
}
