// Package ports connects the statistics-projector to Kafka: the outbox
// topic feeds the fan-out, the increments topic feeds the writer.
package ports

import (
	"fmt"

	"github.com/google/wire"

	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/router"
	"github.com/activityapp/event-processor/shared/service"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/adapters"
	"github.com/activityapp/event-processor/services/statistics-projector/internal/app"
	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

// ProviderSet provides the service's handlers.
var ProviderSet = wire.NewSet(Handlers)

// IncrementsHandlerName is the router handler that applies contributions,
// as metrics and the poison queue show it; the outbox handler is named by
// service.OutboxHandlerName.
const IncrementsHandlerName = "statistics-projector.increments"

// Handlers are the service's two handlers: the outbox fan-out and the
// writer of the increments topic.
func Handlers(outbox service.OutboxHandler, cfg adapters.Config, sub adapters.IncrementsSubscriber, writer *app.Writer) []router.Handler {
	return []router.Handler{outbox, router.BatchHandler[stats.Contribution]{
		Name:       IncrementsHandlerName,
		Topic:      cfg.IncrementsTopic,
		Subscriber: sub,
		Decode:     decodeContribution,
		Handle:     writer.Apply,
	}}
}

func decodeContribution(rec kafka.Record) router.Decoded[stats.Contribution] {
	c, err := adapters.UnmarshalContribution(rec.Value)
	if err != nil {
		return router.Decoded[stats.Contribution]{Err: fmt.Errorf("increments: %w", err)}
	}
	c.CorrelationID = rec.Headers[outbox.CorrelationIDKey]
	if rec.Headers[router.ReplayOfKey] != "" {
		// A contribution replayed from the poison topic.
		c.Replay = true
	}
	return router.Decoded[stats.Contribution]{Value: c, CorrelationID: c.CorrelationID, EventID: c.EventID}
}
