// Package mongodb connects the projectors to their read-model database.
package mongodb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

// Config names the server and database.
type Config struct {
	URI      string
	Database string
	// AppName shows up in the server's logs and currentOp.
	AppName string
}

// Validate reports a config that cannot connect.
func (c Config) Validate() error {
	if c.URI == "" || c.Database == "" {
		return errors.New("mongodb: URI and Database are required")
	}
	return nil
}

// Connect returns a handle on the database and a cleanup that disconnects.
// It waits, with capped backoff, until the server answers a ping or ctx
// ends: a projector that starts before its database is ready waits for it
// rather than crash-looping.
func Connect(ctx context.Context, cfg Config, logger *slog.Logger) (*mongo.Database, func(), error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	opts := options.Client().ApplyURI(cfg.URI).
		SetAppName(cfg.AppName).
		SetServerSelectionTimeout(5 * time.Second).
		SetRetryWrites(true).
		SetRetryReads(true)
	client, err := mongo.Connect(opts)
	if err != nil {
		return nil, nil, fmt.Errorf("mongodb: %w", err)
	}
	cleanup := func() {
		dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = client.Disconnect(dctx)
	}

	wait := 200 * time.Millisecond
	for {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = client.Ping(pctx, readpref.Primary())
		cancel()
		if err == nil {
			break
		}
		logger.WarnContext(ctx, "MongoDB not reachable yet, waiting", slog.String("error", err.Error()),
			slog.Duration("retry_in", wait))
		select {
		case <-ctx.Done():
			cleanup()
			return nil, nil, fmt.Errorf("mongodb: waiting for %s: %w", cfg.Database, errors.Join(ctx.Err(), err))
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
	return client.Database(cfg.Database), cleanup, nil
}
