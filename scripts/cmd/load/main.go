// Command load writes realistic events into activity.event_outbox, one
// transaction per event, as the application would (package loadgen).
//
//	load -n 1000                      # 1,000 events as fast as 4 workers go
//	load -rate 200 -for 30s -seed 7   # 200 events/s for 30 s, reproducible
//	load -n 500 -mix user=100         # user events only
//
// Progress goes to stderr, a summary (events by type, duration, average
// rate) to stdout. Invalid flags: one line on stderr and exit status 2; a
// failed run: exit status 1; interrupted (SIGINT, SIGTERM): the summary of
// what was committed and exit status 130.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/activityapp/event-processor/scripts/internal/cli"
	"github.com/activityapp/event-processor/scripts/loadgen"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

func main() { cli.Main(run) }

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "load: %v\n", err)
		return exitUsage
	}
	cfg.Progress = stderr

	loader, err := loadgen.New(cfg)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "load: %v\n", err)
		if errors.Is(err, loadgen.ErrInvalidConfig) {
			return exitUsage
		}
		return exitFailed
	}
	defer loader.Close()

	res, err := loader.Run(ctx)
	_, _ = fmt.Fprint(stdout, res.Summary())
	switch {
	case err != nil:
		_, _ = fmt.Fprintf(stderr, "load: %v\n", err)
		return exitFailed
	case res.Interrupted:
		return exitInterrupted
	}
	return exitOK
}

// parseFlags reads the flags into a Config. Errors are one line naming the
// flag; -h prints the usage and returns flag.ErrHelp.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (loadgen.Config, error) {
	var cfg loadgen.Config
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported in one line by the caller
	loadgen.BindFlags(fs, &cfg, getenv)

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			_, _ = fmt.Fprintln(stderr, "usage: load (-n N | -rate R -for D) [-mix user=40,activity=30,participant=30] [-workers 4] [-seed S] [-postgres URL]")
			fs.PrintDefaults()
		}
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q (all options are flags)", fs.Arg(0))
	}
	return cfg, nil
}
