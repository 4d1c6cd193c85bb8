package kafka_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/metrics/metricstest"
	"github.com/activityapp/event-processor/testkit/kafkatest"
)

// The lag of a claimed partition is its high-water mark minus the next
// offset to handle: measured at every ack, and every few seconds while a
// batch is held (a handler retrying); the series goes with the claim.
func TestBatchSubscriberReportsConsumerLag(t *testing.T) {
	t.Parallel()
	const topic = "batch.lag"
	c := kafkatest.Start(t, 1, topic)
	produceN(t, c, topic, 0, 20)

	reg := prometheus.NewRegistry()
	sub := newBatchSubscriber(t, c, kafka.BatchSubscriberConfig{ConsumerGroup: "batch-lag", MaxEvents: 5, Registerer: reg})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ch, err := sub.Subscribe(ctx, topic)
	require.NoError(t, err)
	lagIs := func(want float64, within time.Duration) {
		t.Helper()
		require.EventuallyWithT(t, func(ct *assert.CollectT) {
			series := metricstest.Series(t, reg, metrics.ConsumerLag)
			if assert.Len(ct, series, 1) {
				assert.Equal(ct, map[string]string{"topic": topic, "partition": "0"}, series[0])
			}
			assert.InDelta(ct, want, metricstest.Value(t, reg, metrics.ConsumerLag, "topic", topic, "partition", "0"), 0)
		}, within, 50*time.Millisecond)
	}

	msg := receive(t, ch, batchWait)
	require.Equal(t, int64(4), batchOf(t, msg).LastOffset())
	msg.Ack()
	lagIs(15, 2*time.Second)

	for last := int64(4); last < 19; {
		msg := receive(t, ch, batchWait)
		last = batchOf(t, msg).LastOffset()
		msg.Ack()
	}
	lagIs(0, 2*time.Second)

	// A batch held unacked: the lag grows with what is written meanwhile.
	produceN(t, c, topic, 20, 4)
	held := receive(t, ch, batchWait)
	require.Equal(t, int64(20), batchOf(t, held).FirstOffset())
	lagIs(4, 10*time.Second)

	cancel()
	require.Eventually(t, func() bool { return len(metricstest.Series(t, reg, metrics.ConsumerLag)) == 0 },
		10*time.Second, 50*time.Millisecond, "the series goes with the claim")
}
