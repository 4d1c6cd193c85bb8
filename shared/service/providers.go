// Package app wires and runs a projector: the providers every service's
// wire injector uses (ProviderSet), and Main, which loads the configuration,
// runs the router and the HTTP endpoints, and shuts down on SIGINT/SIGTERM.
package app

import (
	"context"
	"log/slog"
	"os"

	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/wire"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/activityapp/event-processor/shared/config"
	"github.com/activityapp/event-processor/shared/debezium"
	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/logging"
	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/mongodb"
	"github.com/activityapp/event-processor/shared/registry"
	"github.com/activityapp/event-processor/shared/router"
)

// ProviderSet provides everything a projector shares, from a config.Config,
// a *config.Env (for service-specific variables) and a context.
var ProviderSet = wire.NewSet(
	NewLogger,
	metrics.NewCounters,
	NewDatabase,
	NewSubscriber,
	NewPoisonPublisher,
	NewPublisher,
	NewDecoder,
	registry.New,
	NewRouter,
	NewRunner,
)

// NewLogger writes JSON lines to stdout.
func NewLogger(cfg config.Config) *slog.Logger {
	return logging.New(os.Stdout, cfg.LogLevel, cfg.Service)
}

// NewDatabase connects to the read-model database, waiting for it.
func NewDatabase(ctx context.Context, cfg config.Config, logger *slog.Logger) (*mongo.Database, func(), error) {
	return mongodb.Connect(ctx, mongodb.Config{URI: cfg.Mongo.URI, Database: cfg.Mongo.Database, AppName: cfg.Service}, logger)
}

// NewSubscriber is the service's consumer-group subscriber. The router
// closes it; the cleanup closes it again (a no-op) if wiring fails later.
func NewSubscriber(cfg config.Config, logger *slog.Logger) (*wkafka.Subscriber, func(), error) {
	sub, err := kafka.NewSubscriber(kafka.SubscriberConfig{
		Brokers:       cfg.Kafka.Brokers,
		ConsumerGroup: cfg.Kafka.ConsumerGroup,
		ClientID:      cfg.Kafka.ClientID,
	}, logging.Watermill(logger))
	if err != nil {
		return nil, nil, err
	}
	return sub, func() { _ = sub.Close() }, nil
}

// PoisonPublisher publishes to the poison topic; the router closes it
// after its last message.
type PoisonPublisher message.Publisher

// NewPoisonPublisher returns the poison-queue publisher. The router closes
// it after its last message; the cleanup closes it (again: a no-op) when
// wiring fails before the router runs.
func NewPoisonPublisher(ctx context.Context, cfg config.Config, logger *slog.Logger) (PoisonPublisher, func(), error) {
	pub, err := kafka.NewPublisher(ctx, kafka.PublisherConfig{Brokers: cfg.Kafka.Brokers, ClientID: cfg.Kafka.ClientID + "-poison"}, logging.Watermill(logger))
	if err != nil {
		return nil, nil, err
	}
	return pub, func() { _ = pub.Close() }, nil
}

// NewPublisher returns a publisher for handlers that produce messages,
// closed by the cleanup after the router has stopped.
func NewPublisher(ctx context.Context, cfg config.Config, logger *slog.Logger) (message.Publisher, func(), error) {
	pub, err := kafka.NewPublisher(ctx, kafka.PublisherConfig{Brokers: cfg.Kafka.Brokers, ClientID: cfg.Kafka.ClientID}, logging.Watermill(logger))
	if err != nil {
		return nil, nil, err
	}
	return pub, func() { _ = pub.Close() }, nil
}

// NewDecoder returns the Debezium decoder with its defaults.
func NewDecoder() (*debezium.Decoder, error) {
	return debezium.NewDecoder(debezium.DecoderConfig{})
}

// NewRouter builds the router from the processing settings.
func NewRouter(cfg config.Config, poison PoisonPublisher, logger *slog.Logger, counters *metrics.Counters) (*router.Router, error) {
	return router.New(router.Config{
		PoisonTopic:          cfg.Kafka.PoisonTopic,
		HandlerTimeout:       cfg.Processing.HandlerTimeout,
		RetryInitialInterval: cfg.Processing.RetryInitialInterval,
		RetryMaxInterval:     cfg.Processing.RetryMaxInterval,
		PanicAttempts:        cfg.Processing.PanicAttempts,
		CloseTimeout:         cfg.Processing.CloseTimeout,
	}, poison, logger, counters)
}
