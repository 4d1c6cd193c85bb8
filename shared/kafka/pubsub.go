package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
)

// SubscriberConfig is what a projector's consumer needs.
type SubscriberConfig struct {
	Brokers       []string
	ConsumerGroup string
	ClientID      string
	// NackResendSleep delays the redelivery of a nacked message.
	NackResendSleep time.Duration
}

// NewSubscriber returns a consumer-group subscriber that starts a new group
// at the oldest offset (sarama's default is the newest, which would skip
// everything written before the first start), never fails to unmarshal, and
// commits the offsets of acknowledged messages every second.
func NewSubscriber(cfg SubscriberConfig, logger watermill.LoggerAdapter) (*wkafka.Subscriber, error) {
	sc := wkafka.DefaultSaramaSubscriberConfig()
	sc.ClientID = cfg.ClientID
	sc.Consumer.Offsets.Initial = sarama.OffsetOldest
	sc.Consumer.Offsets.AutoCommit.Enable = true
	sc.Consumer.Offsets.AutoCommit.Interval = time.Second
	// Sticky assignment keeps partitions (and their single writer per
	// document) in place across rebalances as far as possible.
	sc.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategySticky()}
	nack := cfg.NackResendSleep
	if nack == 0 {
		nack = 100 * time.Millisecond
	}
	return wkafka.NewSubscriber(wkafka.SubscriberConfig{
		Brokers:               cfg.Brokers,
		Unmarshaler:           Unmarshaler{},
		OverwriteSaramaConfig: sc,
		ConsumerGroup:         cfg.ConsumerGroup,
		NackResendSleep:       nack,
		ReconnectRetrySleep:   time.Second,
	}, logger)
}

// PublisherConfig is what a projector's producer needs.
type PublisherConfig struct {
	Brokers  []string
	ClientID string
}

// NewPublisher returns a synchronous producer that waits for all in-sync
// replicas, is idempotent, and keys records with Marshaler. sarama fails at
// once when no broker answers, so NewPublisher retries with capped backoff
// until one does or ctx ends: a projector started before Kafka waits for it.
func NewPublisher(ctx context.Context, cfg PublisherConfig, logger watermill.LoggerAdapter) (*wkafka.Publisher, error) {
	wait := 250 * time.Millisecond
	for {
		pub, err := newPublisher(cfg, logger)
		if err == nil {
			return pub, nil
		}
		logger.Error("Kafka not reachable yet, waiting", err, watermill.LogFields{"retry_in": wait.String()})
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("kafka: waiting for brokers %v: %w", cfg.Brokers, errors.Join(ctx.Err(), err))
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}

func newPublisher(cfg PublisherConfig, logger watermill.LoggerAdapter) (*wkafka.Publisher, error) {
	sc := wkafka.DefaultSaramaSyncPublisherConfig()
	sc.ClientID = cfg.ClientID
	sc.Producer.RequiredAcks = sarama.WaitForAll
	sc.Producer.Idempotent = true
	sc.Net.MaxOpenRequests = 1
	sc.Producer.Retry.Max = 10
	sc.Producer.Retry.Backoff = 250 * time.Millisecond
	return wkafka.NewPublisher(wkafka.PublisherConfig{
		Brokers:               cfg.Brokers,
		Marshaler:             Marshaler{},
		OverwriteSaramaConfig: sc,
	}, logger)
}
