package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/activityapp/event-processor/scripts/loadgen"
	"github.com/activityapp/event-processor/scripts/report"
	"github.com/activityapp/event-processor/scripts/verify"
)

// projectors is how many services handle every outbox event.
const projectors = 3

// ErrStackUnreachable means a part of the stack did not answer: the demo
// needs it running (make up).
var ErrStackUnreachable = errors.New("stack unreachable (is it up? make up)")

// Run loads the events, waits for the projectors, verifies and reports.
// The report is also written to cfg.OutDir (report.json, report.txt and
// the charts). An error means the demo could not run; a report that is not
// OK means it ran and found a problem.
func Run(ctx context.Context, cfg Config) (report.Report, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return report.Report{}, err
	}
	// The loader first: it checks its flags, and connects only when it runs.
	loader, err := loadgen.New(cfg.Load)
	if err != nil {
		return report.Report{}, err
	}
	defer loader.Close()
	tracker, err := report.NewTracker(cfg.Brokers, report.Pipeline(cfg.OutboxTopic), report.PoisonTopics)
	if err != nil {
		return report.Report{}, err
	}
	defer tracker.Close()
	before, err := sampleWithin(ctx, tracker, 10*time.Second)
	if err != nil {
		return report.Report{}, fmt.Errorf("%w: Kafka at %s: %w", ErrStackUnreachable, strings.Join(cfg.Brokers, ","), err)
	}
	client, err := mongo.Connect(options.Client().ApplyURI(cfg.MongoURI).SetServerSelectionTimeout(10 * time.Second))
	if err != nil {
		return report.Report{}, fmt.Errorf("%w: MongoDB at %s: %w", ErrStackUnreachable, cfg.MongoURI, err)
	}
	defer func() { _ = client.Disconnect(context.WithoutCancel(ctx)) }()
	if err := client.Ping(ctx, nil); err != nil {
		return report.Report{}, fmt.Errorf("%w: MongoDB at %s: %w", ErrStackUnreachable, cfg.MongoURI, err)
	}
	storeBefore, storeErr := report.ScrapeStore(ctx, cfg.MetricsURLs)
	if storeErr != nil {
		_, _ = fmt.Fprintf(cfg.Log, "no store operations in the report: %v\n", storeErr)
	}
	recording, stopRecording := context.WithCancel(ctx)
	defer stopRecording()
	recorded := make(chan []report.Sample, 1)
	go func() { recorded <- tracker.Record(recording, cfg.SampleInterval) }()

	res, err := loader.Run(ctx)
	if err != nil {
		return report.Report{}, fmt.Errorf("load: %w", err)
	}
	_, _ = fmt.Fprintf(cfg.Log, "loaded %d events in %s; waiting for the projectors (at most %s)\n",
		len(res.Events), res.Elapsed().Round(time.Millisecond), cfg.Timeout)
	caughtUp, err := waitCaughtUp(ctx, cfg, tracker, before, len(res.Events))
	if err != nil {
		return report.Report{}, err
	}
	stopRecording()
	samples := append([]report.Sample{before}, <-recorded...)
	var store *report.Store
	if storeErr == nil && len(cfg.MetricsURLs) > 0 {
		if after, err := report.ScrapeStore(ctx, cfg.MetricsURLs); err != nil {
			_, _ = fmt.Fprintf(cfg.Log, "no store operations in the report: %v\n", err)
		} else {
			store = report.StoreCost(storeBefore, after, len(cfg.MetricsURLs), len(res.Events))
		}
	}

	_, _ = fmt.Fprintln(cfg.Log, "verifying the read models against the outbox")
	var verification bytes.Buffer
	diff, _, err := verify.Run(ctx, verify.Config{
		PostgresURL: cfg.Load.PostgresURL, MongoURI: cfg.MongoURI, Database: cfg.Database, Wait: 30 * time.Second,
	}, &verification)
	if err != nil {
		return report.Report{}, fmt.Errorf("verify: %w", err)
	}
	fresh, err := report.ReadFreshness(ctx, client.Database(cfg.Database), report.ReadModels, res.Started)
	if err != nil {
		return report.Report{}, err
	}

	r := build(cfg, res, samples, fresh)
	r.Store = store
	r.Success.CaughtUp = caughtUp
	r.Success.Verified = diff.OK()
	r.Success.Verification = verification.String()
	return r, write(&r, cfg.OutDir, fresh, timelines(cfg, res, samples))
}

// sampleWithin retries a first sample: right after `make up` the broker
// may still be electing partition leaders.
func sampleWithin(ctx context.Context, t *report.Tracker, limit time.Duration) (report.Sample, error) {
	deadline := time.Now().Add(limit)
	for {
		s, err := t.Sample(ctx)
		if err == nil || time.Now().After(deadline) {
			return s, err
		}
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// waitCaughtUp waits until Debezium has published the n events (the outbox
// topic grew by n) and every consumer has committed everything, twice in a
// row: a sample reads end offsets before group offsets, so the second one
// also sees the contributions the first one's commits published.
func waitCaughtUp(ctx context.Context, cfg Config, t *report.Tracker, before report.Sample, n int) (bool, error) {
	deadline := time.Now().Add(cfg.Timeout)
	lastLog := time.Now()
	streak := 0
	for {
		s, err := t.Sample(ctx)
		switch {
		case err != nil:
			streak = 0
		case published(before, s, cfg.OutboxTopic, n) && s.CaughtUp():
			streak++
		default:
			streak = 0
		}
		if streak == 2 {
			return true, nil
		}
		if time.Now().After(deadline) {
			_, _ = fmt.Fprintf(cfg.Log, "gave up waiting after %s: %s\n", cfg.Timeout, lags(s))
			return false, nil
		}
		if time.Since(lastLog) >= 2*time.Second {
			_, _ = fmt.Fprintf(cfg.Log, "  waiting: %s\n", lags(s))
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// published reports whether every outbox consumer's topic holds the n new
// events.
func published(before, now report.Sample, outboxTopic string, n int) bool {
	for _, c := range report.Pipeline(outboxTopic) {
		if c.Topic == outboxTopic && now.Consumers[c.Group].End < before.Consumers[c.Group].End+int64(n) {
			return false
		}
	}
	return true
}

func lags(s report.Sample) string {
	parts := make([]string, 0, len(s.Consumers))
	for _, g := range slices.Sorted(maps.Keys(s.Consumers)) {
		parts = append(parts, fmt.Sprintf("%s lag %d", g, s.Consumers[g].Lag))
	}
	return strings.Join(parts, ", ")
}

// write puts report.json, report.txt and the charts into dir.
func write(r *report.Report, dir string, fresh report.Freshness, lines report.Timelines) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := r.WriteCharts(dir, fresh, lines); err != nil {
		return err
	}
	var js, txt bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		return err
	}
	if err := r.WriteTable(&txt); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"report.json": js.Bytes(), "report.txt": txt.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	return nil
}
