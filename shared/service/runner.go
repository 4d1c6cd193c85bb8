package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/activityapp/event-processor/shared/config"
	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/router"
)

// Runner runs a projector's router and its HTTP endpoints.
type Runner struct {
	cfg     config.Config
	router  *router.Router
	metrics prometheus.Gatherer
	logger  *slog.Logger
}

// NewRunner returns a runner of r with the service's handlers added,
// serving the metrics g gathers.
func NewRunner(cfg config.Config, r *router.Router, handlers []router.Handler, g prometheus.Gatherer, logger *slog.Logger) (*Runner, error) {
	if len(handlers) == 0 {
		return nil, errors.New("service: no handlers")
	}
	if err := r.Add(handlers...); err != nil {
		return nil, err
	}
	return &Runner{cfg: cfg, router: r, metrics: g, logger: logger}, nil
}

// Run serves HTTP and processes messages until ctx is cancelled, then shuts
// both down.
func (r *Runner) Run(ctx context.Context) error {
	srv := &http.Server{Handler: r.Handler(), ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", r.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR: listen on %s: %w", r.cfg.HTTPAddr, err)
	}
	httpErr := make(chan error, 1)
	go func() { httpErr <- srv.Serve(ln) }()
	r.logger.InfoContext(ctx, "projector started", slog.String("http_addr", ln.Addr().String()),
		slog.String("topic", r.cfg.Kafka.Topic), slog.String("consumer_group", r.cfg.Kafka.ConsumerGroup))

	runErr := r.router.Run(ctx)

	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	if err := <-httpErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		runErr = errors.Join(runErr, err)
	}
	return runErr
}

// Handler serves /healthz, /readyz and /metrics.
func (r *Runner) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ready, detail := r.router.Readiness(); !ready {
			http.Error(w, detail, http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", metrics.Handler(r.metrics))
	return mux
}
