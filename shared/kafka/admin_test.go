package kafka_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/testkit/kafkatest"
)

func TestEnsureTopicCreatesOnceAndKeepsExisting(t *testing.T) {
	cluster := kafkatest.Start(t, 3, "existing")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	created, err := kafka.EnsureTopic(ctx, cluster.Brokers(), kafka.TopicConfig{Name: "fresh", Partitions: 12, ReplicationFactor: 1})
	require.NoError(t, err)
	require.True(t, created)
	created, err = kafka.EnsureTopic(ctx, cluster.Brokers(), kafka.TopicConfig{Name: "fresh", Partitions: 12, ReplicationFactor: 1})
	require.NoError(t, err)
	require.False(t, created, "second call")
	created, err = kafka.EnsureTopic(ctx, cluster.Brokers(), kafka.TopicConfig{Name: "existing", Partitions: 12, ReplicationFactor: 1})
	require.NoError(t, err)
	require.False(t, created)

	client, err := kgo.NewClient(kgo.SeedBrokers(cluster.Brokers()...))
	require.NoError(t, err)
	defer client.Close()
	details, err := kadm.NewClient(client).ListTopics(ctx, "fresh", "existing")
	require.NoError(t, err)
	require.Len(t, details["fresh"].Partitions, 12)
	require.Len(t, details["existing"].Partitions, 3, "an existing topic is never repartitioned")
}

func TestEnsureTopicGivesUpWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	_, err := kafka.EnsureTopic(ctx, []string{"127.0.0.1:1"}, kafka.TopicConfig{Name: "t", Partitions: 1, ReplicationFactor: 1})
	require.ErrorIs(t, err, context.DeadlineExceeded)
}
