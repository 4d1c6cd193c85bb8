// Package verify is the independent oracle of the projectors: it recomputes
// the read models from the PostgreSQL outbox, reads what MongoDB holds, and
// reports every difference.
//
// The expected model is a fold of each aggregate's events in
// aggregate_version order. The projectors apply events with field-level
// last-writer-wins, which must give the same documents whatever order the
// events arrived in; comparing against the simplest correct computation is
// what makes that claim testable.
//
// The verifier reads rows and payloads with rules of its own, written from
// docs/events.md (catalogue.go, event.go, payload*.go), and shares no
// payload code with the projectors: a mistake there would otherwise give
// the same wrong answer on both sides.
package verify

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// DefaultDatabase is the read models' database.
const DefaultDatabase = "activity_read_models"

// ErrInvalidConfig is wrapped by every configuration error, so callers can
// tell a usage mistake from a server they cannot read.
var ErrInvalidConfig = errors.New("verify: invalid config")

// Config says where the outbox and the read models are.
type Config struct {
	// PostgresURL is a pgx connection string to the database holding
	// activity.event_outbox.
	PostgresURL string
	// MongoURI is the MongoDB server of the read models.
	MongoURI string
	// Database is the read models' database; DefaultDatabase when empty.
	Database string
	// Brokers, when set, are the Kafka brokers of the projectors' poison
	// topics: the summary then sets each projector's poisoned events
	// beside the outbox events the verifier finds invalid for it.
	Brokers []string

	// MaxExamples is how many differences per collection Run prints;
	// 10 when zero, none when negative.
	MaxExamples int
	// Wait keeps comparing, every PollInterval, until the read models
	// match or Wait has passed: the projectors are eventually consistent.
	// Zero compares once.
	Wait time.Duration
	// PollInterval is the pause between comparisons while waiting; one
	// second when zero.
	PollInterval time.Duration
	// Timeout bounds connecting to and reading from each server in one
	// comparison; 30 seconds when zero.
	Timeout time.Duration
}

func (c *Config) setDefaults() {
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if c.MaxExamples == 0 {
		c.MaxExamples = 10
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
}

// Validate reports settings Run cannot work with. Every error wraps
// ErrInvalidConfig.
func (c Config) Validate() error {
	var errs []error
	if c.PostgresURL == "" {
		errs = append(errs, errors.New("PostgresURL is empty"))
	} else if _, err := pgx.ParseConfig(c.PostgresURL); err != nil {
		errs = append(errs, fmt.Errorf("PostgresURL: %w", err))
	}
	if c.MongoURI == "" {
		errs = append(errs, errors.New("MongoURI is empty"))
	} else if err := options.Client().ApplyURI(c.MongoURI).Validate(); err != nil {
		errs = append(errs, fmt.Errorf("MongoURI: %w", err))
	}
	if c.Database == "" {
		errs = append(errs, errors.New("database name is empty"))
	}
	if slices.Contains(c.Brokers, "") {
		errs = append(errs, errors.New("an empty broker address"))
	}
	if c.Wait < 0 || c.PollInterval < 0 || c.Timeout < 0 {
		errs = append(errs, errors.New("durations (Wait, PollInterval, Timeout) must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return nil
}
