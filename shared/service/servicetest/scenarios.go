package servicetest

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/activityapp/event-processor/shared/outbox"
)

// Projection describes one read model for the scenarios every projector
// must pass.
type Projection struct {
	// Start runs the projector on a new Kafka cluster and database.
	Start func(t *testing.T) *Service
	// Documents reads the read model, by _id.
	Documents func(t *testing.T, s *Service) map[string]bson.M
	// Streams makes n random valid histories of perAggregate events each.
	Streams func(t *testing.T, r *rand.Rand, n, perAggregate int) [][]outbox.Event
	// Model computes, in memory, the documents events must give, without
	// _rev.
	Model func(t *testing.T, events []outbox.Event) map[string]bson.M
}

// CheckConcurrentDelivery projects histories of many aggregates spread over
// every partition, consumed concurrently, and compares the read model with
// the model.
func CheckConcurrentDelivery(t *testing.T, p Projection, seed uint64) {
	const aggregates, perAggregate = 50, 6
	r := rand.New(rand.NewPCG(seed, seed+1))
	stream := Interleave(r, p.Streams(t, r, aggregates, perAggregate))
	require.Len(t, stream, aggregates*perAggregate)

	s := p.Start(t)
	began := time.Now()
	s.Produce(t, stream...)
	offsets := s.WaitProcessed(t)
	t.Logf("%d events over %d partitions projected in %v", len(stream), len(offsets), time.Since(began))
	assert.GreaterOrEqual(t, len(offsets), 10, "the aggregates are spread over the partitions: %v", offsets)
	assert.Equal(t, p.Model(t, stream), Without(p.Documents(t, s), "_rev"))
}

// CheckReplay projects the same histories into two fresh read models, in
// two orders that keep each aggregate's events in order, the second with
// every history delivered twice (a redelivery replays a partition from an
// older offset): both read models must be identical, and equal the model.
func CheckReplay(t *testing.T, p Projection, seed uint64) {
	const aggregates, perAggregate = 30, 6
	r := rand.New(rand.NewPCG(seed, seed+1))
	streams := p.Streams(t, r, aggregates, perAggregate)

	a, b := p.Start(t), p.Start(t)
	orderA := Interleave(r, streams)
	twice := make([][]outbox.Event, len(streams))
	for i, s := range streams {
		twice[i] = append(slices.Clone(s), s...)
	}
	orderB := Interleave(r, twice)
	require.NotEqual(t, orderA, orderB[:len(orderA)])

	a.Produce(t, orderA...)
	b.Produce(t, orderB...)
	a.WaitProcessed(t)
	b.WaitProcessed(t)

	docsA, docsB := Without(p.Documents(t, a), "_rev"), Without(p.Documents(t, b), "_rev")
	require.Len(t, docsA, aggregates)
	assert.Equal(t, docsA, docsB)
	assert.Equal(t, p.Model(t, orderA), docsA)
}
