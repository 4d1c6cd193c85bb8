package kafkatest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activityapp/event-processor/testkit/kafkatest"
)

func TestProduceConsume(t *testing.T) {
	began := time.Now()
	c := kafkatest.Start(t, 3, "seeded")
	t.Logf("kafkatest.Start took %v", time.Since(began))

	// "auto" is not seeded: it must be created on first use.
	for _, topic := range []string{"seeded", "auto"} {
		for i := range 5 {
			c.Produce(t, topic, fmt.Appendf(nil, "k%d", i), fmt.Appendf(nil, "v%d", i),
				map[string]string{"type": "test", "n": fmt.Sprint(i)})
		}
		recs := c.Consume(t, topic, 5, 10*time.Second)
		values := map[string]bool{}
		for _, r := range recs {
			values[string(r.Value)] = true
			if h := headers(r); h["type"] != "test" || h["n"] != string(r.Value[1:]) {
				t.Errorf("%s: record %q has headers %v", topic, r.Value, h)
			}
		}
		if len(values) != 5 {
			t.Errorf("%s: consumed values %v, want v0..v4", topic, values)
		}
		// Consume starts from the beginning each time and commits nothing.
		if again := c.Consume(t, topic, 5, 10*time.Second); len(again) != 5 {
			t.Errorf("%s: second Consume returned %d records", topic, len(again))
		}
	}
}

func TestCommittedOffsets(t *testing.T) {
	c := kafkatest.Start(t, 2, "orders")
	for i := range 10 {
		c.Produce(t, "orders", fmt.Appendf(nil, "k%d", i), []byte("v"), nil)
	}
	if got := c.CommittedOffsets(t, "nobody", "orders"); len(got) != 0 {
		t.Errorf("offsets of an unknown group = %v, want none", got)
	}

	cl, err := kgo.NewClient(
		kgo.SeedBrokers(c.Brokers()...),
		kgo.ConsumerGroup("billing"),
		kgo.ConsumeTopics("orders"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	want := map[int32]int64{}
	for n := 0; n < 10; {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of 10 records in group billing: %v", n, err)
		}
		for _, r := range fetches.Records() {
			want[r.Partition] = r.Offset + 1
			n++
		}
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}

	got := c.CommittedOffsets(t, "billing", "orders")
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("CommittedOffsets = %v, want %v", got, want)
	}
	if other := c.CommittedOffsets(t, "billing", "other-topic"); len(other) != 0 {
		t.Errorf("offsets for a topic the group never read = %v, want none", other)
	}
}

func headers(r *kgo.Record) map[string]string {
	h := make(map[string]string, len(r.Headers))
	for _, kv := range r.Headers {
		h[kv.Key] = string(kv.Value)
	}
	return h
}
