package middleware

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Timeout bounds one attempt at a message by d. Unlike Watermill's Timeout
// it detaches the attempt from the message context's cancellation: when the
// service shuts down (or a rebalance ends the subscription) the context of
// every in-flight message is cancelled at once, and a MongoDB write cut off
// half-way helps nobody. The attempt finishes within d; the retry middleware,
// which still watches the message context, then stops retrying, and an
// acknowledgement that comes too late to be committed only means the message
// is delivered again, which every projection tolerates.
func Timeout(d time.Duration) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(msg.Context()), d)
			defer cancel()
			msg.SetContext(ctx)
			return h(msg)
		}
	}
}
