// Package service wires and runs a projector: the providers every
// service's wire injector uses (ProviderSet), and Main, which loads the
// configuration, runs the router and the HTTP endpoints, and shuts down on
// SIGINT/SIGTERM.
package service

import (
	"context"
	"log/slog"
	"os"
	"strconv"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/wire"
	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/activityapp/event-processor/shared/config"
	"github.com/activityapp/event-processor/shared/debezium"
	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/logging"
	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/mongodb"
	"github.com/activityapp/event-processor/shared/readmodel"
	"github.com/activityapp/event-processor/shared/router"
)

// ProviderSet provides everything a projector shares, from a config.Config,
// a *config.Env (for service-specific variables) and a context. A service
// adds its own []router.Handler.
var ProviderSet = wire.NewSet(
	NewLogger,
	metrics.NewRegistry,
	wire.Bind(new(prometheus.Registerer), new(*prometheus.Registry)),
	wire.Bind(new(prometheus.Gatherer), new(*prometheus.Registry)),
	NewDatabase,
	NewNamer,
	NewBlockStore,
	NewSubscriber,
	NewPoisonPublisher,
	NewPublisher,
	NewDecoder,
	NewOutboxHandler,
	NewRouter,
	NewRunner,
)

// NewLogger writes JSON lines to stdout.
func NewLogger(cfg config.Config) *slog.Logger {
	return logging.New(os.Stdout, cfg.LogLevel, cfg.Service)
}

// NewDatabase connects to the read-model database, waiting for it.
func NewDatabase(ctx context.Context, cfg config.Config, logger *slog.Logger) (*mongo.Database, func(), error) {
	return mongodb.Connect(ctx, mongodb.Config{
		URI:          cfg.Mongo.URI,
		Database:     cfg.Mongo.Database,
		AppName:      cfg.Service,
		WriteConcern: cfg.Mongo.WriteConcern,
	}, logger)
}

// NewNamer names the collections the projector writes: those the
// read-model pointers name, or during a rebuild the read models' names
// plus READ_MODEL_REBUILD_SUFFIX.
func NewNamer(cfg config.Config) readmodel.Namer {
	return readmodel.Namer{RebuildSuffix: cfg.Mongo.RebuildSuffix}
}

// NewBlockStore keeps the service's blocked sequences (the events parked
// behind a poisoned one of their aggregate) in its database, beside its
// read models.
func NewBlockStore(cfg config.Config, db *mongo.Database, namer readmodel.Namer) router.BlockStore {
	return readmodel.NewBlocks(db, namer, cfg.Service)
}

// NewSubscriber is the service's consumer-group subscriber of the outbox
// topic, delivering a batch of a partition's records at a time. The router
// closes it; the cleanup closes it again (a no-op) if wiring fails later.
//
// A new group starts at KAFKA_AUTO_OFFSET_RESET; a group that committed
// offsets goes on from them.
func NewSubscriber(cfg config.Config, logger *slog.Logger, reg prometheus.Registerer) (*kafka.BatchSubscriber, func(), error) {
	initial := sarama.OffsetOldest
	if cfg.Kafka.OffsetReset == config.OffsetResetLatest {
		initial = sarama.OffsetNewest
	}
	return newBatchSubscriber(cfg, cfg.Kafka.ConsumerGroup, cfg.Kafka.ClientID, initial, logger, reg)
}

// NewBatchSubscriber returns a subscriber of another topic, in group, with
// the service's batch settings, reporting its lag in reg.
// A new group starts at the topic's first record: a service's own topics
// must be read whole.
func NewBatchSubscriber(cfg config.Config, group, clientID string, logger *slog.Logger, reg prometheus.Registerer) (*kafka.BatchSubscriber, func(), error) {
	return newBatchSubscriber(cfg, group, clientID, sarama.OffsetOldest, logger, reg)
}

func newBatchSubscriber(cfg config.Config, group, clientID string, initial int64, logger *slog.Logger, reg prometheus.Registerer) (*kafka.BatchSubscriber, func(), error) {
	sub, err := kafka.NewBatchSubscriber(kafka.BatchSubscriberConfig{
		Brokers:        cfg.Kafka.Brokers,
		ConsumerGroup:  group,
		ClientID:       clientID,
		MaxEvents:      cfg.Processing.BatchMaxEvents,
		MaxWait:        cfg.Processing.BatchMaxWait,
		OffsetsInitial: initial,
		Registerer:     reg,
	}, logging.Watermill(logger))
	if err != nil {
		return nil, nil, err
	}
	return sub, func() { _ = sub.Close() }, nil
}

// PoisonPublisher publishes to the poison topic; the router closes it
// after its last batch.
type PoisonPublisher message.Publisher

// NewPoisonPublisher returns the poison-queue publisher. The router closes
// it after its last batch; the cleanup closes it (again: a no-op) when
// wiring fails before the router runs.
//
// It creates the poison topic first when it is missing, with the configured
// partitions, replication and record size limit: on a broker that does not
// create topics itself, poisoning would otherwise stall the partition.
func NewPoisonPublisher(ctx context.Context, cfg config.Config, logger *slog.Logger) (PoisonPublisher, func(), error) {
	created, err := kafka.EnsureTopic(ctx, cfg.Kafka.Brokers, kafka.TopicConfig{
		Name:              cfg.Kafka.PoisonTopic,
		Partitions:        int32(cfg.Kafka.PoisonPartitions),
		ReplicationFactor: int16(cfg.Kafka.PoisonReplicationFactor),
		Configs:           map[string]string{"max.message.bytes": strconv.Itoa(cfg.Kafka.PoisonMaxMessageBytes)},
	})
	if err != nil {
		return nil, nil, err
	}
	if created {
		logger.InfoContext(ctx, "created the poison topic", slog.String("topic", cfg.Kafka.PoisonTopic),
			slog.Int("partitions", cfg.Kafka.PoisonPartitions), slog.Int("max_message_bytes", cfg.Kafka.PoisonMaxMessageBytes))
	}
	pub, err := kafka.NewPublisher(ctx, kafka.PublisherConfig{
		Brokers:         cfg.Kafka.Brokers,
		ClientID:        cfg.Kafka.ClientID + "-poison",
		MaxMessageBytes: cfg.Kafka.PoisonMaxMessageBytes,
	}, logging.Watermill(logger))
	if err != nil {
		return nil, nil, err
	}
	return pub, func() { _ = pub.Close() }, nil
}

// NewPublisher returns a publisher for handlers that produce messages,
// with Watermill's publish metrics, closed by the cleanup after the router
// has stopped.
func NewPublisher(ctx context.Context, cfg config.Config, logger *slog.Logger, reg prometheus.Registerer) (message.Publisher, func(), error) {
	pub, err := kafka.NewPublisher(ctx, kafka.PublisherConfig{Brokers: cfg.Kafka.Brokers, ClientID: cfg.Kafka.ClientID}, logging.Watermill(logger))
	if err != nil {
		return nil, nil, err
	}
	measured, err := router.WatermillMetrics(reg).DecoratePublisher(pub)
	if err != nil {
		_ = pub.Close()
		return nil, nil, err
	}
	return measured, func() { _ = measured.Close() }, nil
}

// NewDecoder returns the Debezium decoder with its defaults.
func NewDecoder() (*debezium.Decoder, error) {
	return debezium.NewDecoder(debezium.DecoderConfig{})
}

// NewRouter builds the router from the processing settings.
func NewRouter(cfg config.Config, poison PoisonPublisher, blocks router.BlockStore, logger *slog.Logger, reg prometheus.Registerer) (*router.Router, error) {
	return router.New(router.Config{
		Service:              cfg.Service,
		SkipReplays:          cfg.Mongo.RebuildSuffix != "",
		PoisonTopic:          cfg.Kafka.PoisonTopic,
		HandlerTimeout:       cfg.Processing.HandlerTimeout,
		RetryInitialInterval: cfg.Processing.RetryInitialInterval,
		RetryMaxInterval:     cfg.Processing.RetryMaxInterval,
		PanicAttempts:        cfg.Processing.PanicAttempts,
		CloseTimeout:         cfg.Processing.CloseTimeout,
		Blocks:               blocks,
	}, poison, logger, reg)
}
