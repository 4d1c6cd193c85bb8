package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"

	"github.com/activityapp/event-processor/shared/fault"
)

// TopicConfig describes a topic a service creates for itself.
type TopicConfig struct {
	Name              string
	Partitions        int32
	ReplicationFactor int16
	// Configs are topic-level settings, e.g. max.message.bytes, applied
	// when the topic is created.
	Configs map[string]string
}

// EnsureTopic creates topic if it does not exist yet; an existing topic is
// left as it is (its partition count may differ: say so in the logs of the
// caller, never repartition silently, since that moves keys). It retries
// until the brokers answer or ctx ends.
func EnsureTopic(ctx context.Context, brokers []string, topic TopicConfig) (created bool, err error) {
	cfg := sarama.NewConfig()
	cfg.ClientID = "event-processor-admin"
	created, err = fault.WaitFor(ctx, 250*time.Millisecond, nil, func() (bool, error) {
		return ensureTopic(brokers, cfg, topic)
	})
	if err != nil {
		return false, fmt.Errorf("kafka: ensure topic %s: %w", topic.Name, err)
	}
	return created, nil
}

func ensureTopic(brokers []string, cfg *sarama.Config, topic TopicConfig) (bool, error) {
	admin, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		return false, err
	}
	defer func() { _ = admin.Close() }()
	var entries map[string]*string
	if len(topic.Configs) > 0 {
		entries = make(map[string]*string, len(topic.Configs))
		for k, v := range topic.Configs {
			entries[k] = &v
		}
	}
	err = admin.CreateTopic(topic.Name, &sarama.TopicDetail{
		NumPartitions:     topic.Partitions,
		ReplicationFactor: topic.ReplicationFactor,
		ConfigEntries:     entries,
	}, false)
	if errors.Is(err, sarama.ErrTopicAlreadyExists) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}
