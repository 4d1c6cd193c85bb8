package router_test

// Tests of sequencing (BatchHandler.Sequenced) through the real router and
// decoder, fed batch by batch as a BatchSubscriber delivers them, so that
// each batch, its claim and a redelivery are chosen exactly.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	wmiddleware "github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/debezium"
	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/logging"
	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/metrics/metricstest"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/router"
)

// recordingPublisher keeps what the router poisons.
type recordingPublisher struct {
	mu   sync.Mutex
	msgs []*message.Message
}

func (p *recordingPublisher) Publish(_ string, msgs ...*message.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, msgs...)
	return nil
}

func (p *recordingPublisher) Close() error { return nil }

func (p *recordingPublisher) taken() []*message.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.msgs
	p.msgs = nil
	return out
}

// countingBlocks counts the calls of a BlockStore.
type countingBlocks struct {
	router.BlockStore
	loads, saves, releases atomic.Int64
}

func (c *countingBlocks) Blocks(ctx context.Context, handler, topic string, partition int32) ([]router.Block, error) {
	c.loads.Add(1)
	return c.BlockStore.Blocks(ctx, handler, topic, partition)
}

func (c *countingBlocks) Save(ctx context.Context, b router.Block) error {
	c.saves.Add(1)
	return c.BlockStore.Save(ctx, b)
}

func (c *countingBlocks) Release(ctx context.Context, handler, key string) error {
	c.releases.Add(1)
	return c.BlockStore.Release(ctx, handler, key)
}

// sequencedRouter is a router with one router.Outbox handler fed by hand.
type sequencedRouter struct {
	t        *testing.T
	in       *feed
	poison   *recordingPublisher
	counters *prometheus.Registry

	mu      sync.Mutex
	bad     map[string]bool
	handled []string
}

func startSequenced(t *testing.T, blocks router.BlockStore, opts ...func(*router.Config)) *sequencedRouter {
	t.Helper()
	s := &sequencedRouter{t: t, in: &feed{ch: make(chan *message.Message)}, poison: &recordingPublisher{},
		counters: prometheus.NewRegistry(), bad: map[string]bool{}}
	logger := logging.New(io.Discard, slog.LevelDebug, service)
	cfg := router.Config{
		Service: service, PoisonTopic: poisonTopic, Blocks: blocks,
		RetryInitialInterval: time.Millisecond, RetryMaxInterval: time.Millisecond, CloseTimeout: 5 * time.Second,
	}
	for _, o := range opts {
		o(&cfg)
	}
	r, err := router.New(cfg, s.poison, logger, s.counters)
	require.NoError(t, err)
	dec, err := debezium.NewDecoder(debezium.DecoderConfig{})
	require.NoError(t, err)
	require.NoError(t, r.Add(router.Outbox(handlerName, outboxTopic, s.in, dec, s.handle)))

	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- r.Run(ctx) }()
	<-r.Running()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-runErr)
	})
	return s
}

// handle applies a batch unless it holds a bad event, which fails it
// permanently.
func (s *sequencedRouter) handle(_ context.Context, events []outbox.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ev := range events {
		if s.bad[ev.EventID] {
			return fault.Permanentf("invalid event %s", ev.EventID)
		}
	}
	for _, ev := range events {
		s.handled = append(s.handled, ev.EventID)
	}
	return nil
}

func (s *sequencedRouter) setBad(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bad = map[string]bool{}
	for _, id := range ids {
		s.bad[id] = true
	}
}

// takeHandled returns the events applied since the last call, in order.
func (s *sequencedRouter) takeHandled() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.handled
	s.handled = nil
	return out
}

// deliver hands over one batch of claim and waits for its ack.
func (s *sequencedRouter) deliver(claim uint64, recs ...kafka.Record) {
	s.t.Helper()
	msg := kafka.NewBatchMessage(s.t.Context(), kafka.Batch{Topic: outboxTopic, Partition: 0, Claim: claim, Records: recs})
	s.in.ch <- msg
	select {
	case <-msg.Acked():
	case <-msg.Nacked():
		s.t.Fatal("batch nacked")
	case <-time.After(wait):
		s.t.Fatal("batch not acked")
	}
}

func (s *sequencedRouter) count(name string, labels ...string) int64 {
	return int64(metricstest.Value(s.t, s.counters, name, append([]string{"handler", handlerName}, labels...)...))
}

// events makes the records of a partition: ev(offset, aggregate, event id).
type events struct{ t *testing.T }

func (e events) live(offset int64, agg, id string) kafka.Record {
	return kafka.Record{Topic: outboxTopic, Partition: 0, Offset: offset, Key: []byte(agg),
		Value: outboxRecord(e.t, id, agg, "corr-"+id), Headers: map[string]string{}}
}

// replay is the record bin/poison writes for the event first read at
// origin, now at offset.
func (e events) replay(offset int64, agg, id string, origin int64) kafka.Record {
	rec := e.live(offset, agg, id)
	rec.Headers = map[string]string{
		router.ReplayOfKey:  poisonTopic + "/0/" + strconv.FormatInt(offset, 10),
		router.ReplayForKey: service,
		router.OriginKey:    at(origin),
	}
	return rec
}

func at(offset int64) string { return fmt.Sprintf("%s/0/%d", outboxTopic, offset) }

func agg(n int) string { return uuidN(2000, n) }

func ev(n int) string { return uuidN(20, n) }

// poisonSummary is each poison entry's event id, and what it is parked
// behind or, for a poisoned record, its reason.
func poisonSummary(msgs []*message.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		if b := m.Metadata.Get(router.ParkedBehindKey); b != "" {
			out[i] = m.Metadata.Get(outbox.EventIDKey) + " parked behind " + b
		} else {
			out[i] = m.Metadata.Get(outbox.EventIDKey) + " poisoned: " + m.Metadata.Get(wmiddleware.ReasonForPoisonedKey)
		}
	}
	return out
}

func blockedOrigins(t *testing.T, store router.BlockStore, key string) []string {
	t.Helper()
	blocks, err := store.Blocks(t.Context(), handlerName, outboxTopic, 0)
	require.NoError(t, err)
	for _, b := range blocks {
		if b.Key == key {
			return b.Parked
		}
	}
	return nil
}

// blockedBehindFirst is a sequenced router whose aggregate agg(1) is
// blocked: its event ev(1), first read at offset 0, was poisoned (and stays
// bad), and ev(2), at offset 1, parked behind it.
func blockedBehindFirst(t *testing.T) (events, *router.MemoryBlocks, *sequencedRouter) {
	e := events{t}
	store := router.NewMemoryBlocks()
	s := startSequenced(t, store)
	s.setBad(ev(1))
	s.deliver(1, e.live(0, agg(1), ev(1)), e.live(1, agg(1), ev(2)))
	require.Equal(t, []string{at(0), at(1)}, blockedOrigins(t, store, agg(1)))
	s.poison.taken()
	return e, store, s
}

// An aggregate's events after a poisoned one are parked, not applied; the
// other aggregates go on. Replaying the sequence in order applies it and
// releases the aggregate; a replay before its turn is parked again.
func TestPoisonedEventParksItsAggregate(t *testing.T) {
	t.Parallel()
	e := events{t}
	store := router.NewMemoryBlocks()
	s := startSequenced(t, store)
	a, b := agg(1), agg(2)
	s.setBad(ev(1))

	s.deliver(1, e.live(0, a, ev(1)), e.live(1, b, ev(2)), e.live(2, a, ev(3)), e.live(3, a, ev(4)), e.live(4, b, ev(5)))
	assert.Equal(t, []string{ev(2), ev(5)}, s.takeHandled())
	assert.Equal(t, []string{
		ev(1) + " poisoned: invalid event " + ev(1),
		ev(3) + " parked behind " + at(0),
		ev(4) + " parked behind " + at(0),
	}, poisonSummary(s.poison.taken()))
	assert.Equal(t, []string{at(0), at(2), at(3)}, blockedOrigins(t, store, a))

	s.deliver(1, e.live(5, a, ev(6)), e.live(6, b, ev(7)))
	assert.Equal(t, []string{ev(7)}, s.takeHandled())
	assert.Equal(t, []string{ev(6) + " parked behind " + at(0)}, poisonSummary(s.poison.taken()))
	assert.Equal(t, []string{at(0), at(2), at(3), at(5)}, blockedOrigins(t, store, a))

	// The cause is fixed. A parked event replayed before the poisoned
	// one waits again; the block stays as it was.
	s.setBad()
	s.deliver(1, e.replay(7, a, ev(3), 2))
	assert.Empty(t, s.takeHandled())
	assert.Equal(t, []string{ev(3) + " parked behind " + at(0)}, poisonSummary(s.poison.taken()))
	assert.Equal(t, []string{at(0), at(2), at(3), at(5)}, blockedOrigins(t, store, a))

	// The sequence replayed in order, and a new event after it.
	s.deliver(1, e.replay(8, a, ev(1), 0), e.replay(9, a, ev(3), 2), e.replay(10, a, ev(4), 3),
		e.replay(11, a, ev(6), 5), e.live(12, a, ev(8)))
	assert.Equal(t, []string{ev(1), ev(3), ev(4), ev(6), ev(8)}, s.takeHandled())
	assert.Empty(t, s.poison.taken())
	assert.Nil(t, blockedOrigins(t, store, a), "released")

	assert.EqualValues(t, 1, s.count(metrics.MessagesPoisoned))
	assert.EqualValues(t, 4, s.count(metrics.MessagesParked))
	assert.EqualValues(t, 1, s.count(metrics.SequencesReleased))
}

// A replayed event that fails again keeps the aggregate blocked behind it,
// and the parked events replayed after it wait again.
func TestReplayThatFailsAgainKeepsTheBlock(t *testing.T) {
	t.Parallel()
	e, store, s := blockedBehindFirst(t)
	a := agg(1)

	s.deliver(1, e.replay(2, a, ev(1), 0), e.replay(3, a, ev(2), 1))
	assert.Empty(t, s.takeHandled())
	assert.Equal(t, []string{
		ev(1) + " poisoned: invalid event " + ev(1),
		ev(2) + " parked behind " + at(0),
	}, poisonSummary(s.poison.taken()))
	assert.Equal(t, []string{at(0), at(1)}, blockedOrigins(t, store, a))
	assert.EqualValues(t, 2, s.count(metrics.MessagesPoisoned))
}

// A record that cannot be decoded blocks its aggregate as a failing one
// does; a batch delivered again after it poisons and parks nothing twice.
func TestUndecodableEventBlocksAndRedeliveryParksOnce(t *testing.T) {
	t.Parallel()
	e := events{t}
	store := router.NewMemoryBlocks()
	s := startSequenced(t, store)
	a := agg(1)
	broken := e.live(0, a, ev(1))
	broken.Value = []byte(`{"payload":`)
	batch := []kafka.Record{broken, e.live(1, a, ev(2))}

	s.deliver(1, batch...)
	s.deliver(1, batch...)
	assert.Empty(t, s.takeHandled())
	sum := poisonSummary(s.poison.taken())
	require.Len(t, sum, 2, "%v", sum)
	assert.Contains(t, sum[0], " poisoned: ")
	assert.Equal(t, ev(2)+" parked behind "+at(0), sum[1])
	assert.Equal(t, []string{at(0), at(1)}, blockedOrigins(t, store, a))
	assert.EqualValues(t, 2, s.count(metrics.MessagesSkipped, "reason", router.SkipAlreadyParked), "both, delivered again")
	assert.EqualValues(t, 1, s.count(metrics.MessagesPoisoned))
}

// The blocks live in the store: the next owner of the partition (another
// instance, or this one after a new claim) parks behind them.
func TestBlocksFollowThePartition(t *testing.T) {
	t.Parallel()
	e := events{t}
	store := router.NewMemoryBlocks()
	first := startSequenced(t, store)
	a := agg(1)
	first.setBad(ev(1))
	first.deliver(1, e.live(0, a, ev(1)))

	next := startSequenced(t, store)
	next.deliver(2, e.live(1, a, ev(2)), e.live(2, agg(2), ev(3)))
	assert.Equal(t, []string{ev(3)}, next.takeHandled())
	assert.Equal(t, []string{ev(2) + " parked behind " + at(0)}, poisonSummary(next.poison.taken()))

	// Released while the partition was elsewhere: the first instance,
	// claiming it again, loads that.
	require.NoError(t, store.Release(t.Context(), handlerName, a))
	first.deliver(3, e.live(4, a, ev(5)))
	assert.Equal(t, []string{ev(5)}, first.takeHandled())
}

// While nothing is poisoned the store is read once per claim and never
// written.
func TestSequencingReadsTheStoreOncePerClaim(t *testing.T) {
	t.Parallel()
	e := events{t}
	store := &countingBlocks{BlockStore: router.NewMemoryBlocks()}
	s := startSequenced(t, store)
	for claim := uint64(1); claim <= 2; claim++ {
		for i := range 5 {
			off := int64(claim*10) + int64(i)
			s.deliver(claim, e.live(off, agg(i), ev(int(off))))
		}
	}
	assert.Len(t, s.takeHandled(), 10)
	assert.EqualValues(t, 2, store.loads.Load())
	assert.Zero(t, store.saves.Load()+store.releases.Load())
}

// An event that will never apply is dropped (bin/poison drop): the events
// parked behind it are then applied when they are replayed, and the drop
// of an event nothing waits for changes nothing.
func TestDroppedEventReleasesItsSequence(t *testing.T) {
	t.Parallel()
	e, store, s := blockedBehindFirst(t)
	a := agg(1)

	drop := kafka.Record{Topic: outboxTopic, Partition: 0, Offset: 2, Key: []byte(a), Headers: map[string]string{
		router.ReplayOfKey: poisonTopic + "/0/0", router.ReplayForKey: service, router.DropKey: at(0),
	}}
	s.deliver(1, drop, e.replay(3, a, ev(2), 1), e.live(4, a, ev(3)))
	assert.Equal(t, []string{ev(2), ev(3)}, s.takeHandled())
	assert.Empty(t, s.poison.taken())
	assert.Nil(t, blockedOrigins(t, store, a))
	assert.EqualValues(t, 1, s.count(metrics.SequencesReleased))

	drop.Offset = 5
	s.deliver(1, drop)
	assert.EqualValues(t, 2, s.count(metrics.MessagesSkipped, "reason", router.SkipDropped))
	assert.Empty(t, s.takeHandled())
}

// A rebuild skips replays, having read every event's own record, except
// in a sequence it has blocked itself: the drop and the replays that
// released the live projector's block release the rebuild's the same way.
func TestRebuildReleasesItsBlocksAsTheLiveProjectorDid(t *testing.T) {
	t.Parallel()
	e := events{t}
	store := router.NewMemoryBlocks()
	s := startSequenced(t, store, func(c *router.Config) { c.SkipReplays = true })
	a, b := agg(1), agg(2)
	s.setBad(ev(1))
	drop := kafka.Record{Topic: outboxTopic, Partition: 0, Offset: 4, Key: []byte(a), Headers: map[string]string{
		router.ReplayOfKey: poisonTopic + "/0/0", router.ReplayForKey: service, router.DropKey: at(0),
	}}
	s.deliver(1, e.live(0, a, ev(1)), e.live(1, a, ev(2)), e.live(2, b, ev(3)),
		e.replay(3, b, ev(3), 2), // an event the rebuild applied from its own record
		drop,
		e.replay(5, a, ev(1), 0), // the event just dropped: nothing waits for it
		e.replay(6, a, ev(2), 1))
	assert.Equal(t, []string{ev(3), ev(2)}, s.takeHandled())
	assert.Nil(t, blockedOrigins(t, store, a))
	assert.EqualValues(t, 2, s.count(metrics.MessagesSkipped, "reason", router.SkipReplayInRebuild),
		"the replay of b's event, and of the dropped event once nothing waited for it")
}

// Within a batch each aggregate keeps its order: an event before an
// undecodable one is applied even when the batch falls back to one by one
// (another event failing), and the one after it is parked.
func TestOrderWithinABatch(t *testing.T) {
	t.Parallel()
	e := events{t}
	store := router.NewMemoryBlocks()
	s := startSequenced(t, store)
	a, b := agg(1), agg(2)
	broken := e.live(1, a, ev(2))
	broken.Value = []byte(`{"payload":`)
	s.setBad(ev(3))
	s.deliver(1, e.live(0, a, ev(1)), broken, e.live(2, b, ev(3)), e.live(3, a, ev(4)))

	assert.Equal(t, []string{ev(1)}, s.takeHandled(), "a's first event, before the broken one")
	sum := poisonSummary(s.poison.taken())
	require.Len(t, sum, 3, "%v", sum)
	assert.Contains(t, sum[0], " poisoned: ", "the broken record")
	assert.Contains(t, sum[1], ev(3)+" poisoned: invalid event")
	assert.Equal(t, ev(4)+" parked behind "+at(1), sum[2])
	assert.Equal(t, []string{at(1), at(3)}, blockedOrigins(t, store, a))
	assert.Equal(t, []string{at(2)}, blockedOrigins(t, store, b))
}

// Every record is handled in offset order, those handled alone included:
// the statistics count each partition's events in that order.
func TestHandledInOffsetOrder(t *testing.T) {
	t.Parallel()
	e, store, s := blockedBehindFirst(t)
	a, b, c := agg(1), agg(2), agg(3)
	drop := kafka.Record{Topic: outboxTopic, Partition: 0, Offset: 2, Key: []byte(a), Headers: map[string]string{
		router.ReplayOfKey: poisonTopic + "/0/0", router.ReplayForKey: service, router.DropKey: at(0),
	}}
	s.deliver(1, e.live(3, b, ev(3)), drop, e.replay(4, a, ev(2), 1), e.live(5, c, ev(5)), e.live(6, a, ev(6)), e.live(7, b, ev(7)))
	assert.Equal(t, []string{ev(3), ev(2), ev(5), ev(6), ev(7)}, s.takeHandled())
	assert.Nil(t, blockedOrigins(t, store, a))
}
