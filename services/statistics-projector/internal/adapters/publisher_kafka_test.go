package adapters_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/outbox"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

var at = time.Date(2026, 11, 27, 10, 15, 30, 123000000, time.UTC)

// userContribution is the contribution of event eventID, read at offset
// of outbox partition 0, to user userID's statistics.
func userContribution(eventID, userID string, offset int64, created, joined, left int64, last time.Time) stats.Contribution {
	return stats.Contribution{
		EventID: eventID, Collection: stats.UserStatistics, DocID: userID,
		Inc: map[string]int64{
			stats.ActivitiesCreated: created, stats.ActivitiesJoined: joined, stats.ActivitiesLeft: left,
		},
		Max:      map[string]time.Time{stats.LastActivityAt: last},
		Identity: map[string]string{"user_id": userID},
		Source:   outbox.Position{Offset: offset},
	}
}

// dailyContribution is the contribution of event eventID, read at offset
// of outbox partition 0, to the count of eventType on day.
func dailyContribution(eventID, day, eventType string, offset int64) stats.Contribution {
	return stats.Contribution{
		EventID: eventID, Collection: stats.DailyStatistics, DocID: day + "/" + eventType,
		Inc:      map[string]int64{stats.Count: 1},
		Identity: map[string]string{"day": day, "event_type": eventType},
		Source:   outbox.Position{Offset: offset},
	}
}

// on is c read from offset of partition.
func on(c stats.Contribution, partition int32, offset int64) stats.Contribution {
	c.Source = outbox.Position{Partition: partition, Offset: offset}
	return c
}

func TestContributionRoundTrip(t *testing.T) {
	committed := time.Date(2026, 11, 27, 10, 15, 31, 0, time.UTC)
	for _, c := range []stats.Contribution{
		userContribution("e1", "u1", 7, 1, 0, 0, at),
		on(dailyContribution("e2", "2026-11-27", "ActivityCancelled", 0), 11, 1<<40),
		func() stats.Contribution {
			c := dailyContribution("e3", "2026-11-27", "UserCreated", 3)
			c.CommittedAt = committed
			return c
		}(),
	} {
		payload, err := adapters.MarshalContribution(c)
		require.NoError(t, err)
		got, err := adapters.UnmarshalContribution(payload)
		require.NoError(t, err)
		assert.Equal(t, c, got)

		var wire map[string]any
		require.NoError(t, json.Unmarshal(payload, &wire))
		assert.EqualValues(t, 2, wire["schema_version"])
		assert.Equal(t, c.EventID, wire["event_id"])
		assert.Equal(t, c.Collection, wire["collection"])
		assert.Equal(t, c.DocID, wire["doc_id"])
		assert.Equal(t, map[string]any{"partition": float64(c.Source.Partition), "offset": float64(c.Source.Offset)},
			wire["source"], "the watermark position travels with the contribution")
	}
}

// The correlation id travels as a header, never in the payload.
func TestMarshalContributionLeavesTheCorrelationIDOut(t *testing.T) {
	c := dailyContribution("e1", "2026-11-27", "UserCreated", 1)
	c.CorrelationID = "corr-secret-shape"
	payload, err := adapters.MarshalContribution(c)
	require.NoError(t, err)
	assert.NotContains(t, string(payload), "corr-secret-shape")
	got, err := adapters.UnmarshalContribution(payload)
	require.NoError(t, err)
	assert.Empty(t, got.CorrelationID)
	got.CorrelationID = c.CorrelationID
	assert.Equal(t, c, got)
}

// The message the writer reads, field for field (docs/events.md documents
// it; version 2 added source).
func TestUnmarshalDocumentedMessage(t *testing.T) {
	const doc = `{"schema_version":2,"event_id":"e1","collection":"user_statistics","doc_id":"u1",
 "inc":{"activities_created":1,"activities_joined":0,"activities_left":0},
 "max":{"last_activity_at":"2026-11-27T10:15:30.123Z"},"identity":{"user_id":"u1"},
 "committed_at":"2026-11-27T10:15:31Z","source":{"partition":3,"offset":42}}`
	got, err := adapters.UnmarshalContribution([]byte(doc))
	require.NoError(t, err)
	want := on(userContribution("e1", "u1", 0, 1, 0, 0, at), 3, 42)
	want.CommittedAt = time.Date(2026, 11, 27, 10, 15, 31, 0, time.UTC)
	assert.Equal(t, want, got)

	payload, err := adapters.MarshalContribution(got)
	require.NoError(t, err)
	assert.JSONEq(t, doc, string(payload))
}

func TestUnmarshalContributionErrors(t *testing.T) {
	tests := map[string]struct {
		payload string
		want    string
	}{
		"not JSON":              {`{"schema_version":2,`, "not JSON"},
		"empty":                 {``, "not JSON"},
		"wrong type":            {`{"schema_version":2,"event_id":"e1","collection":"user_statistics","doc_id":"u1","inc":{"count":"one"}}`, "not JSON"},
		"source not an object":  {`{"schema_version":2,"event_id":"e1","collection":"daily_statistics","doc_id":"d","inc":{"count":1},"source":5}`, "not JSON"},
		"schema version 1":      {`{"schema_version":1,"event_id":"e1","collection":"user_statistics","doc_id":"u1","inc":{}}`, "schema_version: unsupported version 1"},
		"schema version 3":      {`{"schema_version":3,"event_id":"e1","collection":"user_statistics","doc_id":"u1","inc":{}}`, "schema_version: unsupported version 3"},
		"schema version absent": {`{"event_id":"e1","collection":"user_statistics","doc_id":"u1","inc":{}}`, "schema_version"},
		"empty object":          {`{}`, "schema_version"},
		"only a schema version": {`{"schema_version":2}`, "event_id"},
		"unknown collection":    {`{"schema_version":2,"event_id":"e1","collection":"users","doc_id":"u1","inc":{}}`, "collection"},
		"no collection":         {`{"schema_version":2,"event_id":"e1","doc_id":"u1","inc":{}}`, "collection"},
		"missing doc_id":        {`{"schema_version":2,"event_id":"e1","collection":"daily_statistics","inc":{"count":1}}`, "doc_id"},
		"missing event_id":      {`{"schema_version":2,"collection":"daily_statistics","doc_id":"2026-11-27/UserCreated","inc":{"count":1}}`, "event_id"},
		"negative partition":    {`{"schema_version":2,"event_id":"e1","collection":"daily_statistics","doc_id":"d","inc":{"count":1},"source":{"partition":-1,"offset":3}}`, "source"},
		"negative offset":       {`{"schema_version":2,"event_id":"e1","collection":"daily_statistics","doc_id":"d","inc":{"count":1},"source":{"partition":0,"offset":-1}}`, "source"},
		// Fields a contribution must not write: the document's own
		// bookkeeping, operators, another collection's fields.
		"_sources as a counter": {`{"schema_version":2,"event_id":"e1","collection":"daily_statistics","doc_id":"d","inc":{"_sources":1}}`, "inc._sources"},
		"_rev as a counter":     {`{"schema_version":2,"event_id":"e1","collection":"daily_statistics","doc_id":"d","inc":{"_rev":1}}`, "inc._rev"},
		"operator as a counter": {`{"schema_version":2,"event_id":"e1","collection":"daily_statistics","doc_id":"d","inc":{"$x":1}}`, "inc.$x"},
		"unknown counter":       {`{"schema_version":2,"event_id":"e1","collection":"user_statistics","doc_id":"u1","inc":{"logins":1}}`, "inc.logins"},
		"identity _id":          {`{"schema_version":2,"event_id":"e1","collection":"daily_statistics","doc_id":"d","inc":{"count":1},"identity":{"_id":"x"}}`, "identity._id"},
		"identity on a counter": {`{"schema_version":2,"event_id":"e1","collection":"daily_statistics","doc_id":"d","inc":{"count":1},"identity":{"count":"x"}}`, "identity.count"},
		"time of a daily doc":   {`{"schema_version":2,"event_id":"e1","collection":"daily_statistics","doc_id":"d","inc":{"count":1},"max":{"last_activity_at":"2026-11-27T10:15:30.123Z"}}`, "max.last_activity_at"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := adapters.UnmarshalContribution([]byte(tt.payload))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// fakePublisher records what is published and can fail.
type fakePublisher struct {
	mu     sync.Mutex
	calls  int
	topics []string
	msgs   []*message.Message
	err    error
}

func (p *fakePublisher) Publish(topic string, msgs ...*message.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.err != nil {
		return p.err
	}
	for _, m := range msgs {
		p.topics = append(p.topics, topic)
		p.msgs = append(p.msgs, m)
	}
	return nil
}

func (p *fakePublisher) Close() error { return nil }

// Every contribution is one message, in order, in one publish: keyed by
// its document, identified by the contribution, with its own event's
// correlation id as a header (none when the event had none).
func TestContributionPublisherKeysByDocument(t *testing.T) {
	fake := &fakePublisher{}
	pub := adapters.NewContributionPublisher(fake, adapters.Config{IncrementsTopic: "stats.inc"})
	cs := []stats.Contribution{
		dailyContribution("e1", "2026-11-27", "UserCreated", 1),
		userContribution("e1", "u1", 1, 0, 0, 0, at),
		dailyContribution("e2", "2026-11-27", "UserCreated", 2),
	}
	cs[0].CorrelationID, cs[1].CorrelationID = "corr-1", "corr-1"
	// cs[2]'s event had no correlation id.
	require.NoError(t, pub.Publish(context.Background(), cs...))

	assert.Equal(t, 1, fake.calls, "one publish for the batch")
	require.Len(t, fake.msgs, 3)
	for i, m := range fake.msgs {
		assert.Equal(t, "stats.inc", fake.topics[i])
		assert.Equal(t, cs[i].ID(), m.UUID, "the message id is the contribution's identity")
		assert.Equal(t, cs[i].Key(), m.Metadata.Get(kafka.MetadataKey), "the Kafka key is the document")
		got, err := adapters.UnmarshalContribution(m.Payload)
		require.NoError(t, err)
		got.CorrelationID = m.Metadata.Get(outbox.CorrelationIDKey)
		assert.Equal(t, cs[i], got)
	}
	assert.Equal(t, "corr-1", fake.msgs[0].Metadata.Get(outbox.CorrelationIDKey))
	assert.Equal(t, "corr-1", fake.msgs[1].Metadata.Get(outbox.CorrelationIDKey))
	_, ok := fake.msgs[2].Metadata[outbox.CorrelationIDKey]
	assert.False(t, ok, "no correlation id: no header")

	// Contributions of events with different correlation ids, in one
	// publish, keep their own.
	fake.msgs, fake.topics = nil, nil
	a, b := cs[0], cs[2]
	a.CorrelationID, b.CorrelationID = "corr-a", "corr-b"
	require.NoError(t, pub.Publish(context.Background(), a, b))
	require.Len(t, fake.msgs, 2)
	assert.Equal(t, "corr-a", fake.msgs[0].Metadata.Get(outbox.CorrelationIDKey))
	assert.Equal(t, "corr-b", fake.msgs[1].Metadata.Get(outbox.CorrelationIDKey))

	// Nothing to publish: no call at all.
	calls := fake.calls
	require.NoError(t, pub.Publish(context.Background()))
	assert.Equal(t, calls, fake.calls)
}

// A failing publish is a transient error: the event is retried, not poisoned.
func TestContributionPublisherErrorIsTransient(t *testing.T) {
	broken := errors.New("kafka: broker down")
	pub := adapters.NewContributionPublisher(&fakePublisher{err: broken}, adapters.Config{IncrementsTopic: "stats.inc"})
	err := pub.Publish(context.Background(), dailyContribution("e1", "2026-11-27", "UserCreated", 1))
	require.ErrorIs(t, err, broken)
	assert.False(t, fault.IsPermanent(err))
	assert.Contains(t, err.Error(), "stats.inc")
}
