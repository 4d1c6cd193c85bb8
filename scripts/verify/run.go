package verify

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

// Stats describes the last comparison Run made.
type Stats struct {
	OutboxStats
	// Compared is the number of documents compared per collection.
	Compared map[string]int
	// Attempts is how many comparisons Run made (more than one only
	// while waiting).
	Attempts int
	// Poison sets each projector's poison topic beside the outbox, in
	// Services order; nil without Config.Brokers.
	Poison []PoisonCount
}

// Summary prints the stats on one line, and the poison counts on a line
// per service.
func (s Stats) Summary(w io.Writer) {
	skipped := make([]string, 0, len(s.Skipped))
	for _, reason := range slices.Sorted(maps.Keys(s.Skipped)) {
		skipped = append(skipped, fmt.Sprintf("%s: %d", reason, s.Skipped[reason]))
	}
	line := fmt.Sprintf("outbox: %d events read, %d applied, %d skipped", s.EventsRead, s.EventsApplied, s.EventsSkipped())
	if len(skipped) > 0 {
		line += " (" + strings.Join(skipped, ", ") + ")"
	}
	if s.Attempts > 1 {
		line += fmt.Sprintf("; compared %d times", s.Attempts)
	}
	_, _ = fmt.Fprintln(w, line)
	poisonSummary(w, s.Poison)
}

// Run compares the read models with the outbox, waiting up to cfg.Wait for
// them to match, and writes the stats and the summary of the last
// comparison to w (nil: nowhere). With cfg.Brokers it then counts the
// poison topics' events (Stats.Poison); a count that differs from the
// verifier's is shown, and is no difference of the read models. Its error
// wraps ErrInvalidConfig for a bad cfg; any other error means a server
// could not be read, and comes from the last attempt.
func Run(ctx context.Context, cfg Config, w io.Writer) (Diff, Stats, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return Diff{}, Stats{}, err
	}
	if w == nil {
		w = io.Discard
	}
	deadline := time.Now().Add(cfg.Wait)
	for attempt := 1; ; attempt++ {
		diff, stats, err := compareOnce(ctx, cfg)
		stats.Attempts = attempt
		if (err == nil && diff.OK()) || !time.Now().Before(deadline) || ctx.Err() != nil {
			if err == nil && len(cfg.Brokers) > 0 {
				stats.Poison, err = readPoison(ctx, cfg, stats.Invalid)
			}
			if err != nil {
				return Diff{}, stats, err
			}
			stats.Summary(w)
			diff.Summary(w, cfg.MaxExamples)
			return diff, stats, nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(min(cfg.PollInterval, time.Until(deadline))):
		}
	}
}

// compareOnce reads both sides afresh: between attempts the outbox may
// have grown and the projectors caught up.
func compareOnce(ctx context.Context, cfg Config) (Diff, Stats, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	rows, err := readPostgres(ctx, cfg.PostgresURL)
	if err != nil {
		return Diff{}, Stats{}, err
	}
	got, err := readMongo(ctx, cfg.MongoURI, cfg.Database)
	if err != nil {
		return Diff{}, Stats{}, err
	}
	want, outboxStats := Fold(rows)
	diff := Compare(want, got)
	stats := Stats{OutboxStats: outboxStats, Compared: map[string]int{}}
	for _, c := range diff.Collections() {
		stats.Compared[c.Collection] = c.Compared()
	}
	return diff, stats, nil
}

// readPoison counts the poison topics' events once the comparison is
// final: they say nothing about whether the read models match.
func readPoison(ctx context.Context, cfg Config, invalid map[string]int) ([]PoisonCount, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	return poisonCounts(ctx, cfg.Brokers, invalid)
}

func readPostgres(ctx context.Context, url string) ([]Row, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("verify: connect to PostgreSQL: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	return ReadOutbox(ctx, conn)
}

func readMongo(ctx context.Context, uri, database string) (Model, error) {
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(5 * time.Second))
	if err != nil {
		return Model{}, fmt.Errorf("verify: connect to MongoDB: %w", err)
	}
	defer func() { _ = client.Disconnect(context.WithoutCancel(ctx)) }()
	// Fail with the connection's error, not the first query's.
	if err := client.Ping(ctx, readpref.Primary()); err != nil {
		return Model{}, fmt.Errorf("verify: connect to MongoDB: %w", err)
	}
	return Actual(ctx, client.Database(database))
}
