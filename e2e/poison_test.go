package e2e

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activityapp/event-processor/scripts/poison"
)

func poisonTopic(svc string) string { return svc + ".poison" }

// endOffsets returns the end offset of every partition of topic; an empty
// map when the topic does not exist (yet).
func endOffsets(ctx context.Context, topic string) (map[int32]int64, error) {
	out := map[int32]int64{}
	// A client of its own: a shared one caches metadata, an unknown topic
	// included.
	cl, err := kgo.NewClient(kgo.SeedBrokers(stack.KafkaBroker))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, err
	}
	var errs []error
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			if !errors.Is(o.Err, kerr.UnknownTopicOrPartition) {
				errs = append(errs, o.Err)
			}
			return
		}
		out[o.Partition] = o.Offset
	})
	if t, ok := ends[topic]; ok && len(t) == 0 {
		return out, nil
	}
	return out, errors.Join(errs...)
}

// readTopic reads every record of topic from the offsets in from (0 for a
// partition not in it) up to the end offsets of now.
func readTopic(t *testing.T, ctx context.Context, topic string, from map[int32]int64) []*kgo.Record {
	t.Helper()
	ends, err := endOffsets(ctx, topic)
	require.NoError(t, err)
	parts := map[int32]kgo.Offset{}
	remaining := 0
	for p, end := range ends {
		if end > from[p] {
			parts[p] = kgo.NewOffset().At(from[p])
			remaining += int(end - from[p])
		}
	}
	if remaining == 0 {
		return nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(stack.KafkaBroker),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts}))
	require.NoError(t, err)
	defer cl.Close()
	var recs []*kgo.Record
	deadline := time.Now().Add(30 * time.Second)
	for remaining > 0 {
		pctx, cancel := context.WithDeadline(ctx, deadline)
		fs := cl.PollFetches(pctx)
		cancel()
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d records not read within 30s", topic, remaining)
		}
		fs.EachError(func(_ string, _ int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Logf("%s: fetch: %v", topic, err)
			}
		})
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset < ends[r.Partition] {
				recs = append(recs, r)
				remaining--
			}
		})
	}
	return recs
}

func headers(r *kgo.Record) map[string]string {
	h := map[string]string{}
	for _, x := range r.Headers {
		h[x.Key] = string(x.Value)
	}
	return h
}

// poisoned is what the test checks of one poison record.
type poisoned struct {
	Key, Handler, CorrelationID string
	ParkedBehind                bool
}

// TestPoisonInput sends two kinds of poison through the pipeline: an
// outbox row whose payload is invalid for its event type, and a record on
// the outbox topic that is not Debezium JSON at all. Each must land on the
// poison topic of every projector that rejects it, with the reason, the
// handler, the original key and the correlation id. The valid events after
// them of the same aggregate are parked behind them (on the poison topic,
// not applied); other aggregates' events, on the same partitions, are
// projected normally. Neither poisoned record can ever apply, so the
// operator drops them (bin/poison drop): the parked events are replayed
// and the read models end as if the poison had never been sent.
func TestPoisonInput(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	began := time.Now()

	// Only what this test adds to the poison topics counts.
	start := map[string]map[int32]int64{}
	for _, svc := range Projectors {
		ends, err := endOffsets(ctx, poisonTopic(svc))
		require.NoError(t, err)
		start[svc] = ends
	}

	ua, ub, act := newUUID(), newUUID(), newUUID()
	keyOf := func(id string) string { return `{"aggregate_id":"` + id + `"}` }
	cidA := "e2e-" + stack.RunID + "-poison-payload-" + newUUID()[:8]
	cidB := "e2e-" + stack.RunID + "-poison-notjson-" + newUUID()[:8]

	// (a) UserCreated without email: decodes, fails validation.
	bad := &Event{ID: newUUID(), AggregateID: ua, AggregateType: "user", Version: 1, Type: "UserCreated",
		Payload: map[string]any{"user_id": ua, "username": "nomail"}, CorrelationID: cidA}
	Insert(t, ctx, bad)
	// The valid events after it, same aggregate (same partition).
	s := &story{}
	add := func(e *Event) *Event {
		e.ID = newUUID()
		e.CorrelationID = "e2e-" + stack.RunID + "-poison-valid-" + newUUID()[:8]
		s.events = append(s.events, e)
		return e
	}
	a2 := add(&Event{AggregateID: ua, AggregateType: "user", Version: 2, Type: "UserCreated",
		Payload: map[string]any{"user_id": ua, "email": "dora@example.org", "username": "dora", "full_name": "Dora D", "city": "Bonn"}})
	Insert(t, ctx, a2)

	// (b) not Debezium JSON at all, keyed like Debezium keys ua's records
	// would be for ub, so it shares the partition of ub's events.
	rec := &kgo.Record{Topic: OutboxTopic, Key: []byte(keyOf(ub)), Value: []byte("this is {not json"),
		Headers: []kgo.RecordHeader{{Key: "correlation_id", Value: []byte(cidB)}}}
	require.NoError(t, kcl.ProduceSync(ctx, rec).FirstErr())
	b1 := add(&Event{AggregateID: ub, AggregateType: "user", Version: 1, Type: "UserCreated",
		Payload: map[string]any{"user_id": ub, "email": "emil@example.org", "username": "emil"}})
	c1 := add(&Event{AggregateID: act, AggregateType: "activity", Version: 1, Type: "ActivityCreated",
		Payload: map[string]any{"activity_id": act, "creator_id": ub, "title": "Climb", "category": "sport",
			"starts_at": "2026-12-03T10:00:00Z"}})
	Insert(t, ctx, b1, c1)

	wantUsers := map[string]any{
		ua: map[string]any{"email": "dora@example.org", "username": "dora", "full_name": "Dora D", "city": "Bonn",
			"status": "active", "created_at": a2.CreatedAt, "updated_at": a2.CreatedAt, "deleted_at": nil, "version": 2},
		ub: map[string]any{"email": "emil@example.org", "username": "emil", "full_name": "", "city": "",
			"status": "active", "created_at": b1.CreatedAt, "updated_at": b1.CreatedAt, "deleted_at": nil, "version": 1},
	}
	wantActivities := map[string]any{
		act: map[string]any{"creator_id": ub, "title": "Climb", "description": "", "category": "sport", "location": "",
			"starts_at": time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), "max_participants": 0, "status": "scheduled",
			"cancelled_at": nil, "created_at": c1.CreatedAt, "updated_at": c1.CreatedAt,
			"participants": []any{}, "participant_count": 0, "version": 1},
	}
	want := map[string]any{"users": wantUsers, "activities": wantActivities, "user_statistics": s.wantUserStatistics()}
	read := func() any {
		return map[string]any{
			"users":           only(Documents(t, ctx, "users", userFields...), wantUsers),
			"activities":      only(Documents(t, ctx, "activities", activityFields...), wantActivities),
			"user_statistics": only(Documents(t, ctx, "user_statistics", userStatFields...), wantUsers),
		}
	}
	// The other aggregate's event is projected; the users' are parked.
	Eventually(t, ctx, 2*time.Minute, wantActivities, func() any {
		return only(Documents(t, ctx, "activities", activityFields...), wantActivities)
	})
	// Every group past everything: whatever would be poisoned or parked
	// has been.
	waitCaughtUp(t, ctx, 90*time.Second)
	assert.Empty(t, only(Documents(t, ctx, "users", userFields...), wantUsers), "no user projected past its poisoned event")

	for _, svc := range Projectors {
		recs := readTopic(t, ctx, poisonTopic(svc), start[svc])
		var got []poisoned
		for _, r := range recs {
			h := headers(r)
			p := poisoned{Key: string(r.Key), Handler: h["handler_poisoned"], CorrelationID: h["correlation_id"], ParkedBehind: h["parked_behind"] != ""}
			got = append(got, p)
			reason := h["reason_poisoned"]
			switch h["correlation_id"] {
			case cidA:
				assert.Contains(t, reason, "payload.email: required", "%s: reason of the invalid payload", svc)
			case cidB:
				assert.Contains(t, reason, "not JSON", "%s: reason of the garbage record", svc)
				assert.Equal(t, "this is {not json", string(r.Value), "%s: poisoned value", svc)
			default:
				assert.Contains(t, reason, "an earlier record of its sequence is poisoned", "%s: reason of a parked event", svc)
			}
			t.Logf("%s: key %s handler %s correlation %s reason %q", poisonTopic(svc), p.Key, p.Handler, p.CorrelationID, reason)
		}
		// The router parks before any handler looks at the event: the
		// activity projector parks b1 too, which it would then ignore.
		want := []poisoned{
			{Key: keyOf(ub), Handler: svc + ".outbox", CorrelationID: cidB},
			{Key: keyOf(ub), Handler: svc + ".outbox", CorrelationID: b1.CorrelationID, ParkedBehind: true},
		}
		if svc != "activity-projector" { // it does not handle user events
			want = append(want, poisoned{Key: keyOf(ua), Handler: svc + ".outbox", CorrelationID: cidA},
				poisoned{Key: keyOf(ua), Handler: svc + ".outbox", CorrelationID: a2.CorrelationID, ParkedBehind: true})
		}
		sortPoisoned(want)
		sortPoisoned(got)
		assert.Equal(t, want, got, "%s: exactly these records", poisonTopic(svc))
	}

	// Neither poisoned record will ever apply: the operator drops them,
	// which replays what was parked behind them.
	tool, err := poison.New([]string{stack.KafkaBroker})
	require.NoError(t, err)
	defer tool.Close()
	entries, err := tool.List(ctx, poison.Filter{Services: Projectors})
	require.NoError(t, err)
	var hopeless []poison.Entry
	for _, e := range entries {
		if e.CorrelationID == cidA || e.CorrelationID == cidB {
			hopeless = append(hopeless, e)
		}
	}
	require.Len(t, hopeless, 5, "cidA in two projectors, cidB in three")
	sent, err := tool.Drop(ctx, hopeless)
	require.NoError(t, err)
	dropped := 0
	for _, d := range sent {
		if d.Dropped {
			dropped++
		}
	}
	assert.Equal(t, 5, dropped)
	assert.Len(t, sent, 5+5, "each dropped record, then the event parked behind it")
	Eventually(t, ctx, 2*time.Minute, want, read)
	left, err := tool.List(ctx, poison.Filter{Services: Projectors})
	require.NoError(t, err)
	for _, e := range left {
		assert.NotContains(t, []string{cidA, cidB, a2.CorrelationID, b1.CorrelationID}, e.CorrelationID, "%s is dealt with", e.ID)
	}
	t.Logf("poison scenario in %v", time.Since(began).Round(100*time.Millisecond))
}

func sortPoisoned(p []poisoned) {
	sort.Slice(p, func(i, j int) bool { return fmt.Sprint(p[i]) < fmt.Sprint(p[j]) })
}
