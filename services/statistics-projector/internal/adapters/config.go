package adapters

import (
	"github.com/activityapp/event-processor/shared/config"
)

// Config is the statistics-projector's own settings.
type Config struct {
	// IncrementsTopic carries contributions keyed by statistics document
	// (STATISTICS_INCREMENTS_TOPIC).
	IncrementsTopic string
	// IncrementsGroup consumes it (STATISTICS_INCREMENTS_GROUP); a group
	// of its own, since one group subscribed to two topics by different
	// members is fragile across assignors.
	IncrementsGroup string
	// IncrementsPartitions and IncrementsReplicationFactor create the
	// topic when it does not exist (STATISTICS_INCREMENTS_PARTITIONS,
	// STATISTICS_INCREMENTS_REPLICATION_FACTOR); an existing topic is kept
	// as it is. Partitions bound how many writers share the statistics.
	IncrementsPartitions        int
	IncrementsReplicationFactor int
}

// LoadConfig reads the service's settings after the shared ones.
func LoadConfig(shared config.Config, env *config.Env) (Config, error) {
	cfg := Config{
		IncrementsTopic: env.String("STATISTICS_INCREMENTS_TOPIC", shared.Service+".increments"),
		IncrementsGroup: env.String("STATISTICS_INCREMENTS_GROUP", shared.Kafka.ConsumerGroup+".increments"),

		IncrementsPartitions:        env.Int("STATISTICS_INCREMENTS_PARTITIONS", 12, 1, 1000),
		IncrementsReplicationFactor: env.Int("STATISTICS_INCREMENTS_REPLICATION_FACTOR", 1, 1, 10),
	}
	if err := env.Err(); err != nil {
		return Config{}, err
	}
	if err := config.ValidateTopic("STATISTICS_INCREMENTS_TOPIC", cfg.IncrementsTopic); err != nil {
		return Config{}, err
	}
	for _, t := range []string{shared.Kafka.Topic, shared.Kafka.PoisonTopic} {
		if cfg.IncrementsTopic == t {
			return Config{}, &config.Error{Variable: "STATISTICS_INCREMENTS_TOPIC", Reason: "must differ from KAFKA_TOPIC and KAFKA_POISON_TOPIC"}
		}
	}
	if cfg.IncrementsGroup == shared.Kafka.ConsumerGroup {
		return Config{}, &config.Error{Variable: "STATISTICS_INCREMENTS_GROUP", Reason: "must differ from KAFKA_CONSUMER_GROUP"}
	}
	return cfg, nil
}
