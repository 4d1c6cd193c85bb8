// Package ports connects the statistics-projector to Kafka: the outbox
// topic feeds the fan-out, the increments topic feeds the writer.
package ports

import (
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/wire"

	"github.com/activityapp/event-processor/shared/app"
	"github.com/activityapp/event-processor/shared/config"
	"github.com/activityapp/event-processor/shared/debezium"
	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/registry"
	"github.com/activityapp/event-processor/shared/router"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/adapters"
	statsapp "github.com/activityapp/event-processor/services/statistics-projector/internal/app"
)

// ProviderSet provides the service's ports.
var ProviderSet = wire.NewSet(Register)

// IncrementsHandlerName is the router handler that applies contributions,
// as metrics and the poison queue show it; the outbox handler is named by
// app.OutboxHandler.
const IncrementsHandlerName = "statistics-projector.increments"

// Register adds both handlers to the router.
func Register(cfg config.Config, scfg adapters.Config, r *router.Router, sub *wkafka.Subscriber,
	incSub adapters.IncrementsSubscriber, dec *debezium.Decoder, reg *registry.Registry,
	fanout *statsapp.Fanout, writer *statsapp.Writer,
) (app.Registered, error) {
	registered, err := app.ConsumeOutbox(cfg, r, sub, dec, reg, fanout)
	if err != nil {
		return registered, err
	}
	r.AddHandler(IncrementsHandlerName, scfg.IncrementsTopic, incSub, func(msg *message.Message) error {
		c, err := adapters.UnmarshalContribution(msg.Payload)
		if err != nil {
			return fault.Permanent(err)
		}
		return writer.Apply(msg.Context(), c)
	})
	return registered, nil
}
