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
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activityapp/event-processor/shared/config"
	"github.com/activityapp/event-processor/shared/kafka"
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

// TestSubscriberStartsWhereOffsetResetSays: a new group starts at the
// outbox's first record (earliest, the default) or at its end (latest).
func TestSubscriberStartsWhereOffsetResetSays(t *testing.T) {
	for reset, want := range map[string][]string{"earliest": {"old", "new"}, "latest": {"new"}} {
		t.Run(reset, func(t *testing.T) {
			cluster := kafkatest.Start(t, 1, "outbox")
			cluster.Produce(t, "outbox", []byte("k"), []byte("old"), nil)
			cfg, _, err := config.LoadFrom("user-projector", config.MapLookup(map[string]string{
				"KAFKA_BROKERS": cluster.Brokers()[0], "KAFKA_TOPIC": "outbox", "KAFKA_AUTO_OFFSET_RESET": reset,
				"KAFKA_CONSUMER_GROUP": "group-" + reset, "BATCH_MAX_WAIT": "0",
			}))
			require.NoError(t, err)
			sub, cleanup, err := NewSubscriber(cfg, slog.New(slog.DiscardHandler), nil)
			require.NoError(t, err)
			t.Cleanup(cleanup)
			msgs, err := sub.Subscribe(t.Context(), "outbox")
			require.NoError(t, err)
			if reset == "latest" {
				// The group has joined (it has an assignment) before
				// the new record, or latest would be a race.
				cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.Brokers()...))
				require.NoError(t, err)
				defer cl.Close()
				require.Eventually(t, func() bool {
					groups, err := kadm.NewClient(cl).DescribeGroups(t.Context(), "group-"+reset)
					g, ok := groups["group-"+reset]
					return err == nil && ok && g.State == "Stable" && len(g.Members) > 0
				}, 10*time.Second, 50*time.Millisecond, "the group has joined")
				// Its claim looks up the partition's end right after the
				// join; give it that moment.
				time.Sleep(300 * time.Millisecond)
			}
			cluster.Produce(t, "outbox", []byte("k"), []byte("new"), nil)

			var got []string
			for len(got) < len(want) {
				select {
				case msg := <-msgs:
					batch, ok := kafka.BatchFromMessage(msg)
					require.True(t, ok)
					for _, r := range batch.Records {
						got = append(got, string(r.Value))
					}
					msg.Ack()
				case <-time.After(10 * time.Second):
					t.Fatalf("got %v, want %v", got, want)
				}
			}
			assert.Equal(t, want, got)
		})
	}
}
