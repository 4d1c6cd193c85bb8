package connect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/activityapp/event-processor/shared/metrics"
)

// WatchdogConfig configures a Watchdog.
type WatchdogConfig struct {
	// Connector is the connector's name.
	Connector string
	// FirstBackoff is the wait before the first restart of a failure;
	// each further restart of the same failure waits twice as long, up
	// to MaxBackoff. Defaults: 10 s and 5 min.
	FirstBackoff, MaxBackoff time.Duration
	// MaxRestarts is how often one failure is restarted before the
	// watchdog gives up on it (it stays loud). Default 5.
	MaxRestarts int
	// Hopeless matches failure traces a restart cannot help (the same
	// record fails again): those are reported, never restarted. Default:
	// HopelessFailures.
	Hopeless *regexp.Regexp
}

// HopelessFailures are traces of failures a restart repeats: a record the
// broker refuses for its size, a refused authorization, a missing
// replication slot or publication.
var HopelessFailures = regexp.MustCompile(`RecordTooLargeException|AuthorizationException|` +
	`replication slot "[^"]*" does not exist|publication "[^"]*" does not exist`)

func (c *WatchdogConfig) setDefaults() {
	if c.FirstBackoff <= 0 {
		c.FirstBackoff = 10 * time.Second
	}
	if c.MaxBackoff < c.FirstBackoff {
		c.MaxBackoff = max(5*time.Minute, c.FirstBackoff)
	}
	if c.MaxRestarts <= 0 {
		c.MaxRestarts = 5
	}
	if c.Hopeless == nil {
		c.Hopeless = HopelessFailures
	}
}

// Validate reports a config that cannot work.
func (c WatchdogConfig) Validate() error {
	if c.Connector == "" {
		return errors.New("connect: watchdog needs a connector name")
	}
	return nil
}

// Health is what the watchdog last saw.
type Health struct {
	// State is running, failed, unreachable (Connect does not answer),
	// missing (no such connector) or starting (not every task RUNNING yet).
	State string
	// Detail says why the state is not running: the failure's root cause
	// (its innermost "Caused by" line), the error, or what restarts were
	// tried.
	Detail string
	// FailedTasks counts the failed connector and task instances.
	FailedTasks int
	// Restarts counts the restarts the watchdog requested.
	Restarts int
	// Slot is the replication slot, when the watchdog reads one.
	Slot *SlotStatus
	// SlotErr is why the slot could not be read.
	SlotErr string
}

// Running reports whether the connector and every task run.
func (h Health) Running() bool { return h.State == "running" }

// SlotReader reads a replication slot's status.
type SlotReader interface {
	Slot(ctx context.Context) (SlotStatus, error)
}

// Watchdog watches one connector: it restarts a failed connector or task
// with backoff where a restart can help, and reports what it sees in the
// logs, as Prometheus metrics and as a health check.
type Watchdog struct {
	cfg    WatchdogConfig
	client *Client
	slot   SlotReader // nil: no slot metrics
	logger *slog.Logger
	now    func() time.Time

	// registry serves what the watchdog last saw (watchdogCollector)
	// with the process's Go, process and build metrics.
	registry *prometheus.Registry

	mu        sync.Mutex
	health    Health
	streak    int       // restarts of the current failure
	nextRetry time.Time // earliest next restart of the current failure
	failure   string    // the current failure's first line
}

// NewWatchdog returns a watchdog of cfg.Connector on client; slot may be
// nil.
func NewWatchdog(cfg WatchdogConfig, client *Client, slot SlotReader, logger *slog.Logger) (*Watchdog, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := &Watchdog{cfg: cfg, client: client, slot: slot, logger: logger, now: time.Now,
		health: Health{State: "starting", Detail: "not checked yet"}, registry: metrics.NewRegistry()}
	w.registry.MustRegister(newWatchdogCollector(w))
	return w, nil
}

// Run checks every interval until ctx ends.
func (w *Watchdog) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		w.Check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Check looks at the connector once, restarts it if due, and returns what
// it saw.
func (w *Watchdog) Check(ctx context.Context) Health {
	st, err := w.client.Status(ctx, w.cfg.Connector)

	w.mu.Lock()
	defer w.mu.Unlock()
	prev := w.health
	h := Health{Restarts: prev.Restarts}
	switch {
	case IsNotFound(err):
		h.State, h.Detail = "missing", fmt.Sprintf("connector %s is not registered", w.cfg.Connector)
	case err != nil:
		h.State, h.Detail = "unreachable", "Kafka Connect does not answer: "+firstLines(err.Error(), 1)
	case st.Running():
		h.State = "running"
		w.streak, w.failure = 0, ""
	default:
		trace, failed := st.Failed()
		if !failed {
			h.State, h.Detail = "starting", "connector "+st.Connector.State+", not every task RUNNING yet"
			break
		}
		h.State = "failed"
		h.FailedTasks = countFailed(st)
		h.Detail = w.onFailure(ctx, rootCause(trace), trace, &h)
	}
	if w.slot != nil {
		if s, err := w.slot.Slot(ctx); err != nil {
			h.SlotErr = err.Error()
		} else {
			h.Slot = &s
		}
	}
	if h.State != prev.State || h.Detail != prev.Detail {
		level := slog.LevelInfo
		if !h.Running() {
			level = slog.LevelError
		}
		w.logger.Log(ctx, level, "connector "+h.State, slog.String("connector", w.cfg.Connector),
			slog.String("detail", h.Detail), slog.Int("failed_tasks", h.FailedTasks))
	}
	w.health = h
	return h
}

// onFailure restarts the failed instances when that can help and is due,
// and returns what the health detail should say.
func (w *Watchdog) onFailure(ctx context.Context, first, trace string, h *Health) string {
	if first != w.failure { // a new failure: a new streak
		w.failure, w.streak, w.nextRetry = first, 0, w.now().Add(w.cfg.FirstBackoff)
	}
	switch {
	case w.cfg.Hopeless.MatchString(trace):
		return "failed, and a restart cannot help (the same record would fail again): " + first
	case w.streak >= w.cfg.MaxRestarts:
		return fmt.Sprintf("failed; gave up after %d restarts: %s", w.streak, first)
	case w.now().Before(w.nextRetry):
		return fmt.Sprintf("failed; restart %d of %d at %s: %s", w.streak+1, w.cfg.MaxRestarts,
			w.nextRetry.UTC().Format(time.RFC3339), first)
	}
	w.streak++
	h.Restarts++
	w.nextRetry = w.now().Add(min(w.cfg.FirstBackoff<<w.streak, w.cfg.MaxBackoff))
	if err := w.client.RestartFailed(ctx, w.cfg.Connector); err != nil {
		return fmt.Sprintf("failed; restart %d of %d was refused (%s): %s", w.streak, w.cfg.MaxRestarts,
			firstLines(err.Error(), 1), first)
	}
	w.logger.WarnContext(ctx, "restarted the failed connector instances", slog.String("connector", w.cfg.Connector),
		slog.Int("restart", w.streak), slog.String("failure", first))
	return fmt.Sprintf("failed; restarted (%d of %d): %s", w.streak, w.cfg.MaxRestarts, first)
}

// rootCause is the line of a Java stack trace that names the innermost
// cause ("Caused by: ..."), else its first line.
func rootCause(trace string) string {
	cause := firstLines(trace, 1)
	for _, line := range strings.Split(trace, "\n") {
		if c, ok := strings.CutPrefix(strings.TrimSpace(line), "Caused by: "); ok {
			cause = c
		}
	}
	return cause
}

func countFailed(st Status) int {
	n := 0
	if st.Connector.State == "FAILED" {
		n++
	}
	for _, t := range st.Tasks {
		if t.State == "FAILED" {
			n++
		}
	}
	return n
}

// Health returns what the last check saw.
func (w *Watchdog) Health() Health {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.health
}

// Handler serves /healthz (200 while the connector runs, else 503 with the
// state and why) and /metrics (Prometheus text).
func (w *Watchdog) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		h := w.Health()
		if !h.Running() {
			http.Error(rw, h.State+": "+h.Detail, http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(rw, "running\n")
	})
	mux.Handle("GET /metrics", metrics.Handler(w.registry))
	return mux
}
