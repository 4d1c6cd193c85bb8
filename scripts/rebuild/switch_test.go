package rebuild_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/activityapp/event-processor/scripts/poison"
	"github.com/activityapp/event-processor/scripts/rebuild"
	"github.com/activityapp/event-processor/scripts/report"
	"github.com/activityapp/event-processor/shared/readmodel"
	"github.com/activityapp/event-processor/shared/router"
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
	assert.Equal(t, map[string]string{
		"daily_statistics": "daily_statistics_r1700000000", "user_statistics": "user_statistics_r1700000000",
		"blocked_sequences_statistics_projector": "blocked_sequences_statistics_projector_r1700000000",
	}, p.Collections())

	_, err = rebuild.NewPlan("billing-projector", time.Now())
	assert.ErrorContains(t, err, `unknown service "billing-projector"`)
}

// Switch refuses while the rebuild has records to go; once it has caught
// up it points the read model at the new collection, gives the live group
// the rebuild's offsets, drops the old collection, deletes the rebuild's
// group and supersedes the live poison entries from before.
func TestSwitch(t *testing.T) {
	ctx := t.Context()
	c := kafkatest.Start(t, 2, rebuild.DefaultTopic, "user-projector.poison", "user-projector.rebuild_r1.poison")
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
	// The rebuild poisoned an event of aggregate x and parked one of y,
	// whose block it has released since (a replay or drop it read).
	for i, key := range []string{"x", "y"} {
		c.Produce(t, "user-projector.rebuild_r1.poison", []byte(key), []byte("{}"), map[string]string{
			"handler_poisoned": "user-projector.outbox", "topic_poisoned": rebuild.DefaultTopic, "reason_poisoned": "bad",
			"kafka_partition": "0", "kafka_offset": strconv.Itoa(10 + i)})
	}
	db := mongotest.Database(t)
	require.NoError(t, readmodel.NewBlocks(db, readmodel.Namer{RebuildSuffix: "_r1"}, "user-projector").Save(ctx,
		router.Block{Handler: "user-projector.outbox", Key: "x", Topic: rebuild.DefaultTopic, Parked: []string{rebuild.DefaultTopic + "/0/10"}}))
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
	lag := groupLag(t, c.Brokers(), p.RebuildGroup())
	assert.Positive(t, lag)
	commit(p.Group, 0) // the live group stopped at the end
	_, err = rebuild.Switch(ctx, db, cl, entries, p)
	require.ErrorContains(t, err, "behind the live group's")
	name, err := readmodel.Resolve(ctx, db, "users")
	require.NoError(t, err)
	assert.Equal(t, "users", name, "nothing switched")

	commit(p.RebuildGroup(), 0)
	done, err := rebuild.Switch(ctx, db, cl, entries, p)
	require.NoError(t, err)
	assert.Equal(t, []string{"users", "blocked_sequences_user_projector"}, done.Previous)
	assert.Equal(t, 1, done.Superseded)
	assert.Equal(t, 1, done.Resolved, "the rebuild's entry of y")
	names, err := db.ListCollectionNames(ctx, bson.D{})
	require.NoError(t, err)
	assert.Contains(t, names, "users", "kept until DropStale, for readers that resolved before")

	name, err = readmodel.Resolve(ctx, db, "users")
	require.NoError(t, err)
	assert.Equal(t, "users_r1", name)
	_, err = db.Collection("users_r0").InsertOne(ctx, bson.D{{Key: "_id", Value: "older rebuild"}})
	require.NoError(t, err)
	_, err = db.Collection("users_archive").InsertOne(ctx, bson.D{{Key: "_id", Value: "not a rebuild's"}})
	require.NoError(t, err)
	dropped, err := rebuild.DropStale(ctx, db, p)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"users", "users_r0"}, dropped)
	names, err = db.ListCollectionNames(ctx, bson.D{})
	require.NoError(t, err)
	assert.NotContains(t, names, "users")
	assert.Contains(t, names, "users_r1")
	assert.Contains(t, names, "users_archive")
	liveLag := groupLag(t, c.Brokers(), "user-projector")
	assert.Zero(t, liveLag, "the live group goes on where the rebuild stopped")
	groups, err := adm.ListGroups(ctx)
	require.NoError(t, err)
	assert.NotContains(t, groups.Groups(), p.RebuildGroup(), "the rebuild's group is deleted")
	left, err := entries.List(ctx, poison.Filter{})
	require.NoError(t, err)
	require.Len(t, left, 1, "the earlier poison entry is superseded, and the rebuild's resolved one")
	assert.Equal(t, []byte("x"), left[0].Key, "the entry its block still waits for")
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
	err = rebuild.WaitCaughtUp(ctx, c.Brokers(), map[string]string{"g": rebuild.DefaultTopic, "g.increments": "not-yet"}, 0, 100*time.Millisecond, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	resp, err := adm.CreateTopic(t.Context(), 1, 1, nil, "not-yet")
	require.NoError(t, err)
	require.NoError(t, resp.Err)
	require.NoError(t, rebuild.WaitCaughtUp(t.Context(), c.Brokers(), map[string]string{"g": rebuild.DefaultTopic, "g.increments": "not-yet"}, 0, 100*time.Millisecond, nil),
		"both topics empty: nothing to handle")
}

// The contributions a statistics rebuild published but did not apply go
// to the live increments topic, in order, with their keys.
func TestSwitchDrainsStatisticsContributions(t *testing.T) {
	ctx := t.Context()
	p, err := rebuild.NewPlan("statistics-projector", time.Now())
	require.NoError(t, err)
	p = p.WithSuffix("_r7")
	c := kafkatest.Start(t, 1, rebuild.DefaultTopic, p.IncrementsTopic(), p.LiveIncrementsTopic())
	c.Produce(t, rebuild.DefaultTopic, []byte("a"), []byte("{}"), nil)
	for i := range 3 {
		c.Produce(t, p.IncrementsTopic(), []byte("daily/1"), []byte{byte('0' + i)}, map[string]string{"correlation_id": "c"})
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...))
	require.NoError(t, err)
	defer cl.Close()
	adm := kadm.NewClient(cl)
	commitAt := func(group, topic string, offset int64) {
		t.Helper()
		offsets := kadm.Offsets{}
		offsets.AddOffset(topic, 0, offset, -1)
		resp, err := adm.CommitOffsets(ctx, group, offsets)
		require.NoError(t, err)
		require.NoError(t, resp.Error())
	}
	commitAt(p.RebuildGroup(), rebuild.DefaultTopic, 1)
	commitAt(p.Group, rebuild.DefaultTopic, 1)
	commitAt(p.RebuildGroup()+".increments", p.IncrementsTopic(), 1) // applied the first only
	entries, err := poison.New(c.Brokers())
	require.NoError(t, err)
	defer entries.Close()

	_, err = rebuild.Switch(ctx, mongotest.Database(t), cl, entries, p)
	require.NoError(t, err)
	copied := c.Consume(t, p.LiveIncrementsTopic(), 2, 10*time.Second)
	require.Len(t, copied, 2)
	for i, r := range copied {
		assert.Equal(t, []byte("daily/1"), r.Key)
		assert.Equal(t, []byte{byte('1' + i)}, r.Value, "in order, from the first not applied")
		require.Len(t, r.Headers, 1)
		assert.Equal(t, "correlation_id", r.Headers[0].Key)
	}
	topics, err := adm.ListTopics(ctx)
	require.NoError(t, err)
	assert.False(t, topics.Has(p.IncrementsTopic()), "the rebuild's increments topic is deleted")
}

// groupLag is group's lag on the outbox topic, as the demo's tracker reads it.
func groupLag(t *testing.T, brokers []string, group string) int64 {
	t.Helper()
	tracker, err := report.NewTracker(brokers, []report.Consumer{{Group: group, Topic: rebuild.DefaultTopic}}, nil)
	require.NoError(t, err)
	defer tracker.Close()
	s, err := tracker.Sample(t.Context())
	require.NoError(t, err)
	return s.Consumers[group].Lag
}
