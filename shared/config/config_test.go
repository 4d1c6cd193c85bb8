package config_test

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/config"
)

func TestLoadFromDefaults(t *testing.T) {
	t.Parallel()
	cfg, env, err := config.LoadFrom("user-projector", config.MapLookup(nil))
	require.NoError(t, err)
	require.NotNil(t, env)
	require.NoError(t, env.Err())

	assert.Equal(t, config.Config{
		Service: "user-projector",
		Kafka: config.Kafka{
			Brokers:       []string{"localhost:9092"},
			Topic:         "postgres.activity.event_outbox",
			ConsumerGroup: "user-projector",
			PoisonTopic:   "user-projector.poison",
			ClientID:      "user-projector",
			OffsetReset:   "earliest",

			PoisonPartitions:        1,
			PoisonReplicationFactor: 1,
			PoisonMaxMessageBytes:   9 << 20,
		},
		Mongo: config.Mongo{
			URI:      "mongodb://localhost:27017",
			Database: "activity_read_models",
		},
		Processing: config.Processing{
			BatchMaxEvents:       500,
			BatchMaxWait:         5 * time.Millisecond,
			HandlerTimeout:       10 * time.Second,
			RetryInitialInterval: 100 * time.Millisecond,
			RetryMaxInterval:     10 * time.Second,
			PanicAttempts:        3,
			CloseTimeout:         30 * time.Second,
		},
		LogLevel: slog.LevelInfo,
		HTTPAddr: ":8080",
	}, cfg)
	require.NoError(t, cfg.Validate())
}

func TestLoadFromEmptyValuesMeanDefaults(t *testing.T) {
	t.Parallel()
	cfg, _, err := config.LoadFrom("svc", config.MapLookup(map[string]string{
		"KAFKA_TOPIC":     "  ",
		"HANDLER_TIMEOUT": "",
	}))
	require.NoError(t, err)
	assert.Equal(t, config.DefaultTopic, cfg.Kafka.Topic)
	assert.Equal(t, 10*time.Second, cfg.Processing.HandlerTimeout)
}

func TestLoadFromValues(t *testing.T) {
	t.Parallel()
	cfg, _, err := config.LoadFrom("svc", config.MapLookup(map[string]string{
		"KAFKA_BROKERS":          " kafka-1:9092, ,kafka-2:9093 ",
		"KAFKA_TOPIC":            "outbox.events",
		"KAFKA_CONSUMER_GROUP":   "group-a",
		"KAFKA_POISON_TOPIC":     "outbox.events.dlq",
		"KAFKA_CLIENT_ID":        "client-a",
		"MONGODB_URI":            "mongodb+srv://user:pw@cluster.example.com/?retryWrites=true",
		"MONGODB_DATABASE":       "read_models-2",
		"HANDLER_TIMEOUT":        "750ms",
		"BATCH_MAX_EVENTS":       "50",
		"BATCH_MAX_WAIT":         "0",
		"RETRY_INITIAL_INTERVAL": "5ms",
		"RETRY_MAX_INTERVAL":     "1m",
		"PANIC_ATTEMPTS":         "7",
		"CLOSE_TIMEOUT":          "4s",
		"LOG_LEVEL":              "debug",
		"HTTP_ADDR":              "127.0.0.1:9000",
		"MONGODB_WRITE_CONCERN":  "2",

		"KAFKA_POISON_PARTITIONS":         "3",
		"KAFKA_POISON_REPLICATION_FACTOR": "2",
		"KAFKA_POISON_MAX_MESSAGE_BYTES":  "5000000",
	}))
	require.NoError(t, err)
	assert.Equal(t, []string{"kafka-1:9092", "kafka-2:9093"}, cfg.Kafka.Brokers)
	assert.Equal(t, "outbox.events", cfg.Kafka.Topic)
	assert.Equal(t, "group-a", cfg.Kafka.ConsumerGroup)
	assert.Equal(t, "outbox.events.dlq", cfg.Kafka.PoisonTopic)
	assert.Equal(t, "client-a", cfg.Kafka.ClientID)
	assert.Equal(t, "mongodb+srv://user:pw@cluster.example.com/?retryWrites=true", cfg.Mongo.URI)
	assert.Equal(t, "read_models-2", cfg.Mongo.Database)
	assert.Equal(t, 750*time.Millisecond, cfg.Processing.HandlerTimeout)
	assert.Equal(t, 50, cfg.Processing.BatchMaxEvents)
	assert.Zero(t, cfg.Processing.BatchMaxWait, "0: only what is already fetched")
	assert.Equal(t, 5*time.Millisecond, cfg.Processing.RetryInitialInterval)
	assert.Equal(t, time.Minute, cfg.Processing.RetryMaxInterval)
	assert.Equal(t, 7, cfg.Processing.PanicAttempts)
	assert.Equal(t, 4*time.Second, cfg.Processing.CloseTimeout)
	assert.Equal(t, slog.LevelDebug, cfg.LogLevel)
	assert.Equal(t, "127.0.0.1:9000", cfg.HTTPAddr)
	assert.Equal(t, "2", cfg.Mongo.WriteConcern)
	assert.Equal(t, 3, cfg.Kafka.PoisonPartitions)
	assert.Equal(t, 2, cfg.Kafka.PoisonReplicationFactor)
	assert.Equal(t, 5_000_000, cfg.Kafka.PoisonMaxMessageBytes)
}

func TestLoadFromInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      map[string]string
		variable string
		reason   string // a part of the message
	}{
		{"brokers not host:port", map[string]string{"KAFKA_BROKERS": "bad"}, "KAFKA_BROKERS", `"bad"`},
		{"brokers without port", map[string]string{"KAFKA_BROKERS": "ok:9092,bad:"}, "KAFKA_BROKERS", `"bad:"`},
		{"brokers only commas", map[string]string{"KAFKA_BROKERS": ",,"}, "KAFKA_BROKERS", "no values"},
		{"mongo uri scheme", map[string]string{"MONGODB_URI": "http://x"}, "MONGODB_URI", `"http://x"`},
		{"mongo uri without host", map[string]string{"MONGODB_URI": "mongodb://"}, "MONGODB_URI", "with a host"},
		{"handler timeout not a duration", map[string]string{"HANDLER_TIMEOUT": "abc"}, "HANDLER_TIMEOUT", `"abc"`},
		{"batch of no events", map[string]string{"BATCH_MAX_EVENTS": "0"}, "BATCH_MAX_EVENTS", "0"},
		{"batch too large", map[string]string{"BATCH_MAX_EVENTS": "10001"}, "BATCH_MAX_EVENTS", "10001"},
		{"batch size not a number", map[string]string{"BATCH_MAX_EVENTS": "many"}, "BATCH_MAX_EVENTS", `many`},
		{"batch wait negative", map[string]string{"BATCH_MAX_WAIT": "-1ms"}, "BATCH_MAX_WAIT", "negative"},
		{"batch wait not a duration", map[string]string{"BATCH_MAX_WAIT": "soon"}, "BATCH_MAX_WAIT", `"soon"`},
		{"batch wait too long", map[string]string{"BATCH_MAX_WAIT": "11s"}, "BATCH_MAX_WAIT", "10s"},
		{"handler timeout negative", map[string]string{"HANDLER_TIMEOUT": "-1s"}, "HANDLER_TIMEOUT", "positive"},
		{"handler timeout zero", map[string]string{"HANDLER_TIMEOUT": "0s"}, "HANDLER_TIMEOUT", "positive"},
		{"close timeout", map[string]string{"CLOSE_TIMEOUT": "soon"}, "CLOSE_TIMEOUT", `"soon"`},
		{"close timeout equals handler timeout", map[string]string{"CLOSE_TIMEOUT": "10s"}, "CLOSE_TIMEOUT", "must exceed HANDLER_TIMEOUT (10s)"},
		{
			"close timeout below handler timeout",
			map[string]string{"HANDLER_TIMEOUT": "1m", "CLOSE_TIMEOUT": "30s"},
			"CLOSE_TIMEOUT", "must exceed HANDLER_TIMEOUT (1m0s), got 30s",
		},
		{"http addr without port", map[string]string{"HTTP_ADDR": "8080"}, "HTTP_ADDR", `not [host]:port: "8080"`},
		{"rebuild suffix without underscore", map[string]string{"READ_MODEL_REBUILD_SUFFIX": "r1"}, "READ_MODEL_REBUILD_SUFFIX", `got "r1"`},
		{"rebuild suffix with a dot", map[string]string{"READ_MODEL_REBUILD_SUFFIX": "_r.1"}, "READ_MODEL_REBUILD_SUFFIX", "want _ and up to 40"},
		{"http addr port not a number", map[string]string{"HTTP_ADDR": ":http-alt"}, "HTTP_ADDR", "port not a number"},
		{"http addr port too large", map[string]string{"HTTP_ADDR": "0.0.0.0:70000"}, "HTTP_ADDR", `"0.0.0.0:70000"`},
		{"write concern zero", map[string]string{"MONGODB_WRITE_CONCERN": "0"}, "MONGODB_WRITE_CONCERN", `"majority" or a number of members of at least 1, got "0"`},
		{"write concern word", map[string]string{"MONGODB_WRITE_CONCERN": "all"}, "MONGODB_WRITE_CONCERN", `got "all"`},
		{"poison partitions zero", map[string]string{"KAFKA_POISON_PARTITIONS": "0"}, "KAFKA_POISON_PARTITIONS", "between 1 and 10000"},
		{"poison replication zero", map[string]string{"KAFKA_POISON_REPLICATION_FACTOR": "0"}, "KAFKA_POISON_REPLICATION_FACTOR", "between 1"},
		{"poison record limit too small", map[string]string{"KAFKA_POISON_MAX_MESSAGE_BYTES": "1000"}, "KAFKA_POISON_MAX_MESSAGE_BYTES", "between 65536"},
		{"offset reset", map[string]string{"KAFKA_AUTO_OFFSET_RESET": "none"}, "KAFKA_AUTO_OFFSET_RESET", `want earliest or latest, got "none"`},
		{"prototype's brokers", map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "kafka"}, "KAFKA_BOOTSTRAP_SERVERS", `"kafka"`},
		{"prototype's poll records", map[string]string{"KAFKA_MAX_POLL_RECORDS": "0"}, "KAFKA_MAX_POLL_RECORDS", "0"},
		{"http addr empty port", map[string]string{"HTTP_ADDR": "localhost:"}, "HTTP_ADDR", "port not a number"},
		{"panic attempts zero", map[string]string{"PANIC_ATTEMPTS": "0"}, "PANIC_ATTEMPTS", "between 1 and 100"},
		{"panic attempts not a number", map[string]string{"PANIC_ATTEMPTS": "three"}, "PANIC_ATTEMPTS", "not an integer"},
		{"log level", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL", `"loud"`},
		{"topic", map[string]string{"KAFKA_TOPIC": "bad topic!"}, "KAFKA_TOPIC", `"bad topic!"`},
		{"topic dot", map[string]string{"KAFKA_TOPIC": ".."}, "KAFKA_TOPIC", "topic name"},
		{"poison topic", map[string]string{"KAFKA_POISON_TOPIC": "a:b"}, "KAFKA_POISON_TOPIC", "topic name"},
		{
			"poison topic equals topic",
			map[string]string{"KAFKA_TOPIC": "events", "KAFKA_POISON_TOPIC": "events"},
			"KAFKA_POISON_TOPIC", "must differ from KAFKA_TOPIC",
		},
		{
			"poison topic equals default topic",
			map[string]string{"KAFKA_POISON_TOPIC": config.DefaultTopic},
			"KAFKA_POISON_TOPIC", "must differ from KAFKA_TOPIC",
		},
		{"database", map[string]string{"MONGODB_DATABASE": "a/b"}, "MONGODB_DATABASE", `"a/b"`},
		{
			"retry max below initial",
			map[string]string{"RETRY_INITIAL_INTERVAL": "2s", "RETRY_MAX_INTERVAL": "1s"},
			"RETRY_MAX_INTERVAL", "RETRY_INITIAL_INTERVAL",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := config.LoadFrom("svc", config.MapLookup(tt.env))
			require.Error(t, err)
			assert.Equal(t, config.Config{}, cfg, "no half-filled config on error")
			assert.ErrorIs(t, err, config.ErrInvalid)
			assert.True(t, config.IsConfigError(err))
			assert.Contains(t, err.Error(), tt.variable)
			assert.Contains(t, err.Error(), tt.reason)

			var cerr *config.Error
			require.True(t, errors.As(err, &cerr), "%T is no *config.Error", err)
			assert.Equal(t, tt.variable, cerr.Variable)
		})
	}
}

// TestLoadFromFirstErrorWins: with several bad variables the error names
// one of them, deterministically the first one read.
func TestLoadFromFirstErrorWins(t *testing.T) {
	t.Parallel()
	_, _, err := config.LoadFrom("svc", config.MapLookup(map[string]string{
		"HANDLER_TIMEOUT": "abc",
		"LOG_LEVEL":       "loud",
	}))
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), "HANDLER_TIMEOUT")
	assert.NotContains(t, err.Error(), "LOG_LEVEL")
}

func TestMongoURIPasswordIsRedacted(t *testing.T) {
	t.Parallel()
	for _, uri := range []string{
		"http://admin:s3cret@db.example.com",
		"mongodb://admin:s3cret@",
		"mongodb://admin:s3cret%zz@db.example.com", // not even parseable
		"admin:s3cret@db.example.com",              // no scheme
	} {
		t.Run(uri, func(t *testing.T) {
			_, _, err := config.LoadFrom("svc", config.MapLookup(map[string]string{"MONGODB_URI": uri}))
			require.ErrorIs(t, err, config.ErrInvalid)
			assert.Contains(t, err.Error(), "MONGODB_URI")
			assert.NotContains(t, err.Error(), "s3cret")
			assert.Contains(t, err.Error(), "xxxxx@")
		})
	}
}

func TestEnvServiceVariables(t *testing.T) {
	t.Parallel()
	env := config.NewEnv(config.MapLookup(map[string]string{
		"BATCH":   "12",
		"NAME":    " x ",
		"WORKERS": "zero",
	}))
	assert.Equal(t, 12, env.Int("BATCH", 1, 1, 100))
	assert.Equal(t, "x", env.String("NAME", "default"), "trimmed")
	assert.Equal(t, "default", env.String("MISSING", "default"))
	assert.Equal(t, 3, env.Int("MISSING", 3, 1, 100))
	require.NoError(t, env.Err())

	assert.Equal(t, 4, env.Int("WORKERS", 4, 1, 10))
	err := env.Err()
	require.ErrorIs(t, err, config.ErrInvalid)
	assert.Contains(t, err.Error(), "WORKERS")
	assert.Contains(t, err.Error(), `"zero"`)

	// The first error is kept.
	assert.Equal(t, 5, env.Int("BATCH", 5, 1, 10))
	assert.Contains(t, env.Err().Error(), "WORKERS")
}

func TestValidateTopic(t *testing.T) {
	t.Parallel()
	require.NoError(t, config.ValidateTopic("T", "a.b_c-D9"))
	for _, bad := range []string{"", ".", "..", "a b", "a/b", string(make([]byte, 250))} {
		err := config.ValidateTopic("T", bad)
		require.Errorf(t, err, "%q", bad)
		assert.ErrorIs(t, err, config.ErrInvalid)
	}
}

// The prototype's names work where they mean the same; the project's own
// win when both are set.
func TestLoadFromPrototypeNames(t *testing.T) {
	t.Parallel()
	prototype := map[string]string{
		"KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
		"KAFKA_GROUP_ID":          "legacy-group",
		"KAFKA_AUTO_OFFSET_RESET": "latest",
		"KAFKA_MAX_POLL_RECORDS":  "250",
	}
	cfg, _, err := config.LoadFrom("svc", config.MapLookup(prototype))
	require.NoError(t, err)
	assert.Equal(t, []string{"kafka:9092"}, cfg.Kafka.Brokers)
	assert.Equal(t, "legacy-group", cfg.Kafka.ConsumerGroup)
	assert.Equal(t, config.OffsetResetLatest, cfg.Kafka.OffsetReset)
	assert.Equal(t, 250, cfg.Processing.BatchMaxEvents)

	both := map[string]string{"KAFKA_BROKERS": "broker:9092", "KAFKA_CONSUMER_GROUP": "own-group", "BATCH_MAX_EVENTS": "40"}
	for k, v := range prototype {
		both[k] = v
	}
	cfg, _, err = config.LoadFrom("svc", config.MapLookup(both))
	require.NoError(t, err)
	assert.Equal(t, []string{"broker:9092"}, cfg.Kafka.Brokers)
	assert.Equal(t, "own-group", cfg.Kafka.ConsumerGroup)
	assert.Equal(t, 40, cfg.Processing.BatchMaxEvents)
}
