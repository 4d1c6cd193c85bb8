package adapters

import (
	"log/slog"

	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/google/wire"

	"github.com/activityapp/event-processor/shared/config"
	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/logging"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

// ProviderSet provides the service's settings, the MongoDB ledger and the
// Kafka side of the increments topic.
var ProviderSet = wire.NewSet(
	LoadConfig,
	NewLedgerMongo, wire.Bind(new(stats.Ledger), new(*LedgerMongo)),
	NewContributionPublisher, wire.Bind(new(stats.Publisher), new(*ContributionPublisher)),
	NewIncrementsSubscriber,
)

// IncrementsSubscriber consumes the increments topic in its own group.
type IncrementsSubscriber struct{ *wkafka.Subscriber }

// NewIncrementsSubscriber returns the increments topic's subscriber.
func NewIncrementsSubscriber(shared config.Config, cfg Config, logger *slog.Logger) (IncrementsSubscriber, func(), error) {
	sub, err := kafka.NewSubscriber(kafka.SubscriberConfig{
		Brokers:       shared.Kafka.Brokers,
		ConsumerGroup: cfg.IncrementsGroup,
		ClientID:      shared.Kafka.ClientID + "-increments",
	}, logging.Watermill(logger))
	if err != nil {
		return IncrementsSubscriber{}, nil, err
	}
	return IncrementsSubscriber{sub}, func() { _ = sub.Close() }, nil
}
