package router_test

// Benchmarks of the shared consumer path per batch, without Kafka: a batch
// of Debezium records as kafka.BatchSubscriber delivers it, through the
// real router (router.Outbox: decoding every record, the batch handling,
// retry and poison machinery, the Watermill router) into a registry whose
// one handler does nothing. What is left is the cost every projector pays
// before its own work starts.
//
// Run: go test -run '^$' -bench ConsumerPath ./router/

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/debezium"
	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/logging"
	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/metrics/metricstest"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/registry"
	"github.com/activityapp/event-processor/shared/router"
)

// feed is a message.Subscriber of one partition: the benchmark sends batch
// messages on ch and waits for their ack, as a BatchSubscriber keeps one
// batch per partition in flight.
type feed struct {
	ch        chan *message.Message
	closeOnce sync.Once
}

// Subscribe returns ch, which is closed when ctx ends or on Close, as the
// message.Subscriber contract wants: the router stops its handler only
// once the channel is closed.
func (f *feed) Subscribe(ctx context.Context, _ string) (<-chan *message.Message, error) {
	context.AfterFunc(ctx, f.close)
	return f.ch, nil
}

// Close ends the subscription.
func (f *feed) Close() error {
	f.close()
	return nil
}

func (f *feed) close() { f.closeOnce.Do(func() { close(f.ch) }) }

// countingPublisher stands in for the poison publisher: nothing should
// reach it.
type countingPublisher struct{ published atomic.Int64 }

func (p *countingPublisher) Publish(_ string, msgs ...*message.Message) error {
	p.published.Add(int64(len(msgs)))
	return nil
}

func (p *countingPublisher) Close() error { return nil }

// benchBatch is a batch of size outbox records with distinct ids, as a
// BatchSubscriber reads them from partition 0.
func benchBatch(b *testing.B, size int) kafka.Batch {
	b.Helper()
	batch := kafka.Batch{Topic: outboxTopic, Partition: 0, Records: make([]kafka.Record, size)}
	for i := range size {
		agg := uuidN(1010, i)
		batch.Records[i] = kafka.Record{
			Topic:     outboxTopic,
			Partition: 0,
			Offset:    int64(i),
			Key:       []byte(agg),
			Value:     outboxRecord(b, uuidN(10, i), agg, correlationID(10, i)),
			Headers:   map[string]string{},
			Timestamp: time.Date(2026, 11, 27, 12, 52, 29, 0, time.UTC),
		}
	}
	return batch
}

// BenchmarkConsumerPath measures one partition: each batch is delivered
// only after the previous one was acknowledged. ns/op is the latency of a
// batch on the shared path, events/s the ceiling of one partition with a
// handler that costs nothing; a consumer's ceiling is that times its
// partitions, as far as the cores go.
func BenchmarkConsumerPath(b *testing.B) {
	for _, size := range []int{1, 10, 100, 500} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			benchmarkConsumerPath(b, size, nil)
		})
	}
}

// BenchmarkSequencedConsumerPath is BenchmarkConsumerPath with sequencing
// on (blocks in memory) and nothing poisoned: the price of the sequenced
// poison queue while it parks nothing. The blocks are loaded once, at the
// first batch (a partition's claim); the store is not touched again.
func BenchmarkSequencedConsumerPath(b *testing.B) {
	for _, size := range []int{1, 10, 100, 500} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			benchmarkConsumerPath(b, size, router.NewMemoryBlocks())
		})
	}
}

func benchmarkConsumerPath(b *testing.B, size int, blocks router.BlockStore) {
	batch := benchBatch(b, size)

	// Info is the services' default level: debug lines are not formatted.
	logger := logging.New(io.Discard, slog.LevelInfo, service)
	counters := prometheus.NewRegistry()
	poison := &countingPublisher{}
	r, err := router.New(router.Config{Service: "bench", PoisonTopic: poisonTopic, CloseTimeout: 5 * time.Second, Blocks: blocks}, poison, logger, counters)
	require.NoError(b, err)
	dec, err := debezium.NewDecoder(debezium.DecoderConfig{})
	require.NoError(b, err)

	var handled, misordered atomic.Int64
	reg, err := registry.New(logger, counters, registry.Handler{
		Name:       "noop",
		EventTypes: []string{"UserCreated"},
		Fn: func(_ context.Context, events []outbox.Event) error {
			if len(events) != size || events[0].Position.Offset != 0 || events[size-1].Position.Offset != int64(size-1) {
				misordered.Add(1)
			}
			handled.Add(int64(len(events)))
			return nil
		},
	})
	require.NoError(b, err)
	in := &feed{ch: make(chan *message.Message)}
	require.NoError(b, r.Add(router.Outbox(handlerName, outboxTopic, in, dec, reg.Handle)))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- r.Run(ctx) }()
	select {
	case <-r.Running():
	case err := <-runErr:
		b.Fatalf("router stopped at start: %v", err)
	}

	var batches int64
	b.ReportAllocs()
	for b.Loop() {
		msg := kafka.NewBatchMessage(ctx, batch)
		in.ch <- msg
		select {
		case <-msg.Acked():
		case <-msg.Nacked():
			b.Fatalf("batch %d nacked", batches)
		}
		batches++
	}
	events := batches * int64(size)
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")

	cancel()
	require.NoError(b, <-runErr)
	// Every event went through the handler, whole batches in order: none
	// was skipped, poisoned or retried, which would make the numbers
	// meaningless.
	require.Equal(b, events, handled.Load(), "events handled")
	require.Zero(b, misordered.Load(), "batches not handled whole and in order")
	require.InDelta(b, events, metricstest.Value(b, counters, metrics.MessagesProcessed, "handler", handlerName), 0)
	require.InDelta(b, events, metricstest.Value(b, counters, metrics.EventHandlerApplied, "event_handler", "noop"), 0)
	require.InDelta(b, batches, metricstest.Value(b, counters, metrics.BatchRecords, "handler", handlerName), 0)
	require.Zero(b, poison.published.Load(), "records poisoned")
	require.Zero(b, metricstest.Value(b, counters, metrics.MessagesRetried, "handler", handlerName, "kind", "transient"))
}
