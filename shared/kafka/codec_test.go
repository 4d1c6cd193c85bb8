package kafka_test

import (
	"testing"

	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/kafka"
)

func TestMarshal(t *testing.T) {
	msg := message.NewMessage("uuid-1", []byte(`{"x":1}`))
	msg.Metadata = message.Metadata{
		kafka.MetadataKey:       "agg-123",
		"correlation_id":        "corr-1",
		"reason_poisoned":       "debezium: value: not JSON",
		wkafka.UUIDHeaderKey:    "stale-uuid", // DefaultMarshaler refuses this; we must not
		kafka.MetadataTopic:     "postgres.activity.event_outbox",
		kafka.MetadataOffset:    "42",
		kafka.MetadataNullValue: "",
	}
	pm, err := kafka.Marshaler{}.Marshal("svc.poison", msg)
	require.NoError(t, err)
	assert.Equal(t, "svc.poison", pm.Topic)
	require.NotNil(t, pm.Key)
	key, err := pm.Key.Encode()
	require.NoError(t, err)
	assert.Equal(t, "agg-123", string(key))
	value, err := pm.Value.Encode()
	require.NoError(t, err)
	assert.Equal(t, `{"x":1}`, string(value))

	headers := map[string][]string{}
	for _, h := range pm.Headers {
		headers[string(h.Key)] = append(headers[string(h.Key)], string(h.Value))
	}
	assert.Equal(t, map[string][]string{
		wkafka.UUIDHeaderKey: {"uuid-1"},
		"correlation_id":     {"corr-1"},
		"reason_poisoned":    {"debezium: value: not JSON"},
		kafka.MetadataTopic:  {"postgres.activity.event_outbox"},
		kafka.MetadataOffset: {"42"},
	}, headers, "the key is the record key, not a header; one UUID header")
}

func TestMarshalNullAndEmptyValues(t *testing.T) {
	tombstone := message.NewMessage("u", nil)
	tombstone.Metadata.Set(kafka.MetadataNullValue, "true")
	pm, err := kafka.Marshaler{}.Marshal("t", tombstone)
	require.NoError(t, err)
	assert.Nil(t, pm.Value, "a tombstone stays a tombstone")
	assert.Nil(t, pm.Key, "no key metadata, no key")

	for name, payload := range map[string]message.Payload{"empty": {}, "nil": nil} {
		t.Run(name, func(t *testing.T) {
			msg := message.NewMessage("u", payload)
			pm, err := kafka.Marshaler{}.Marshal("t", msg)
			require.NoError(t, err)
			require.NotNil(t, pm.Value)
			v, err := pm.Value.Encode()
			require.NoError(t, err)
			// sarama writes a nil value as null: a tombstone that log
			// compaction would turn into a delete of the key.
			assert.NotNil(t, v, "a value not marked null must not become a tombstone")
			assert.Empty(t, v)
		})
	}
}
