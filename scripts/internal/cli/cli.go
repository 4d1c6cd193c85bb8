// Package cli is what the scripts' commands share: where `make up`
// publishes the stack on this host, the variables that point a command
// elsewhere, and a main that stops cleanly on SIGINT and SIGTERM.
package cli

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// The stack's endpoints on the host, as docker-compose.yml publishes them,
// and the variables that override them.
const (
	PostgresURL     = "postgres://postgres:postgres@localhost:5432/activity?sslmode=disable"
	PostgresURLEnv  = "POSTGRES_URL"
	MongoURI        = "mongodb://localhost:27017"
	MongoURIEnv     = "MONGODB_URI"
	KafkaBrokers    = "localhost:29092"
	KafkaBrokersEnv = "KAFKA_BROKERS"
)

// Env is getenv(name), or fallback when it is empty.
func Env(getenv func(string) string, name, fallback string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return fallback
}

// Run is a command: its arguments, environment and streams in, its exit
// status out. Commands are written this way so tests can run them.
type Run func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int

// Main runs run with the process's arguments, environment and streams and
// exits with its status; SIGINT or SIGTERM cancels its context.
func Main(run Run) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
