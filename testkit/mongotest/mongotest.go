// Package mongotest provides a MongoDB wire-protocol server for tests.
//
// By default Start runs FerretDB v1.24 in-process on a PostgreSQL server from
// package pgtest, so `go test` needs no MongoDB installation or container.
// Setting TEST_MONGODB_URI runs the same tests against a real MongoDB
// instead.
//
// FerretDB is close to, but not exactly, MongoDB: it has no transactions or
// change streams, and concurrent updates of one document can lose writes (see
// the testkit README). Code to MongoDB's semantics and design for one writer
// per document.
package mongotest

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"github.com/jackc/pgx/v5"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/activityapp/event-processor/testkit/pgtest"
)

const (
	// URIEnv names the variable that points the tests at an existing
	// MongoDB (or FerretDB) instead of starting one.
	URIEnv = "TEST_MONGODB_URI"
	// VerboseEnv set to 1 lets FerretDB log to stderr at info level;
	// "debug" adds every wire-protocol message.
	VerboseEnv = "TESTKIT_VERBOSE"

	// backendDatabase is the PostgreSQL database FerretDB keeps its data in.
	backendDatabase = "ferretdb"
	// defaultStartTimeout bounds Start when its context has no deadline.
	defaultStartTimeout = time.Minute
)

// Server is a MongoDB-compatible server: FerretDB started by Start, or an
// external server named by TEST_MONGODB_URI.
type Server struct {
	uri string

	pg     *pgtest.Server // nil for an external server
	cancel context.CancelFunc
	done   chan struct{} // closed when FerretDB's Run has returned

	stopOnce sync.Once
	stopErr  error
}

// Start returns a running server. With TEST_MONGODB_URI set it returns a
// Server for that URI without contacting it; otherwise it starts PostgreSQL
// and FerretDB on it and waits until FerretDB answers a ping. ctx bounds the
// start-up only (one minute when it has no deadline).
func Start(ctx context.Context) (*Server, error) {
	if uri := os.Getenv(URIEnv); uri != "" {
		return &Server{uri: uri}, nil
	}

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStartTimeout)
		defer cancel()
	}

	pg, err := pgtest.Start(ctx)
	if err != nil {
		return nil, fmt.Errorf("mongotest: start PostgreSQL for FerretDB: %w", err)
	}
	s, err := startFerretDB(ctx, pg)
	if err != nil {
		return nil, errors.Join(err, pg.Stop())
	}
	return s, nil
}

func startFerretDB(ctx context.Context, pg *pgtest.Server) (*Server, error) {
	if err := pg.CreateDatabase(ctx, backendDatabase); err != nil {
		return nil, fmt.Errorf("mongotest: %w", err)
	}
	if err := indexIDs(ctx, pg.URL(backendDatabase)); err != nil {
		return nil, fmt.Errorf("mongotest: %w", err)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Logger:        logger(),
		Handler:       "postgresql",
		PostgreSQLURL: pg.URL(backendDatabase),
	})
	if err != nil {
		return nil, fmt.Errorf("mongotest: create FerretDB: %w", err)
	}

	// Run's context is not ctx: the server must outlive Start.
	runCtx, cancel := context.WithCancel(context.Background())
	s := &Server{
		// New already bound the listener, so the address is known.
		uri:    f.MongoDBURI(),
		pg:     pg,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		_ = f.Run(runCtx) // always nil; it returns once runCtx is canceled
	}()

	if err := ping(ctx, s.uri); err != nil {
		cancel()
		<-s.done
		return nil, fmt.Errorf("mongotest: FerretDB at %s does not answer: %w", s.uri, err)
	}
	return s, nil
}

// IDIndexSQL gives FerretDB's tables an `_id` index its lookups can use
// (the file says why). The event-processor/mongo:7 image applies the same
// file.
//
//go:embed ferretdb_id_index.sql
var IDIndexSQL string

func indexIDs(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect to FerretDB's backend: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	// The simple protocol runs a multi-statement script in one call.
	if _, err := conn.Exec(ctx, IDIndexSQL, pgx.QueryExecModeSimpleProtocol); err != nil {
		return fmt.Errorf("ferretdb_id_index.sql: %w", err)
	}
	return nil
}

// URI returns the connection string, e.g. mongodb://127.0.0.1:41234/.
func (s *Server) URI() string { return s.uri }

// Stop stops FerretDB and its PostgreSQL server; for an external server it
// does nothing. It is safe to call more than once.
func (s *Server) Stop() error {
	if s.pg == nil {
		return nil
	}
	s.stopOnce.Do(func() {
		// Run returns after closing all client connections and the
		// backend's pool, so postgres sees no sessions when it stops.
		s.cancel()
		<-s.done
		s.stopErr = s.pg.Stop()
	})
	return s.stopErr
}

// logger discards FerretDB's logs, which are plentiful (every connection at
// info level, every request and response at debug level), unless
// TESTKIT_VERBOSE is 1 or debug. FerretDB logs only through the logger in
// its Config (its backend's pgx logging included); without one it would use
// slog.Default(), which tests must not have to reconfigure.
func logger() *slog.Logger {
	switch os.Getenv(VerboseEnv) {
	case "1":
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	case "debug":
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	default:
		return slog.New(slog.DiscardHandler)
	}
}

// ping connects to uri and runs a ping, which also makes FerretDB open its
// PostgreSQL connection pool: a wrong backend URL fails here, not in a test.
func ping(ctx context.Context, uri string) error {
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() { _ = client.Disconnect(context.WithoutCancel(ctx)) }()
	if err := client.Ping(ctx, nil); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}
