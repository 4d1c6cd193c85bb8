package kafka

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
)

// PublishContext publishes msgs to topic with pub, returning when pub has
// or when ctx ends, whichever comes first. Watermill's Publish takes no
// context (and sarama's SendMessages blocks through its own retries), so a
// handler's deadline would otherwise not bound it. A publish given up on
// is left to finish on its own: a retry may then write the messages twice,
// which at-least-once consumers (the projectors) absorb. pub gets copies,
// so the caller may reuse msgs.
func PublishContext(ctx context.Context, pub message.Publisher, topic string, msgs ...*message.Message) error {
	copies := make([]*message.Message, len(msgs))
	for i, m := range msgs {
		copies[i] = m.Copy()
	}
	done := make(chan error, 1)
	go func() { done <- pub.Publish(topic, copies...) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("kafka: publish %d messages to %s: %w", len(msgs), topic, context.Cause(ctx))
	}
}
