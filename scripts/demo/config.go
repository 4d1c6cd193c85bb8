// Package demo runs the demo: it loads events into the outbox of a running
// stack, waits until every projector has handled them, verifies the read
// models against the outbox and reports throughput, latency and success.
package demo

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/activityapp/event-processor/scripts/loadgen"
)

// ErrInvalidConfig is wrapped by every Config.Validate error.
var ErrInvalidConfig = errors.New("invalid demo config")

// Config configures a demo run.
type Config struct {
	// Load is the load generator's configuration (its PostgresURL is
	// also the verifier's).
	Load loadgen.Config
	// MongoURI and Database locate the read models.
	MongoURI string
	Database string
	// Brokers and OutboxTopic locate the pipeline's Kafka topics.
	Brokers     []string
	OutboxTopic string
	// MetricsURLs are the projector instances' /metrics, for the store
	// operations per event; none leaves that line out of the report.
	MetricsURLs []string
	// OutDir receives report.json and the charts.
	OutDir string
	// Timeout bounds the wait for the projectors after the load; zero
	// allows one minute plus 30 ms per planned event.
	Timeout time.Duration
	// SampleInterval is how often consumer progress is sampled.
	SampleInterval time.Duration
	// Log receives progress lines (the load generator's progress goes to
	// Load.Progress).
	Log io.Writer
}

func (c *Config) setDefaults() {
	if c.Database == "" {
		c.Database = "activity_read_models"
	}
	if c.OutboxTopic == "" {
		c.OutboxTopic = "postgres.activity.event_outbox"
	}
	if c.SampleInterval == 0 {
		c.SampleInterval = 250 * time.Millisecond
	}
	if c.Timeout == 0 {
		planned := c.Load.Count
		if planned == 0 {
			planned = int(c.Load.Rate * c.Load.Duration.Seconds())
		}
		c.Timeout = time.Minute + time.Duration(planned)*30*time.Millisecond
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// Validate checks what the demo itself needs; the load generator checks
// its own part.
func (c Config) Validate() error {
	switch {
	case c.Load.PostgresURL == "":
		return fmt.Errorf("%w: -postgres: required", ErrInvalidConfig)
	case c.MongoURI == "":
		return fmt.Errorf("%w: -mongodb: required", ErrInvalidConfig)
	case len(c.Brokers) == 0:
		return fmt.Errorf("%w: -kafka: required", ErrInvalidConfig)
	case c.OutDir == "":
		return fmt.Errorf("%w: -out: required", ErrInvalidConfig)
	case c.Timeout < 0:
		return fmt.Errorf("%w: -timeout: must not be negative", ErrInvalidConfig)
	}
	return nil
}
