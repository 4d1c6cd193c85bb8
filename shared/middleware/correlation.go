package middleware

import (
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/activityapp/event-processor/shared/logging"
)

// Metadata keys read and written by Correlation.
const (
	CorrelationIDKey = "correlation_id"
	// correlationHeaderAlt is the HTTP-style header some producers use.
	correlationHeaderAlt = "X-Correlation-ID"
	EventIDKey           = "event_id"
	EventTypeKey         = "event_type"
)

// Correlation finds the message's correlation id (metadata correlation_id,
// which the decode middleware fills from the outbox row, or a Kafka header),
// writes it back to the metadata so a poisoned copy carries it, and puts it
// on the context so every log line written for this message names it.
// Watermill's own CorrelationID middleware only copies the id to produced
// messages, which consumer handlers have none of.
func Correlation(logger *slog.Logger) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			id := msg.Metadata.Get(CorrelationIDKey)
			if id == "" {
				id = msg.Metadata.Get(correlationHeaderAlt)
			}
			if id == "" {
				// Without one, the message itself is the root of its chain.
				id = msg.UUID
			}
			msg.Metadata.Set(CorrelationIDKey, id)

			attrs := []slog.Attr{
				slog.String("correlation_id", id),
				slog.String("message_uuid", msg.UUID),
				slog.String("handler", message.HandlerNameFromCtx(msg.Context())),
			}
			if v := msg.Metadata.Get(EventIDKey); v != "" {
				attrs = append(attrs, slog.String("event_id", v))
			}
			if v := msg.Metadata.Get(EventTypeKey); v != "" {
				attrs = append(attrs, slog.String("event_type", v))
			}
			ctx := logging.WithAttrs(msg.Context(), attrs...)
			msg.SetContext(ctx)

			start := time.Now()
			msgs, err := h(msg)
			if err != nil {
				logger.ErrorContext(ctx, "message failed", slog.String("error", err.Error()),
					slog.Duration("took", time.Since(start)))
				return msgs, err
			}
			logger.DebugContext(ctx, "message handled", slog.Duration("took", time.Since(start)))
			return msgs, nil
		}
	}
}
