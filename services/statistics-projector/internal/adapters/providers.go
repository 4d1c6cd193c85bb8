package adapters

import (
	"context"
	"log/slog"

	"github.com/google/wire"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/activityapp/event-processor/shared/config"
	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/service"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

// ProviderSet provides the service's settings, the MongoDB store and the
// Kafka side of the increments topic.
var ProviderSet = wire.NewSet(
	LoadConfig,
	NewStatisticsMongo, wire.Bind(new(stats.Store), new(*StatisticsMongo)),
	NewContributionPublisher, wire.Bind(new(stats.Publisher), new(*ContributionPublisher)),
	NewIncrementsSubscriber,
)

// IncrementsSubscriber consumes the increments topic in its own group.
type IncrementsSubscriber struct{ *kafka.BatchSubscriber }

// NewIncrementsSubscriber creates the increments topic if it is missing
// (auto-creation would give it the broker's default partition count) and
// returns its subscriber.
func NewIncrementsSubscriber(ctx context.Context, shared config.Config, cfg Config, logger *slog.Logger, reg prometheus.Registerer) (IncrementsSubscriber, func(), error) {
	created, err := kafka.EnsureTopic(ctx, shared.Kafka.Brokers, kafka.TopicConfig{
		Name:              cfg.IncrementsTopic,
		Partitions:        int32(cfg.IncrementsPartitions),
		ReplicationFactor: int16(cfg.IncrementsReplicationFactor),
	})
	if err != nil {
		return IncrementsSubscriber{}, nil, err
	}
	if created {
		logger.InfoContext(ctx, "created the increments topic", slog.String("topic", cfg.IncrementsTopic),
			slog.Int("partitions", cfg.IncrementsPartitions))
	}
	sub, cleanup, err := service.NewBatchSubscriber(shared, cfg.IncrementsGroup, shared.Kafka.ClientID+"-increments", logger, reg)
	if err != nil {
		return IncrementsSubscriber{}, nil, err
	}
	return IncrementsSubscriber{sub}, cleanup, nil
}
