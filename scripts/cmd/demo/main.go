// Command demo loads events into the outbox of the running stack, waits
// until every projector has handled them, verifies the read models against
// the outbox and reports throughput, commit-to-read-model latency, success
// and the event mix (package demo):
//
//	demo -n 1000                  # what `make demo` runs
//	demo -rate 200 -for 1m        # a steady load
//	demo -n 500 -mix user=100     # user events only
//
// The table goes to stdout; report.json, report.txt, latency.svg and
// throughput.svg to -out. Exit status: 0 when every event reached every
// read model and the verifier agrees, 1 when not, 2 for invalid flags, 3
// when the stack cannot be reached.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/activityapp/event-processor/scripts/demo"
	"github.com/activityapp/event-processor/scripts/internal/cli"
	"github.com/activityapp/event-processor/scripts/loadgen"
)

// defaultEvents is the load without -n or -rate: what `make demo` shows.
const defaultEvents = 1000

// Exit statuses.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitUnreachable = 3
)

func main() { cli.Main(run) }

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "demo: %v\n", err)
		return exitUsage
	}
	cfg.Load.Progress, cfg.Log = stderr, stderr

	r, err := demo.Run(ctx, cfg)
	switch {
	case errors.Is(err, demo.ErrInvalidConfig), errors.Is(err, loadgen.ErrInvalidConfig):
		_, _ = fmt.Fprintf(stderr, "demo: %v\n", err)
		return exitUsage
	case errors.Is(err, demo.ErrStackUnreachable):
		_, _ = fmt.Fprintf(stderr, "demo: %v\n", err)
		return exitUnreachable
	case err != nil:
		_, _ = fmt.Fprintf(stderr, "demo: %v\n", err)
		return exitFailed
	}
	_, _ = fmt.Fprintln(stdout)
	if err := r.WriteTable(stdout); err != nil {
		_, _ = fmt.Fprintf(stderr, "demo: %v\n", err)
		return exitFailed
	}
	_, _ = fmt.Fprintf(stdout, "Report: %s/report.json\n", cfg.OutDir)
	if !r.OK() {
		return exitFailed
	}
	return exitOK
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (demo.Config, error) {
	var cfg demo.Config
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported in one line by the caller
	loadgen.BindFlags(fs, &cfg.Load, getenv)
	fs.StringVar(&cfg.MongoURI, "mongodb", cli.Env(getenv, cli.MongoURIEnv, cli.MongoURI), "MongoDB URI of the read models (default from $MONGODB_URI)")
	fs.StringVar(&cfg.Database, "db", "activity_read_models", "read-model database")
	brokers := fs.String("kafka", cli.Env(getenv, cli.KafkaBrokersEnv, cli.KafkaBrokers), "Kafka brokers, comma-separated (default from $KAFKA_BROKERS)")
	fs.StringVar(&cfg.OutboxTopic, "topic", "postgres.activity.event_outbox", "the outbox topic Debezium writes")
	metrics := fs.String("metrics", getenv("PROJECTOR_METRICS"), "the projector instances' /metrics URLs, comma-separated, for store operations per event (default from $PROJECTOR_METRICS)")
	fs.StringVar(&cfg.OutDir, "out", "out/demo", "directory for report.json, report.txt and the charts")
	fs.DurationVar(&cfg.Timeout, "timeout", 0, "how long to wait for the projectors after the load (0: 1 min + 30 ms per event)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			_, _ = fmt.Fprintln(stderr, "usage: demo (-n N | -rate R -for D) [flags]")
			fs.PrintDefaults()
		}
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q (all options are flags)", fs.Arg(0))
	}
	if cfg.Load.Count == 0 && cfg.Load.Rate == 0 && cfg.Load.Duration == 0 {
		cfg.Load.Count = defaultEvents
	}
	for _, b := range strings.Split(*brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			cfg.Brokers = append(cfg.Brokers, b)
		}
	}
	for _, u := range strings.Split(*metrics, ",") {
		if u = strings.TrimSpace(u); u != "" {
			cfg.MetricsURLs = append(cfg.MetricsURLs, u)
		}
	}
	return cfg, nil
}
