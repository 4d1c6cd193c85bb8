package debeziumtest_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/debezium"
	"github.com/activityapp/event-processor/shared/debezium/debeziumtest"
	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/outbox"
)

// The envelope must decode back to the event it was made from.
func TestEnvelopeRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 15, 30, 118204000, time.UTC)
	ev := outbox.Event{
		EventID: "0f8fad5b-d9cb-469f-a165-70867728950e", AggregateID: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
		AggregateType: "user", AggregateVersion: 3, EventType: "UserUpdated", SchemaVersion: 1,
		Payload:   json.RawMessage(`{"city":"Paris","user_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7"}`),
		Metadata:  outbox.Metadata{CorrelationID: "corr-1", CausationID: "cause-1"},
		CreatedAt: at,
		Source: outbox.Source{
			Schema: "activity", Table: "event_outbox", LSN: 24023176, TxID: 771, CommitTime: at.Add(5 * time.Millisecond),
		},
	}
	dec, err := debezium.NewDecoder(debezium.DecoderConfig{})
	require.NoError(t, err)
	res, err := dec.Decode(kafka.Record{Topic: "postgres.activity.event_outbox", Key: debeziumtest.Key(ev), Value: debeziumtest.Envelope(ev)})
	require.NoError(t, err)
	require.Empty(t, res.Skip)
	require.Equal(t, ev, res.Event)
}
