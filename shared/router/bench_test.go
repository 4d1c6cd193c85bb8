package router_test

// Benchmarks of the shared consumer path per message, without Kafka: the
// record as shared/kafka's Unmarshaler turns it into a message, then
// router.New's whole chain (decode → correlation → poison → retry →
// timeout → recoverer) in front of a handler that does nothing. What is
// left is the cost every projector pays before its own work starts.
//
// Run: go test -run '^$' -bench . ./router/

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/debezium"
	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/logging"
	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/registry"
	"github.com/activityapp/event-processor/shared/router"
)

// capturedCreates are records the real Debezium 3.6.1 connector wrote
// (shared/debezium/testdata/captured): one event of each aggregate kind.
var capturedCreates = []string{
	"schemas_off_create_UserCreated.json",
	"schemas_off_create_ActivityCreated.json",
	"schemas_off_create_ParticipantJoined.json",
}

// capturedRecord loads a capture as the Kafka record sarama hands to the
// Unmarshaler.
func capturedRecord(tb testing.TB, name string) *sarama.ConsumerMessage {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "debezium", "testdata", "captured", name))
	require.NoError(tb, err)
	var c struct {
		Topic     string            `json:"topic"`
		Partition int32             `json:"partition"`
		Key       *string           `json:"key"`
		Value     *string           `json:"value"`
		Headers   map[string]string `json:"headers"`
	}
	require.NoError(tb, json.Unmarshal(raw, &c))
	require.NotNil(tb, c.Key, name)
	require.NotNil(tb, c.Value, name)
	rec := &sarama.ConsumerMessage{
		Topic: c.Topic, Partition: c.Partition, Key: []byte(*c.Key), Value: []byte(*c.Value),
		Timestamp: time.Date(2026, 11, 27, 12, 52, 29, 0, time.UTC),
	}
	for k, v := range c.Headers {
		rec.Headers = append(rec.Headers, &sarama.RecordHeader{Key: []byte(k), Value: []byte(v)})
	}
	return rec
}

// BenchmarkConsumerPath measures one consumer partition: each message is
// published only after the previous one was acknowledged
// (BlockPublishUntilSubscriberAck), as one Kafka partition has one message
// in flight. So ns/op is the per-message latency of the shared path and
// events/s the ceiling of one partition with a handler that costs nothing;
// a consumer's ceiling is that times its partitions, as far as the cores
// go. gochannel's own copies and goroutines are included; the Kafka client
// is not.
func BenchmarkConsumerPath(b *testing.B) {
	b.Run("handler=noop", func(b *testing.B) {
		benchmarkConsumerPath(b, func(*router.Router) message.NoPublishHandlerFunc {
			return func(msg *message.Message) error {
				_, err := outbox.FromContext(msg.Context())
				return err
			}
		})
	})
	b.Run("handler=registry", func(b *testing.B) {
		benchmarkConsumerPath(b, func(*router.Router) message.NoPublishHandlerFunc {
			reg := registry.New(slog.New(slog.DiscardHandler), metrics.NewCounters())
			noop := func(context.Context, outbox.Event) error { return nil }
			for _, eventType := range []string{"UserCreated", "ActivityCreated", "ParticipantJoined"} {
				require.NoError(b, reg.Register(eventType, "noop", noop))
			}
			return reg.Handle
		})
	})
}

func benchmarkConsumerPath(b *testing.B, handler func(*router.Router) message.NoPublishHandlerFunc) {
	records := make([]*sarama.ConsumerMessage, len(capturedCreates))
	for i, name := range capturedCreates {
		records[i] = capturedRecord(b, name)
	}

	// Info is the services' default level: debug lines are not formatted.
	logger := logging.New(io.Discard, slog.LevelInfo, service)
	input := gochannel.NewGoChannel(gochannel.Config{BlockPublishUntilSubscriberAck: true}, nil)
	defer input.Close()
	counters := metrics.NewCounters()
	r, err := router.New(router.Config{PoisonTopic: poisonTopic, CloseTimeout: 5 * time.Second},
		gochannel.NewGoChannel(gochannel.Config{}, nil), logger, counters)
	require.NoError(b, err)
	dec, err := debezium.NewDecoder(debezium.DecoderConfig{})
	require.NoError(b, err)

	var handled atomic.Int64
	fn := handler(r)
	r.AddOutboxHandler(handlerName, outboxTopic, input, dec, func(msg *message.Message) error {
		if err := fn(msg); err != nil {
			return err
		}
		handled.Add(1)
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- r.Run(ctx) }()
	select {
	case <-r.Running():
	case err := <-runErr:
		b.Fatalf("router stopped at start: %v", err)
	}

	unmarshaler := kafka.Unmarshaler{}
	var n int64
	b.ReportAllocs()
	for b.Loop() {
		rec := records[n%int64(len(records))]
		rec.Offset = n
		msg, err := unmarshaler.Unmarshal(rec)
		if err != nil {
			b.Fatal(err)
		}
		if err := input.Publish(outboxTopic, msg); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")

	cancel()
	require.NoError(b, <-runErr)
	// Every message went through the handler: none was skipped, poisoned
	// or retried, which would make the numbers meaningless.
	require.Equal(b, n, handled.Load(), "messages handled")
	require.Equal(b, n, counters.Get(metrics.MessagesProcessed, "handler", handlerName))
	require.Zero(b, counters.Get(metrics.MessagesPoisoned, "handler", handlerName))
}
