package kafka_test

import (
	"testing"
	"time"

	"github.com/IBM/sarama"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/kafka"
)

func consumerMessage(key, value []byte, headers ...string) *sarama.ConsumerMessage {
	rec := &sarama.ConsumerMessage{
		Topic:     "postgres.activity.event_outbox",
		Partition: 7,
		Offset:    12345,
		Key:       key,
		Value:     value,
		Timestamp: time.Date(2025, 11, 27, 10, 15, 30, 123000000, time.FixedZone("CET", 3600)),
	}
	for i := 0; i+1 < len(headers); i += 2 {
		rec.Headers = append(rec.Headers, &sarama.RecordHeader{Key: []byte(headers[i]), Value: []byte(headers[i+1])})
	}
	return rec
}

func TestUnmarshalKeepsEverything(t *testing.T) {
	rec := consumerMessage([]byte("agg-1"), []byte(`{"op":"c"}`),
		"correlation_id", "corr-1",
		"__debezium.context.taskId", "0",
		wkafka.UUIDHeaderKey, "uuid-from-producer",
	)
	rec.Headers = append(rec.Headers, nil) // sarama may hand out nil headers

	msg, err := kafka.Unmarshaler{}.Unmarshal(rec)
	require.NoError(t, err)
	assert.Equal(t, "uuid-from-producer", msg.UUID)
	assert.Equal(t, []byte(`{"op":"c"}`), []byte(msg.Payload))
	assert.Equal(t, message.Metadata{
		"correlation_id":            "corr-1",
		"__debezium.context.taskId": "0",
		kafka.MetadataKey:           "agg-1",
		kafka.MetadataTopic:         "postgres.activity.event_outbox",
		kafka.MetadataPartition:     "7",
		kafka.MetadataOffset:        "12345",
		kafka.MetadataTimestamp:     "2025-11-27T09:15:30.123Z",
	}, msg.Metadata)

	assert.Equal(t, kafka.Record{
		Topic:     "postgres.activity.event_outbox",
		Partition: 7,
		Offset:    12345,
		Key:       []byte("agg-1"),
		Value:     []byte(`{"op":"c"}`),
		Headers:   map[string]string{"correlation_id": "corr-1", "__debezium.context.taskId": "0"},
	}, kafka.RecordFromMessage(msg))
}

func TestUnmarshalNeverFails(t *testing.T) {
	tests := []struct {
		name      string
		rec       *sarama.ConsumerMessage
		nullValue bool
	}{
		{"tombstone", consumerMessage([]byte("k"), nil), true},
		{"empty value", consumerMessage([]byte("k"), []byte{}), false},
		{"binary garbage", consumerMessage([]byte{0xff, 0x00, 0xfe}, []byte{0x00, 0xc3, 0x28, 0xff}), false},
		{"no key", consumerMessage(nil, []byte("not json")), false},
		{"no timestamp", func() *sarama.ConsumerMessage {
			r := consumerMessage([]byte("k"), []byte("v"))
			r.Timestamp = time.Time{}
			return r
		}(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := kafka.Unmarshaler{}.Unmarshal(tt.rec)
			require.NoError(t, err)
			require.NotNil(t, msg)
			// Without a producer UUID the record's position identifies it.
			assert.Equal(t, "postgres.activity.event_outbox/7/12345", msg.UUID)

			rec := kafka.RecordFromMessage(msg)
			assert.Equal(t, tt.rec.Key, rec.Key)
			if tt.nullValue {
				assert.Equal(t, "true", msg.Metadata.Get(kafka.MetadataNullValue))
				assert.Nil(t, rec.Value)
			} else {
				assert.Empty(t, msg.Metadata.Get(kafka.MetadataNullValue))
				require.NotNil(t, rec.Value, "an empty value is not a tombstone")
				assert.Equal(t, tt.rec.Value, rec.Value)
			}
			_, hasKey := msg.Metadata[kafka.MetadataKey]
			assert.Equal(t, tt.rec.Key != nil, hasKey, "a missing key is not an empty key")
			_, hasTS := msg.Metadata[kafka.MetadataTimestamp]
			assert.Equal(t, !tt.rec.Timestamp.IsZero(), hasTS)
		})
	}
}

func TestRecordFromMessageWithoutKafkaMetadata(t *testing.T) {
	msg := message.NewMessage("u", nil)
	msg.Metadata.Set("h", "v")
	msg.Metadata.Set(kafka.MetadataPartition, "not a number")
	rec := kafka.RecordFromMessage(msg)
	assert.Equal(t, kafka.Record{Value: []byte{}, Headers: map[string]string{"h": "v"}}, rec)
}

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

// TestRoundTrip: a consumed record republished with Marshaler (as the poison
// queue does) and consumed again keeps key, value (null or not), headers and
// UUID.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		key   []byte
		value []byte
	}{
		{"value", []byte("agg-1"), []byte(`{"a":1}`)},
		{"tombstone", []byte("agg-1"), nil},
		{"empty", []byte("agg-1"), []byte{}},
		{"no key", nil, []byte("garbage")},
		{"empty key", []byte{}, []byte("v")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := consumerMessage(tt.key, tt.value, "correlation_id", "c-1", "a", "b")
			first, err := kafka.Unmarshaler{}.Unmarshal(in)
			require.NoError(t, err)

			pm, err := kafka.Marshaler{}.Marshal("out", first)
			require.NoError(t, err)
			out := toConsumerMessage(t, pm, 3, 99)
			second, err := kafka.Unmarshaler{}.Unmarshal(out)
			require.NoError(t, err)

			assert.Equal(t, first.UUID, second.UUID, "UUID travels in its header")
			assert.Equal(t, tt.key, out.Key)
			assert.Equal(t, tt.value, out.Value)
			r1, r2 := kafka.RecordFromMessage(first), kafka.RecordFromMessage(second)
			assert.Equal(t, r1.Key, r2.Key)
			assert.Equal(t, r1.Value, r2.Value)
			assert.Equal(t, "c-1", r2.Headers["correlation_id"])
			assert.Equal(t, "b", r2.Headers["a"])
			// The original position travels as headers on the wire; read
			// back, the metadata names the record's own position.
			wire := map[string]string{}
			for _, h := range out.Headers {
				wire[string(h.Key)] = string(h.Value)
			}
			assert.Equal(t, "postgres.activity.event_outbox", wire[kafka.MetadataTopic])
			assert.Equal(t, "7", wire[kafka.MetadataPartition])
			assert.Equal(t, "12345", wire[kafka.MetadataOffset])
			assert.Equal(t, "out", second.Metadata.Get(kafka.MetadataTopic))
			assert.Equal(t, "99", second.Metadata.Get(kafka.MetadataOffset))
		})
	}
}

// toConsumerMessage is what a consumer would read back for pm. Headers are
// appended in order, so for a header sent twice the later one wins, as in
// Unmarshal.
func toConsumerMessage(t *testing.T, pm *sarama.ProducerMessage, partition int32, offset int64) *sarama.ConsumerMessage {
	t.Helper()
	cm := &sarama.ConsumerMessage{Topic: pm.Topic, Partition: partition, Offset: offset}
	var err error
	if pm.Key != nil {
		cm.Key, err = pm.Key.Encode()
		require.NoError(t, err)
	}
	if pm.Value != nil {
		cm.Value, err = pm.Value.Encode()
		require.NoError(t, err)
	}
	for i := range pm.Headers {
		cm.Headers = append(cm.Headers, &pm.Headers[i])
	}
	return cm
}

// TestUnmarshalIgnoresHeadersNamedLikeItsMetadata: the kafka_* metadata
// describe the record itself; headers cannot forge them.
func TestUnmarshalIgnoresHeadersNamedLikeItsMetadata(t *testing.T) {
	rec := consumerMessage(nil, []byte(`{"op":"c"}`),
		kafka.MetadataNullValue, "true",
		kafka.MetadataKey, "forged-key",
		kafka.MetadataTopic, "other",
		kafka.MetadataOffset, "1",
		"correlation_id", "c-1",
	)
	rec.Timestamp = time.Time{}
	rec.Headers = append(rec.Headers, &sarama.RecordHeader{Key: []byte(kafka.MetadataTimestamp), Value: []byte("yesterday")})

	msg, err := kafka.Unmarshaler{}.Unmarshal(rec)
	require.NoError(t, err)
	assert.Equal(t, message.Metadata{
		"correlation_id":        "c-1",
		kafka.MetadataTopic:     "postgres.activity.event_outbox",
		kafka.MetadataPartition: "7",
		kafka.MetadataOffset:    "12345",
	}, msg.Metadata)
	r := kafka.RecordFromMessage(msg)
	assert.Nil(t, r.Key)
	assert.Equal(t, []byte(`{"op":"c"}`), r.Value, "not a tombstone")
}
