package kafka_test

// Tests of BatchSubscriber over the Kafka protocol against an in-process kfake
// cluster (testkit/kafkatest).

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/testkit/kafkatest"
)

// batchWait bounds a wait for a batch: joining the group takes a moment, a
// rebalance up to a heartbeat interval (3 s) more.
const batchWait = 10 * time.Second

// indexHeader numbers the produced records so that they can be told apart
// whatever their key and value.
const indexHeader = "i"

func newBatchSubscriber(t *testing.T, c *kafkatest.Cluster, cfg kafka.BatchSubscriberConfig) *kafka.BatchSubscriber {
	t.Helper()
	cfg.Brokers = c.Brokers()
	cfg.ClientID = "batch-test"
	sub, err := kafka.NewBatchSubscriber(cfg, watermill.NopLogger{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sub.Close() })
	return sub
}

// produceN writes records first..first+n-1 with key key-i, value value-i and
// the index header.
func produceN(t *testing.T, c *kafkatest.Cluster, topic string, first, n int) {
	t.Helper()
	for i := first; i < first+n; i++ {
		c.Produce(t, topic, fmt.Appendf(nil, "key-%d", i), fmt.Appendf(nil, "value-%d", i), map[string]string{indexHeader: strconv.Itoa(i)})
	}
}

func receive(t *testing.T, ch <-chan *message.Message, timeout time.Duration) *message.Message {
	t.Helper()
	select {
	case msg, ok := <-ch:
		require.True(t, ok, "output channel closed")
		return msg
	case <-time.After(timeout):
		t.Fatalf("no batch within %v", timeout)
		return nil
	}
}

func batchOf(t *testing.T, msg *message.Message) kafka.Batch {
	t.Helper()
	b, ok := kafka.BatchFromMessage(msg)
	require.True(t, ok, "message %s carries no batch", msg.UUID)
	require.NotEmpty(t, b.Records)
	return b
}

func recordIndex(t *testing.T, rec kafka.Record) int {
	t.Helper()
	i, err := strconv.Atoi(rec.Headers[indexHeader])
	require.NoError(t, err, "record %s/%d/%d has no index header", rec.Topic, rec.Partition, rec.Offset)
	return i
}

func assertDone(t *testing.T, ctx context.Context, within time.Duration, what string) {
	t.Helper()
	if ctx.Err() != nil {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(within):
		t.Fatalf("%s: context not done within %v", what, within)
	}
}

// assertClosed waits for the output channel to close. A claim that was
// already offering a batch when the subscription ended may still hand it
// over, but that batch's context must be done.
func assertClosed(t *testing.T, ch <-chan *message.Message, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case msg, ok := <-ch:
			if !ok {
				return
			}
			if msg.Context().Err() == nil {
				t.Errorf("batch %s delivered after the subscription ended, with a live context", msg.UUID)
			}
		case <-deadline:
			t.Fatalf("output channel not closed within %v", within)
		}
	}
}

// assertNoBatch fails if a batch arrives within d.
func assertNoBatch(t *testing.T, ch <-chan *message.Message, d time.Duration, why string) {
	t.Helper()
	select {
	case msg := <-ch:
		t.Fatalf("batch %s delivered %s", msg.UUID, why)
	case <-time.After(d):
	}
}

func TestBatchSubscriberDeliversEveryRecordOnce(t *testing.T) {
	t.Parallel()
	const (
		topic     = "batch.every-record"
		group     = "batch-every-record"
		n         = 50
		maxEvents = 7
		tombstone = 10
		empty     = 11
		noKey     = 12
		reserved  = 13
	)
	c := kafkatest.Start(t, 3, topic)
	produced := time.Now()
	for i := range n {
		key := fmt.Appendf(nil, "key-%d", i)
		value := fmt.Appendf(nil, "value-%d", i)
		headers := map[string]string{indexHeader: strconv.Itoa(i), "h": fmt.Sprintf("h-%d", i)}
		switch i {
		case tombstone:
			value = nil
		case empty:
			value = []byte{}
		case noKey:
			key = nil
		case reserved:
			// Headers named like the metadata a record's position is
			// kept in must not pass for it.
			headers[kafka.MetadataOffset] = "999"
			headers[kafka.MetadataKey] = "other"
			headers[kafka.MetadataNullValue] = "true"
		}
		c.Produce(t, topic, key, value, headers)
	}

	sub := newBatchSubscriber(t, c, kafka.BatchSubscriberConfig{ConsumerGroup: group, MaxEvents: maxEvents})
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	ch, err := sub.Subscribe(ctx, topic)
	require.NoError(t, err)

	seen := make(map[int]kafka.Record, n)
	next := map[int32]int64{} // next offset expected per partition
	multi := false
	for len(seen) < n {
		msg := receive(t, ch, batchWait)
		b := batchOf(t, msg)
		require.Equal(t, topic, b.Topic)
		require.LessOrEqual(t, len(b.Records), maxEvents)
		multi = multi || len(b.Records) > 1

		first, last := b.FirstOffset(), b.LastOffset()
		assert.Equal(t, fmt.Sprintf("%s/%d/%d-%d", topic, b.Partition, first, last), msg.UUID)
		assert.Nil(t, msg.Payload)
		assert.Equal(t, message.Metadata{
			kafka.MetadataTopic:       topic,
			kafka.MetadataPartition:   strconv.Itoa(int(b.Partition)),
			kafka.MetadataOffset:      strconv.FormatInt(last, 10),
			kafka.MetadataFirstOffset: strconv.FormatInt(first, 10),
			kafka.MetadataBatchSize:   strconv.Itoa(len(b.Records)),
		}, msg.Metadata)

		// Every batch continues where the partition's previous one ended.
		require.Equal(t, next[b.Partition], first, "first offset of batch %s", msg.UUID)
		for j, rec := range b.Records {
			require.Equal(t, topic, rec.Topic)
			require.Equal(t, b.Partition, rec.Partition)
			require.Equal(t, first+int64(j), rec.Offset, "offsets of batch %s", msg.UUID)
			i := recordIndex(t, rec)
			_, dup := seen[i]
			require.False(t, dup, "record %d delivered twice", i)
			seen[i] = rec
		}
		next[b.Partition] = last + 1
		msg.Ack()
	}
	assert.True(t, multi, "every batch had one record, though all were fetched at once")
	assert.Len(t, next, 3, "records of every partition")

	for i, rec := range seen {
		assert.Equal(t, fmt.Sprintf("h-%d", i), rec.Headers["h"], "record %d", i)
		assert.WithinRange(t, rec.Timestamp, produced.Add(-time.Second), time.Now(), "record %d", i)
		switch i {
		case tombstone:
			assert.Nil(t, rec.Value, "tombstone")
		case empty:
			assert.NotNil(t, rec.Value, "empty value")
			assert.Empty(t, rec.Value, "empty value")
		case noKey:
			assert.Nil(t, rec.Key, "no key")
		case reserved:
			assert.Equal(t, map[string]string{indexHeader: strconv.Itoa(i), "h": fmt.Sprintf("h-%d", i)}, rec.Headers)
		}
		if i != tombstone && i != empty {
			assert.Equal(t, []byte(fmt.Sprintf("value-%d", i)), rec.Value, "record %d", i)
		}
		if i != noKey {
			assert.Equal(t, []byte(fmt.Sprintf("key-%d", i)), rec.Key, "record %d", i)
		}
	}

	// Auto-commit runs every second.
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		assert.Equal(ct, next, c.CommittedOffsets(t, group, topic))
	}, 5*time.Second, 100*time.Millisecond)
}

func TestBatchSubscriberNackRedeliversSameBatch(t *testing.T) {
	t.Parallel()
	const (
		topic = "batch.nack"
		group = "batch-nack"
		n     = 7
	)
	c := kafkatest.Start(t, 1, topic)
	produceN(t, c, topic, 0, n)

	sub := newBatchSubscriber(t, c, kafka.BatchSubscriberConfig{ConsumerGroup: group, MaxEvents: 3, NackResendSleep: 10 * time.Millisecond})
	ch, err := sub.Subscribe(t.Context(), topic)
	require.NoError(t, err)

	first := receive(t, ch, batchWait)
	b1 := batchOf(t, first)
	first.Nack()

	again := receive(t, ch, batchWait)
	require.NotSame(t, first, again, "a nacked message cannot be acked, so the batch must come in a new one")
	assert.Equal(t, first.UUID, again.UUID)
	assert.Equal(t, first.Metadata, again.Metadata)
	assert.Equal(t, b1, batchOf(t, again))

	assertNoBatch(t, ch, 300*time.Millisecond, "while the partition's previous batch was not acked")
	again.Ack()

	// The rest comes in order, each batch after the previous one's ack.
	nextOffset := b1.LastOffset() + 1
	for nextOffset < n {
		msg := receive(t, ch, batchWait)
		b := batchOf(t, msg)
		require.Equal(t, nextOffset, b.FirstOffset())
		nextOffset = b.LastOffset() + 1
		msg.Ack()
	}
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		assert.Equal(ct, map[int32]int64{0: n}, c.CommittedOffsets(t, group, topic))
	}, 5*time.Second, 100*time.Millisecond)
}

func TestBatchSubscriberMaxWait(t *testing.T) {
	t.Parallel()
	const (
		topic   = "batch.max-wait"
		group   = "batch-max-wait"
		maxWait = 2 * time.Second
	)
	c := kafkatest.Start(t, 1, topic)
	sub := newBatchSubscriber(t, c, kafka.BatchSubscriberConfig{ConsumerGroup: group, MaxEvents: 5, MaxWait: maxWait})
	ch, err := sub.Subscribe(t.Context(), topic)
	require.NoError(t, err)

	// A lone record waits MaxWait for company, then goes alone. The timer
	// starts when the subscriber gets the record, after it is produced.
	start := time.Now()
	produceN(t, c, topic, 0, 1)
	msg := receive(t, ch, batchWait+maxWait)
	assert.GreaterOrEqual(t, time.Since(start), maxWait, "a batch that is not full waits MaxWait")
	b := batchOf(t, msg)
	require.Len(t, b.Records, 1)
	msg.Ack()

	// Records that come while the batch waits join it, and a full batch goes
	// at once. The consumer is at the end of the partition by now, so the
	// first of these records reaches it before the others are produced.
	start = time.Now()
	produceN(t, c, topic, 1, 1)
	time.Sleep(200 * time.Millisecond)
	produceN(t, c, topic, 2, 4)
	msg = receive(t, ch, batchWait)
	assert.Less(t, time.Since(start), maxWait, "a full batch does not wait")
	b = batchOf(t, msg)
	require.Len(t, b.Records, 5)
	assert.Equal(t, int64(1), b.FirstOffset())
	assert.Equal(t, int64(5), b.LastOffset())
	msg.Ack()
}

func TestBatchSubscriberMaxWaitZeroTakesWhatIsFetched(t *testing.T) {
	t.Parallel()
	const topic = "batch.no-wait"
	c := kafkatest.Start(t, 1, topic)
	sub := newBatchSubscriber(t, c, kafka.BatchSubscriberConfig{ConsumerGroup: "batch-no-wait", MaxEvents: 100})
	ch, err := sub.Subscribe(t.Context(), topic)
	require.NoError(t, err)

	// With nothing else fetched, a single record goes alone and at once
	// (no MaxWait to wait for: the test would block otherwise).
	produceN(t, c, topic, 0, 1)
	msg := receive(t, ch, batchWait)
	require.Len(t, batchOf(t, msg).Records, 1)
	msg.Ack()
}

func TestBatchSubscriberCloseWithUnackedBatch(t *testing.T) {
	t.Parallel()
	const (
		topic = "batch.close"
		group = "batch-close"
		n     = 30
	)
	c := kafkatest.Start(t, 3, topic)
	produceN(t, c, topic, 0, n)

	first := newBatchSubscriber(t, c, kafka.BatchSubscriberConfig{ConsumerGroup: group, MaxEvents: 4})
	ch, err := first.Subscribe(t.Context(), topic)
	require.NoError(t, err)
	held := receive(t, ch, batchWait)
	heldBatch := batchOf(t, held)

	// The other partitions' claims are blocked sending their batches and
	// this one waits for an ack: Close must end them all promptly.
	closed := make(chan error, 1)
	go func() { closed <- first.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return within 5s: a claim waiting for an ack holds it")
	}
	assertDone(t, held.Context(), 0, "message of a closed subscriber")
	assertClosed(t, ch, time.Second)
	require.NoError(t, first.Close(), "second Close")
	_, err = first.Subscribe(t.Context(), topic)
	require.ErrorIs(t, err, kafka.ErrBatchSubscriberClosed)

	committed := c.CommittedOffsets(t, group, topic)
	if off, ok := committed[heldBatch.Partition]; ok {
		assert.LessOrEqual(t, off, heldBatch.FirstOffset(), "an unacked batch was committed")
	}

	// The next member of the group gets the unacked records again.
	second := newBatchSubscriber(t, c, kafka.BatchSubscriberConfig{ConsumerGroup: group, MaxEvents: 4})
	ch, err = second.Subscribe(t.Context(), topic)
	require.NoError(t, err)
	var redelivered []kafka.Record
	for len(redelivered) == 0 || redelivered[len(redelivered)-1].Offset < heldBatch.LastOffset() {
		msg := receive(t, ch, batchWait)
		b := batchOf(t, msg)
		if b.Partition == heldBatch.Partition {
			if len(redelivered) == 0 {
				require.Equal(t, heldBatch.FirstOffset(), b.FirstOffset(), "first redelivered offset")
			}
			redelivered = append(redelivered, b.Records...)
		}
		msg.Ack()
	}
	assert.Equal(t, heldBatch.Records, redelivered[:len(heldBatch.Records)])
}

func TestBatchSubscriberSubscribeContextEndsSubscription(t *testing.T) {
	t.Parallel()
	const topic = "batch.cancel"
	c := kafkatest.Start(t, 2, topic)
	produceN(t, c, topic, 0, 10)

	sub := newBatchSubscriber(t, c, kafka.BatchSubscriberConfig{ConsumerGroup: "batch-cancel"})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ch, err := sub.Subscribe(ctx, topic)
	require.NoError(t, err)
	held := receive(t, ch, batchWait)

	cancel()
	assertDone(t, held.Context(), 5*time.Second, "message of a cancelled subscription")
	assertClosed(t, ch, 5*time.Second)
	start := time.Now()
	require.NoError(t, sub.Close())
	assert.Less(t, time.Since(start), time.Second, "Close after the subscription ended")
}

func TestBatchSubscriberGroupMembersSplitPartitions(t *testing.T) {
	t.Parallel()
	const (
		topic = "batch.split"
		group = "batch-split"
		n     = 60
	)
	c := kafkatest.Start(t, 3, topic)
	produceN(t, c, topic, 0, n)

	cfg := kafka.BatchSubscriberConfig{ConsumerGroup: group, MaxEvents: 5}
	subA := newBatchSubscriber(t, c, cfg)
	chA, err := subA.Subscribe(t.Context(), topic)
	require.NoError(t, err)
	// A holds its first batch unacked (and its other partitions' batches
	// undelivered) so that nothing is committed before B joins: B's
	// partition then still has records for B to deliver.
	held := receive(t, chA, batchWait)

	subB := newBatchSubscriber(t, c, cfg)
	chB, err := subB.Subscribe(t.Context(), topic)
	require.NoError(t, err)
	// The rebalance ends A's session and with it its message's context.
	assertDone(t, held.Context(), batchWait, "message of a revoked partition")

	acked := make(map[int]string, n)
	partitions := map[string]map[int32]bool{"A": {}, "B": {}}
	deadline := time.After(batchWait)
	for len(acked) < n {
		var msg *message.Message
		var member string
		select {
		case msg = <-chA:
			member = "A"
		case msg = <-chB:
			member = "B"
		case <-deadline:
			t.Fatalf("%d of %d records acked within %v", len(acked), n, batchWait)
		}
		require.NotNil(t, msg, "output channel of %s closed", member)
		b := batchOf(t, msg)
		partitions[member][b.Partition] = true
		for _, rec := range b.Records {
			i := recordIndex(t, rec)
			prev, dup := acked[i]
			require.False(t, dup, "record %d delivered by %s and again by %s", i, prev, member)
			acked[i] = member
		}
		msg.Ack()
	}
	assert.NotEmpty(t, partitions["A"], "partitions of A")
	assert.NotEmpty(t, partitions["B"], "partitions of B")
	for p := range partitions["A"] {
		assert.False(t, partitions["B"][p], "partition %d delivered by both members", p)
	}
}

func TestBatchSubscriberConfigValidate(t *testing.T) {
	t.Parallel()
	valid := kafka.BatchSubscriberConfig{Brokers: []string{"localhost:9092"}, ConsumerGroup: "g"}
	require.NoError(t, valid.Validate(), "zero values take the defaults")

	withNewest := valid
	withNewest.OffsetsInitial = sarama.OffsetNewest
	withNewest.MaxWait = time.Second
	require.NoError(t, withNewest.Validate())

	for name, mutate := range map[string]func(*kafka.BatchSubscriberConfig){
		"no brokers":               func(c *kafka.BatchSubscriberConfig) { c.Brokers = nil },
		"no consumer group":        func(c *kafka.BatchSubscriberConfig) { c.ConsumerGroup = "" },
		"negative MaxWait":         func(c *kafka.BatchSubscriberConfig) { c.MaxWait = -time.Millisecond },
		"negative MaxEvents":       func(c *kafka.BatchSubscriberConfig) { c.MaxEvents = -1 },
		"negative NackResendSleep": func(c *kafka.BatchSubscriberConfig) { c.NackResendSleep = -time.Millisecond },
		"unknown OffsetsInitial":   func(c *kafka.BatchSubscriberConfig) { c.OffsetsInitial = 5 },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := valid
			mutate(&cfg)
			err := cfg.Validate()
			require.ErrorIs(t, err, kafka.ErrInvalidBatchConfig)
			_, err = kafka.NewBatchSubscriber(cfg, nil)
			require.ErrorIs(t, err, kafka.ErrInvalidBatchConfig)
		})
	}
}

func TestBatchFromMessageWithoutBatch(t *testing.T) {
	t.Parallel()
	_, ok := kafka.BatchFromMessage(message.NewMessage("id", nil))
	assert.False(t, ok)

	var b kafka.Batch
	assert.Equal(t, int64(-1), b.FirstOffset())
	assert.Equal(t, int64(-1), b.LastOffset())
}
