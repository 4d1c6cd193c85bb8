package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/router"
	"github.com/activityapp/event-processor/testkit/kafkatest"
)

// The commands as an operator runs them: list finds the entry, show
// prints it whole, replay sends it back once it is named, and list hides
// it after.
func TestListShowReplay(t *testing.T) {
	t.Parallel()
	const outbox = "postgres.activity.event_outbox"
	c := kafkatest.Start(t, 1, outbox, "user-projector.poison")
	pub, err := kafka.NewPublisher(t.Context(), kafka.PublisherConfig{Brokers: c.Brokers()}, watermill.NopLogger{})
	require.NoError(t, err)
	rec := kafka.Record{Topic: outbox, Partition: 0, Offset: 12, Key: []byte("agg"), Value: []byte(`{"a":1}`)}
	require.NoError(t, pub.Publish("user-projector.poison",
		router.PoisonMessage("user-projector.outbox", rec, "corr-9", "event-9", "UserCreated", errors.New("schema_version: unsupported version 2\nmore"))))
	require.NoError(t, pub.Close())
	brokers := "-brokers=" + c.Brokers()[0]
	cmd := func(args ...string) (string, error) {
		var out strings.Builder
		err := run(t.Context(), args[0], append([]string{brokers}, args[1:]...), &out)
		return out.String(), err
	}

	out, err := cmd("list")
	require.NoError(t, err)
	assert.Contains(t, out, "user-projector.poison/0/0")
	assert.Contains(t, out, "event-9")
	assert.Contains(t, out, outbox+"/0/12")
	assert.Contains(t, out, "schema_version: unsupported version 2")
	assert.NotContains(t, out, "more", "the reason's first line")

	out, err = cmd("show", "event-9")
	require.NoError(t, err)
	assert.Contains(t, out, "correlation id: corr-9")
	assert.Contains(t, out, `"a": 1`, "the value, indented")

	_, err = cmd("replay")
	assert.ErrorIs(t, err, errUsage, "replay names what to replay")
	out, err = cmd("replay", "user-projector.poison/0/0")
	require.NoError(t, err)
	assert.Contains(t, out, "replayed user-projector.poison/0/0 (UserCreated event-9) to "+outbox+"/0/0 for user-projector")

	out, err = cmd("list")
	require.NoError(t, err)
	assert.NotContains(t, out, "event-9")
	out, err = cmd("list", "-replayed", "-json")
	require.NoError(t, err)
	assert.Contains(t, out, `"event_id":"event-9"`)
	assert.Contains(t, out, `"replayed":{"replayed_at":`)

	_, err = cmd("replay", "-matching", "-type", "UserCreated")
	assert.EqualError(t, err, "no entry matches", "a replayed entry is not replayed again by a filter")
	_, err = cmd("frobnicate")
	assert.ErrorIs(t, err, errUsage)
}
