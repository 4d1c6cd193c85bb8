//go:build events_schema_v1only

package events_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/fault"
)

// A build with the events_schema_v1only tag is the projectors as they were
// before version 2: it refuses UserCreated version 2, permanently.
func TestV1OnlyBuildRefusesVersion2(t *testing.T) {
	t.Parallel()
	ev := event(events.UserCreated, `{"user_id":"`+agg+`","email":"a@b.c","username":"ann","name":{"given":"Ann"}}`)
	ev.SchemaVersion = 2
	_, err := events.Decode[events.UserCreatedV1](ev)
	require.Error(t, err)
	assert.True(t, fault.IsPermanent(err))
	assert.ErrorContains(t, err, "schema_version: unsupported version 2 (this build reads 1)")
}
