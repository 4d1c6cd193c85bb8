package middleware

import (
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	wmiddleware "github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/metrics"
)

// Retry retries a failing handler with capped exponential backoff.
//
// Transient errors are retried until they succeed or the service shuts
// down: an outage of MongoDB or Kafka is waited out, never dead-lettered.
// Permanent errors are returned at once (retrying cannot fix bad input).
// Panics are retried PanicAttempts times in all, since one may come from a
// passing state, then returned as permanent.
//
// Watermill's Retry gives up after MaxRetries whatever the error; after that
// a nack restarts its backoff from the beginning, so it can neither wait out
// a long outage with a capped interval nor tell the two kinds apart.
type Retry struct {
	InitialInterval time.Duration
	MaxInterval     time.Duration
	// Multiplier grows the interval after every failure; 2 when zero.
	Multiplier float64
	// PanicAttempts is how often a panicking message is tried; 3 when zero.
	PanicAttempts int
	// Closing is closed when the service begins to shut down; a message
	// still failing then is returned (and nacked), not retried.
	Closing  <-chan struct{}
	Logger   *slog.Logger
	Counters *metrics.Counters
}

// ErrShuttingDown is joined to the last error of a message whose retries
// were cut short by shutdown.
var ErrShuttingDown = errors.New("shutting down: message left for redelivery")

func (r Retry) setDefaults() Retry {
	if r.InitialInterval <= 0 {
		r.InitialInterval = 100 * time.Millisecond
	}
	if r.MaxInterval < r.InitialInterval {
		r.MaxInterval = r.InitialInterval
	}
	if r.Multiplier <= 1 {
		r.Multiplier = 2
	}
	if r.PanicAttempts <= 0 {
		r.PanicAttempts = 3
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	if r.Counters == nil {
		r.Counters = metrics.NewCounters()
	}
	return r
}

// IsPanic reports whether err came from a recovered panic.
func IsPanic(err error) bool {
	var p wmiddleware.RecoveredPanicError
	return errors.As(err, &p)
}

// Middleware implements message.HandlerMiddleware.
func (r Retry) Middleware(h message.HandlerFunc) message.HandlerFunc {
	r = r.setDefaults()
	return func(msg *message.Message) ([]*message.Message, error) {
		// Every attempt starts from the context the message arrived with, so
		// a timeout set by an inner middleware does not carry over.
		ctx := msg.Context()
		handler := message.HandlerNameFromCtx(ctx)
		interval := r.InitialInterval
		panics := 0
		for attempt := 1; ; attempt++ {
			msg.SetContext(ctx)
			msgs, err := h(msg)
			if err == nil {
				return msgs, nil
			}

			kind := "transient"
			switch {
			case IsPanic(err):
				panics++
				if panics >= r.PanicAttempts {
					return nil, fault.Permanent(err)
				}
				kind = "panic"
			case fault.IsPermanent(err):
				return nil, err
			}

			r.Counters.Inc(metrics.MessagesRetried, "handler", handler, "kind", kind)
			wait := jitter(interval)
			r.Logger.WarnContext(ctx, "message failed, retrying",
				slog.String("error", firstLine(err)), slog.String("kind", kind),
				slog.Int("attempt", attempt), slog.Duration("retry_in", wait))

			timer := time.NewTimer(wait)
			select {
			case <-timer.C:
			case <-r.Closing:
				timer.Stop()
				return nil, errors.Join(err, ErrShuttingDown)
			case <-ctx.Done():
				timer.Stop()
				return nil, errors.Join(err, ErrShuttingDown)
			}
			interval = min(time.Duration(float64(interval)*r.Multiplier), r.MaxInterval)
		}
	}
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
