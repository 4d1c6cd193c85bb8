package config

import (
	"fmt"
	"log/slog"
	"math"
	"net"
	"regexp"
	"strconv"
	"time"

	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/mongodb"
)

// Config is what every projector needs. A service with settings of its own
// reads them with the same Env after Load.
type Config struct {
	// Service names the projector; it is the default consumer group and the
	// prefix of the default poison topic.
	Service    string
	Kafka      Kafka
	Mongo      Mongo
	Processing Processing
	LogLevel   slog.Level
	// HTTPAddr serves /healthz, /readyz and /metrics.
	HTTPAddr string
}

// Kafka settings.
type Kafka struct {
	Brokers       []string // KAFKA_BROKERS, comma-separated
	Topic         string   // KAFKA_TOPIC
	ConsumerGroup string   // KAFKA_CONSUMER_GROUP
	PoisonTopic   string   // KAFKA_POISON_TOPIC
	ClientID      string   // KAFKA_CLIENT_ID
	// OffsetReset is where a group without committed offsets starts on
	// the outbox topic: "earliest" (every event ever written) or "latest"
	// (only events written from now on) (KAFKA_AUTO_OFFSET_RESET).
	OffsetReset string
	// The poison topic is created at start with these when it is missing
	// (KAFKA_POISON_PARTITIONS, KAFKA_POISON_REPLICATION_FACTOR); a poison
	// record may be as large as PoisonMaxMessageBytes
	// (KAFKA_POISON_MAX_MESSAGE_BYTES: the topic's max.message.bytes and
	// the poison producer's limit). A poison record is the original record
	// plus headers, so this must stay above the largest outbox record.
	PoisonPartitions        int
	PoisonReplicationFactor int
	PoisonMaxMessageBytes   int
}

// Mongo settings.
type Mongo struct {
	URI      string // MONGODB_URI
	Database string // MONGODB_DATABASE
	// WriteConcern is "majority" or a number of members; empty means the
	// URI's w, else majority (MONGODB_WRITE_CONCERN).
	WriteConcern string
	// RebuildSuffix, when set, makes the projector write every read model
	// to its collection name plus the suffix, whatever the read-model
	// pointers say: a rebuild instance (READ_MODEL_REBUILD_SUFFIX).
	RebuildSuffix string
}

// Processing tunes batching, retries and shutdown.
type Processing struct {
	// BatchMaxEvents caps the records of one partition handled as one
	// batch (BATCH_MAX_EVENTS).
	BatchMaxEvents int
	// BatchMaxWait is how long a batch that is not full waits for more
	// records after its first; 0 takes only what is already fetched
	// (BATCH_MAX_WAIT).
	BatchMaxWait time.Duration
	// HandlerTimeout bounds one attempt at one batch (HANDLER_TIMEOUT).
	HandlerTimeout time.Duration
	// RetryInitialInterval and RetryMaxInterval bound the exponential backoff
	// between attempts (RETRY_INITIAL_INTERVAL, RETRY_MAX_INTERVAL).
	RetryInitialInterval time.Duration
	RetryMaxInterval     time.Duration
	// PanicAttempts is how often a panicking message is tried before it
	// is poisoned (PANIC_ATTEMPTS). Permanent errors are poisoned at once;
	// transient errors are retried without limit.
	PanicAttempts int
	// CloseTimeout is how long shutdown waits for in-flight messages
	// (CLOSE_TIMEOUT).
	CloseTimeout time.Duration
}

// Defaults. The topic is the one Debezium writes for activity.event_outbox
// with topic.prefix "postgres".
const (
	DefaultBrokers  = "localhost:9092"
	DefaultTopic    = "postgres.activity.event_outbox"
	DefaultMongoURI = "mongodb://localhost:27017"
	DefaultDatabase = "activity_read_models"
	DefaultHTTPAddr = ":8080"

	// OffsetResetEarliest and OffsetResetLatest are the values of
	// KAFKA_AUTO_OFFSET_RESET, as Kafka's auto.offset.reset names them.
	OffsetResetEarliest = "earliest"
	OffsetResetLatest   = "latest"

	// DefaultPoisonMaxMessageBytes leaves room above the outbox topic's
	// record limit (8 MiB, debezium/postgres-connector.json) for the
	// headers a poison record adds.
	DefaultPoisonMaxMessageBytes = 9 << 20
	// MinPoisonMaxMessageBytes: below this no real event would fit.
	MinPoisonMaxMessageBytes = 64 << 10

	// DefaultBatchMaxEvents and DefaultBatchMaxWait: under load a batch
	// fills with what the consumer has already fetched; when idle a batch
	// waits at most a few milliseconds, so latency stays low.
	DefaultBatchMaxEvents = kafka.DefaultBatchMaxEvents
	DefaultBatchMaxWait   = 5 * time.Millisecond
	// MaxBatchMaxEvents keeps a batch's bulk writes within what one
	// MongoDB command carries comfortably.
	MaxBatchMaxEvents = 10_000
	// MaxBatchMaxWait keeps an idle partition's events from waiting
	// longer than a user would accept.
	MaxBatchMaxWait = 10 * time.Second
)

var (
	topicName     = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)
	databaseName  = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,63}$`)
	rebuildSuffix = regexp.MustCompile(`^_[a-z0-9_]{1,40}$`)
)

// LoadFrom reads the shared settings through lookup. It returns the Env so
// the caller can read service-specific variables and check Env.Err.
func LoadFrom(service string, lookup func(string) (string, bool)) (Config, *Env, error) {
	env := NewEnv(lookup)
	// The second names are the prototype's; the project's own win.
	brokersVar := env.Either("KAFKA_BROKERS", "KAFKA_BOOTSTRAP_SERVERS")
	cfg := Config{
		Service: service,
		Kafka: Kafka{
			Brokers:       env.List(brokersVar, []string{DefaultBrokers}),
			Topic:         env.String("KAFKA_TOPIC", DefaultTopic),
			ConsumerGroup: env.String(env.Either("KAFKA_CONSUMER_GROUP", "KAFKA_GROUP_ID"), service),
			OffsetReset:   env.String("KAFKA_AUTO_OFFSET_RESET", OffsetResetEarliest),
			PoisonTopic:   env.String("KAFKA_POISON_TOPIC", service+".poison"),
			ClientID:      env.String("KAFKA_CLIENT_ID", service),

			PoisonPartitions:        env.Int("KAFKA_POISON_PARTITIONS", 1, 1, 10_000),
			PoisonReplicationFactor: env.Int("KAFKA_POISON_REPLICATION_FACTOR", 1, 1, 32_767),
			PoisonMaxMessageBytes: env.Int("KAFKA_POISON_MAX_MESSAGE_BYTES", DefaultPoisonMaxMessageBytes,
				MinPoisonMaxMessageBytes, math.MaxInt32),
		},
		Mongo: Mongo{
			URI:           env.MongoURI("MONGODB_URI", DefaultMongoURI),
			Database:      env.String("MONGODB_DATABASE", DefaultDatabase),
			WriteConcern:  env.String("MONGODB_WRITE_CONCERN", ""),
			RebuildSuffix: env.String("READ_MODEL_REBUILD_SUFFIX", ""),
		},
		Processing: Processing{
			BatchMaxEvents:       env.Int(env.Either("BATCH_MAX_EVENTS", "KAFKA_MAX_POLL_RECORDS"), DefaultBatchMaxEvents, 1, MaxBatchMaxEvents),
			BatchMaxWait:         env.NonNegativeDuration("BATCH_MAX_WAIT", DefaultBatchMaxWait),
			HandlerTimeout:       env.Duration("HANDLER_TIMEOUT", 10*time.Second),
			RetryInitialInterval: env.Duration("RETRY_INITIAL_INTERVAL", 100*time.Millisecond),
			RetryMaxInterval:     env.Duration("RETRY_MAX_INTERVAL", 10*time.Second),
			PanicAttempts:        env.Int("PANIC_ATTEMPTS", 3, 1, 100),
			CloseTimeout:         env.Duration("CLOSE_TIMEOUT", 30*time.Second),
		},
		LogLevel: env.LogLevel("LOG_LEVEL", slog.LevelInfo),
		HTTPAddr: env.String("HTTP_ADDR", DefaultHTTPAddr),
	}
	if err := env.Err(); err != nil {
		return Config{}, env, err
	}
	if err := validateBrokers(brokersVar, cfg.Kafka.Brokers); err != nil {
		return Config{}, env, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, env, err
	}
	return cfg, env, nil
}

// Validate checks values that parse but make no sense.
func (c Config) Validate() error {
	if err := ValidateTopic("KAFKA_TOPIC", c.Kafka.Topic); err != nil {
		return err
	}
	if err := ValidateTopic("KAFKA_POISON_TOPIC", c.Kafka.PoisonTopic); err != nil {
		return err
	}
	if c.Kafka.OffsetReset != OffsetResetEarliest && c.Kafka.OffsetReset != OffsetResetLatest {
		return &Error{Variable: "KAFKA_AUTO_OFFSET_RESET", Reason: fmt.Sprintf("want earliest or latest, got %q", c.Kafka.OffsetReset)}
	}
	if err := validateBrokers("KAFKA_BROKERS", c.Kafka.Brokers); err != nil {
		return err
	}
	if c.Kafka.PoisonTopic == c.Kafka.Topic {
		return &Error{Variable: "KAFKA_POISON_TOPIC", Reason: "must differ from KAFKA_TOPIC"}
	}
	if s := c.Mongo.RebuildSuffix; s != "" && !rebuildSuffix.MatchString(s) {
		return &Error{Variable: "READ_MODEL_REBUILD_SUFFIX", Reason: fmt.Sprintf("want _ and up to 40 of a-z, 0-9, _, got %q", s)}
	}
	if !databaseName.MatchString(c.Mongo.Database) {
		return &Error{Variable: "MONGODB_DATABASE", Reason: fmt.Sprintf("not a valid database name: %q", c.Mongo.Database)}
	}
	if _, err := mongodb.ParseWriteConcern(c.Mongo.WriteConcern); err != nil {
		return &Error{Variable: "MONGODB_WRITE_CONCERN", Reason: err.Error()}
	}
	if c.Processing.BatchMaxWait > MaxBatchMaxWait {
		return &Error{Variable: "BATCH_MAX_WAIT", Reason: fmt.Sprintf("must not exceed %s", MaxBatchMaxWait)}
	}
	if c.Processing.RetryMaxInterval < c.Processing.RetryInitialInterval {
		return &Error{Variable: "RETRY_MAX_INTERVAL", Reason: "must not be below RETRY_INITIAL_INTERVAL"}
	}
	// Shutdown waits for in-flight batches; one attempt may take
	// HANDLER_TIMEOUT, so a shorter wait cuts every slow attempt short.
	if c.Processing.CloseTimeout <= c.Processing.HandlerTimeout {
		return &Error{Variable: "CLOSE_TIMEOUT", Reason: fmt.Sprintf(
			"must exceed HANDLER_TIMEOUT (%s), got %s", c.Processing.HandlerTimeout, c.Processing.CloseTimeout)}
	}
	if err := validateListenAddr(c.HTTPAddr); err != nil {
		return &Error{Variable: "HTTP_ADDR", Reason: err.Error()}
	}
	return nil
}

// validateBrokers checks that every broker is host:port; variable is the
// name the brokers were read from.
func validateBrokers(variable string, brokers []string) error {
	for _, b := range brokers {
		if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
			return &Error{Variable: variable, Reason: fmt.Sprintf("not host:port: %q", b)}
		}
	}
	return nil
}

// validateListenAddr accepts what net.Listen("tcp", addr) would: [host]:port
// with a port from 0 to 65535.
func validateListenAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("not [host]:port: %q", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("port not a number from 0 to 65535: %q", addr)
	}
	return nil
}

// ValidateTopic checks that variable holds a legal Kafka topic name.
func ValidateTopic(variable, topic string) error {
	if !topicName.MatchString(topic) || topic == "." || topic == ".." {
		return &Error{Variable: variable, Reason: fmt.Sprintf("not a valid Kafka topic name: %q", topic)}
	}
	return nil
}
