package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/activityapp/event-processor/shared/fault"
)

// PublisherConfig is what a projector's producer needs.
type PublisherConfig struct {
	Brokers  []string
	ClientID string
	// MaxMessageBytes is the largest record the producer sends; 0 keeps
	// sarama's default (1,000,000 bytes).
	MaxMessageBytes int
}

// Publisher publishes Watermill messages to Kafka, keyed with Marshaler.
// Unlike watermill-kafka's publisher, which sends one message and waits for
// it before the next, it hands every message of a Publish call to the
// producer at once: the producer batches them into as few requests as it
// can, and Publish returns when all are acknowledged. It is idempotent and
// allows one request in flight per broker, so the messages of one
// partition are written in the order given, without gaps.
type Publisher struct {
	producer sarama.SyncProducer
	logger   watermill.LoggerAdapter

	mu     sync.RWMutex
	closed bool
}

var _ message.Publisher = (*Publisher)(nil)

// ErrPublisherClosed is returned by Publish after Close.
var ErrPublisherClosed = errors.New("kafka: publisher closed")

// NewPublisher returns a synchronous producer that waits for all in-sync
// replicas. sarama fails at once when no broker answers, so NewPublisher
// retries with capped backoff until one does or ctx ends: a projector
// started before Kafka waits for it.
func NewPublisher(ctx context.Context, cfg PublisherConfig, logger watermill.LoggerAdapter) (*Publisher, error) {
	producer, err := fault.WaitFor(ctx, 250*time.Millisecond, func(err error, next time.Duration) {
		logger.Error("Kafka not reachable yet, waiting", err, watermill.LogFields{"retry_in": next.String()})
	}, func() (sarama.SyncProducer, error) {
		return sarama.NewSyncProducer(cfg.Brokers, producerConfig(cfg))
	})
	if err != nil {
		return nil, fmt.Errorf("kafka: waiting for brokers %v: %w", cfg.Brokers, err)
	}
	return &Publisher{producer: producer, logger: logger}, nil
}

func producerConfig(cfg PublisherConfig) *sarama.Config {
	sc := wkafka.DefaultSaramaSyncPublisherConfig()
	sc.ClientID = cfg.ClientID
	sc.Producer.RequiredAcks = sarama.WaitForAll
	sc.Producer.Idempotent = true
	sc.Net.MaxOpenRequests = 1
	sc.Producer.Retry.Max = 10
	sc.Producer.Retry.Backoff = 250 * time.Millisecond
	if cfg.MaxMessageBytes > 0 {
		sc.Producer.MaxMessageBytes = cfg.MaxMessageBytes
	}
	return sc
}

// Publish writes msgs to topic and returns once every one is acknowledged.
func (p *Publisher) Publish(topic string, msgs ...*message.Message) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrPublisherClosed
	}
	records := make([]*sarama.ProducerMessage, len(msgs))
	for i, msg := range msgs {
		rec, err := Marshaler{}.Marshal(topic, msg)
		if err != nil {
			return fmt.Errorf("kafka: marshal message %s: %w", msg.UUID, err)
		}
		records[i] = rec
	}
	if err := p.producer.SendMessages(records); err != nil {
		return fmt.Errorf("kafka: publish %d messages to %s: %w", len(records), topic, err)
	}
	return nil
}

// Close flushes and closes the producer; a second Close does nothing.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	return p.producer.Close()
}
