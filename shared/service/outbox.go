package app

import (
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"

	"github.com/activityapp/event-processor/shared/config"
	"github.com/activityapp/event-processor/shared/debezium"
	"github.com/activityapp/event-processor/shared/registry"
	"github.com/activityapp/event-processor/shared/router"
)

// Projection is a service's set of outbox event handlers.
type Projection interface {
	Registrations() []registry.Registration
}

// OutboxHandler names the router handler that consumes the outbox topic for
// service; metrics and the poison queue's handler_poisoned show it.
func OutboxHandler(service string) string { return service + ".outbox" }

// ConsumeOutbox registers p's handlers and adds the handler that consumes
// the outbox topic (KAFKA_TOPIC) and dispatches its events through the
// registry. It is the port of every projector that reads the outbox.
func ConsumeOutbox(cfg config.Config, r *router.Router, sub *wkafka.Subscriber, dec *debezium.Decoder,
	reg *registry.Registry, p Projection,
) (Registered, error) {
	if err := reg.RegisterAll(p.Registrations()...); err != nil {
		return Registered{}, err
	}
	r.AddOutboxHandler(OutboxHandler(cfg.Service), cfg.Kafka.Topic, sub, dec, reg.Handle)
	return Registered{}, nil
}
