package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
)

// outboxPartition is the partition Debezium's producer (Kafka's default
// partitioner, murmur2 of the key) puts an aggregate's records on.
func outboxPartition(aggregateID string, partitions int) int {
	return kgo.StickyKeyPartitioner(nil).ForTopic(OutboxTopic).
		Partition(&kgo.Record{Key: []byte(`{"aggregate_id":"` + aggregateID + `"}`)}, partitions)
}

// TestOrderingAcrossPartitions writes 20 users' histories (UserCreated,
// then 10 UserUpdated each, every event its own transaction, interleaved
// across users) over all 12 partitions of the outbox topic, and checks each
// user ends in the latest state of every field, at the last version.
func TestOrderingAcrossPartitions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	const nUsers, nUpdates, partitions = 20, 10, 12

	// Users chosen so every partition has at least one.
	var users []string
	covered := map[int]bool{}
	for len(covered) < partitions {
		id := newUUID()
		if p := outboxPartition(id, partitions); !covered[p] {
			covered[p] = true
			users = append(users, id)
		}
	}
	for len(users) < nUsers {
		users = append(users, newUUID())
	}

	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	fields := []string{"email", "username", "full_name", "city"}
	s := &story{}
	byUser := map[string][]*Event{}
	newEvent := func(u string, v int64, typ string, payload map[string]any) *Event {
		e := &Event{ID: newUUID(), AggregateID: u, AggregateType: "user", Version: v, Type: typ, Payload: payload,
			CorrelationID: fmt.Sprintf("e2e-%s-ordering-%s-%d", stack.RunID, u[:8], v)}
		s.events = append(s.events, e)
		byUser[u] = append(byUser[u], e)
		return e
	}
	for i, u := range users {
		newEvent(u, 1, "UserCreated", map[string]any{"user_id": u, "email": fmt.Sprintf("u%d-v1@example.org", i),
			"username": fmt.Sprintf("u%d-v1", i), "full_name": fmt.Sprintf("User %d v1", i), "city": "City v1"})
	}
	for v := int64(2); v <= nUpdates+1; v++ {
		for i, u := range users {
			p := map[string]any{"user_id": u}
			// A random non-empty subset of the fields.
			for len(p) == 1 {
				for _, f := range fields {
					if rnd.IntN(2) == 0 {
						p[f] = fmt.Sprintf("%s u%d v%d", f, i, v)
					}
				}
			}
			if _, ok := p["email"]; ok {
				p["email"] = fmt.Sprintf("u%d-v%d@example.org", i, v)
			}
			newEvent(u, v, "UserUpdated", p)
		}
	}
	began := time.Now()
	Insert(t, ctx, s.events...) // in order: interleaved across users

	// Expected: the latest value of each field.
	want := map[string]any{}
	for _, u := range users {
		evs := byUser[u]
		doc := map[string]any{"status": "active", "created_at": evs[0].CreatedAt, "deleted_at": nil}
		for _, e := range evs {
			for _, f := range fields {
				if val, ok := e.Payload[f]; ok {
					doc[f] = val
				}
			}
		}
		last := evs[len(evs)-1]
		require.EqualValues(t, nUpdates+1, last.Version)
		doc["updated_at"], doc["version"] = last.CreatedAt, last.Version
		want[u] = doc
	}
	wantStats := s.wantUserStatistics()
	Eventually(t, ctx, 3*time.Minute, map[string]any{"users": want, "user_statistics": wantStats}, func() any {
		return map[string]any{
			"users":           only(Documents(t, ctx, "users", userFields...), want),
			"user_statistics": only(Documents(t, ctx, "user_statistics", userStatFields...), want),
		}
	})
	t.Logf("%d events of %d users over %d partitions projected in %v", len(s.events), len(users), len(covered),
		time.Since(began).Round(100*time.Millisecond))
}
