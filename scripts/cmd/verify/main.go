// Command verify compares the MongoDB read models with a model recomputed
// from the PostgreSQL outbox and prints what differs.
//
//	verify                           # compare once
//	verify -wait 60s -max 20         # until the projectors catch up, at most 60 s
//	verify -brokers localhost:29092  # also count the poison topics' events
//
// With -brokers (or KAFKA_BROKERS) the summary sets each projector's
// poisoned events beside the events the verifier finds invalid for it, and
// marks a mismatch; a mismatch does not change the exit status.
//
// Exit status: 0 equal, 1 mismatch, 2 usage or configuration error,
// 3 a server could not be read.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/activityapp/event-processor/scripts/internal/cli"
	"github.com/activityapp/event-processor/scripts/verify"
)

// Exit statuses.
const (
	exitEqual      = 0
	exitMismatch   = 1
	exitUsage      = 2
	exitUnreadable = 3
)

func main() { cli.Main(run) }

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("verify", flag.ContinueOnError)
	flags.SetOutput(stderr)
	var cfg verify.Config
	flags.StringVar(&cfg.PostgresURL, "postgres", cli.Env(getenv, cli.PostgresURLEnv, cli.PostgresURL), "PostgreSQL URL of the outbox database (env POSTGRES_URL)")
	flags.StringVar(&cfg.MongoURI, "mongodb", cli.Env(getenv, cli.MongoURIEnv, cli.MongoURI), "MongoDB URI of the read models (env MONGODB_URI)")
	flags.StringVar(&cfg.Database, "db", verify.DefaultDatabase, "read-model database")
	brokers := flags.String("brokers", getenv(cli.KafkaBrokersEnv), "Kafka brokers, comma-separated: count the poison topics' events too (env KAFKA_BROKERS)")
	maxExamples := flags.Int("max", 10, "differences shown per collection")
	flags.DurationVar(&cfg.Wait, "wait", 0, "keep comparing until the read models match or this time has passed")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitEqual
		}
		return exitUsage
	}
	if flags.NArg() > 0 {
		_, _ = fmt.Fprintf(stderr, "verify: unexpected arguments %q\n", flags.Args())
		return exitUsage
	}
	cfg.Brokers = splitList(*brokers)
	cfg.MaxExamples = *maxExamples
	if cfg.MaxExamples <= 0 {
		cfg.MaxExamples = -1 // Config reads zero as its default
	}

	diff, _, err := verify.Run(ctx, cfg, stdout)
	switch {
	case errors.Is(err, verify.ErrInvalidConfig):
		_, _ = fmt.Fprintln(stderr, err)
		return exitUsage
	case err != nil:
		_, _ = fmt.Fprintf(stderr, "verify: cannot read: %v\n", err)
		return exitUnreadable
	case !diff.OK():
		_, _ = fmt.Fprintln(stdout, "MISMATCH: the read models differ from the outbox")
		return exitMismatch
	}
	_, _ = fmt.Fprintln(stdout, "OK: the read models match the outbox")
	return exitEqual
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
