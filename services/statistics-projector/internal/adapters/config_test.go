package adapters_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/config"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/adapters"
)

func load(t *testing.T, env map[string]string) (adapters.Config, error) {
	t.Helper()
	shared, e, err := config.LoadFrom("statistics-projector", config.MapLookup(env))
	require.NoError(t, err, "shared settings")
	return adapters.LoadConfig(shared, e)
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := load(t, map[string]string{})
	require.NoError(t, err)
	assert.Equal(t, adapters.Config{
		IncrementsTopic:             "statistics-projector.increments",
		IncrementsGroup:             "statistics-projector.increments",
		IncrementsPartitions:        12,
		IncrementsReplicationFactor: 1,
	}, cfg)

	// The increments group follows the consumer group; blank means unset.
	cfg, err = load(t, map[string]string{"KAFKA_CONSUMER_GROUP": "stats-blue", "STATISTICS_INCREMENTS_GROUP": "  "})
	require.NoError(t, err)
	assert.Equal(t, "stats-blue.increments", cfg.IncrementsGroup)
	assert.Equal(t, "statistics-projector.increments", cfg.IncrementsTopic)
}

func TestLoadConfigExplicit(t *testing.T) {
	cfg, err := load(t, map[string]string{
		"STATISTICS_INCREMENTS_TOPIC": "stats.inc",
		"STATISTICS_INCREMENTS_GROUP": "stats-writers",

		"STATISTICS_INCREMENTS_PARTITIONS":         "24",
		"STATISTICS_INCREMENTS_REPLICATION_FACTOR": "3",
	})
	require.NoError(t, err)
	assert.Equal(t, adapters.Config{
		IncrementsTopic: "stats.inc", IncrementsGroup: "stats-writers",
		IncrementsPartitions: 24, IncrementsReplicationFactor: 3,
	}, cfg)
}

func TestLoadConfigErrorsNameTheVariable(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		variable string
	}{
		{"topic not a Kafka name", map[string]string{"STATISTICS_INCREMENTS_TOPIC": "bad topic!"}, "STATISTICS_INCREMENTS_TOPIC"},
		{"topic too long", map[string]string{"STATISTICS_INCREMENTS_TOPIC": strings.Repeat("a", 250)}, "STATISTICS_INCREMENTS_TOPIC"},
		{"topic is the outbox topic", map[string]string{"STATISTICS_INCREMENTS_TOPIC": "postgres.activity.event_outbox"}, "STATISTICS_INCREMENTS_TOPIC"},
		{"topic is a custom outbox topic", map[string]string{"KAFKA_TOPIC": "outbox", "STATISTICS_INCREMENTS_TOPIC": "outbox"}, "STATISTICS_INCREMENTS_TOPIC"},
		{"topic is the poison topic", map[string]string{"STATISTICS_INCREMENTS_TOPIC": "statistics-projector.poison"}, "STATISTICS_INCREMENTS_TOPIC"},
		{"group is the consumer group", map[string]string{"STATISTICS_INCREMENTS_GROUP": "statistics-projector"}, "STATISTICS_INCREMENTS_GROUP"},
		{"group is a custom consumer group", map[string]string{"KAFKA_CONSUMER_GROUP": "g", "STATISTICS_INCREMENTS_GROUP": "g"}, "STATISTICS_INCREMENTS_GROUP"},
		{"no partitions", map[string]string{"STATISTICS_INCREMENTS_PARTITIONS": "0"}, "STATISTICS_INCREMENTS_PARTITIONS"},
		{"partitions not a number", map[string]string{"STATISTICS_INCREMENTS_PARTITIONS": "many"}, "STATISTICS_INCREMENTS_PARTITIONS"},
		{"replication factor zero", map[string]string{"STATISTICS_INCREMENTS_REPLICATION_FACTOR": "0"}, "STATISTICS_INCREMENTS_REPLICATION_FACTOR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := load(t, tt.env)
			require.Error(t, err)
			assert.True(t, config.IsConfigError(err), "%v is not a configuration error", err)
			var cerr *config.Error
			require.ErrorAs(t, err, &cerr)
			assert.Equal(t, tt.variable, cerr.Variable)
			assert.Contains(t, err.Error(), tt.variable)
			assert.Equal(t, adapters.Config{}, cfg)
		})
	}
}
