package router_test

// Integration tests of the router over the Kafka protocol: an in-process
// kfake cluster (testkit/kafkatest), the project's subscriber and publisher
// (shared/kafka) and router.New with its whole middleware chain.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	wmiddleware "github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activityapp/event-processor/shared/debezium"
	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/logging"
	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/middleware"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/router"
	"github.com/activityapp/event-processor/testkit/kafkatest"
)

const (
	outboxTopic = "postgres.activity.event_outbox"
	service     = "user-projector"
	poisonTopic = service + ".poison"
	handlerName = "outbox"
	// wait bounds waits for Kafka: a consumer group needs a moment to form.
	wait = 30 * time.Second
)

// Values in the fixture that outboxRecord replaces.
const (
	fixtureEventID       = "0f8fad5b-d9cb-469f-a165-70867728950e"
	fixtureAggregateID   = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	fixtureCorrelationID = "5b1c8f0e-3a2d-4c6b-9e7f-1a2b3c4d5e6f"
)

// outboxRecord is a Debezium create envelope (the testdata fixture, compact
// as JsonConverter writes it) for an outbox row with the given ids.
func outboxRecord(t *testing.T, eventID, aggregateID, correlationID string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "debezium", "testdata", "create_schemas_off.json"))
	require.NoError(t, err)
	for old, repl := range map[string]string{
		fixtureEventID:       eventID,
		fixtureAggregateID:   aggregateID,
		fixtureCorrelationID: correlationID,
	} {
		require.True(t, bytes.Contains(raw, []byte(old)))
		raw = bytes.ReplaceAll(raw, []byte(old), []byte(repl))
	}
	var buf bytes.Buffer
	require.NoError(t, json.Compact(&buf, raw))
	return buf.Bytes()
}

func uuidN(prefix, n int) string { return fmt.Sprintf("%08d-0000-4000-8000-%012d", prefix, n) }

// syncBuffer collects log output; the router writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the parsed JSON log lines whose msg is msg.
func (b *syncBuffer) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// projector is one run of a projector: subscriber, poison publisher and
// router as app.ProviderSet wires them.
type projector struct {
	t        *testing.T
	router   *router.Router
	sub      interface{ Close() error }
	counters *metrics.Counters
	cancel   context.CancelFunc
	runErr   chan error
}

func startProjector(t *testing.T, c *kafkatest.Cluster, group string, logs *syncBuffer, fn func(r *router.Router) message.NoPublishHandlerFunc) *projector {
	t.Helper()
	logger := logging.New(logs, slog.LevelDebug, service)
	wlogger := logging.Watermill(logger)
	sub, err := kafka.NewSubscriber(kafka.SubscriberConfig{
		Brokers:         c.Brokers(),
		ConsumerGroup:   group,
		ClientID:        service,
		NackResendSleep: 10 * time.Millisecond,
	}, wlogger)
	require.NoError(t, err)

	pctx, pcancel := context.WithTimeout(context.Background(), wait)
	defer pcancel()
	pub, err := kafka.NewPublisher(pctx, kafka.PublisherConfig{Brokers: c.Brokers(), ClientID: service + "-poison"}, wlogger)
	require.NoError(t, err)

	p := &projector{t: t, sub: sub, counters: metrics.NewCounters(), runErr: make(chan error, 1)}
	p.router, err = router.New(router.Config{
		PoisonTopic:          poisonTopic,
		HandlerTimeout:       5 * time.Second,
		RetryInitialInterval: 5 * time.Millisecond,
		RetryMaxInterval:     50 * time.Millisecond,
		PanicAttempts:        2,
		CloseTimeout:         5 * time.Second,
	}, pub, logger, p.counters)
	require.NoError(t, err)
	dec, err := debezium.NewDecoder(debezium.DecoderConfig{})
	require.NoError(t, err)
	p.router.AddOutboxHandler(handlerName, outboxTopic, sub, dec, fn(p.router))

	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() { p.runErr <- p.router.Run(ctx) }()
	select {
	case <-p.router.Running():
	case err := <-p.runErr:
		t.Fatalf("router stopped at start: %v", err)
	case <-time.After(wait):
		t.Fatal("router not running")
	}
	t.Cleanup(func() { p.stop() })
	return p
}

// stop cancels Run's context, waits for Run to return and closes the
// subscriber, as app.Main and its wire cleanup do.
func (p *projector) stop() {
	p.t.Helper()
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.cancel = nil
	select {
	case err := <-p.runErr:
		assert.NoError(p.t, err, "Run")
	case <-time.After(wait):
		p.t.Error("Run did not return after its context was cancelled")
	}
	assert.NoError(p.t, p.sub.Close())
}

// dumpLogsOnFailure prints the end of the logs of a failed test.
func dumpLogsOnFailure(t *testing.T, logs *syncBuffer) {
	t.Cleanup(func() {
		if t.Failed() {
			s := logs.String()
			if len(s) > 20000 {
				s = "..." + s[len(s)-20000:]
			}
			t.Logf("logs:\n%s", s)
		}
	})
}

// handled is what a handler saw of one message.
type handled struct {
	eventID   string
	key       string
	partition int32
	offset    int64
}

func seenFrom(msg *message.Message, ev outbox.Event) handled {
	p, _ := strconv.ParseInt(msg.Metadata.Get(kafka.MetadataPartition), 10, 32)
	o, _ := strconv.ParseInt(msg.Metadata.Get(kafka.MetadataOffset), 10, 64)
	return handled{eventID: ev.EventID, key: msg.Metadata.Get(kafka.MetadataKey), partition: int32(p), offset: o}
}

// Barrier records make commits deterministic. sarama marks a record's
// offset just after the router acks it, racing with a stop that follows at
// once; but the subscriber delivers a partition's next record only after
// marking the previous one. So once a barrier record (produced after the
// records of interest, on the same partition) reaches the handler,
// everything before it on its partition is marked. Handlers hold barriers
// until shutdown (holdBarrier), so a barrier itself is never acknowledged.

const barrierPrefix = "00000009-"

func barrierID(i int) string { return uuidN(9, i) }

func isBarrier(ev outbox.Event) bool { return strings.HasPrefix(ev.EventID, barrierPrefix) }

// produceBarrier writes barrier i with key.
func produceBarrier(t *testing.T, c *kafkatest.Cluster, i int, key string) string {
	t.Helper()
	id := barrierID(i)
	c.Produce(t, outboxTopic, []byte(key), outboxRecord(t, id, uuidN(1009, i), uuidN(2009, i)), nil)
	return id
}

// holdBarrier blocks until shutdown and fails, so the barrier is left for
// redelivery.
func holdBarrier(r *router.Router, msg *message.Message) error {
	select {
	case <-msg.Context().Done():
	case <-r.Closing():
	}
	return fmt.Errorf("barrier %s left for redelivery", msg.UUID)
}

// TestConsumerGroupResumesWithoutRereading stops a projector after it has
// handled N records and starts a new one in the same group: it must go on
// where the first stopped, which needs the acknowledged offsets committed
// when the first one stops (auto-commit runs only every second).
//
// Every partition with records gets a barrier after the N, so all N are
// marked when the first projector stops; the barriers stay unacknowledged
// and must be delivered again to the second projector.
func TestConsumerGroupResumesWithoutRereading(t *testing.T) {
	const (
		partitions = 3
		n          = 12
		m          = 6
		group      = service
	)
	c := kafkatest.Start(t, partitions, outboxTopic)
	logs := &syncBuffer{}
	dumpLogsOnFailure(t, logs)

	// Records keyed by aggregate id, as Debezium writes them.
	produce := func(prefix, count int) []string {
		ids := make([]string, count)
		for i := range count {
			ids[i] = uuidN(prefix, i)
			agg := uuidN(prefix+1000, i)
			c.Produce(t, outboxTopic, []byte(agg), outboxRecord(t, ids[i], agg, uuidN(prefix+2000, i)), nil)
		}
		return ids
	}
	first := produce(1, n)

	// First run.
	var mu sync.Mutex
	seen1 := map[string]handled{}
	barriers1 := map[int32]bool{}
	progress := make(chan struct{}, 1000)
	p1 := startProjector(t, c, group, logs, func(r *router.Router) message.NoPublishHandlerFunc {
		return func(msg *message.Message) error {
			ev, err := outbox.FromContext(msg.Context())
			if err != nil {
				return err
			}
			h := seenFrom(msg, ev)
			mu.Lock()
			if isBarrier(ev) {
				barriers1[h.partition] = true
			} else {
				_, dup := seen1[h.eventID]
				assert.False(t, dup, "record %s handled twice", h.eventID)
				seen1[h.eventID] = h
			}
			mu.Unlock()
			progress <- struct{}{}
			if isBarrier(ev) {
				return holdBarrier(r, msg)
			}
			return nil
		}
	})
	waitUntil(t, progress, "first N records handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen1) == n
	})

	// Partitions with records, and the end offset of each.
	mu.Lock()
	ends := map[int32]int64{}
	for _, h := range seen1 {
		ends[h.partition] = max(ends[h.partition], h.offset+1)
	}
	mu.Unlock()
	require.GreaterOrEqual(t, len(ends), 2, "the keys should spread over several partitions: %v", ends)

	// One barrier on each partition with records: produce barriers until
	// every such partition has one (where a key lands is the partitioner's
	// business, so look).
	var barriers []string
	for covered := map[int32]bool{}; len(covered) < len(ends); {
		require.Less(t, len(barriers), 30, "no barrier lands on some partition of %v", ends)
		i := len(barriers)
		barriers = append(barriers, produceBarrier(t, c, i, fmt.Sprintf("barrier-%d", i)))
		for _, r := range c.Consume(t, outboxTopic, n+len(barriers), wait) {
			if strings.HasPrefix(string(r.Key), "barrier-") {
				covered[r.Partition] = true
			}
		}
	}
	waitUntil(t, progress, "a barrier on every partition with records", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for p := range ends {
			if !barriers1[p] {
				return false
			}
		}
		return true
	})
	p1.stop()

	committed := c.CommittedOffsets(t, group, outboxTopic)
	assert.Equal(t, ends, committed, "offsets of all N acknowledged records committed on stop")
	assert.EqualValues(t, n, p1.counters.Get(metrics.MessagesProcessed, "handler", handlerName))

	// Second run: M new records, a new subscriber and router in the group.
	second := produce(2, m)
	seen2 := map[string]int{}
	p2 := startProjector(t, c, group, logs, func(*router.Router) message.NoPublishHandlerFunc {
		return func(msg *message.Message) error {
			ev, err := outbox.FromContext(msg.Context())
			if err != nil {
				return err
			}
			mu.Lock()
			seen2[ev.EventID]++
			mu.Unlock()
			progress <- struct{}{}
			return nil
		}
	})
	// Within a partition records arrive in offset order, so once every new
	// record and every barrier is handled, a record of the first run would
	// have come already.
	want := map[string]int{}
	for _, id := range append(append([]string{}, second...), barriers...) {
		want[id] = 1
	}
	waitUntil(t, progress, "new records and barriers handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen2) >= len(want)
	})
	p2.stop()

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, want, seen2, "the second run handles exactly the new records (and the unacknowledged barriers)")
	for _, id := range first {
		assert.NotContains(t, seen2, id, "record of the first run handled again")
	}
	// Commits only move forward. (Whether the very last records of the
	// second run are committed races with its stop, as described above.)
	after := c.CommittedOffsets(t, group, outboxTopic)
	for p, off := range ends {
		assert.GreaterOrEqual(t, after[p], off, "partition %d", p)
	}
}

// waitUntil waits for cond, checking it after every progress signal.
func waitUntil(t *testing.T, progress <-chan struct{}, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(wait)
	for !cond() {
		select {
		case <-progress:
		case <-deadline:
			t.Fatalf("timed out waiting for: %s", what)
		}
	}
}

func headers(r *kgo.Record) map[string]string {
	h := map[string]string{}
	for _, kv := range r.Headers {
		h[kv.Key] = string(kv.Value)
	}
	return h
}

func TestPoisonRecordKeepsKeyAndMetadata(t *testing.T) {
	c := kafkatest.Start(t, 3, outboxTopic, poisonTopic)
	logs := &syncBuffer{}
	dumpLogsOnFailure(t, logs)
	c.Produce(t, outboxTopic, []byte("agg-123"), []byte("not json"), map[string]string{"correlation_id": "corr-1"})
	orig := c.Consume(t, outboxTopic, 1, wait)[0]

	calls := make(chan struct{}, 10)
	barrier := make(chan struct{}, 1)
	p := startProjector(t, c, service, logs, func(r *router.Router) message.NoPublishHandlerFunc {
		return func(msg *message.Message) error {
			ev, err := outbox.FromContext(msg.Context())
			if err == nil && isBarrier(ev) {
				barrier <- struct{}{}
				return holdBarrier(r, msg)
			}
			calls <- struct{}{}
			return err
		}
	})

	poisoned := c.Consume(t, poisonTopic, 1, wait)[0]
	assert.Equal(t, "agg-123", string(poisoned.Key))
	assert.Equal(t, "not json", string(poisoned.Value))
	h := headers(poisoned)
	assert.Contains(t, h[wmiddleware.ReasonForPoisonedKey], "debezium: value: not JSON")
	assert.Equal(t, handlerName, h[wmiddleware.PoisonedHandlerKey])
	assert.Equal(t, outboxTopic, h[wmiddleware.PoisonedTopicKey])
	assert.Equal(t, "corr-1", h[middleware.CorrelationIDKey])
	assert.Equal(t, outboxTopic, h[kafka.MetadataTopic])
	assert.Equal(t, strconv.Itoa(int(orig.Partition)), h[kafka.MetadataPartition])
	assert.Equal(t, strconv.FormatInt(orig.Offset, 10), h[kafka.MetadataOffset])
	assert.NotContains(t, h, kafka.MetadataKey, "the key is the record's key")
	assert.Equal(t, fmt.Sprintf("%s/%d/%d", outboxTopic, orig.Partition, orig.Offset), h["_watermill_message_uuid"])

	// Same key, same partition: a barrier after the poisoned record.
	produceBarrier(t, c, 0, "agg-123")
	select {
	case <-barrier:
	case <-time.After(wait):
		t.Fatal("barrier not handled")
	}
	p.stop()
	assert.Len(t, calls, 1, "poisoned at once, not retried")
	assert.EqualValues(t, 1, p.counters.Get(metrics.MessagesPoisoned, "handler", handlerName))
	// The poisoned record was acknowledged: the group moved past it.
	assert.Equal(t, map[int32]int64{orig.Partition: orig.Offset + 1}, c.CommittedOffsets(t, service, outboxTopic))
}

func TestCorrelationIDFromOutboxReachesTheLogs(t *testing.T) {
	c := kafkatest.Start(t, 1, outboxTopic)
	logs := &syncBuffer{}
	dumpLogsOnFailure(t, logs)
	eventID := uuidN(7, 1)
	c.Produce(t, outboxTopic, []byte("agg-1"), outboxRecord(t, eventID, uuidN(7, 2), "corr-xyz"), nil)

	done := make(chan struct{}, 1)
	p := startProjector(t, c, service, logs, func(*router.Router) message.NoPublishHandlerFunc {
		return func(msg *message.Message) error {
			if _, err := outbox.FromContext(msg.Context()); err != nil {
				return err
			}
			done <- struct{}{}
			return nil
		}
	})
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("record not handled")
	}
	p.stop() // the log line is written before Run returns

	lines := logs.lines(t, "message handled")
	require.Len(t, lines, 1)
	assert.Equal(t, "corr-xyz", lines[0]["correlation_id"])
	assert.Equal(t, eventID, lines[0]["event_id"])
	assert.Equal(t, "UserCreated", lines[0]["event_type"])
	assert.Equal(t, handlerName, lines[0]["handler"])
	assert.Equal(t, service, lines[0]["service"])
	assert.Equal(t, "DEBUG", lines[0]["level"])
}

// TestAnyRecordReachesTheMiddleware: records no decoder accepts must not
// stall their partition (an Unmarshaler error would): they are poisoned or
// skipped, and the record after them is handled.
func TestAnyRecordReachesTheMiddleware(t *testing.T) {
	c := kafkatest.Start(t, 1, outboxTopic, poisonTopic) // one partition: all in line
	logs := &syncBuffer{}
	dumpLogsOnFailure(t, logs)
	c.Produce(t, outboxTopic, []byte("k"), nil, nil)                            // tombstone
	c.Produce(t, outboxTopic, []byte("k"), []byte{}, nil)                       // empty value
	c.Produce(t, outboxTopic, []byte("k"), []byte{0x00, 0xc3, 0x28, 0xff}, nil) // binary garbage
	c.Produce(t, outboxTopic, nil, []byte("[1,2]"), nil)                        // no key
	good := uuidN(8, 1)
	c.Produce(t, outboxTopic, []byte("agg-good"), outboxRecord(t, good, uuidN(8, 2), "corr-good"), nil)

	got := make(chan string, 10)
	p := startProjector(t, c, service, logs, func(r *router.Router) message.NoPublishHandlerFunc {
		return func(msg *message.Message) error {
			ev, err := outbox.FromContext(msg.Context())
			if err != nil {
				return err
			}
			got <- ev.EventID
			if isBarrier(ev) {
				return holdBarrier(r, msg)
			}
			return nil
		}
	})
	select {
	case id := <-got:
		assert.Equal(t, good, id)
	case <-time.After(wait):
		t.Fatal("the record after the bad ones was not handled")
	}
	poisoned := c.Consume(t, poisonTopic, 3, wait)
	barrier := produceBarrier(t, c, 0, "agg-good")
	select {
	case id := <-got:
		assert.Equal(t, barrier, id)
	case <-time.After(wait):
		t.Fatal("barrier not handled")
	}
	p.stop()

	assert.EqualValues(t, 1, p.counters.Get(metrics.MessagesSkipped, "handler", handlerName, "reason", "tombstone"))
	assert.EqualValues(t, 3, p.counters.Get(metrics.MessagesPoisoned, "handler", handlerName))
	assert.EqualValues(t, 1, p.counters.Get(metrics.MessagesProcessed, "handler", handlerName))
	assert.Equal(t, map[int32]int64{0: 5}, c.CommittedOffsets(t, service, outboxTopic))

	byOffset := map[string]*kgo.Record{}
	for _, r := range poisoned {
		byOffset[headers(r)[kafka.MetadataOffset]] = r
	}
	require.Len(t, byOffset, 3)
	empty, garbage, noKey := byOffset["1"], byOffset["2"], byOffset["3"]
	require.NotNil(t, empty)
	require.NotNil(t, garbage)
	require.NotNil(t, noKey)

	assert.Equal(t, "k", string(empty.Key))
	assert.NotNil(t, empty.Value, "an empty value stays empty, not null")
	assert.Empty(t, empty.Value)
	assert.Contains(t, headers(empty)[wmiddleware.ReasonForPoisonedKey], "debezium: value: empty")

	assert.Equal(t, "k", string(garbage.Key))
	assert.Equal(t, []byte{0x00, 0xc3, 0x28, 0xff}, garbage.Value)
	assert.Contains(t, headers(garbage)[wmiddleware.ReasonForPoisonedKey], "not JSON")

	assert.Nil(t, noKey.Key, "no key stays no key")
	assert.Equal(t, "[1,2]", string(noKey.Value))
	assert.Contains(t, headers(noKey)[wmiddleware.ReasonForPoisonedKey], "want a JSON object")
}
