package loadgen

import (
	"flag"
	"fmt"
	"strconv"

	"github.com/activityapp/event-processor/scripts/internal/cli"
)

// BindFlags registers the load flags (-postgres, -n, -rate, -for, -mix,
// -workers, -seed) on fs, writing into cfg; the PostgreSQL URL defaults to
// $POSTGRES_URL. Every command that loads events takes the same flags.
func BindFlags(fs *flag.FlagSet, cfg *Config, getenv func(string) string) {
	postgresURL := cli.Env(getenv, cli.PostgresURLEnv, cli.PostgresURL)
	cfg.Mix = DefaultMix()
	fs.StringVar(&cfg.PostgresURL, "postgres", postgresURL, "PostgreSQL URL of the outbox (default from $POSTGRES_URL)")
	fs.IntVar(&cfg.Count, "n", 0, "write this many events as fast as the workers go")
	fs.Float64Var(&cfg.Rate, "rate", 0, "write this many events per second (with -for)")
	fs.DurationVar(&cfg.Duration, "for", 0, "how long to write at -rate, e.g. 30s")
	fs.Var(&cfg.Mix, "mix", "event categories in percent, summing to 100")
	cfg.Workers = DefaultWorkers
	fs.Var((*workers)(&cfg.Workers), "workers", "concurrent writers")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "random seed for reproducible events (0: random, printed in the summary)")
}

// workers is a flag value of at least 1: a zero would silently mean the
// default.
type workers int

func (w *workers) String() string { return strconv.Itoa(int(*w)) }

func (w *workers) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return fmt.Errorf("must be a whole number of at least 1, got %q", s)
	}
	*w = workers(n)
	return nil
}
