package kafkatest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/activityapp/event-processor/testkit/kafkatest"
)

// TestWatermillConsumerGroup checks that the application's stack
// (watermill-kafka on sarama, default protocol version) works against kfake:
// publish, consume in a consumer group from the oldest offset, and commit.
func TestWatermillConsumerGroup(t *testing.T) {
	const (
		topic = "activity.events"
		group = "projector"
		n     = 30
	)
	c := kafkatest.Start(t, 3, topic)
	logger := watermill.NopLogger{}

	pub, err := kafka.NewPublisher(kafka.PublisherConfig{
		Brokers:   c.Brokers(),
		Marshaler: kafka.DefaultMarshaler{},
	}, logger)
	if err != nil {
		t.Fatalf("create publisher: %v", err)
	}
	defer pub.Close()
	for i := range n {
		msg := message.NewMessage(watermill.NewUUID(), fmt.Appendf(nil, "%d", i))
		msg.Metadata.Set("seq", fmt.Sprint(i))
		if err := pub.Publish(topic, msg); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	// A record written by the helper must reach watermill too, headers as
	// metadata.
	c.Produce(t, topic, []byte("key"), []byte("from-kgo"), map[string]string{"seq": "kgo"})

	saramaCfg := kafka.DefaultSaramaSubscriberConfig()
	saramaCfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	sub, err := kafka.NewSubscriber(kafka.SubscriberConfig{
		Brokers:               c.Brokers(),
		Unmarshaler:           kafka.DefaultMarshaler{},
		OverwriteSaramaConfig: saramaCfg,
		ConsumerGroup:         group,
	}, logger)
	if err != nil {
		t.Fatalf("create subscriber: %v", err)
	}
	defer sub.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	began := time.Now()
	msgs, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	seen := map[string]bool{}
	for len(seen) < n+1 {
		select {
		case msg := <-msgs:
			if seq := msg.Metadata.Get("seq"); seq != string(msg.Payload) && seq != "kgo" {
				t.Errorf("message %q has metadata seq=%q", msg.Payload, seq)
			}
			seen[string(msg.Payload)] = true
			msg.Ack()
		case <-ctx.Done():
			t.Fatalf("received %d of %d messages in group %s", len(seen), n+1, group)
		}
	}
	t.Logf("consumer group received %d messages %v after Subscribe", len(seen), time.Since(began))

	// sarama commits marked offsets every second.
	for {
		var total int64
		for _, off := range c.CommittedOffsets(t, group, topic) {
			total += off
		}
		if total == n+1 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("group %s committed %d of %d offsets", group, total, n+1)
		case <-time.After(100 * time.Millisecond):
		}
	}

	// The watermill-published records are readable with the helper too.
	if recs := c.Consume(t, topic, n+1, 10*time.Second); len(recs) != n+1 {
		t.Errorf("Consume returned %d records, want %d", len(recs), n+1)
	}
}
