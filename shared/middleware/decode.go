package middleware

import (
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/activityapp/event-processor/shared/debezium"
	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/outbox"
)

// DecodeOutbox decodes the Debezium record behind each message once and puts
// the outbox event on the message context. It runs outermost so that the
// correlation id inside the outbox row reaches every log line and a poisoned
// copy of the message.
//
// Records that carry no event (tombstones, heartbeats, updates and deletes
// of outbox rows, truncates) are acknowledged and counted without calling
// the handler. A record that cannot be decoded is not rejected here: the
// error goes on the context and the handler returns it from inside the
// poison-queue middleware, which sends the message to the poison queue with
// the reason.
func DecodeOutbox(dec *debezium.Decoder, logger *slog.Logger, counters *metrics.Counters) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			ctx := msg.Context()
			res, err := dec.Decode(kafka.RecordFromMessage(msg))
			switch {
			case err != nil:
				msg.SetContext(outbox.WithDecodeError(ctx, err))
			case res.Skip != "":
				handler := message.HandlerNameFromCtx(ctx)
				counters.Inc(metrics.MessagesSkipped, "handler", handler, "reason", string(res.Skip))
				logger.DebugContext(ctx, "record skipped", slog.String("reason", string(res.Skip)),
					slog.String("message_uuid", msg.UUID), slog.String("handler", handler))
				return nil, nil
			default:
				ev := res.Event
				if ev.Metadata.CorrelationID != "" {
					msg.Metadata.Set(CorrelationIDKey, ev.Metadata.CorrelationID)
				}
				msg.Metadata.Set(EventIDKey, ev.EventID)
				msg.Metadata.Set(EventTypeKey, ev.EventType)
				msg.SetContext(outbox.WithEvent(ctx, ev))
			}
			return h(msg)
		}
	}
}
