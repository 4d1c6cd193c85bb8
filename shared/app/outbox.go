package app

import (
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"

	"github.com/activityapp/event-processor/shared/config"
	"github.com/activityapp/event-processor/shared/debezium"
	"github.com/activityapp/event-processor/shared/registry"
	"github.com/activityapp/event-processor/shared/router"
)

// ConsumeOutbox registers regs and adds handler, which consumes the outbox
// topic (KAFKA_TOPIC) and dispatches its events through the registry.
func ConsumeOutbox(cfg config.Config, r *router.Router, sub *wkafka.Subscriber, dec *debezium.Decoder,
	reg *registry.Registry, handler string, regs ...registry.Registration,
) (Registered, error) {
	if err := reg.RegisterAll(regs...); err != nil {
		return Registered{}, err
	}
	r.AddOutboxHandler(handler, cfg.Kafka.Topic, sub, dec, reg.Handle)
	return Registered{}, nil
}
