package service

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/config"
	"github.com/activityapp/event-processor/testkit/kafkatest"
)

// TestPoisonPublisherCreatesItsTopic: the poison topic exists before the
// first record is poisoned, with the configured partitions and record size
// limit, and the producer sends records up to that limit (above Kafka's
// default of 1 MB).
func TestPoisonPublisherCreatesItsTopic(t *testing.T) {
	cluster := kafkatest.Start(t, 12, "outbox")
	cfg, _, err := config.LoadFrom("user-projector", config.MapLookup(map[string]string{
		"KAFKA_BROKERS":                  cluster.Brokers()[0],
		"KAFKA_POISON_PARTITIONS":        "3",
		"KAFKA_POISON_MAX_MESSAGE_BYTES": "3000000",
	}))
	require.NoError(t, err)

	pub, cleanup, err := NewPoisonPublisher(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(cleanup)

	admin, err := sarama.NewClusterAdmin(cluster.Brokers(), sarama.NewConfig())
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	topics, err := admin.DescribeTopics([]string{"user-projector.poison"})
	require.NoError(t, err)
	require.Len(t, topics, 1)
	require.Equal(t, sarama.ErrNoError, topics[0].Err, "the topic exists")
	assert.Len(t, topics[0].Partitions, 3)
	results, err := admin.DescribeConfigs([]*sarama.ConfigResource{{
		Type: sarama.TopicResource, Name: "user-projector.poison", ConfigNames: []string{"max.message.bytes"},
	}}, sarama.DescribeConfigsOptions{})
	require.NoError(t, err)
	require.Len(t, results, 1)
	require.Equal(t, sarama.ErrNoError, results[0].ErrorCode, results[0].ErrorMsg)
	require.Len(t, results[0].Configs, 1)
	assert.Equal(t, "3000000", results[0].Configs[0].Value)

	big := bytes.Repeat([]byte("x"), 1_500_000)
	require.NoError(t, pub.Publish("user-projector.poison", message.NewMessage("big", big)))
	got := cluster.Consume(t, "user-projector.poison", 1, 10*time.Second)
	require.Len(t, got, 1)
	assert.Len(t, got[0].Value, len(big))
}
