//go:build !events_schema_v1only

package events_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/fault"
)

// UserCreated version 2 carries the name in parts; it reads as version 1.
func TestDecodeUserCreatedVersion2(t *testing.T) {
	t.Parallel()
	ev := event(events.UserCreated, `{"user_id":"`+agg+`","email":"a@b.c","username":"ann",`+
		`"name":{"given":"Ann","family":"Lee"},"city":"Oslo"}`)
	ev.SchemaVersion = 2
	u, err := events.Decode[events.UserCreatedV1](ev)
	require.NoError(t, err)
	assert.Equal(t, events.UserCreatedV1{UserID: agg, Email: "a@b.c", Username: "ann", FullName: "Ann Lee", City: "Oslo"}, u)

	ev.Payload = []byte(`{"email":"a@b.c","username":"ann","name":{"family":"Lee"}}`)
	u, err = events.Decode[events.UserCreatedV1](ev)
	require.NoError(t, err)
	assert.Equal(t, "Lee", u.FullName)
	assert.Equal(t, agg, u.UserID, "the aggregate's own id, as for version 1")
}

func TestDecodeUserCreatedVersion2Rejects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, payload, want string
		version             int
	}{
		{"unknown version", `{"user_id":"` + agg + `"}`, "schema_version: unsupported version 3 (this build reads 1, 2)", 3},
		{"missing email", `{"user_id":"` + agg + `","username":"ann","name":{"given":"Ann"}}`, "payload.email: required", 2},
		{"not an object", `[1]`, "payload (schema version 2):", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := event(events.UserCreated, tc.payload)
			ev.SchemaVersion = tc.version
			_, err := events.Decode[events.UserCreatedV1](ev)
			require.Error(t, err)
			assert.True(t, fault.IsPermanent(err))
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

func TestReadsVersion(t *testing.T) {
	t.Parallel()
	assert.True(t, events.ReadsVersion(events.UserCreated, 1))
	assert.True(t, events.ReadsVersion(events.UserCreated, 2))
	assert.True(t, events.ReadsVersion(events.UserDeleted, 1))
	assert.False(t, events.ReadsVersion(events.UserDeleted, 2))
	assert.False(t, events.ReadsVersion(events.UserCreated, 3))
}
