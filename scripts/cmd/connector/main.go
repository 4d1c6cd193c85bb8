// Command connector registers a Debezium connector with Kafka Connect and
// waits until it runs, prints its status, or watches it.
//
//	connector register -url http://connect:8083 -file debezium/postgres-connector.json
//	connector status   -url http://localhost:8083 -name outbox-connector
//	connector restart  -url http://localhost:8083 -name outbox-connector   (its failed connector and tasks)
//	connector watch    -url http://connect:8083 -name outbox-connector -listen :8080 \
//	                   -postgres postgres://... -slot outbox_slot
//	connector probe    -listen 127.0.0.1:8080      (the watchdog's health, for a container health check)
//
// watch restarts a failed connector or task with backoff where a restart
// can help, logs every change of state, and serves /healthz (503 while the
// connector does not run, with why) and /metrics (connector state,
// restarts, the replication slot's retained WAL) on -listen.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/activityapp/event-processor/scripts/connect"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	url := fs.String("url", "http://localhost:8083", "Kafka Connect REST URL")
	file := fs.String("file", "debezium/postgres-connector.json", "connector definition (register)")
	name := fs.String("name", "outbox-connector", "connector name (status)")
	timeout := fs.Duration("timeout", 3*time.Minute, "how long to wait for Connect and the connector (register, status)")
	listen := fs.String("listen", ":8080", "address of /healthz and /metrics (watch, probe)")
	interval := fs.Duration("interval", 10*time.Second, "how often to check (watch)")
	pgURL := fs.String("postgres", os.Getenv("POSTGRES_URL"), "PostgreSQL URL for the replication slot's metrics (watch; default $POSTGRES_URL, empty: none)")
	slot := fs.String("slot", "outbox_slot", "replication slot (watch)")
	maxRestarts := fs.Int("max-restarts", 5, "restarts of one failure before giving up on it (watch)")
	_ = fs.Parse(os.Args[2:])

	switch os.Args[1] {
	case "watch":
		if err := watch(*url, *name, *listen, *interval, *pgURL, *slot, *maxRestarts); err != nil {
			fmt.Fprintln(os.Stderr, "connector:", err)
			os.Exit(1)
		}
		return
	case "probe":
		os.Exit(probe(*listen))
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	client := connect.NewClient(*url)

	var err error
	switch os.Args[1] {
	case "register":
		err = register(ctx, client, *file)
	case "status":
		err = status(ctx, client, *name)
	case "restart":
		err = client.RestartFailed(ctx, *name)
		if err == nil {
			fmt.Printf("connector %s: failed instances restarted\n", *name)
		}
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "connector:", err)
		os.Exit(1)
	}
}

func register(ctx context.Context, client *connect.Client, file string) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var conn connect.Connector
	if err := json.Unmarshal(raw, &conn); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if err := client.WaitReady(ctx); err != nil {
		return err
	}
	if err := client.Put(ctx, conn); err != nil {
		return err
	}
	fmt.Printf("connector %s registered; waiting until it runs\n", conn.Name)
	s, err := client.WaitRunning(ctx, conn.Name)
	if err != nil {
		return err
	}
	fmt.Printf("connector %s %s with %d task(s)\n", s.Name, s.Connector.State, len(s.Tasks))
	return nil
}

func status(ctx context.Context, client *connect.Client, name string) error {
	s, err := client.Status(ctx, name)
	if err != nil {
		return err
	}
	fmt.Printf("connector %s: %s\n", s.Name, s.Connector.State)
	for _, t := range s.Tasks {
		fmt.Printf("  task %d: %s\n", t.ID, t.State)
		if t.Trace != "" {
			fmt.Printf("    %s\n", t.Trace)
		}
	}
	return nil
}

// watch runs the watchdog until SIGINT or SIGTERM.
func watch(url, name, listen string, interval time.Duration, pgURL, slotName string, maxRestarts int) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil)).With(slog.String("service", "connector-watchdog"))

	var slot connect.SlotReader
	if pgURL != "" {
		pool, err := pgxpool.New(ctx, pgURL)
		if err != nil {
			return fmt.Errorf("-postgres: %w", err)
		}
		defer pool.Close()
		slot = connect.PostgresSlot{Pool: pool, Name: slotName}
	}
	w, err := connect.NewWatchdog(connect.WatchdogConfig{Connector: name, MaxRestarts: maxRestarts},
		connect.NewClient(url), slot, logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("-listen: %w", err)
	}
	srv := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	logger.InfoContext(ctx, "watching the connector", slog.String("connector", name), slog.String("connect", url),
		slog.String("listen", ln.Addr().String()), slog.String("interval", interval.String()))
	w.Run(ctx, interval)
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// probe asks a running watchdog's /healthz: 0 when the connector runs.
func probe(listen string) int {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe: -listen:", err)
		return 2
	}
	if host == "" {
		host = "127.0.0.1"
	}
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort(host, port) + "/healthz")
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		return 1
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(os.Stderr, "probe: %s", body)
		return 1
	}
	return 0
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: connector register|status|restart|watch|probe [-url URL] [-file FILE] [-name NAME] [-timeout D] "+
		"[-listen ADDR] [-interval D] [-postgres URL] [-slot NAME] [-max-restarts N]")
	os.Exit(2)
}
