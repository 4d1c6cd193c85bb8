// Package router builds the Watermill router every projector runs: the same
// middleware chain in the same order for every handler, graceful shutdown,
// and the poison-queue publisher closed after the last message.
package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	wmiddleware "github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/activityapp/event-processor/shared/debezium"
	"github.com/activityapp/event-processor/shared/logging"
	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/middleware"
)

// Config tunes the router and its middleware.
type Config struct {
	// PoisonTopic receives messages that failed permanently.
	PoisonTopic string
	// HandlerTimeout bounds one attempt at one message.
	HandlerTimeout time.Duration
	// RetryInitialInterval and RetryMaxInterval bound the backoff.
	RetryInitialInterval time.Duration
	RetryMaxInterval     time.Duration
	// PanicAttempts is how often a panicking message is tried before it is
	// poisoned.
	PanicAttempts int
	// CloseTimeout is how long Close waits for in-flight messages.
	CloseTimeout time.Duration
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
	if c.PoisonTopic == "" {
		return errors.New("router: PoisonTopic is empty")
	}
	if c.RetryMaxInterval < c.RetryInitialInterval {
		return errors.New("router: RetryMaxInterval is below RetryInitialInterval")
	}
	return nil
}

// Router is a Watermill router with the project's middleware chain.
type Router struct {
	router   *message.Router
	cfg      Config
	poison   message.Publisher
	logger   *slog.Logger
	counters *metrics.Counters

	closing     chan struct{}
	closingOnce sync.Once
	poisonMW    message.HandlerMiddleware
}

// New returns a router whose poison queue publishes with poison. The router
// closes poison after its last message.
func New(cfg Config, poison message.Publisher, logger *slog.Logger, counters *metrics.Counters) (*Router, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	wr, err := message.NewRouter(message.RouterConfig{CloseTimeout: cfg.CloseTimeout}, logging.Watermill(logger))
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	r := &Router{
		router:   wr,
		cfg:      cfg,
		poison:   poison,
		logger:   logger,
		counters: counters,
		closing:  make(chan struct{}),
	}
	r.poisonMW, err = middleware.PoisonQueue(poison, cfg.PoisonTopic, r.closing, logger, counters)
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	return r, nil
}

// AddHandler adds a consumer handler behind the standard chain:
// correlation/logging → poison queue → retry → timeout → recoverer.
// decode middleware, when given, runs in front of it all.
func (r *Router) AddHandler(name, topic string, sub message.Subscriber, fn message.NoPublishHandlerFunc, decode ...message.HandlerMiddleware) {
	h := r.router.AddConsumerHandler(name, topic, sub, func(msg *message.Message) error {
		err := fn(msg)
		if err == nil {
			r.counters.Inc(metrics.MessagesProcessed, "handler", name)
		}
		return err
	})
	chain := append([]message.HandlerMiddleware{}, decode...)
	chain = append(chain,
		middleware.Correlation(r.logger),
		r.poisonMW,
		middleware.Retry{
			InitialInterval: r.cfg.RetryInitialInterval,
			MaxInterval:     r.cfg.RetryMaxInterval,
			PanicAttempts:   r.cfg.PanicAttempts,
			Closing:         r.closing,
			Logger:          r.logger,
			Counters:        r.counters,
		}.Middleware,
		middleware.Timeout(r.cfg.HandlerTimeout),
		wmiddleware.Recoverer,
	)
	h.AddMiddleware(chain...)
}

// AddOutboxHandler adds a handler for the Debezium outbox topic: records are
// decoded by dec before the standard chain, and fn finds the event with
// outbox.FromContext.
func (r *Router) AddOutboxHandler(name, topic string, sub message.Subscriber, dec *debezium.Decoder, fn message.NoPublishHandlerFunc) {
	r.AddHandler(name, topic, sub, fn, middleware.DecodeOutbox(dec, r.logger, r.counters))
}

// Run processes messages until ctx is cancelled or Close is called, then
// shuts down gracefully: retries stop, nothing more is poisoned, in-flight
// messages finish within CloseTimeout or are left for redelivery, and the
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
