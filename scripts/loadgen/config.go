package loadgen

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Modes of a run.
const (
	// ModeCount writes Config.Count events as fast as the workers go.
	ModeCount = "count"
	// ModeRate writes Config.Rate events per second for Config.Duration.
	ModeRate = "rate"
)

// DefaultWorkers is the number of concurrent writers when Config.Workers is 0.
const DefaultWorkers = 4

// ErrInvalidConfig is wrapped by every Config.Validate error.
var ErrInvalidConfig = errors.New("invalid load config")

// Config configures a Loader. Exactly one mode: Count, or Rate with
// Duration. Errors name the field and the flag of cmd/load that sets it.
type Config struct {
	// PostgresURL is a pgx connection URL; the Loader opens (and Close
	// closes) its own pool. Ignored when Pool is set.
	PostgresURL string
	// Pool, if set, is used instead of PostgresURL and never closed by the
	// Loader. It needs at least Workers connections.
	Pool *pgxpool.Pool

	// Count is the number of events of a count-mode run.
	Count int
	// Rate is the events per second of a rate-mode run, for Duration. If
	// the database cannot keep up, the run stops taking new events a second
	// after Duration and the Result says how far behind it was.
	Rate     float64
	Duration time.Duration

	// Mix is the category mix; the zero Mix means DefaultMix.
	Mix Mix
	// Workers is the number of concurrent writers (default 4).
	Workers int
	// Seed makes the generated events reproducible; 0 picks a random seed,
	// which Result.Seed reports.
	Seed uint64
	// RunID goes into every event's metadata (run_id); default a new UUID.
	RunID string

	// Progress, if set, receives a progress display: one redrawn line on a
	// terminal, else at most one line per second.
	Progress io.Writer
	// OnCommit, if set, is called after every committed event, from the
	// worker goroutines concurrently: it must be safe for that, and quick.
	OnCommit func(Committed)
}

func (c *Config) setDefaults() {
	if c.Mix == (Mix{}) {
		c.Mix = DefaultMix()
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.Seed == 0 {
		c.Seed = newRandomSeed()
	}
	if c.RunID == "" {
		c.RunID = newRandomUUID()
	}
}

// Validate checks the configuration (after defaults) and reports the first
// problem, on one line.
func (c Config) Validate() error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return nil
}

func (c Config) validate() error {
	switch {
	case c.Pool == nil && c.PostgresURL == "":
		return errors.New("-postgres (PostgresURL) is empty")
	case c.Count < 0:
		return fmt.Errorf("-n (Count) must not be negative, got %d", c.Count)
	case c.Rate < 0:
		return fmt.Errorf("-rate (Rate) must not be negative, got %g", c.Rate)
	case c.Duration < 0:
		return fmt.Errorf("-for (Duration) must not be negative, got %v", c.Duration)
	case c.Workers < 1:
		return fmt.Errorf("-workers (Workers) must be at least 1, got %d", c.Workers)
	}
	if err := c.Mix.Validate(); err != nil {
		return fmt.Errorf("-mix (Mix): %w", err)
	}
	return c.validateMode()
}

func (c Config) validateMode() error {
	rateMode := c.Rate != 0 || c.Duration != 0
	switch {
	case c.Count != 0 && rateMode:
		return errors.New("give either -n (Count) or -rate (Rate) with -for (Duration), not both")
	case c.Count == 0 && !rateMode:
		return errors.New("give -n (Count), or -rate (Rate) with -for (Duration)")
	case c.Count != 0:
		return nil
	case c.Rate == 0:
		return errors.New("-rate (Rate) is required with -for (Duration)")
	case c.Duration == 0:
		return errors.New("-for (Duration) is required with -rate (Rate)")
	case c.Rate > 0 && c.Duration > 0 && plannedEvents(c.Rate, c.Duration) < 1:
		return fmt.Errorf("-rate (Rate) %g/s for -for (Duration) %v plans no event", c.Rate, c.Duration)
	}
	return nil
}

// mode is ModeCount or ModeRate (of a valid Config).
func (c Config) mode() string {
	if c.Count > 0 {
		return ModeCount
	}
	return ModeRate
}

// planned is the number of events the run means to write.
func (c Config) planned() int {
	if c.Count > 0 {
		return c.Count
	}
	return plannedEvents(c.Rate, c.Duration)
}
