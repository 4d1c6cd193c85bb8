// Package kafka connects the projectors to Kafka: a subscriber that
// delivers each partition's records in batches to the Watermill router, a
// publisher that sends a call's messages together, the marshaler that keeps
// the Kafka key, and topic administration.
package kafka

import (
	"time"
)

// Metadata keys that describe a record's place in Kafka. Marshaler takes
// the key from MetadataKey, so a message republished to the poison topic
// keeps its original key; headers with these names on a consumed record
// are dropped, since they describe that record and nothing else.
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

// Record is one raw Kafka record.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       []byte
	// Value is nil for a tombstone.
	Value   []byte
	Headers map[string]string
	// Timestamp is the record's timestamp as Kafka reports it (create or
	// log-append time); zero when unknown.
	Timestamp time.Time
}
