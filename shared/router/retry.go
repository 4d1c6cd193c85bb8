package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/activityapp/event-processor/shared/fault"
)

// ErrShuttingDown is joined to the last error of a batch whose retries
// were cut short by shutdown or the end of its partition's claim: the batch
// is left for redelivery.
var ErrShuttingDown = errors.New("shutting down: batch left for redelivery")

// work is what attempt retries.
type work struct{ name, kind string }

var (
	// handling a batch: its transient errors count as kind transient.
	handling = work{name: "batch", kind: "transient"}
	// poisoning a record: a failing publish counts as kind poison_publish.
	poisoning = work{name: "poison publish", kind: "poison_publish"}
)

// failing counts the pieces of this kind of work that are failing and
// being retried.
func (r *Router) failing(what work) *atomic.Int64 {
	if what == poisoning {
		return &r.poisonWaiting
	}
	return &r.batchesRetrying
}

// errPanic marks an error made from a recovered panic.
var errPanic = errors.New("panic")

// attempt runs fn until it succeeds, with capped exponential backoff.
//
// Transient errors are retried until they succeed or the service shuts
// down (or the partition is taken away): an outage of MongoDB or Kafka is
// waited out, never dead-lettered. Permanent errors are returned at once.
// A panic is retried, since one may come from a passing state, and after
// PanicAttempts tries returned as permanent. Each try runs under
// HandlerTimeout, detached from ctx's cancellation: a store write cut off
// half-way helps nobody, and a try that ends after its partition was taken
// away only means the batch is delivered again.
//
// what names the work in the logs and in the retried counter's kind label
// for transient errors (a panic counts as kind panic).
func (r *Router) attempt(ctx context.Context, handler string, what work, fn func(context.Context) error) error {
	interval := r.cfg.RetryInitialInterval
	panics := 0
	// Counted while this work is failing, for Readiness.
	failing := false
	defer func() {
		if failing {
			r.failing(what).Add(-1)
		}
	}()
	for try := 1; ; try++ {
		err := r.try(ctx, fn)
		if err == nil {
			return nil
		}
		kind := what.kind
		switch {
		case errors.Is(err, errPanic):
			panics++
			if panics >= r.cfg.PanicAttempts {
				return fault.Permanent(err)
			}
			kind = "panic"
		case fault.IsPermanent(err):
			return err
		}
		select {
		case <-r.closing:
			return errors.Join(err, ErrShuttingDown)
		case <-ctx.Done():
			return errors.Join(err, ErrShuttingDown)
		default:
		}

		if !failing {
			failing = true
			r.failing(what).Add(1)
		}
		if what == handling {
			last := firstLine(err)
			r.lastRetryError.Store(&last)
		}
		r.metrics.retried.WithLabelValues(handler, kind).Inc()
		wait := jitter(interval)
		r.logger.WarnContext(ctx, what.name+" failed, retrying", slog.String("error", firstLine(err)),
			slog.String("kind", kind), slog.Int("attempt", try), slog.Duration("retry_in", wait))
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-r.closing:
			timer.Stop()
			return errors.Join(err, ErrShuttingDown)
		case <-ctx.Done():
			timer.Stop()
			return errors.Join(err, ErrShuttingDown)
		}
		interval = min(2*interval, r.cfg.RetryMaxInterval)
	}
}

// try runs fn once under HandlerTimeout, turning a panic into an error.
func (r *Router) try(ctx context.Context, fn func(context.Context) error) (err error) {
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.HandlerTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v\n%s", errPanic, p, debug.Stack())
		}
	}()
	return fn(tctx)
}

// jitter spreads retries of many partitions over ±20 % of d, so they do not
// hit a recovering dependency in lockstep.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// firstLine keeps log lines short: a recovered panic carries its stack.
func firstLine(err error) string {
	s := err.Error()
	for i := range len(s) {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}
