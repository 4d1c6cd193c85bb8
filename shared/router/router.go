// Package router builds the Watermill router every projector runs: batch
// handlers over Kafka partitions with the same decoding, poison queue,
// retry and shutdown rules for every handler, and the poison-queue
// publisher closed after the last batch.
package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	wmetrics "github.com/ThreeDotsLabs/watermill/components/metrics"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/activityapp/event-processor/shared/logging"
	"github.com/activityapp/event-processor/shared/metrics"
)

// Config tunes the router.
type Config struct {
	// Service names the projector (its consumer group): a replayed
	// record for another service is skipped (see ReplayForKey).
	Service string
	// SkipReplays skips replayed records: a rebuild reads each poisoned
	// event's original record with the code of now, which makes the
	// replay of it redundant (and, for counters, a second count). Except
	// in a sequence the rebuild has blocked itself: there the replays and
	// drops that released the live projector's block release its own.
	SkipReplays bool
	// PoisonTopic receives records that failed permanently.
	PoisonTopic string
	// HandlerTimeout bounds one attempt at one batch.
	HandlerTimeout time.Duration
	// RetryInitialInterval and RetryMaxInterval bound the backoff.
	RetryInitialInterval time.Duration
	RetryMaxInterval     time.Duration
	// PanicAttempts is how often a panicking batch is tried before its
	// records are tried alone and the panicking ones poisoned.
	PanicAttempts int
	// CloseTimeout is how long Close waits for in-flight batches.
	CloseTimeout time.Duration
	// Blocks keeps the blocked sequences of the Sequenced handlers; nil
	// turns sequencing off (a poisoned record then blocks nothing).
	Blocks BlockStore
}

func (c *Config) setDefaults() {
	if c.HandlerTimeout == 0 {
		c.HandlerTimeout = 10 * time.Second
	}
	if c.RetryInitialInterval == 0 {
		c.RetryInitialInterval = 100 * time.Millisecond
	}
	if c.RetryMaxInterval == 0 {
		c.RetryMaxInterval = 10 * time.Second
	}
	if c.PanicAttempts == 0 {
		c.PanicAttempts = 3
	}
	if c.CloseTimeout == 0 {
		c.CloseTimeout = 30 * time.Second
	}
}

// Validate reports settings the router cannot run with.
func (c Config) Validate() error {
	if c.Service == "" {
		return errors.New("router: Service is empty")
	}
	if c.PoisonTopic == "" {
		return errors.New("router: PoisonTopic is empty")
	}
	if c.RetryMaxInterval < c.RetryInitialInterval {
		return errors.New("router: RetryMaxInterval is below RetryInitialInterval")
	}
	return nil
}

// Router is a Watermill router running batch handlers.
type Router struct {
	router  *message.Router
	cfg     Config
	poison  message.Publisher
	logger  *slog.Logger
	metrics routerMetrics
	// seq is nil when sequencing is off.
	seq *sequencer

	closing     chan struct{}
	closingOnce sync.Once

	// poisonWaiting counts records whose poison publish has failed and
	// not yet succeeded; batchesRetrying the batches being retried after a
	// transient error, the last of which is lastRetryError.
	poisonWaiting   atomic.Int64
	batchesRetrying atomic.Int64
	lastRetryError  atomic.Pointer[string]
}

// New returns a router whose poison queue publishes with poison. The router
// closes poison after its last batch. Its metrics, and Watermill's of its
// handlers and subscribers, are registered in reg (nil: not served).
func New(cfg Config, poison message.Publisher, logger *slog.Logger, reg prometheus.Registerer) (*Router, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	wr, err := message.NewRouter(message.RouterConfig{CloseTimeout: cfg.CloseTimeout}, logging.Watermill(logger))
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	if reg != nil {
		// Handler execution times, batches received (acked or nacked)
		// per subscriber (a Watermill message is a batch here), and
		// the poison topic's publish times.
		b := WatermillMetrics(reg)
		b.AddPrometheusRouterMetrics(wr)
		if poison, err = b.DecoratePublisher(poison); err != nil {
			return nil, fmt.Errorf("router: %w", err)
		}
	}
	var seq *sequencer
	if cfg.Blocks != nil {
		seq = newSequencer(cfg.Blocks)
	}
	return &Router{
		seq:     seq,
		router:  wr,
		cfg:     cfg,
		poison:  poison,
		logger:  logger,
		metrics: newRouterMetrics(reg),
		closing: make(chan struct{}),
	}, nil
}

// WatermillMetrics is Watermill's metrics builder for reg, its metrics
// named projector_watermill_*: the router decorates its handlers,
// subscribers and poison publisher with it, and a service its own
// publishers.
func WatermillMetrics(reg prometheus.Registerer) wmetrics.PrometheusMetricsBuilder {
	return wmetrics.NewPrometheusMetricsBuilder(reg, metrics.Namespace, "watermill")
}

// Add adds handlers; call it before Run.
func (r *Router) Add(handlers ...Handler) error {
	for _, h := range handlers {
		if err := h.addTo(r); err != nil {
			return err
		}
	}
	return nil
}

// Run processes batches until ctx is cancelled or Close is called, then
// shuts down gracefully: retries stop, nothing more is poisoned, in-flight
// batches finish within CloseTimeout or are left for redelivery, and the
// poison publisher is closed.
func (r *Router) Run(ctx context.Context) error {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		r.beginClosing()
		cancel()
	})
	defer stop()

	err := r.router.Run(runCtx)
	r.beginClosing()
	if perr := r.poison.Close(); perr != nil {
		err = errors.Join(err, fmt.Errorf("router: closing poison publisher: %w", perr))
	}
	return err
}

// Running is closed once every handler is subscribed.
func (r *Router) Running() chan struct{} { return r.router.Running() }

// Readiness says whether the router is handling batches, and if not, why:
// it is starting, shutting down, stalled because records cannot be
// published to the poison topic (each holds its partition), or retrying
// batches after transient errors (a store or broker that does not answer).
func (r *Router) Readiness() (ready bool, detail string) {
	select {
	case <-r.closing:
		return false, "shutting down"
	default:
	}
	if n := r.PoisonWaiting(); n > 0 {
		return false, fmt.Sprintf("stalled: %d records cannot be published to the poison topic %s (see the logs)", n, r.cfg.PoisonTopic)
	}
	if n := r.batchesRetrying.Load(); n > 0 {
		detail := "retrying"
		if last := r.lastRetryError.Load(); last != nil {
			detail = *last
		}
		return false, fmt.Sprintf("retrying: %d batches failing, the last with: %s", n, detail)
	}
	select {
	case <-r.router.Running():
		return true, "ready"
	default:
		return false, "starting"
	}
}

// Close stops the router (see Run).
func (r *Router) Close() error {
	r.beginClosing()
	return r.router.Close()
}

// Closing is closed when shutdown begins.
func (r *Router) Closing() <-chan struct{} { return r.closing }

func (r *Router) beginClosing() {
	r.closingOnce.Do(func() { close(r.closing) })
}
