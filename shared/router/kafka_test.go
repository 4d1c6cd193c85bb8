package router_test

// Integration tests of the batch router over the Kafka protocol: an
// in-process kfake cluster (testkit/kafkatest), the project's batch
// subscriber and publisher (shared/kafka) wired as shared/service does, and
// router.Outbox over the Debezium decoder.

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	wmiddleware "github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activityapp/event-processor/shared/debezium"
	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/logging"
	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/metrics/metricstest"
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
	wait = 15 * time.Second
	// fullBatchWait is a MaxWait long enough for every record already on a
	// partition to join a batch: with MaxEvents set to their number, the
	// batch then goes as soon as it is full, so batches are deterministic.
	fullBatchWait = 5 * time.Second
	// panicAttempts is the router's PanicAttempts in these tests.
	panicAttempts = 2
)

// Values in the fixture that outboxRecord replaces.
const (
	fixtureEventID       = "0f8fad5b-d9cb-469f-a165-70867728950e"
	fixtureAggregateID   = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	fixtureCorrelationID = "5b1c8f0e-3a2d-4c6b-9e7f-1a2b3c4d5e6f"
)

// outboxRecord is a Debezium create envelope of a UserCreated outbox row
// (the testdata fixture, compact as JsonConverter writes it) with the
// given ids.
func outboxRecord(tb testing.TB, eventID, aggregateID, correlationID string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "debezium", "testdata", "create_schemas_off.json"))
	require.NoError(tb, err)
	for old, repl := range map[string]string{
		fixtureEventID:       eventID,
		fixtureAggregateID:   aggregateID,
		fixtureCorrelationID: correlationID,
	} {
		require.True(tb, bytes.Contains(raw, []byte(old)), "fixture lacks %s", old)
		raw = bytes.ReplaceAll(raw, []byte(old), []byte(repl))
	}
	var buf bytes.Buffer
	require.NoError(tb, json.Compact(&buf, raw))
	return buf.Bytes()
}

func uuidN(prefix, n int) string { return fmt.Sprintf("%08d-0000-4000-8000-%012d", prefix, n) }

// produceEvents writes count outbox records with event ids uuidN(prefix, i),
// keyed by their aggregate id as Debezium keys them, and with correlation
// ids corr-<prefix>-<i>. It returns the event ids in order.
func produceEvents(t *testing.T, c *kafkatest.Cluster, prefix, count int) []string {
	t.Helper()
	ids := make([]string, count)
	for i := range count {
		ids[i] = uuidN(prefix, i)
		agg := uuidN(prefix+1000, i)
		c.Produce(t, outboxTopic, []byte(agg), outboxRecord(t, ids[i], agg, correlationID(prefix, i)), nil)
	}
	return ids
}

func correlationID(prefix, i int) string { return fmt.Sprintf("corr-%d-%d", prefix, i) }

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

// handleFunc is what router.Outbox calls with a batch.
type handleFunc = func(context.Context, []outbox.Event) error

// journal records the batches Handle received and wakes up waiters on
// every call.
type journal struct {
	mu      sync.Mutex
	batches [][]outbox.Event
	changed chan struct{}
}

func newJournal() *journal { return &journal{changed: make(chan struct{}, 1)} }

func (j *journal) record(events []outbox.Event) {
	j.mu.Lock()
	j.batches = append(j.batches, slices.Clone(events))
	j.mu.Unlock()
	select {
	case j.changed <- struct{}{}:
	default:
	}
}

// ids returns the event ids of every batch received, in order.
func (j *journal) ids() [][]string {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([][]string, len(j.batches))
	for i, b := range j.batches {
		out[i] = eventIDs(b)
	}
	return out
}

// events returns every event received, in order of receipt.
func (j *journal) events() []outbox.Event {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Concat(j.batches...)
}

// waitUntil waits for cond, checking it after every call to Handle.
func (j *journal) waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(wait)
	for !cond() {
		select {
		case <-j.changed:
		case <-deadline:
			t.Fatalf("timed out waiting for: %s (batches received: %v)", what, j.ids())
		}
	}
}

func eventIDs(events []outbox.Event) []string {
	ids := make([]string, len(events))
	for i, ev := range events {
		ids[i] = ev.EventID
	}
	return ids
}

// projector is one run of a projector: batch subscriber, poison publisher
// and router as shared/service wires them.
type projector struct {
	t        *testing.T
	router   *router.Router
	sub      *kafka.BatchSubscriber
	counters *prometheus.Registry
	cancel   context.CancelFunc
	runErr   chan error
}

// startProjector runs a router with one router.Outbox handler of the
// outbox topic in the consumer group of cfg, whose MaxEvents and MaxWait
// it keeps. handle is given the router, to learn when shutdown begins.
// projectorOption changes what startProjector builds.
type projectorOption func(*projectorSetup)

type projectorSetup struct {
	poison         func(message.Publisher) message.Publisher
	handlerTimeout time.Duration
	skipReplays    bool
	blocks         router.BlockStore
}

// withBlocks turns sequencing on, keeping the blocks in store.
func withBlocks(store router.BlockStore) projectorOption {
	return func(s *projectorSetup) { s.blocks = store }
}

// withSkipReplays makes the router a rebuild's (Config.SkipReplays).
func withSkipReplays() projectorOption {
	return func(s *projectorSetup) { s.skipReplays = true }
}

// withPoisonPublisher wraps the poison publisher.
func withPoisonPublisher(wrap func(message.Publisher) message.Publisher) projectorOption {
	return func(s *projectorSetup) { s.poison = wrap }
}

// withHandlerTimeout sets HandlerTimeout (default 10 s).
func withHandlerTimeout(d time.Duration) projectorOption {
	return func(s *projectorSetup) { s.handlerTimeout = d }
}

func startProjector(t *testing.T, c *kafkatest.Cluster, logs *syncBuffer, cfg kafka.BatchSubscriberConfig, handle func(*router.Router) handleFunc, opts ...projectorOption) *projector {
	t.Helper()
	setup := projectorSetup{poison: func(p message.Publisher) message.Publisher { return p }, handlerTimeout: 10 * time.Second}
	for _, o := range opts {
		o(&setup)
	}
	logger := logging.New(logs, slog.LevelDebug, service)
	wlogger := logging.Watermill(logger)
	cfg.Brokers = c.Brokers()
	cfg.ClientID = service
	cfg.NackResendSleep = 10 * time.Millisecond
	sub, err := kafka.NewBatchSubscriber(cfg, wlogger)
	require.NoError(t, err)

	pctx, pcancel := context.WithTimeout(t.Context(), wait)
	defer pcancel()
	pub, err := kafka.NewPublisher(pctx, kafka.PublisherConfig{Brokers: c.Brokers(), ClientID: service + "-poison"}, wlogger)
	require.NoError(t, err)

	p := &projector{t: t, sub: sub, counters: prometheus.NewRegistry(), runErr: make(chan error, 1)}
	p.router, err = router.New(router.Config{
		Service:              service,
		SkipReplays:          setup.skipReplays,
		PoisonTopic:          poisonTopic,
		HandlerTimeout:       setup.handlerTimeout,
		RetryInitialInterval: 5 * time.Millisecond,
		RetryMaxInterval:     50 * time.Millisecond,
		PanicAttempts:        panicAttempts,
		CloseTimeout:         5 * time.Second,
		Blocks:               setup.blocks,
	}, setup.poison(pub), logger, p.counters)
	require.NoError(t, err)
	dec, err := debezium.NewDecoder(debezium.DecoderConfig{})
	require.NoError(t, err)
	require.NoError(t, p.router.Add(router.Outbox(handlerName, outboxTopic, sub, dec, handle(p.router))))

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
	t.Cleanup(p.stop)
	return p
}

// stop cancels Run's context, waits for Run to return and closes the
// subscriber, as service.Main and its wire cleanup do. Later calls do
// nothing.
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

func (p *projector) count(name string, labels ...string) int64 {
	return int64(metricstest.Value(p.t, p.counters, name, append([]string{"handler", handlerName}, labels...)...))
}

// recordTo is a Handle that records every batch in j.
func recordTo(j *journal) func(*router.Router) handleFunc {
	return func(*router.Router) handleFunc {
		return func(_ context.Context, events []outbox.Event) error {
			j.record(events)
			return nil
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

// poisoned returns the number of records on the poison topic, which the
// test must have seeded.
func poisoned(t *testing.T, c *kafkatest.Cluster) int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	offsets, err := kadm.NewClient(cl).ListEndOffsets(ctx, poisonTopic)
	require.NoError(t, err)
	var n int64
	offsets.Each(func(o kadm.ListedOffset) {
		require.NoError(t, o.Err, "end offset of %s/%d", o.Topic, o.Partition)
		n += o.Offset
	})
	return n
}

// assertCommitted waits for the group's auto-commit (every second) to
// reach want.
func assertCommitted(t *testing.T, c *kafkatest.Cluster, group string, want map[int32]int64) {
	t.Helper()
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		assert.Equal(ct, want, c.CommittedOffsets(t, group, outboxTopic))
	}, 5*time.Second, 100*time.Millisecond, "committed offsets of group %s", group)
}

// Barrier records make commits on stop deterministic. A partition's next
// batch is delivered only after its previous one was acknowledged and its
// offset marked; so once a barrier record (produced after the records of
// interest, on the same partition) reaches Handle, everything before it on
// its partition is marked, and the stop that follows must commit it.
// Handle holds barriers until shutdown (holdBarrier), so they are never
// acknowledged.

// barrierPrefix is the prefix of barrier ids: uuidN(barrierPrefix, i).
const barrierPrefix = 9

func isBarrier(ev outbox.Event) bool {
	return strings.HasPrefix(ev.EventID, fmt.Sprintf("%08d-", barrierPrefix))
}

// produceBarrier writes barrier i with key.
func produceBarrier(t *testing.T, c *kafkatest.Cluster, i int, key string) string {
	t.Helper()
	id := uuidN(barrierPrefix, i)
	c.Produce(t, outboxTopic, []byte(key), outboxRecord(t, id, uuidN(barrierPrefix+1000, i), correlationID(barrierPrefix, i)), nil)
	return id
}

// holdBarrier blocks until shutdown and fails transiently, so the barrier's
// batch is left for redelivery.
func holdBarrier(ctx context.Context, r *router.Router) error {
	select {
	case <-r.Closing():
	case <-ctx.Done():
	}
	return errors.New("barrier left for redelivery")
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
	t.Parallel()
	const (
		partitions = 3
		n          = 12
		m          = 6
		group      = service
	)
	c := kafkatest.Start(t, partitions, outboxTopic)
	logs := &syncBuffer{}
	dumpLogsOnFailure(t, logs)
	cfg := kafka.BatchSubscriberConfig{ConsumerGroup: group, MaxWait: 5 * time.Millisecond}
	first := produceEvents(t, c, 1, n)

	// First run: the N records, then the barriers, which it holds.
	j1 := newJournal()
	p1 := startProjector(t, c, logs, cfg, func(r *router.Router) handleFunc {
		return func(ctx context.Context, events []outbox.Event) error {
			j1.record(events)
			if slices.ContainsFunc(events, isBarrier) {
				return holdBarrier(ctx, r)
			}
			return nil
		}
	})
	handled := func(j *journal) (records []outbox.Event, barriers map[int32]bool) {
		barriers = map[int32]bool{}
		for _, ev := range j.events() {
			if isBarrier(ev) {
				barriers[ev.Position.Partition] = true
			} else {
				records = append(records, ev)
			}
		}
		return records, barriers
	}
	j1.waitUntil(t, "first N records handled", func() bool {
		records, _ := handled(j1)
		return len(records) >= n
	})

	// Partitions with records, and the end offset of each.
	records, _ := handled(j1)
	require.ElementsMatch(t, first, eventIDs(records), "each of the N records handled once")
	ends := map[int32]int64{}
	for _, ev := range records {
		ends[ev.Position.Partition] = max(ends[ev.Position.Partition], ev.Position.Offset+1)
	}
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
	j1.waitUntil(t, "a barrier on every partition with records", func() bool {
		_, held := handled(j1)
		for p := range ends {
			if !held[p] {
				return false
			}
		}
		return true
	})
	p1.stop()

	assert.Equal(t, ends, c.CommittedOffsets(t, group, outboxTopic), "offsets of all N acknowledged records committed on stop")
	assert.EqualValues(t, n, p1.count(metrics.MessagesProcessed))
	assert.Zero(t, p1.count(metrics.MessagesPoisoned))

	// Second run: M new records, a new subscriber and router in the group.
	second := produceEvents(t, c, 2, m)
	j2 := newJournal()
	p2 := startProjector(t, c, logs, cfg, recordTo(j2))
	want := slices.Concat(second, barriers)
	// Within a partition records arrive in offset order, so once every new
	// record and every barrier is handled, a record of the first run would
	// have come already.
	j2.waitUntil(t, "new records and barriers handled", func() bool {
		return len(j2.events()) >= len(want)
	})
	p2.stop()

	got := eventIDs(j2.events())
	assert.ElementsMatch(t, want, got, "the second run handles exactly the new records (and the unacknowledged barriers)")
	for _, id := range first {
		assert.NotContains(t, got, id, "record of the first run handled again")
	}
	// Commits only move forward. (Whether the very last records of the
	// second run are committed races with its stop, as described above.)
	after := c.CommittedOffsets(t, group, outboxTopic)
	for p, off := range ends {
		assert.GreaterOrEqual(t, after[p], off, "partition %d", p)
	}
}

// TestUndecodableRecordsArePoisonedAlone: records no decoder accepts must
// not stall their partition nor fail their batch: each is poisoned alone,
// as it was, and the valid records of the same batch are handled.
func TestUndecodableRecordsArePoisonedAlone(t *testing.T) {
	t.Parallel()
	c := kafkatest.Start(t, 1, outboxTopic, poisonTopic) // one partition: all in line
	logs := &syncBuffer{}
	dumpLogsOnFailure(t, logs)

	good1, good2 := uuidN(8, 1), uuidN(8, 2)
	garbage := []byte{0x00, 0xc3, 0x28, 0xff}
	c.Produce(t, outboxTopic, []byte("agg-good"), outboxRecord(t, good1, uuidN(1008, 1), "corr-good-1"), nil)       // 0
	c.Produce(t, outboxTopic, []byte("k"), nil, nil)                                                                // 1: tombstone
	c.Produce(t, outboxTopic, []byte("k"), []byte{}, nil)                                                           // 2: empty value
	c.Produce(t, outboxTopic, []byte("k"), garbage, nil)                                                            // 3: binary garbage
	c.Produce(t, outboxTopic, nil, []byte("[1,2]"), nil)                                                            // 4: no key
	c.Produce(t, outboxTopic, []byte("agg-123"), []byte("not json"), map[string]string{"correlation_id": "corr-1"}) // 5
	c.Produce(t, outboxTopic, []byte("agg-good"), outboxRecord(t, good2, uuidN(1008, 2), "corr-good-2"), nil)       // 6
	const records = 7

	j := newJournal()
	p := startProjector(t, c, logs, kafka.BatchSubscriberConfig{ConsumerGroup: service, MaxEvents: records, MaxWait: fullBatchWait}, recordTo(j))
	j.waitUntil(t, "the valid records handled", func() bool { return len(j.events()) >= 2 })
	poison := c.Consume(t, poisonTopic, 4, wait)
	// The poisoned records were acknowledged with the rest: the group moved
	// past them.
	assertCommitted(t, c, service, map[int32]int64{0: records})
	p.stop()

	assert.Equal(t, [][]string{{good1, good2}}, j.ids(), "the valid records of the batch handled together, once")
	assert.EqualValues(t, 1, p.count(metrics.BatchRecords))
	assert.EqualValues(t, records, int64(metricstest.HistogramSum(t, p.counters, metrics.BatchRecords, "handler", handlerName)))
	assert.EqualValues(t, 1, p.count(metrics.MessagesSkipped, "reason", "tombstone"))
	assert.EqualValues(t, 4, p.count(metrics.MessagesPoisoned))
	assert.EqualValues(t, 2, p.count(metrics.MessagesProcessed))
	// Watermill's metrics: the handler's batch, and the poison publishes.
	assert.InDelta(t, 1, metricstest.Value(t, p.counters, "projector_watermill_handler_execution_time_seconds", "handler_name", handlerName), 0)
	assert.InDelta(t, 1, metricstest.Value(t, p.counters, "projector_watermill_subscriber_messages_received_total", "handler_name", handlerName, "acked", "acked"), 0)
	assert.InDelta(t, 4, metricstest.Value(t, p.counters, "projector_watermill_publish_time_seconds", "success", "true"), 0)
	assert.Zero(t, p.count(metrics.MessagesRetried, "kind", "transient"), "poisoned at once, not retried")
	assert.EqualValues(t, 4, poisoned(t, c), "the tombstone is skipped, not poisoned")

	byOffset := map[int64]*kgo.Record{}
	for _, r := range poison {
		off, err := strconv.ParseInt(headers(r)[kafka.MetadataOffset], 10, 64)
		require.NoError(t, err)
		byOffset[off] = r
	}
	for _, tc := range []struct {
		name    string
		offset  int64
		key     []byte
		value   []byte
		reason  string
		corrID  string
		checkFn func(t *testing.T, r *kgo.Record)
	}{
		{name: "empty value", offset: 2, key: []byte("k"), value: []byte{}, reason: "debezium: value: empty",
			checkFn: func(t *testing.T, r *kgo.Record) { assert.NotNil(t, r.Value, "an empty value stays empty, not null") }},
		{name: "binary garbage", offset: 3, key: []byte("k"), value: garbage, reason: "not JSON"},
		{name: "no key", offset: 4, key: nil, value: []byte("[1,2]"), reason: "want a JSON object",
			checkFn: func(t *testing.T, r *kgo.Record) { assert.Nil(t, r.Key, "no key stays no key") }},
		{name: "not JSON", offset: 5, key: []byte("agg-123"), value: []byte("not json"), reason: "debezium: value: not JSON", corrID: "corr-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := byOffset[tc.offset]
			require.NotNil(t, r, "no poison record of offset %d among %v", tc.offset, byOffset)
			assert.Equal(t, tc.key, r.Key)
			assert.Equal(t, tc.value, r.Value)
			h := headers(r)
			assert.Contains(t, h[wmiddleware.ReasonForPoisonedKey], tc.reason)
			assert.Equal(t, handlerName, h[wmiddleware.PoisonedHandlerKey])
			assert.Equal(t, outboxTopic, h[wmiddleware.PoisonedTopicKey])
			assert.Equal(t, router.PoisonedSubscriber, h[wmiddleware.PoisonedSubscriberKey])
			assert.Equal(t, outboxTopic, h[kafka.MetadataTopic])
			assert.Equal(t, "0", h[kafka.MetadataPartition])
			position := fmt.Sprintf("%s/0/%d", outboxTopic, tc.offset)
			assert.Equal(t, position, h[wkafka.UUIDHeaderKey])
			// Without a correlation header, the record is the root of
			// its own chain.
			wantCorr := cmp.Or(tc.corrID, position)
			assert.Equal(t, wantCorr, h[outbox.CorrelationIDKey])
			assert.NotContains(t, h, kafka.MetadataKey, "the key is the record's key")
			assert.NotContains(t, h, outbox.EventIDKey, "an undecodable record has no event")
			if tc.checkFn != nil {
				tc.checkFn(t, r)
			}
		})
	}
}

// TestPermanentErrorPoisonsOnlyThatEvent: Handle fails permanently for a
// batch holding one bad event; the router then handles the batch's events
// one by one and poisons only the bad one.
func TestPermanentErrorPoisonsOnlyThatEvent(t *testing.T) {
	t.Parallel()
	const n = 5
	c := kafkatest.Start(t, 1, outboxTopic, poisonTopic)
	logs := &syncBuffer{}
	dumpLogsOnFailure(t, logs)
	ids := produceEvents(t, c, 3, n)
	bad := ids[2]

	j := newJournal()
	p := startProjector(t, c, logs, kafka.BatchSubscriberConfig{ConsumerGroup: service, MaxEvents: n, MaxWait: fullBatchWait}, func(*router.Router) handleFunc {
		return func(_ context.Context, events []outbox.Event) error {
			j.record(events)
			if slices.Contains(eventIDs(events), bad) {
				return fault.Permanentf("invalid event %s", bad)
			}
			return nil
		}
	})
	poison := c.Consume(t, poisonTopic, 1, wait)[0]
	assertCommitted(t, c, service, map[int32]int64{0: n})
	p.stop()

	want := [][]string{ids}
	for _, id := range ids {
		want = append(want, []string{id})
	}
	assert.Equal(t, want, j.ids(), "the batch, then each event alone")
	assert.EqualValues(t, n-1, p.count(metrics.MessagesProcessed))
	assert.EqualValues(t, 1, p.count(metrics.MessagesPoisoned))
	assert.Zero(t, p.count(metrics.MessagesRetried, "kind", "transient"))
	assert.EqualValues(t, 1, poisoned(t, c))

	assert.Equal(t, uuidN(1003, 2), string(poison.Key))
	assert.Equal(t, outboxRecord(t, bad, uuidN(1003, 2), correlationID(3, 2)), poison.Value)
	h := headers(poison)
	assert.Equal(t, bad, h[outbox.EventIDKey])
	assert.Equal(t, "UserCreated", h[outbox.EventTypeKey])
	assert.Equal(t, correlationID(3, 2), h[outbox.CorrelationIDKey], "the correlation id of the outbox metadata")
	assert.Equal(t, "2", h[kafka.MetadataOffset])
	assert.Contains(t, h[wmiddleware.ReasonForPoisonedKey], "invalid event "+bad)
	assert.Equal(t, handlerName, h[wmiddleware.PoisonedHandlerKey])

	warn := logs.lines(t, "batch failed permanently; handling its records one by one to find the bad ones")
	require.Len(t, warn, 1)
	assert.EqualValues(t, n, warn[0]["records"])
}

// TestCorrelationIDFromOutboxReachesTheLogs: the log line of a poisoned
// event names the correlation id of its outbox metadata, and the event.
func TestCorrelationIDFromOutboxReachesTheLogs(t *testing.T) {
	t.Parallel()
	c := kafkatest.Start(t, 1, outboxTopic, poisonTopic)
	logs := &syncBuffer{}
	dumpLogsOnFailure(t, logs)
	eventID := uuidN(7, 1)
	c.Produce(t, outboxTopic, []byte("agg-1"), outboxRecord(t, eventID, uuidN(7, 2), "corr-xyz"), nil)

	j := newJournal()
	p := startProjector(t, c, logs, kafka.BatchSubscriberConfig{ConsumerGroup: service}, func(*router.Router) handleFunc {
		return func(_ context.Context, events []outbox.Event) error {
			j.record(events)
			return fault.Permanentf("payload: missing email")
		}
	})
	c.Consume(t, poisonTopic, 1, wait)
	p.stop() // the log line is written before Run returns

	assert.Equal(t, [][]string{{eventID}}, j.ids(), "a batch of one value is not tried alone again")
	lines := logs.lines(t, "record sent to poison queue")
	require.Len(t, lines, 1)
	line := lines[0]
	assert.Equal(t, "corr-xyz", line["correlation_id"])
	assert.Equal(t, eventID, line["event_id"])
	assert.Equal(t, "UserCreated", line["event_type"])
	assert.Equal(t, handlerName, line["handler"])
	assert.Equal(t, service, line["service"])
	assert.Equal(t, "ERROR", line["level"])
	assert.Equal(t, poisonTopic, line["poison_topic"])
	assert.Equal(t, "payload: missing email", line["reason"])
}

// TestTransientErrorIsRetriedUntilItSucceeds: the whole batch is tried
// again until Handle succeeds; nothing is poisoned.
func TestTransientErrorIsRetriedUntilItSucceeds(t *testing.T) {
	t.Parallel()
	const (
		n        = 3
		failures = 4
	)
	c := kafkatest.Start(t, 1, outboxTopic, poisonTopic)
	logs := &syncBuffer{}
	dumpLogsOnFailure(t, logs)
	ids := produceEvents(t, c, 4, n)

	j := newJournal()
	var readyDuringRetries bool
	var detailDuringRetries string
	p := startProjector(t, c, logs, kafka.BatchSubscriberConfig{ConsumerGroup: service, MaxEvents: n, MaxWait: fullBatchWait}, func(r *router.Router) handleFunc {
		calls := 0
		return func(_ context.Context, events []outbox.Event) error {
			j.record(events)
			if calls == 3 { // three tries failed: the router says why it waits
				readyDuringRetries, detailDuringRetries = r.Readiness()
			}
			if calls++; calls <= failures {
				return fmt.Errorf("mongodb: connection refused (call %d)", calls)
			}
			return nil
		}
	})
	j.waitUntil(t, "the batch handled after the failures", func() bool { return len(j.ids()) > failures })
	assertCommitted(t, c, service, map[int32]int64{0: n})
	p.stop()

	assert.Equal(t, slices.Repeat([][]string{ids}, failures+1), j.ids(), "the same batch each time")
	assert.EqualValues(t, failures, p.count(metrics.MessagesRetried, "kind", "transient"))
	assert.EqualValues(t, n, p.count(metrics.MessagesProcessed))
	assert.Zero(t, p.count(metrics.MessagesPoisoned))
	assert.Zero(t, poisoned(t, c))
	assert.Len(t, logs.lines(t, "batch failed, retrying"), failures)
	assert.False(t, readyDuringRetries)
	assert.Equal(t, "retrying: 1 batches failing, the last with: mongodb: connection refused (call 3)", detailDuringRetries)
	ready, detail := p.router.Readiness()
	assert.False(t, ready, "stopped")
	assert.Equal(t, "shutting down", detail)
}

// TestPanicIsRetriedThenPoisoned: a panicking batch is tried PanicAttempts
// times; then its values are tried alone, and the one that keeps panicking
// is poisoned.
func TestPanicIsRetriedThenPoisoned(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		n     int
		bad   int
		calls func(ids []string) [][]string
		// retries counts the panics that were tried again: all but the
		// last of each PanicAttempts.
		retries int
	}{
		{
			name: "alone",
			n:    1,
			bad:  0,
			calls: func(ids []string) [][]string {
				return slices.Repeat([][]string{ids}, panicAttempts)
			},
			retries: panicAttempts - 1,
		},
		{
			name: "in a batch",
			n:    3,
			bad:  1,
			calls: func(ids []string) [][]string {
				calls := slices.Repeat([][]string{ids}, panicAttempts)
				calls = append(calls, ids[:1])
				calls = append(calls, slices.Repeat([][]string{ids[1:2]}, panicAttempts)...)
				return append(calls, ids[2:])
			},
			retries: 2 * (panicAttempts - 1), // the batch, then the bad value alone
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := kafkatest.Start(t, 1, outboxTopic, poisonTopic)
			logs := &syncBuffer{}
			dumpLogsOnFailure(t, logs)
			ids := produceEvents(t, c, 5, tc.n)
			bad := ids[tc.bad]

			j := newJournal()
			p := startProjector(t, c, logs, kafka.BatchSubscriberConfig{ConsumerGroup: service, MaxEvents: tc.n, MaxWait: fullBatchWait}, func(*router.Router) handleFunc {
				return func(_ context.Context, events []outbox.Event) error {
					j.record(events)
					if slices.Contains(eventIDs(events), bad) {
						panic("nil map in projection of " + bad)
					}
					return nil
				}
			})
			poison := c.Consume(t, poisonTopic, 1, wait)[0]
			assertCommitted(t, c, service, map[int32]int64{0: int64(tc.n)})
			p.stop()

			assert.Equal(t, tc.calls(ids), j.ids())
			h := headers(poison)
			assert.Equal(t, bad, h[outbox.EventIDKey])
			assert.Contains(t, h[wmiddleware.ReasonForPoisonedKey], "panic: nil map in projection of "+bad)
			assert.EqualValues(t, 1, p.count(metrics.MessagesPoisoned))
			assert.EqualValues(t, tc.n-1, p.count(metrics.MessagesProcessed))
			assert.EqualValues(t, tc.retries, p.count(metrics.MessagesRetried, "kind", "panic"))
			assert.EqualValues(t, 1, poisoned(t, c))
		})
	}
}

// TestNothingIsPoisonedOnceShutdownBegins: a Handle that fails permanently
// only because shutdown began (say, its store client is closing) must not
// send anything to the poison queue; the batch is left for redelivery.
func TestNothingIsPoisonedOnceShutdownBegins(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		stop func(t *testing.T, p *projector)
	}{
		{name: "context cancelled", stop: func(_ *testing.T, p *projector) { p.stop() }},
		{name: "Close", stop: func(t *testing.T, p *projector) {
			require.NoError(t, p.router.Close())
			p.stop()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const n = 3
			c := kafkatest.Start(t, 1, outboxTopic, poisonTopic)
			logs := &syncBuffer{}
			dumpLogsOnFailure(t, logs)
			ids := produceEvents(t, c, 6, n)
			cfg := kafka.BatchSubscriberConfig{ConsumerGroup: service, MaxEvents: n, MaxWait: fullBatchWait}

			j := newJournal()
			p := startProjector(t, c, logs, cfg, func(r *router.Router) handleFunc {
				return func(ctx context.Context, events []outbox.Event) error {
					j.record(events)
					select {
					case <-r.Closing():
					case <-ctx.Done():
						return ctx.Err()
					}
					return fault.Permanentf("store closed")
				}
			})
			j.waitUntil(t, "the batch handed to Handle", func() bool { return len(j.ids()) > 0 })
			tc.stop(t, p)

			assert.Zero(t, poisoned(t, c), "nothing on the poison topic")
			assert.Zero(t, p.count(metrics.MessagesPoisoned))
			assert.Zero(t, p.count(metrics.MessagesProcessed))
			assert.Empty(t, c.CommittedOffsets(t, service, outboxTopic), "the batch was not acknowledged")

			// The next member of the group gets the batch again.
			again := newJournal()
			p2 := startProjector(t, c, logs, cfg, recordTo(again))
			again.waitUntil(t, "the batch redelivered", func() bool { return len(again.ids()) > 0 })
			p2.stop()
			assert.Equal(t, [][]string{ids}, again.ids())
		})
	}
}

// TestBatchesInOffsetOrder: the records already on a partition come to
// Handle as batches of up to MaxEvents, in offset order, and are counted.
func TestBatchesInOffsetOrder(t *testing.T) {
	t.Parallel()
	const (
		n         = 25
		maxEvents = 10
	)
	c := kafkatest.Start(t, 1, outboxTopic)
	logs := &syncBuffer{}
	dumpLogsOnFailure(t, logs)
	ids := produceEvents(t, c, 7, n)

	j := newJournal()
	// The last batch is not full: it goes after MaxWait.
	p := startProjector(t, c, logs, kafka.BatchSubscriberConfig{ConsumerGroup: service, MaxEvents: maxEvents, MaxWait: 300 * time.Millisecond}, recordTo(j))
	j.waitUntil(t, "every record handled", func() bool { return len(j.events()) >= n })
	p.stop()

	assert.Equal(t, [][]string{ids[:10], ids[10:20], ids[20:]}, j.ids())
	for i, ev := range j.events() {
		assert.Equal(t, outbox.Position{Partition: 0, Offset: int64(i)}, ev.Position, "event %d", i)
		assert.Equal(t, correlationID(7, i), ev.Metadata.CorrelationID, "event %d", i)
	}
	assert.EqualValues(t, 3, p.count(metrics.BatchRecords))
	assert.EqualValues(t, n, int64(metricstest.HistogramSum(t, p.counters, metrics.BatchRecords, "handler", handlerName)))
	assert.EqualValues(t, n, p.count(metrics.MessagesProcessed))
}

// stallingPublisher fails (or, with hang, blocks) every publish until
// release is called, then publishes for real.
type stallingPublisher struct {
	message.Publisher
	hang     bool
	released chan struct{}
	once     sync.Once
	tries    atomic.Int32
}

func newStallingPublisher(hang bool) *stallingPublisher {
	return &stallingPublisher{hang: hang, released: make(chan struct{})}
}

func (s *stallingPublisher) release() { s.once.Do(func() { close(s.released) }) }

func (s *stallingPublisher) Publish(topic string, msgs ...*message.Message) error {
	s.tries.Add(1)
	select {
	case <-s.released:
		return s.Publisher.Publish(topic, msgs...)
	default:
	}
	if s.hang {
		<-s.released
		return errors.New("released too late: this try was given up")
	}
	return errors.New("kafka: broker unreachable")
}

// TestFailingPoisonPublishStallsLoudly: while the poison topic cannot be
// written, the record is neither dropped nor passed: its publish is retried
// with backoff (also when a publish hangs: each try ends with
// HandlerTimeout), the retries are counted as kind poison_publish,
// PoisonWaiting reports it, and the partition does not move. Once the
// topic is back, the record is poisoned and the partition moves on.
func TestFailingPoisonPublishStallsLoudly(t *testing.T) {
	for _, hang := range []bool{false, true} {
		t.Run(fmt.Sprintf("hang=%v", hang), func(t *testing.T) {
			t.Parallel()
			c := kafkatest.Start(t, 1, outboxTopic, poisonTopic)
			logs := &syncBuffer{}
			dumpLogsOnFailure(t, logs)
			c.Produce(t, outboxTopic, []byte("k"), []byte("not json"), nil) // offset 0
			good := uuidN(9, 1)
			c.Produce(t, outboxTopic, []byte("agg"), outboxRecord(t, good, uuidN(1009, 1), "corr"), nil) // offset 1

			stalling := newStallingPublisher(hang)
			j := newJournal()
			p := startProjector(t, c, logs, kafka.BatchSubscriberConfig{ConsumerGroup: service, MaxEvents: 1},
				recordTo(j),
				withPoisonPublisher(func(pub message.Publisher) message.Publisher {
					stalling.Publisher = pub
					return stalling
				}),
				withHandlerTimeout(100*time.Millisecond))

			require.Eventually(t, func() bool {
				return p.count(metrics.MessagesRetried, "kind", "poison_publish") >= 3
			}, wait, 10*time.Millisecond, "poison publish retried")
			assert.EqualValues(t, 1, p.router.PoisonWaiting())
			ready, detail := p.router.Readiness()
			assert.False(t, ready)
			assert.Equal(t, "stalled: 1 records cannot be published to the poison topic "+poisonTopic+" (see the logs)", detail)
			assert.Empty(t, j.ids(), "the partition does not move past a record it cannot poison")
			assert.Zero(t, p.count(metrics.MessagesPoisoned))
			assert.NotEmpty(t, logs.lines(t, "poison publish failed, retrying"))

			stalling.release()
			poison := c.Consume(t, poisonTopic, 1, wait)
			assert.Equal(t, []byte("not json"), poison[0].Value)
			j.waitUntil(t, "the next record handled", func() bool { return len(j.events()) == 1 })
			assert.EqualValues(t, 1, p.count(metrics.MessagesPoisoned))
			assert.Zero(t, p.router.PoisonWaiting())
			ready, _ = p.router.Readiness()
			assert.True(t, ready)
			assertCommitted(t, c, service, map[int32]int64{0: 2})
		})
	}
}

// TestReplayedRecordsReachOnlyTheirService: a record replayed from a poison
// topic for this service is handled, its event naming the entry it
// replays; one replayed for another service is skipped and counted.
func TestReplayedRecordsReachOnlyTheirService(t *testing.T) {
	t.Parallel()
	c := kafkatest.Start(t, 1, outboxTopic)
	logs := &syncBuffer{}
	dumpLogsOnFailure(t, logs)
	mine, theirs, plain := uuidN(11, 1), uuidN(11, 2), uuidN(11, 3)
	c.Produce(t, outboxTopic, []byte("a"), outboxRecord(t, mine, uuidN(1011, 1), "c1"),
		map[string]string{router.ReplayOfKey: service + ".poison/0/4", router.ReplayForKey: service})
	c.Produce(t, outboxTopic, []byte("b"), outboxRecord(t, theirs, uuidN(1011, 2), "c2"),
		map[string]string{router.ReplayOfKey: "other.poison/0/9", router.ReplayForKey: "other"})
	c.Produce(t, outboxTopic, []byte("c"), outboxRecord(t, plain, uuidN(1011, 3), "c3"), nil)

	j := newJournal()
	p := startProjector(t, c, logs, kafka.BatchSubscriberConfig{ConsumerGroup: service, MaxEvents: 10}, recordTo(j))
	j.waitUntil(t, "the records for this service handled", func() bool { return len(j.events()) >= 2 })
	p.stop()

	evs := j.events()
	require.Len(t, evs, 2)
	assert.Equal(t, []string{mine, plain}, eventIDs(evs))
	assert.Equal(t, service+".poison/0/4", evs[0].ReplayOf)
	assert.Empty(t, evs[1].ReplayOf)
	assert.EqualValues(t, 1, p.count(metrics.MessagesSkipped, "reason", router.SkipReplayForOther))
	assert.Zero(t, p.count(metrics.MessagesPoisoned))
}

// TestRebuildSkipsEveryReplay: a rebuild reads the poisoned events' own
// records, so it skips their replays, its service's too.
func TestRebuildSkipsEveryReplay(t *testing.T) {
	t.Parallel()
	c := kafkatest.Start(t, 1, outboxTopic)
	logs := &syncBuffer{}
	dumpLogsOnFailure(t, logs)
	replayed, plain := uuidN(12, 1), uuidN(12, 2)
	c.Produce(t, outboxTopic, []byte("a"), outboxRecord(t, replayed, uuidN(1012, 1), "c1"),
		map[string]string{router.ReplayOfKey: service + ".poison/0/4", router.ReplayForKey: service})
	c.Produce(t, outboxTopic, []byte("b"), outboxRecord(t, plain, uuidN(1012, 2), "c2"), nil)

	j := newJournal()
	p := startProjector(t, c, logs, kafka.BatchSubscriberConfig{ConsumerGroup: service, MaxEvents: 10}, recordTo(j), withSkipReplays())
	j.waitUntil(t, "the plain record handled", func() bool { return len(j.events()) >= 1 })
	p.stop()

	assert.Equal(t, []string{plain}, eventIDs(j.events()))
	assert.EqualValues(t, 1, p.count(metrics.MessagesSkipped, "reason", router.SkipReplayInRebuild))
}

// TestParkedAcrossRestart: over Kafka, a projector parks an aggregate's
// events behind a poisoned one; the next projector of the group, claiming
// the partition anew, parks the aggregate's next event too, and applies
// the rest.
func TestParkedAcrossRestart(t *testing.T) {
	t.Parallel()
	c := kafkatest.Start(t, 1, outboxTopic, poisonTopic)
	logs := &syncBuffer{}
	dumpLogsOnFailure(t, logs)
	store := router.NewMemoryBlocks()
	a, b := "agg-a", "agg-b"
	bad, second, third, other := uuidN(13, 1), uuidN(13, 2), uuidN(13, 3), uuidN(13, 4)
	c.Produce(t, outboxTopic, []byte(a), outboxRecord(t, bad, a, "c1"), nil)
	c.Produce(t, outboxTopic, []byte(a), outboxRecord(t, second, a, "c2"), nil)

	rejectBad := func(j *journal) func(*router.Router) handleFunc {
		return func(*router.Router) handleFunc {
			return func(_ context.Context, events []outbox.Event) error {
				if slices.Contains(eventIDs(events), bad) {
					return fault.Permanentf("invalid event %s", bad)
				}
				j.record(events)
				return nil
			}
		}
	}
	cfg := kafka.BatchSubscriberConfig{ConsumerGroup: service, MaxEvents: 10}
	p := startProjector(t, c, logs, cfg, rejectBad(newJournal()), withBlocks(store))
	entries := c.Consume(t, poisonTopic, 2, wait)
	assertCommitted(t, c, service, map[int32]int64{0: 2})
	p.stop()
	assert.Equal(t, outboxTopic+"/0/0", headers(entries[1])[router.ParkedBehindKey])

	c.Produce(t, outboxTopic, []byte(a), outboxRecord(t, third, a, "c3"), nil)
	c.Produce(t, outboxTopic, []byte(b), outboxRecord(t, other, b, "c4"), nil)
	j := newJournal()
	p = startProjector(t, c, logs, cfg, rejectBad(j), withBlocks(store))
	j.waitUntil(t, "the other aggregate's event", func() bool { return len(j.events()) >= 1 })
	entries = c.Consume(t, poisonTopic, 3, wait)
	p.stop()

	assert.Equal(t, []string{other}, eventIDs(j.events()))
	require.Len(t, entries, 3)
	assert.Equal(t, third, headers(entries[2])[outbox.EventIDKey])
	assert.Equal(t, outboxTopic+"/0/0", headers(entries[2])[router.ParkedBehindKey])
	blocks, err := store.Blocks(t.Context(), handlerName, outboxTopic, 0)
	require.NoError(t, err)
	require.Len(t, blocks, 1)
	assert.Equal(t, []string{outboxTopic + "/0/0", outboxTopic + "/0/1", outboxTopic + "/0/2"}, blocks[0].Parked)
}
