package kafka

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
)

// claimLag measures how far one claimed partition's consumer is behind:
// the partition's high-water mark (the offset its next record will get, as
// the latest fetch response said) minus the offset of the next record to
// handle. Only the instance that owns the partition reports it, and the
// series goes when the claim ends, so summing over instances never counts
// a partition twice.
type claimLag struct {
	vec   *prometheus.GaugeVec
	claim sarama.ConsumerGroupClaim
	gauge prometheus.Gauge
	// next is the offset of the next record to handle; negative until
	// known (a new group starting at the oldest or newest record).
	next atomic.Int64
}

func newClaimLag(vec *prometheus.GaugeVec, claim sarama.ConsumerGroupClaim) *claimLag {
	l := &claimLag{vec: vec, claim: claim}
	if vec != nil {
		l.gauge = vec.WithLabelValues(claim.Topic(), strconv.Itoa(int(claim.Partition())))
	}
	l.next.Store(claim.InitialOffset())
	return l
}

// positionAtLeast makes offset the position when none is known yet: the
// first record fetched is where a new group starts.
func (l *claimLag) positionAtLeast(offset int64) {
	if l.next.Load() < 0 {
		l.next.Store(offset)
	}
}

// acked moves the position past offset and measures.
func (l *claimLag) acked(offset int64) {
	l.next.Store(offset + 1)
	l.measure()
}

func (l *claimLag) measure() {
	if l.gauge == nil {
		return
	}
	next, hwm := l.next.Load(), l.claim.HighWaterMarkOffset()
	if next < 0 || hwm < next {
		// Not known yet: no position, or no fetch response so far.
		return
	}
	l.gauge.Set(float64(hwm - next))
}

// measureEvery measures every interval until ctx ends or the returned stop
// is called; stop waits for the last measurement and removes the
// partition's series.
func (l *claimLag) measureEvery(ctx context.Context, interval time.Duration) (stop func()) {
	if l.gauge == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			l.measure()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
		l.vec.DeleteLabelValues(l.claim.Topic(), strconv.Itoa(int(l.claim.Partition())))
	}
}
