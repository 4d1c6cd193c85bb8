package e2e

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/activityapp/event-processor/scripts/verify"
)

// The stack and the clients of the test process, shared by every test.
var (
	stack *Stack
	pg    *pgxpool.Pool
	mdb   *mongo.Database
	kcl   *kgo.Client
	adm   *kadm.Client
)

// StartupTimeout bounds TestMain's startup; E2E_STARTUP_TIMEOUT overrides.
func startupTimeout() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("E2E_STARTUP_TIMEOUT")); err == nil {
		return d
	}
	return 5 * time.Minute
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) (code int) {
	var err error
	stack, err = NewStack()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: run %s (docker ps -a --filter label=%s=%s)\n", stack.RunID, RunLabel, stack.RunID)

	// Containers go away on every way out: return, panic, SIGINT/SIGTERM.
	cleanup := func() {
		if os.Getenv("E2E_KEEP") != "" {
			fmt.Fprintf(os.Stderr, "e2e: E2E_KEEP set, leaving run %s up\n", stack.RunID)
			return
		}
		if err := stack.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: cleanup:", err)
		}
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "e2e: %v, removing run %s\n", s, stack.RunID)
		cleanup()
		os.Exit(130)
	}()
	defer cleanup()
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintln(os.Stderr, "e2e: panic:", r)
			stack.DumpLogs()
			code = 2
		}
	}()

	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), startupTimeout())
	defer cancel()
	logf := func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }
	if err := stack.Start(ctx, logf); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stack:", err)
		stack.DumpLogs()
		return 1
	}
	if err := connectClients(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: clients:", err)
		stack.DumpLogs()
		return 1
	}
	defer closeClients()
	fmt.Fprintf(os.Stderr, "e2e: stack up in %v\n", time.Since(began).Round(100*time.Millisecond))

	code = m.Run()
	if code == 0 {
		code = verifyAll()
	}
	if code != 0 {
		stack.DumpLogs()
	}
	return code
}

// verifyAll checks, after every scenario (outages, restarts, poison,
// redelivery, a killed instance), that the read models equal the model the
// verifier recomputes from the whole outbox.
func verifyAll() int {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var summary strings.Builder
	diff, stats, err := verify.Run(ctx, verify.Config{PostgresURL: stack.PostgresURL, MongoURI: stack.MongoURI, Brokers: []string{stack.KafkaBroker}, Wait: 2 * time.Minute}, &summary)
	switch {
	case err != nil:
		fmt.Fprintln(os.Stderr, "e2e: verify:", err)
		return 1
	case !diff.OK():
		fmt.Fprintf(os.Stderr, "e2e: FAIL: after the scenarios the read models differ from the outbox:\n%s", summary.String())
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: after the scenarios the read models equal the model recomputed from the outbox (%d events, %d skipped as the projectors skip them)\n%s",
		stats.EventsRead, stats.EventsSkipped(), summary.String())
	return 0
}

func connectClients(ctx context.Context) error {
	var err error
	if pg, err = pgxpool.New(ctx, stack.PostgresURL); err != nil {
		return err
	}
	if err := pg.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	mc, err := mongo.Connect(options.Client().ApplyURI(stack.MongoURI).SetTimeout(10 * time.Second))
	if err != nil {
		return err
	}
	if err := mc.Ping(ctx, nil); err != nil {
		return fmt.Errorf("mongo: %w", err)
	}
	mdb = mc.Database(MongoDatabase)
	if kcl, err = kgo.NewClient(kgo.SeedBrokers(stack.KafkaBroker)); err != nil {
		return err
	}
	adm = kadm.NewClient(kcl)
	if _, err := adm.ListBrokers(ctx); err != nil {
		return fmt.Errorf("kafka at %s: %w", stack.KafkaBroker, err)
	}
	return nil
}

func closeClients() {
	if kcl != nil {
		kcl.Close()
	}
	if mdb != nil {
		_ = mdb.Client().Disconnect(context.Background())
	}
	if pg != nil {
		pg.Close()
	}
}
