package rebuild_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/activityapp/event-processor/scripts/poison"
	"github.com/activityapp/event-processor/scripts/rebuild"
	"github.com/activityapp/event-processor/shared/readmodel"
	"github.com/activityapp/event-processor/testkit/kafkatest"
	"github.com/activityapp/event-processor/testkit/mongotest"
)

func TestMain(m *testing.M) {
	os.Exit(mongotest.Main(m))
}

func TestPlan(t *testing.T) {
	p, err := rebuild.NewPlan("statistics-projector", time.Unix(1700000000, 0))
	require.NoError(t, err)
	assert.Equal(t, "_r1700000000", p.Suffix)
	assert.Equal(t, "statistics-projector.rebuild_r1700000000", p.RebuildGroup())
	assert.Equal(t, []string{
		"KAFKA_CONSUMER_GROUP=statistics-projector.rebuild_r1700000000",
		"KAFKA_AUTO_OFFSET_RESET=earliest",
		"KAFKA_POISON_TOPIC=statistics-projector.rebuild_r1700000000.poison",
		"READ_MODEL_REBUILD_SUFFIX=_r1700000000",
		"STATISTICS_INCREMENTS_TOPIC=statistics-projector.rebuild_r1700000000.increments",
	}, p.Env())
	assert.Equal(t, map[string]string{
		"statistics-projector.rebuild_r1700000000":            rebuild.DefaultTopic,
		"statistics-projector.rebuild_r1700000000.increments": "statistics-projector.rebuild_r1700000000.increments",
	}, p.RebuildGroups())
	assert.Equal(t, map[string]string{"daily_statistics": "daily_statistics_r1700000000", "user_statistics": "user_statistics_r1700000000"},
		p.Collections())

	_, err = rebuild.NewPlan("billing-projector", time.Now())
	assert.ErrorContains(t, err, `unknown service "billing-projector"`)
}

// Switch refuses while the rebuild has records to go; once it has caught
// up it points the read model at the new collection, gives the live group
// the rebuild's offsets, drops the old collection, deletes the rebuild's
// group and supersedes the live poison entries from before.
func TestSwitch(t *testing.T) {
	ctx := t.Context()
	c := kafkatest.Start(t, 2, rebuild.DefaultTopic, "user-projector.poison")
	for i := range 4 {
		c.Produce(t, rebuild.DefaultTopic, []byte{byte('a' + i)}, []byte("{}"), nil)
	}
	c.Produce(t, "user-projector.poison", []byte("a"), []byte("{}"), map[string]string{
		"handler_poisoned": "user-projector.outbox", "topic_poisoned": rebuild.DefaultTopic, "reason_poisoned": "bad"})
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...))
	require.NoError(t, err)
	defer cl.Close()
	adm := kadm.NewClient(cl)
	entries, err := poison.New(c.Brokers())
	require.NoError(t, err)
	defer entries.Close()
	db := mongotest.Database(t)
	_, err = db.Collection("users").InsertOne(ctx, bson.D{{Key: "_id", Value: "old"}})
	require.NoError(t, err)
	_, err = db.Collection("users_r1").InsertOne(ctx, bson.D{{Key: "_id", Value: "new"}})
	require.NoError(t, err)

	p, err := rebuild.NewPlan("user-projector", time.Now())
	require.NoError(t, err)
	p = p.WithSuffix("_r1")
	ends, err := adm.ListEndOffsets(ctx, rebuild.DefaultTopic)
	require.NoError(t, err)
	commit := func(group string, back int64) {
		t.Helper()
		offsets := kadm.Offsets{}
		ends.Each(func(o kadm.ListedOffset) { offsets.AddOffset(o.Topic, o.Partition, max(o.Offset-back, 0), -1) })
		resp, err := adm.CommitOffsets(ctx, group, offsets)
		require.NoError(t, err)
		require.NoError(t, resp.Error())
	}
	commit(p.RebuildGroup(), 1)
	lag, err := rebuild.Lag(ctx, adm, p.RebuildGroup(), rebuild.DefaultTopic)
	require.NoError(t, err)
	assert.Positive(t, lag)
	_, err = rebuild.Switch(ctx, db, adm, entries, p)
	require.ErrorContains(t, err, "still to handle")
	name, err := readmodel.Resolve(ctx, db, "users")
	require.NoError(t, err)
	assert.Equal(t, "users", name, "nothing switched")

	commit(p.RebuildGroup(), 0)
	done, err := rebuild.Switch(ctx, db, adm, entries, p)
	require.NoError(t, err)
	assert.Equal(t, []string{"users"}, done.Dropped)
	assert.Equal(t, 1, done.Superseded)

	name, err = readmodel.Resolve(ctx, db, "users")
	require.NoError(t, err)
	assert.Equal(t, "users_r1", name)
	names, err := db.ListCollectionNames(ctx, bson.D{})
	require.NoError(t, err)
	assert.NotContains(t, names, "users", "the old collection is dropped")
	liveLag, err := rebuild.Lag(ctx, adm, "user-projector", rebuild.DefaultTopic)
	require.NoError(t, err)
	assert.Zero(t, liveLag, "the live group goes on where the rebuild stopped")
	groups, err := adm.ListGroups(ctx)
	require.NoError(t, err)
	assert.NotContains(t, groups.Groups(), p.RebuildGroup(), "the rebuild's group is deleted")
	left, err := entries.List(ctx, poison.Filter{})
	require.NoError(t, err)
	assert.Empty(t, left, "the earlier poison entry is superseded")
}

// A topic the rebuild instance has not created yet is not caught up.
func TestWaitCaughtUpWaitsForMissingTopics(t *testing.T) {
	c := kafkatest.Start(t, 1, rebuild.DefaultTopic)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...))
	require.NoError(t, err)
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	err = rebuild.WaitCaughtUp(ctx, adm, map[string]string{"g": rebuild.DefaultTopic, "g.increments": "not-yet"}, 100*time.Millisecond, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	resp, err := adm.CreateTopic(t.Context(), 1, 1, nil, "not-yet")
	require.NoError(t, err)
	require.NoError(t, resp.Err)
	require.NoError(t, rebuild.WaitCaughtUp(t.Context(), adm, map[string]string{"g": rebuild.DefaultTopic, "g.increments": "not-yet"}, 100*time.Millisecond, nil),
		"both topics empty: nothing to handle")
}
