package adapters

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/outbox"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

// ContributionSchemaVersion versions the increments topic's messages.
// Version 2 added the source position (the watermark).
const ContributionSchemaVersion = 2

// contributionMessage is a contribution on the increments topic.
type contributionMessage struct {
	SchemaVersion int `json:"schema_version"`
	stats.Contribution
}

// MarshalContribution encodes c for the increments topic.
func MarshalContribution(c stats.Contribution) ([]byte, error) {
	return json.Marshal(contributionMessage{SchemaVersion: ContributionSchemaVersion, Contribution: c})
}

// UnmarshalContribution decodes a message of the increments topic.
func UnmarshalContribution(payload []byte) (stats.Contribution, error) {
	var m contributionMessage
	if err := json.Unmarshal(payload, &m); err != nil {
		return stats.Contribution{}, fmt.Errorf("contribution: not JSON: %w", err)
	}
	if m.SchemaVersion != ContributionSchemaVersion {
		return stats.Contribution{}, fmt.Errorf("contribution: schema_version: unsupported version %d", m.SchemaVersion)
	}
	c := m.Contribution
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("contribution: %w", err)
	}
	return c, nil
}

// ContributionPublisher publishes contributions to the increments topic,
// keyed by their statistics document.
type ContributionPublisher struct {
	pub   message.Publisher
	topic string
}

// NewContributionPublisher returns a publisher to the configured topic.
func NewContributionPublisher(pub message.Publisher, cfg Config) *ContributionPublisher {
	return &ContributionPublisher{pub: pub, topic: cfg.IncrementsTopic}
}

// Publish implements stats.Publisher: every contribution goes out in one
// call, in order, within ctx.
func (p *ContributionPublisher) Publish(ctx context.Context, cs ...stats.Contribution) error {
	if len(cs) == 0 {
		return nil
	}
	msgs := make([]*message.Message, 0, len(cs))
	for _, c := range cs {
		payload, err := MarshalContribution(c)
		if err != nil {
			return err
		}
		msg := message.NewMessage(c.ID(), payload)
		msg.Metadata.Set(kafka.MetadataKey, c.Key())
		if c.CorrelationID != "" {
			msg.Metadata.Set(outbox.CorrelationIDKey, c.CorrelationID)
		}
		msgs = append(msgs, msg)
	}
	// Bounded by ctx (the router's HANDLER_TIMEOUT for one try).
	if err := kafka.PublishContext(ctx, p.pub, p.topic, msgs...); err != nil {
		return fmt.Errorf("statistics: publish to %s: %w", p.topic, err)
	}
	return nil
}
