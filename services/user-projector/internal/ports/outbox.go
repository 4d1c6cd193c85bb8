// Package ports connects the user-projector to the outside: the outbox
// topic, through the shared router.
package ports

import (
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/google/wire"

	"github.com/activityapp/event-processor/shared/app"
	"github.com/activityapp/event-processor/shared/config"
	"github.com/activityapp/event-processor/shared/debezium"
	"github.com/activityapp/event-processor/shared/registry"
	"github.com/activityapp/event-processor/shared/router"

	projector "github.com/activityapp/event-processor/services/user-projector/internal/app"
)

// ProviderSet provides the service's ports.
var ProviderSet = wire.NewSet(RegisterOutbox)

// HandlerName is the router handler consuming the outbox topic; it shows up
// in metrics and in the poison queue's handler_poisoned.
const HandlerName = "user-projector.outbox"

// RegisterOutbox subscribes the user projection to the outbox topic.
func RegisterOutbox(cfg config.Config, r *router.Router, sub *wkafka.Subscriber, dec *debezium.Decoder,
	reg *registry.Registry, p *projector.Projector,
) (app.Registered, error) {
	return app.ConsumeOutbox(cfg, r, sub, dec, reg, HandlerName, p.Registrations()...)
}
