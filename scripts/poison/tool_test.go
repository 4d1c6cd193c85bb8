package poison_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/scripts/poison"
	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/router"
	"github.com/activityapp/event-processor/testkit/kafkatest"
)

const outboxTopic = "postgres.activity.event_outbox"

// poisonRecords publishes records to their poison topics as a projector's
// router does: router.PoisonMessage through the service's publisher.
func poisonRecords(t *testing.T, c *kafkatest.Cluster, poisonTopic, handler string, recs ...kafka.Record) {
	t.Helper()
	pub, err := kafka.NewPublisher(t.Context(), kafka.PublisherConfig{Brokers: c.Brokers()}, watermill.NopLogger{})
	require.NoError(t, err)
	defer func() { _ = pub.Close() }()
	for _, rec := range recs {
		msg := router.PoisonMessage(handler, rec, rec.Headers[outbox.CorrelationIDKey], rec.Headers["test_event_id"], "UserCreated",
			errors.New("invalid event payload: UserCreated e1: schema_version: unsupported version 2 (this build reads 1)"))
		require.NoError(t, pub.Publish(poisonTopic, msg))
	}
}

func TestListShowsEntriesAndReplaySendsThemBackForTheirServiceOnly(t *testing.T) {
	t.Parallel()
	c := kafkatest.Start(t, 3, outboxTopic, "user-projector.poison", "activity-projector.poison")
	poisonRecords(t, c, "user-projector.poison", "user-projector.outbox",
		kafka.Record{Topic: outboxTopic, Partition: 2, Offset: 40, Key: []byte("agg-1"), Value: []byte(`{"payload":1}`),
			Headers: map[string]string{outbox.CorrelationIDKey: "corr-1", "test_event_id": "e1", "traceparent": "00-abc"}},
		kafka.Record{Topic: outboxTopic, Partition: 1, Offset: 7, Key: []byte("agg-2"), Value: nil, // a tombstone
			Headers: map[string]string{"test_event_id": "e2"}},
	)
	poisonRecords(t, c, "activity-projector.poison", "activity-projector.outbox",
		kafka.Record{Topic: outboxTopic, Partition: 0, Offset: 3, Key: []byte("agg-3"), Value: []byte(`{"payload":3}`),
			Headers: map[string]string{"test_event_id": "e3"}})

	tool, err := poison.New(c.Brokers())
	require.NoError(t, err)
	defer tool.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	all, err := tool.List(ctx, poison.Filter{})
	require.NoError(t, err)
	require.Len(t, all, 3)
	byEvent := map[string]poison.Entry{}
	for _, e := range all {
		byEvent[e.EventID] = e
	}
	e1 := byEvent["e1"]
	assert.Equal(t, "user-projector", e1.Service)
	assert.Equal(t, "user-projector.outbox", e1.Handler)
	assert.Equal(t, "UserCreated", e1.EventType)
	assert.Equal(t, "corr-1", e1.CorrelationID)
	assert.Contains(t, e1.Reason, "unsupported version 2")
	assert.Equal(t, poison.Position{Topic: outboxTopic, Partition: 2, Offset: 40}, e1.From)
	assert.Equal(t, []byte("agg-1"), e1.Key)
	assert.Equal(t, []byte(`{"payload":1}`), e1.Value)
	assert.Nil(t, byEvent["e2"].Value, "a tombstone stays one")
	assert.Equal(t, e1.ID, e1.At.String())
	assert.WithinDuration(t, time.Now(), e1.Time, time.Minute)
	assert.Nil(t, e1.Replayed)

	only, err := tool.List(ctx, poison.Filter{Services: []string{"activity-projector"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"e3"}, eventIDs(only))
	byReason, err := tool.List(ctx, poison.Filter{Reason: "unsupported version 2", IDs: []string{"e2", e1.ID}})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"e1", "e2"}, eventIDs(byReason), "by event id or entry ID")

	done, err := tool.Replay(ctx, []poison.Entry{e1, byEvent["e2"]})
	require.NoError(t, err)
	require.Len(t, done, 2)
	back := c.Consume(t, outboxTopic, 2, 10*time.Second)
	require.Len(t, back, 2)
	headers := func(i int) map[string]string {
		m := map[string]string{}
		for _, h := range back[i].Headers {
			m[h.Key] = string(h.Value)
		}
		return m
	}
	for i, r := range back {
		h := headers(i)
		switch string(r.Key) {
		case "agg-1":
			assert.Equal(t, []byte(`{"payload":1}`), r.Value)
			assert.Equal(t, map[string]string{
				router.ReplayOfKey: e1.ID, router.ReplayForKey: "user-projector", router.OriginKey: outboxTopic + "/2/40",
				outbox.CorrelationIDKey: "corr-1", outbox.EventIDKey: "e1", outbox.EventTypeKey: "UserCreated",
				"test_event_id": "e1", "traceparent": "00-abc",
			}, h, "the record's own headers, none of the poison ones")
		case "agg-2":
			assert.Nil(t, r.Value, "a tombstone stays one")
			assert.Equal(t, "user-projector", h[router.ReplayForKey])
		default:
			t.Errorf("unexpected record %q", r.Key)
		}
	}

	left, err := tool.List(ctx, poison.Filter{})
	require.NoError(t, err)
	assert.Equal(t, []string{"e3"}, eventIDs(left), "replayed entries are hidden")
	withReplayed, err := tool.List(ctx, poison.Filter{Replayed: true, Services: []string{"user-projector"}})
	require.NoError(t, err)
	require.Len(t, withReplayed, 2)
	for _, e := range withReplayed {
		require.NotNil(t, e.Replayed, e.ID)
		assert.Equal(t, outboxTopic, e.Replayed.To.Topic)
		assert.WithinDuration(t, time.Now(), e.Replayed.At, time.Minute)
	}
}

func TestListWithoutPoisonTopics(t *testing.T) {
	t.Parallel()
	c := kafkatest.Start(t, 1, outboxTopic)
	tool, err := poison.New(c.Brokers())
	require.NoError(t, err)
	defer tool.Close()
	entries, err := tool.List(t.Context(), poison.Filter{})
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestParsePosition(t *testing.T) {
	t.Parallel()
	p, ok := poison.ParsePosition("user-projector.poison/3/17")
	require.True(t, ok)
	assert.Equal(t, poison.Position{Topic: "user-projector.poison", Partition: 3, Offset: 17}, p)
	p, ok = poison.ParsePosition("a/b/1/2")
	require.True(t, ok)
	assert.Equal(t, "a/b", p.Topic)
	for _, bad := range []string{"", "x", "t/1", "/1/2", "t/x/2", "t/1/y", "t/-1/2"} {
		_, ok := poison.ParsePosition(bad)
		assert.False(t, ok, bad)
	}
}

func eventIDs(es []poison.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.EventID
	}
	return out
}

// Entries superseded by a rebuild are hidden as replayed ones, and say so.
func TestSupersedeHidesEntries(t *testing.T) {
	t.Parallel()
	c := kafkatest.Start(t, 1, outboxTopic, "user-projector.poison")
	poisonRecords(t, c, "user-projector.poison", "user-projector.outbox",
		kafka.Record{Topic: outboxTopic, Key: []byte("a"), Value: []byte(`{}`), Headers: map[string]string{"test_event_id": "e1"}},
		kafka.Record{Topic: outboxTopic, Offset: 1, Key: []byte("b"), Value: []byte(`{}`), Headers: map[string]string{"test_event_id": "e2"}})
	tool, err := poison.New(c.Brokers())
	require.NoError(t, err)
	defer tool.Close()
	all, err := tool.List(t.Context(), poison.Filter{})
	require.NoError(t, err)
	require.Len(t, all, 2)

	require.NoError(t, tool.Supersede(t.Context(), all[:1], "user-projector.rebuild_r1"))
	left, err := tool.List(t.Context(), poison.Filter{})
	require.NoError(t, err)
	assert.Equal(t, []string{all[1].EventID}, eventIDs(left))
	shown, err := tool.List(t.Context(), poison.Filter{Replayed: true, IDs: []string{all[0].ID}})
	require.NoError(t, err)
	require.Len(t, shown, 1)
	require.NotNil(t, shown[0].Replayed)
	assert.Equal(t, "user-projector.rebuild_r1", shown[0].Replayed.SupersededBy)
}

// Replaying a poisoned event replays the events parked behind it, in the
// order they were first read, back to back on their partition; a second
// copy of one event is replayed once and hidden with it; other aggregates
// and services are left alone.
func TestReplayTakesTheWholeSequence(t *testing.T) {
	t.Parallel()
	c := kafkatest.Start(t, 1, outboxTopic, "user-projector.poison", "activity-projector.poison")
	rec := func(offset int64, key, event string) kafka.Record {
		return kafka.Record{Topic: outboxTopic, Offset: offset, Key: []byte(key), Value: []byte(`{"e":"` + event + `"}`),
			Headers: map[string]string{"test_event_id": event}}
	}
	blocker := outboxTopic + "/0/10"
	parked := func(r kafka.Record) kafka.Record {
		r.Headers[router.ParkedBehindKey] = blocker
		return r
	}
	// Parked ones come first on the poison topic here, to show that the
	// order is where the events were first read, not where their entries
	// are.
	poisonRecords(t, c, "user-projector.poison", "user-projector.outbox",
		parked(rec(14, "a", "a3")), parked(rec(12, "a", "a2")), rec(10, "a", "a1"), rec(11, "b", "b1"), parked(rec(14, "a", "a3")))
	poisonRecords(t, c, "activity-projector.poison", "activity-projector.outbox", rec(10, "a", "a1"))

	tool, err := poison.New(c.Brokers())
	require.NoError(t, err)
	defer tool.Close()
	all, err := tool.List(t.Context(), poison.Filter{Services: []string{"user-projector"}})
	require.NoError(t, err)
	require.Len(t, all, 5)
	first, err := tool.List(t.Context(), poison.Filter{Services: []string{"user-projector"}, IDs: []string{"a1"}})
	require.NoError(t, err)
	require.Len(t, first, 1)
	assert.Equal(t, blocker, first[0].Origin)

	done, err := tool.Replay(t.Context(), first)
	require.NoError(t, err)
	var replayed []string
	for _, d := range done {
		replayed = append(replayed, d.Entry.EventID)
	}
	assert.Equal(t, []string{"a1", "a2", "a3"}, replayed)
	require.Len(t, done[2].Covered, 1, "the second copy of a3")
	for i := 1; i < len(done); i++ {
		assert.Equal(t, done[i-1].To.Offset+1, done[i].To.Offset, "back to back")
	}
	back := c.Consume(t, outboxTopic, 3, 10*time.Second)
	for i, r := range back {
		h := map[string]string{}
		for _, kv := range r.Headers {
			h[kv.Key] = string(kv.Value)
		}
		assert.Equal(t, done[i].Entry.Origin, h[router.OriginKey])
		assert.Empty(t, h[router.ParkedBehindKey], "a replayed record is not parked")
	}

	left, err := tool.List(t.Context(), poison.Filter{})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"b1", "a1"}, eventIDs(left), "b's entry, and the activity projector's a1")
}

func TestSequencesWithoutKeysOrPending(t *testing.T) {
	t.Parallel()
	e := poison.Entry{ID: "p/0/1", Service: "s", Origin: "t/0/5"}
	got := poison.Sequences([]poison.Entry{e}, []poison.Entry{{ID: "p/0/2", Service: "s", Origin: "t/0/6"}})
	require.Len(t, got, 1, "a record without a key is a sequence of its own")
	assert.Equal(t, e.ID, got[0].Entry.ID)
	assert.Empty(t, poison.Sequences(nil, []poison.Entry{e}))
}

// Dropping a poisoned event writes a drop record for it, without its
// value, then replays the events parked behind it; both are hidden, the
// dropped one noted as such.
func TestDropReleasesTheRest(t *testing.T) {
	t.Parallel()
	c := kafkatest.Start(t, 1, outboxTopic, "user-projector.poison")
	first := kafka.Record{Topic: outboxTopic, Offset: 3, Key: []byte("a"), Value: []byte(`{"bad":true}`),
		Headers: map[string]string{"test_event_id": "a1", outbox.CorrelationIDKey: "corr-a1"}}
	second := kafka.Record{Topic: outboxTopic, Offset: 4, Key: []byte("a"), Value: []byte(`{"good":true}`),
		Headers: map[string]string{"test_event_id": "a2", router.ParkedBehindKey: outboxTopic + "/0/3"}}
	poisonRecords(t, c, "user-projector.poison", "user-projector.outbox", first, second)
	tool, err := poison.New(c.Brokers())
	require.NoError(t, err)
	defer tool.Close()
	bad, err := tool.List(t.Context(), poison.Filter{IDs: []string{"a1"}})
	require.NoError(t, err)
	require.Len(t, bad, 1)

	done, err := tool.Drop(t.Context(), bad)
	require.NoError(t, err)
	require.Len(t, done, 2)
	assert.True(t, done[0].Dropped)
	assert.False(t, done[1].Dropped)
	back := c.Consume(t, outboxTopic, 2, 10*time.Second)
	require.Len(t, back, 2)
	assert.Nil(t, back[0].Value, "a drop record carries no event")
	h := map[string]string{}
	for _, kv := range back[0].Headers {
		h[kv.Key] = string(kv.Value)
	}
	assert.Equal(t, map[string]string{router.ReplayOfKey: bad[0].ID, router.ReplayForKey: "user-projector", router.DropKey: outboxTopic + "/0/3"}, h)
	assert.Equal(t, []byte(`{"good":true}`), back[1].Value)

	left, err := tool.List(t.Context(), poison.Filter{})
	require.NoError(t, err)
	assert.Empty(t, left)
	shown, err := tool.List(t.Context(), poison.Filter{Replayed: true, IDs: []string{"a1"}})
	require.NoError(t, err)
	require.Len(t, shown, 1)
	require.NotNil(t, shown[0].Replayed)
	assert.True(t, shown[0].Replayed.Dropped)
}
