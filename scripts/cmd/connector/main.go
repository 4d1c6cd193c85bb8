// Command connector registers a Debezium connector with Kafka Connect and
// waits until it runs, or prints its status.
//
//	connector register -url http://connect:8083 -file debezium/postgres-connector.json
//	connector status   -url http://localhost:8083 -name outbox-connector
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

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
	timeout := fs.Duration("timeout", 3*time.Minute, "how long to wait for Connect and the connector")
	_ = fs.Parse(os.Args[2:])

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	client := connect.NewClient(*url)

	var err error
	switch os.Args[1] {
	case "register":
		err = register(ctx, client, *file)
	case "status":
		err = status(ctx, client, *name)
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

func usage() {
	fmt.Fprintln(os.Stderr, "usage: connector register|status [-url URL] [-file FILE] [-name NAME] [-timeout D]")
	os.Exit(2)
}
