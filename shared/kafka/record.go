// Package kafka adapts watermill-kafka to this project: an unmarshaler that
// never fails, a marshaler that keeps the Kafka key, and subscriber and
// publisher constructors with the settings every projector needs.
package kafka

import (
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Metadata keys the Unmarshaler sets on every consumed message. The key is
// kept in metadata (not only in the message context) so that a message
// republished to the poison topic keeps its original key.
const (
	MetadataKey       = "kafka_key"
	MetadataTopic     = "kafka_topic"
	MetadataPartition = "kafka_partition"
	MetadataOffset    = "kafka_offset"
	MetadataTimestamp = "kafka_timestamp"
	// MetadataNullValue is "true" when the record's value was null (a
	// tombstone), as opposed to empty.
	MetadataNullValue = "kafka_value_null"
)

// Record is the raw Kafka record behind a message.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       []byte
	// Value is nil for a tombstone.
	Value   []byte
	Headers map[string]string
}

// RecordFromMessage rebuilds the raw record from a message produced by
// Unmarshaler. Headers are the message's metadata minus the keys above.
func RecordFromMessage(msg *message.Message) Record {
	rec := Record{
		Topic:   msg.Metadata.Get(MetadataTopic),
		Headers: make(map[string]string, len(msg.Metadata)),
	}
	if k, ok := msg.Metadata[MetadataKey]; ok {
		rec.Key = []byte(k)
	}
	if p, err := strconv.ParseInt(msg.Metadata.Get(MetadataPartition), 10, 32); err == nil {
		rec.Partition = int32(p)
	}
	if o, err := strconv.ParseInt(msg.Metadata.Get(MetadataOffset), 10, 64); err == nil {
		rec.Offset = o
	}
	if msg.Metadata.Get(MetadataNullValue) != "true" {
		rec.Value = msg.Payload
		if rec.Value == nil {
			rec.Value = []byte{}
		}
	}
	for k, v := range msg.Metadata {
		switch k {
		case MetadataKey, MetadataTopic, MetadataPartition, MetadataOffset, MetadataTimestamp, MetadataNullValue:
			continue
		}
		rec.Headers[k] = v
	}
	return rec
}
