package verify_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/scripts/poison"
	"github.com/activityapp/event-processor/scripts/verify"
	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/router"
	"github.com/activityapp/event-processor/testkit/kafkatest"
	"github.com/activityapp/event-processor/testkit/mongotest"
)

const outboxTopic = "postgres.activity.event_outbox"

// poisoned is a poison entry as a projector's router writes it, for the
// outbox record at offset; parkedBehind makes it a parked one.
type poisoned struct {
	handler      string
	offset       int64
	parkedBehind string
}

func writePoison(t *testing.T, c *kafkatest.Cluster, entries ...poisoned) {
	t.Helper()
	pub, err := kafka.NewPublisher(t.Context(), kafka.PublisherConfig{Brokers: c.Brokers()}, watermill.NopLogger{})
	require.NoError(t, err)
	defer func() { _ = pub.Close() }()
	for _, e := range entries {
		service, _, _ := strings.Cut(e.handler, ".")
		// A key per event: a replay takes the entries of its key along.
		key := []byte(strconv.FormatInt(e.offset, 10))
		rec := kafka.Record{Topic: outboxTopic, Offset: e.offset, Key: key, Value: []byte(`{}`), Headers: map[string]string{}}
		msg := router.PoisonMessage(e.handler, rec, "", "", "", errors.New("invalid event payload"))
		if e.parkedBehind != "" {
			msg.Metadata.Set(router.ParkedBehindKey, e.parkedBehind)
		}
		require.NoError(t, pub.Publish(service+".poison", msg))
	}
}

// With brokers, the summary sets each projector's poisoned events beside
// the invalid events of the outbox. Parked entries, the statistics
// writer's own, and entries replayed since do not count, copies of one
// event count once; a mismatch is shown and is no difference.
func TestRunComparesThePoisonTopics(t *testing.T) {
	outbox := newOutbox(t)
	// Nothing here changes a read model: MongoDB stays empty and matches.
	outbox.insert(t,
		// Invalid for the users and the statistics.
		row(user1, 1, typeUserUpdated, at(0), userPayload(user1, "")),
		withMetadata(row(user2, 1, typeUserCreated, at(0), userCreated(user2, "b@c.d", "bob", "", "")), `{"schema_version":3}`),
		// Invalid for the activities and the statistics.
		row(activity1, 1, typeActivityCreated, at(0), activityPayload(activity1, `,"title":"Run"`)),
		// Malformed: every projector poisons it.
		withMetadata(row(user3, 1, typeUserDeleted, at(0), userPayload(user3, "")), `{"causation_id":1}`),
		// No projector's type.
		row(user1, 2, "UserRenamed", at(0), userPayload(user1, "")),
	)
	c := kafkatest.Start(t, 1, outboxTopic)
	writePoison(t, c,
		poisoned{handler: "user-projector.outbox", offset: 0},
		poisoned{handler: "user-projector.outbox", offset: 0}, // the same event again
		poisoned{handler: "user-projector.outbox", offset: 1},
		poisoned{handler: "user-projector.outbox", offset: 3},
		poisoned{handler: "user-projector.outbox", offset: 4, parkedBehind: outboxTopic + "/0/0"},
		poisoned{handler: "activity-projector.outbox", offset: 2},
		poisoned{handler: "statistics-projector.outbox", offset: 0},
		poisoned{handler: "statistics-projector.outbox", offset: 1},
		poisoned{handler: "statistics-projector.outbox", offset: 2},
		poisoned{handler: "statistics-projector.outbox", offset: 3},
		poisoned{handler: "statistics-projector.outbox", offset: 9}, // replayed below
		poisoned{handler: "statistics-projector.increments", offset: 5},
	)
	tool, err := poison.New(c.Brokers())
	require.NoError(t, err)
	defer tool.Close()
	replay, err := tool.List(t.Context(), poison.Filter{IDs: []string{"statistics-projector.poison/0/4"}})
	require.NoError(t, err)
	require.Len(t, replay, 1)
	_, err = tool.Replay(t.Context(), replay)
	require.NoError(t, err)

	db := mongotest.Database(t)
	cfg := config(t, outbox, db)
	cfg.Brokers = c.Brokers()
	var out strings.Builder
	diff, stats, err := verify.Run(context.Background(), cfg, &out)
	require.NoError(t, err)
	assert.True(t, diff.OK(), "a poison count is no difference of the read models:\n%s", out.String())
	assert.Equal(t, []verify.PoisonCount{
		{Service: verify.ServiceUsers, Poisoned: 3, Invalid: 3},
		{Service: verify.ServiceActivities, Poisoned: 1, Invalid: 2},
		{Service: verify.ServiceStatistics, Poisoned: 4, Invalid: 4},
	}, stats.Poison)
	assert.Contains(t, out.String(), ""+
		"poison: user-projector 3 poisoned, 3 invalid in the outbox\n"+
		"poison: activity-projector 1 poisoned, 2 invalid in the outbox (mismatch)\n"+
		"poison: statistics-projector 4 poisoned, 4 invalid in the outbox\n")
}

// Without brokers there is no poison count; unreachable brokers are a
// read error.
func TestRunPoisonCountNeedsBrokers(t *testing.T) {
	outbox := newOutbox(t)
	db := mongotest.Database(t)
	var out strings.Builder
	_, stats, err := verify.Run(context.Background(), config(t, outbox, db), &out)
	require.NoError(t, err)
	assert.Nil(t, stats.Poison)
	assert.NotContains(t, out.String(), "poison:")

	cfg := config(t, outbox, db)
	cfg.Brokers, cfg.Timeout = []string{"127.0.0.1:1"}, 2*time.Second
	_, _, err = verify.Run(context.Background(), cfg, nil)
	require.Error(t, err)
	assert.NotErrorIs(t, err, verify.ErrInvalidConfig)

	cfg.Brokers = []string{""}
	_, _, err = verify.Run(context.Background(), cfg, nil)
	require.ErrorIs(t, err, verify.ErrInvalidConfig)
}
