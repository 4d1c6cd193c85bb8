package service

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/activityapp/event-processor/shared/config"
)

// Injector is a service's wire injector.
type Injector func(ctx context.Context, cfg config.Config, env *config.Env) (*Runner, func(), error)

// Main runs service and returns the process exit code: 0 after a graceful
// shutdown, 2 for a configuration error (one line on stderr naming the
// variable), 1 for any other failure. With the argument "healthcheck" it
// instead asks a running instance (same HTTP_ADDR) whether it is ready.
func Main(service string, inject Injector) int {
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		cfg, _, err := config.LoadFrom(service, os.LookupEnv)
		if err != nil {
			_, _ = fmt.Fprintf(os.Stderr, "%s: %v\n", service, err)
			return 2
		}
		return healthcheck(cfg.HTTPAddr, os.Stderr)
	}
	return run(service, inject, os.LookupEnv, os.Stderr)
}

func run(service string, inject Injector, lookup func(string) (string, bool), stderr io.Writer) int {
	cfg, env, err := config.LoadFrom(service, lookup)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "%s: %v\n", service, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	runner, cleanup, err := inject(ctx, cfg, env)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "%s: %v\n", service, err)
		if ctx.Err() != nil {
			return 0 // stopped while waiting for a dependency
		}
		return exitCode(err)
	}
	defer cleanup()

	if err := runner.Run(ctx); err != nil {
		runner.logger.Error("projector stopped with an error", slog.String("error", err.Error()))
		return 1
	}
	runner.logger.Info("projector stopped")
	return 0
}

func exitCode(err error) int {
	if config.IsConfigError(err) {
		return 2
	}
	return 1
}
