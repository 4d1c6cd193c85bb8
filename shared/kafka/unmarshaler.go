package kafka

import (
	"fmt"
	"strconv"
	"time"

	"github.com/IBM/sarama"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
)

// Unmarshaler turns any Kafka record into a message and never fails: an
// unmarshaler error stalls its partition in watermill-kafka, so bad input
// must travel on as a message and be judged (and poisoned) by middleware.
type Unmarshaler struct{}

var _ wkafka.Unmarshaler = Unmarshaler{}

// Unmarshal keeps value, key, headers, topic, partition, offset and timestamp.
// The message UUID is the producer's watermill UUID header when present,
// otherwise topic/partition/offset, which identifies the record uniquely.
func (Unmarshaler) Unmarshal(rec *sarama.ConsumerMessage) (*message.Message, error) {
	uuid := ""
	md := make(message.Metadata, len(rec.Headers)+6)
	for _, h := range rec.Headers {
		if h == nil {
			continue
		}
		switch k := string(h.Key); k {
		case wkafka.UUIDHeaderKey:
			uuid = string(h.Value)
		case MetadataKey, MetadataTopic, MetadataPartition, MetadataOffset, MetadataTimestamp, MetadataNullValue:
			// These describe this record and nothing else: a header of
			// the same name (a republished poison record carries the
			// original's position) must not pass for them, least of all
			// kafka_value_null, which would make a record a tombstone.
		default:
			md[k] = string(h.Value)
		}
	}
	if uuid == "" {
		uuid = fmt.Sprintf("%s/%d/%d", rec.Topic, rec.Partition, rec.Offset)
	}
	if rec.Key != nil {
		md[MetadataKey] = string(rec.Key)
	}
	md[MetadataTopic] = rec.Topic
	md[MetadataPartition] = strconv.FormatInt(int64(rec.Partition), 10)
	md[MetadataOffset] = strconv.FormatInt(rec.Offset, 10)
	if !rec.Timestamp.IsZero() {
		md[MetadataTimestamp] = rec.Timestamp.UTC().Format(time.RFC3339Nano)
	}
	if rec.Value == nil {
		md[MetadataNullValue] = "true"
	}

	msg := message.NewMessage(uuid, rec.Value)
	msg.Metadata = md
	return msg, nil
}
