package service

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/activityapp/event-processor/shared/config"
	"github.com/activityapp/event-processor/shared/debezium"
	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/registry"
	"github.com/activityapp/event-processor/shared/router"
)

// Projection is a service's set of outbox event handlers.
type Projection interface {
	Handlers() []registry.Handler
}

// OutboxHandler is the router handler that consumes the outbox topic.
type OutboxHandler = router.BatchHandler[outbox.Event]

// OutboxHandlerName names the router handler that consumes the outbox
// topic for service; metrics and the poison queue's handler_poisoned show
// it.
func OutboxHandlerName(service string) string { return service + ".outbox" }

// NewOutboxHandler is the port of every projector that reads the outbox:
// the handler that consumes KAFKA_TOPIC and dispatches each batch's events
// to p's handlers.
func NewOutboxHandler(cfg config.Config, sub *kafka.BatchSubscriber, dec *debezium.Decoder, p Projection,
	logger *slog.Logger, metrics prometheus.Registerer,
) (OutboxHandler, error) {
	reg, err := registry.New(logger, metrics, p.Handlers()...)
	if err != nil {
		return OutboxHandler{}, err
	}
	return router.Outbox(OutboxHandlerName(cfg.Service), cfg.Kafka.Topic, sub, dec, reg.Handle), nil
}

// OutboxOnly is the handler list of a projector that reads nothing but the
// outbox.
func OutboxOnly(h OutboxHandler) []router.Handler { return []router.Handler{h} }
