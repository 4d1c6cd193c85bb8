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
	"github.com/activityapp/event-processor/shared/middleware"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

var at = time.Date(2026, 11, 27, 10, 15, 30, 123000000, time.UTC)

func userContribution(eventID, userID string, created, joined, left int64, last time.Time) stats.Contribution {
	return stats.Contribution{
		EventID: eventID, Collection: stats.UserStatistics, DocID: userID,
		Inc: map[string]int64{
			stats.ActivitiesCreated: created, stats.ActivitiesJoined: joined, stats.ActivitiesLeft: left,
		},
		Max:      map[string]time.Time{stats.LastActivityAt: last},
		Identity: map[string]string{"user_id": userID},
	}
}

func dailyContribution(eventID, day, eventType string) stats.Contribution {
	return stats.Contribution{
		EventID: eventID, Collection: stats.DailyStatistics, DocID: day + "/" + eventType,
		Inc:      map[string]int64{stats.Count: 1},
		Identity: map[string]string{"day": day, "event_type": eventType},
	}
}

func TestContributionRoundTrip(t *testing.T) {
	for _, c := range []stats.Contribution{
		userContribution("e1", "u1", 1, 0, 0, at),
		dailyContribution("e2", "2026-11-27", "ActivityCancelled"),
	} {
		payload, err := adapters.MarshalContribution(c)
		require.NoError(t, err)
		got, err := adapters.UnmarshalContribution(payload)
		require.NoError(t, err)
		assert.Equal(t, c, got)

		var wire map[string]any
		require.NoError(t, json.Unmarshal(payload, &wire))
		assert.EqualValues(t, 1, wire["schema_version"])
		assert.Equal(t, c.EventID, wire["event_id"])
		assert.Equal(t, c.Collection, wire["collection"])
		assert.Equal(t, c.DocID, wire["doc_id"])
	}
}

// The message documented in docs/events.md is what the writer reads.
func TestUnmarshalDocumentedMessage(t *testing.T) {
	const doc = `{"schema_version":1,"event_id":"e1","collection":"user_statistics","doc_id":"u1",
 "inc":{"activities_created":1,"activities_joined":0,"activities_left":0},
 "max":{"last_activity_at":"2026-11-27T10:15:30.123Z"},"identity":{"user_id":"u1"}}`
	got, err := adapters.UnmarshalContribution([]byte(doc))
	require.NoError(t, err)
	assert.Equal(t, userContribution("e1", "u1", 1, 0, 0, at), got)

	payload, err := adapters.MarshalContribution(got)
	require.NoError(t, err)
	assert.JSONEq(t, doc, string(payload))
}

func TestUnmarshalContributionErrors(t *testing.T) {
	tests := map[string]struct {
		payload string
		want    string
	}{
		"not JSON":              {`{"schema_version":1,`, "not JSON"},
		"empty":                 {``, "not JSON"},
		"wrong type":            {`{"schema_version":1,"event_id":"e1","collection":"user_statistics","doc_id":"u1","inc":{"count":"one"}}`, "not JSON"},
		"schema version 2":      {`{"schema_version":2,"event_id":"e1","collection":"user_statistics","doc_id":"u1","inc":{}}`, "schema_version"},
		"schema version absent": {`{"event_id":"e1","collection":"user_statistics","doc_id":"u1","inc":{}}`, "schema_version"},
		"empty object":          {`{}`, "schema_version"},
		"only a schema version": {`{"schema_version":1}`, "event_id"},
		"unknown collection":    {`{"schema_version":1,"event_id":"e1","collection":"users","doc_id":"u1","inc":{}}`, "collection"},
		"no collection":         {`{"schema_version":1,"event_id":"e1","doc_id":"u1","inc":{}}`, "collection"},
		"missing doc_id":        {`{"schema_version":1,"event_id":"e1","collection":"daily_statistics","inc":{"count":1}}`, "doc_id"},
		"missing event_id":      {`{"schema_version":1,"collection":"daily_statistics","doc_id":"2026-11-27/UserCreated","inc":{"count":1}}`, "event_id"},
		// Fields the ledger cannot write: every attempt would fail, and a
		// pending ledger entry would block the document for good.
		"_seq as a counter":     {`{"schema_version":1,"event_id":"e1","collection":"daily_statistics","doc_id":"d","inc":{"_seq":1}}`, "inc._seq"},
		"operator as a counter": {`{"schema_version":1,"event_id":"e1","collection":"daily_statistics","doc_id":"d","inc":{"$x":1}}`, "inc.$x"},
		"unknown counter":       {`{"schema_version":1,"event_id":"e1","collection":"user_statistics","doc_id":"u1","inc":{"logins":1}}`, "inc.logins"},
		"identity _id":          {`{"schema_version":1,"event_id":"e1","collection":"daily_statistics","doc_id":"d","inc":{"count":1},"identity":{"_id":"x"}}`, "identity._id"},
		"identity on a counter": {`{"schema_version":1,"event_id":"e1","collection":"daily_statistics","doc_id":"d","inc":{"count":1},"identity":{"count":"x"}}`, "identity.count"},
		"time of a daily doc":   {`{"schema_version":1,"event_id":"e1","collection":"daily_statistics","doc_id":"d","inc":{"count":1},"max":{"last_activity_at":"2026-11-27T10:15:30.123Z"}}`, "max.last_activity_at"},
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
	topics []string
	msgs   []*message.Message
	err    error
}

func (p *fakePublisher) Publish(topic string, msgs ...*message.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
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

func TestContributionPublisherKeysByDocument(t *testing.T) {
	fake := &fakePublisher{}
	pub := adapters.NewContributionPublisher(fake, adapters.Config{IncrementsTopic: "stats.inc"})
	cs := []stats.Contribution{
		dailyContribution("e1", "2026-11-27", "UserCreated"),
		userContribution("e1", "u1", 0, 0, 0, at),
	}
	require.NoError(t, pub.Publish(context.Background(), "corr-1", cs...))

	require.Len(t, fake.msgs, 2)
	for i, m := range fake.msgs {
		assert.Equal(t, "stats.inc", fake.topics[i])
		assert.Equal(t, cs[i].ID(), m.UUID, "the message id is the contribution's identity")
		assert.Equal(t, cs[i].Key(), m.Metadata.Get(kafka.MetadataKey), "the Kafka key is the document")
		assert.Equal(t, "corr-1", m.Metadata.Get(middleware.CorrelationIDKey))
		got, err := adapters.UnmarshalContribution(m.Payload)
		require.NoError(t, err)
		assert.Equal(t, cs[i], got)
	}

	// No correlation id: no metadata entry.
	fake.msgs, fake.topics = nil, nil
	require.NoError(t, pub.Publish(context.Background(), "", cs[0]))
	require.Len(t, fake.msgs, 1)
	_, ok := fake.msgs[0].Metadata[middleware.CorrelationIDKey]
	assert.False(t, ok)
}

// A failing publish is a transient error: the event is retried, not poisoned.
func TestContributionPublisherErrorIsTransient(t *testing.T) {
	broken := errors.New("kafka: broker down")
	pub := adapters.NewContributionPublisher(&fakePublisher{err: broken}, adapters.Config{IncrementsTopic: "stats.inc"})
	err := pub.Publish(context.Background(), "", dailyContribution("e1", "2026-11-27", "UserCreated"))
	require.ErrorIs(t, err, broken)
	assert.False(t, fault.IsPermanent(err))
	assert.Contains(t, err.Error(), "stats.inc")
}
