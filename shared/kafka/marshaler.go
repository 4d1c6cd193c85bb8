package kafka

import (
	"github.com/IBM/sarama"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
)

// Marshaler writes a message as a Kafka record whose key is the message's
// MetadataKey and whose headers are the remaining metadata. Poison messages
// and statistics increments are published with it, so they keep (or set) the
// key that decides their partition.
type Marshaler struct{}

var _ wkafka.Marshaler = Marshaler{}

// Marshal implements wkafka.Marshaler.
func (Marshaler) Marshal(topic string, msg *message.Message) (*sarama.ProducerMessage, error) {
	headers := make([]sarama.RecordHeader, 0, len(msg.Metadata)+1)
	headers = append(headers, sarama.RecordHeader{Key: []byte(wkafka.UUIDHeaderKey), Value: []byte(msg.UUID)})
	for k, v := range msg.Metadata {
		if k == wkafka.UUIDHeaderKey || k == MetadataKey || k == MetadataNullValue {
			continue
		}
		headers = append(headers, sarama.RecordHeader{Key: []byte(k), Value: []byte(v)})
	}
	pm := &sarama.ProducerMessage{
		Topic:   topic,
		Headers: headers,
	}
	if msg.Metadata.Get(MetadataNullValue) != "true" {
		// sarama writes a nil value as null, which is a tombstone (a delete
		// of the key under log compaction): only the marker makes one.
		payload := []byte(msg.Payload)
		if payload == nil {
			payload = []byte{}
		}
		pm.Value = sarama.ByteEncoder(payload)
	}
	if key, ok := msg.Metadata[MetadataKey]; ok {
		pm.Key = sarama.ByteEncoder(key)
	}
	return pm, nil
}
