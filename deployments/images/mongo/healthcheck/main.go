// mongo-healthcheck exits 0 when a MongoDB wire-protocol server answers
// {ping: 1}, 1 otherwise. It stands in for `mongosh --eval 'db.runCommand({ping:1})'`
// in the event-processor/mongo image, which has no mongosh.
//
// Usage: mongo-healthcheck [URI]   (default mongodb://127.0.0.1:27017, or $MONGO_HEALTHCHECK_URI)
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

const timeout = 2 * time.Second

func main() {
	uri := "mongodb://127.0.0.1:27017"
	if v := os.Getenv("MONGO_HEALTHCHECK_URI"); v != "" {
		uri = v
	}
	if len(os.Args) > 1 {
		uri = os.Args[1]
	}
	if err := ping(uri); err != nil {
		fmt.Fprintln(os.Stderr, "mongo-healthcheck:", err)
		os.Exit(1)
	}
}

func ping(uri string) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	// Direct connection: a single server, no topology discovery, so the
	// check fails fast instead of waiting for server selection.
	client, err := mongo.Connect(options.Client().ApplyURI(uri).
		SetDirect(true).
		SetServerSelectionTimeout(timeout).
		SetConnectTimeout(timeout).
		SetTimeout(timeout).
		SetAppName("mongo-healthcheck"))
	if err != nil {
		return err
	}
	// No Disconnect: it sends endSessions, which FerretDB doesn't implement
	// and logs as a multi-line warning on every check. Exiting closes the
	// sockets just as well.
	return client.Database("admin").RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err()
}
