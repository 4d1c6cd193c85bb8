package mongotest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// shared is the server Main started for the current test binary.
var shared *Server

// Main starts one server for a test binary, runs its tests and stops the
// server: call it from TestMain as os.Exit(mongotest.Main(m)). Starting once
// per binary keeps `go test ./...` fast; tests isolate themselves with
// Database.
func Main(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	srv, err := Start(ctx)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "mongotest: %v\n", err)
		return 1
	}
	shared = srv
	code := m.Run()
	if err := srv.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "mongotest: stop: %v\n", err)
	}
	return code
}

// Database returns a new, empty database on the server Main started, with a
// client of its own; both are dropped when t ends.
func Database(t testing.TB) *mongo.Database {
	t.Helper()
	if shared == nil {
		t.Fatal("mongotest: Database needs TestMain to call mongotest.Main")
	}
	client, err := mongo.Connect(options.Client().ApplyURI(shared.URI()).SetServerSelectionTimeout(10 * time.Second))
	if err != nil {
		t.Fatalf("mongotest: connect: %v", err)
	}
	db := client.Database(UniqueDatabaseName(t))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = db.Drop(ctx)
		_ = client.Disconnect(ctx)
	})
	return db
}

// URI is the address of the server Main started.
func URI(t testing.TB) string {
	t.Helper()
	if shared == nil {
		t.Fatal("mongotest: URI needs TestMain to call mongotest.Main")
	}
	return shared.URI()
}
