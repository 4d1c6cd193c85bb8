// Package mongodb connects the projectors to their read-model database.
package mongodb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/activityapp/event-processor/shared/fault"
)

// Config names the server and database.
type Config struct {
	URI      string
	Database string
	// AppName shows up in the server's logs and currentOp.
	AppName string
	// WriteConcern is "majority" or a number of members (at least 1); every
	// write also waits for the journal, so a write is durable before the
	// projector commits the offsets behind it. Empty: the URI's w, else
	// "majority".
	WriteConcern string
}

// ErrInvalidWriteConcern reports a WriteConcern that is neither "majority"
// nor a positive number of members.
var ErrInvalidWriteConcern = errors.New(`mongodb: write concern must be "majority" or a number of members of at least 1`)

// Validate reports a config that cannot connect.
func (c Config) Validate() error {
	if c.URI == "" || c.Database == "" {
		return errors.New("mongodb: URI and Database are required")
	}
	if _, err := ParseWriteConcern(c.WriteConcern); err != nil {
		return err
	}
	return nil
}

// ParseWriteConcern reads "majority" or a number of members (see
// Config.WriteConcern); empty gives nil. w=0 is refused: unacknowledged
// writes would let a failed write's offset be committed.
func ParseWriteConcern(s string) (*writeconcern.WriteConcern, error) {
	journal := true
	switch s {
	case "":
		return nil, nil
	case writeconcern.WCMajority:
		return &writeconcern.WriteConcern{W: writeconcern.WCMajority, Journal: &journal}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return nil, fmt.Errorf("%w, got %q", ErrInvalidWriteConcern, s)
	}
	return &writeconcern.WriteConcern{W: n, Journal: &journal}, nil
}

// ClientOptions are the driver options Connect uses for cfg, which must be
// valid: retryable reads and writes, and the write concern (cfg's, else
// the URI's, else majority), always journaled when it is cfg's or the
// default.
func ClientOptions(cfg Config) *options.ClientOptions {
	opts := options.Client().ApplyURI(cfg.URI).
		SetAppName(cfg.AppName).
		SetServerSelectionTimeout(5 * time.Second).
		SetRetryWrites(true).
		SetRetryReads(true)
	wc, _ := ParseWriteConcern(cfg.WriteConcern)
	switch {
	case wc != nil:
		opts.SetWriteConcern(wc)
	case opts.WriteConcern == nil: // the URI names none
		wc, _ = ParseWriteConcern(writeconcern.WCMajority)
		opts.SetWriteConcern(wc)
	}
	return opts
}

// Connect returns a handle on the database and a cleanup that disconnects.
// It waits, with capped backoff, until the server answers a ping or ctx
// ends: a projector that starts before its database is ready waits for it
// rather than crash-looping.
func Connect(ctx context.Context, cfg Config, logger *slog.Logger) (*mongo.Database, func(), error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	client, err := mongo.Connect(ClientOptions(cfg))
	if err != nil {
		return nil, nil, fmt.Errorf("mongodb: %w", err)
	}
	cleanup := func() {
		dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = client.Disconnect(dctx)
	}

	_, err = fault.WaitFor(ctx, 200*time.Millisecond, func(err error, next time.Duration) {
		logger.WarnContext(ctx, "MongoDB not reachable yet, waiting", slog.String("error", err.Error()), slog.Duration("retry_in", next))
	}, func() (struct{}, error) {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return struct{}{}, client.Ping(pctx, readpref.Primary())
	})
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("mongodb: waiting for %s: %w", cfg.Database, err)
	}
	return client.Database(cfg.Database), cleanup, nil
}
