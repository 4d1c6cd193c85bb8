package middleware

import (
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/message"
	wmiddleware "github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/metrics"
)

// PoisonQueue publishes messages that failed with a permanent error to
// topic, with Watermill's reason_poisoned, topic_poisoned, handler_poisoned
// and subscriber_poisoned metadata, and acknowledges them. Transient errors
// pass through (the message is nacked and redelivered), and so does every
// error once closing is closed: a failure during shutdown says nothing about
// the message. If publishing fails, the message is nacked: nothing is lost.
func PoisonQueue(pub message.Publisher, topic string, closing <-chan struct{}, logger *slog.Logger, counters *metrics.Counters) (message.HandlerMiddleware, error) {
	shouldPoison := func(err error) bool {
		select {
		case <-closing:
			return false
		default:
			return fault.IsPermanent(err)
		}
	}
	pq, err := wmiddleware.PoisonQueueWithFilter(pub, topic, shouldPoison)
	if err != nil {
		return nil, err
	}
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			var handlerErr error
			msgs, err := pq(func(msg *message.Message) ([]*message.Message, error) {
				msgs, err := h(msg)
				handlerErr = err
				return msgs, err
			})(msg)
			if err == nil && handlerErr != nil {
				counters.Inc(metrics.MessagesPoisoned, "handler", message.HandlerNameFromCtx(msg.Context()))
				logger.ErrorContext(msg.Context(), "message sent to poison queue",
					slog.String("poison_topic", topic), slog.String("reason", firstLine(handlerErr)))
			}
			return msgs, err
		}
	}, nil
}
