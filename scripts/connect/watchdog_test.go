package connect

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// taskWorker is a fake Connect worker with one connector of one task whose
// state the test sets; a restart request runs the task again unless
// failAgain is set.
type taskWorker struct {
	mu        sync.Mutex
	down      bool
	state     string
	trace     string
	failAgain bool
	restarts  int
}

func (f *taskWorker) set(state, trace string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state, f.trace = state, trace
}

func (f *taskWorker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.down:
		http.Error(w, "down", http.StatusBadGateway)
	case r.Method == http.MethodGet && r.URL.Path == "/connectors/outbox/status":
		if f.state == "" {
			http.Error(w, `{"error_code":404,"message":"No status found for connector outbox"}`, http.StatusNotFound)
			return
		}
		st := map[string]any{
			"name":      "outbox",
			"connector": map[string]any{"state": "RUNNING"},
			"tasks":     []map[string]any{{"id": 0, "state": f.state, "trace": f.trace}},
		}
		_ = json.NewEncoder(w).Encode(st)
	case r.Method == http.MethodPost && r.URL.Path == "/connectors/outbox/restart":
		if r.URL.Query().Get("onlyFailed") != "true" || r.URL.Query().Get("includeTasks") != "true" {
			http.Error(w, "restart only the failed instances", http.StatusBadRequest)
			return
		}
		f.restarts++
		if !f.failAgain {
			f.state, f.trace = "RUNNING", ""
		}
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, r)
	}
}

type fakeSlot struct{ status SlotStatus }

func (f fakeSlot) Slot(context.Context) (SlotStatus, error) { return f.status, nil }

func newTestWatchdog(t *testing.T, worker *taskWorker, cfg WatchdogConfig) (*Watchdog, *time.Time) {
	t.Helper()
	srv := httptest.NewServer(worker)
	t.Cleanup(srv.Close)
	cfg.Connector = "outbox"
	w, err := NewWatchdog(cfg, NewClient(srv.URL), fakeSlot{SlotStatus{Name: "outbox_slot", Active: true, RetainedBytes: 4096, ConfirmedLagBytes: 128}},
		slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	w.now = func() time.Time { return now }
	return w, &now
}

// TestWatchdogRestartsAFailedTaskWithBackoff: a failed task is restarted
// once its backoff has passed, not before, and a running connector resets
// the count.
func TestWatchdogRestartsAFailedTaskWithBackoff(t *testing.T) {
	worker := &taskWorker{state: "RUNNING"}
	w, now := newTestWatchdog(t, worker, WatchdogConfig{FirstBackoff: 10 * time.Second})
	ctx := t.Context()

	assert.Equal(t, "running", w.Check(ctx).State)
	worker.set("FAILED", "org.apache.kafka.connect.errors.ConnectException: An exception occurred in the change event producer.\n\tat io.debezium...")

	h := w.Check(ctx)
	assert.Equal(t, "failed", h.State)
	assert.Equal(t, 1, h.FailedTasks)
	assert.Contains(t, h.Detail, "restart 1 of 5 at 2026-11-29T12:00:10Z")
	assert.Contains(t, h.Detail, "An exception occurred in the change event producer.")
	assert.NotContains(t, h.Detail, "\tat", "one line only")
	assert.Zero(t, worker.restarts, "not before the backoff")

	*now = now.Add(10 * time.Second)
	h = w.Check(ctx)
	assert.Equal(t, 1, worker.restarts)
	assert.Equal(t, 1, h.Restarts)
	assert.Contains(t, h.Detail, "restarted (1 of 5)")
	assert.Equal(t, "running", w.Check(ctx).State, "the restart helped")
}

// TestWatchdogGivesUpAndStaysLoud: a failure that comes back after every
// restart is restarted with growing waits, MaxRestarts times, then left
// failed, reported as such.
func TestWatchdogGivesUpAndStaysLoud(t *testing.T) {
	worker := &taskWorker{state: "FAILED", trace: "java.lang.IllegalStateException: boom", failAgain: true}
	w, now := newTestWatchdog(t, worker, WatchdogConfig{FirstBackoff: time.Second, MaxBackoff: 4 * time.Second, MaxRestarts: 3})
	ctx := t.Context()

	var waits []time.Duration
	last := *now
	for range 40 {
		before := worker.restarts
		w.Check(ctx)
		if worker.restarts > before {
			waits = append(waits, now.Sub(last))
			last = *now
		}
		*now = now.Add(500 * time.Millisecond)
	}
	assert.Equal(t, 3, worker.restarts)
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, waits, "backoff doubles up to MaxBackoff")
	h := w.Health()
	assert.Equal(t, "failed", h.State)
	assert.Equal(t, "failed; gave up after 3 restarts: java.lang.IllegalStateException: boom", h.Detail)
}

// TestWatchdogDoesNotRestartWhatCannotHelp: a record the broker refuses
// would fail again, so the task is left failed, with the reason.
func TestWatchdogDoesNotRestartWhatCannotHelp(t *testing.T) {
	worker := &taskWorker{state: "FAILED", trace: "org.apache.kafka.connect.errors.ConnectException: Unrecoverable exception from producer send callback\n" +
		"Caused by: org.apache.kafka.common.errors.RecordTooLargeException: The request included a message larger than the max message size the server will accept."}
	w, now := newTestWatchdog(t, worker, WatchdogConfig{FirstBackoff: time.Second})
	for range 5 {
		w.Check(t.Context())
		*now = now.Add(time.Minute)
	}
	assert.Zero(t, worker.restarts)
	assert.Equal(t, "failed, and a restart cannot help (the same record would fail again): "+
		"org.apache.kafka.common.errors.RecordTooLargeException: The request included a message larger than the max message size the server will accept.",
		w.Health().Detail, "the root cause, not the wrapper")
}

// TestWatchdogHealthAndMetrics: /healthz follows the state, with why;
// /metrics carries the state, restarts and the slot.
func TestWatchdogHealthAndMetrics(t *testing.T) {
	worker := &taskWorker{}
	w, _ := newTestWatchdog(t, worker, WatchdogConfig{})
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(srv.Close)
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	w.Check(t.Context())
	code, body := get("/healthz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "missing: connector outbox is not registered\n", body)

	worker.mu.Lock()
	worker.down = true
	worker.mu.Unlock()
	w.Check(t.Context())
	code, body = get("/healthz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.True(t, strings.HasPrefix(body, "unreachable: Kafka Connect does not answer"), body)
	assert.NoError(t, testutil.GatherAndCompare(w.registry, strings.NewReader(`
		# HELP connector_up Whether Kafka Connect answers and has the connector.
		# TYPE connector_up gauge
		connector_up{connector="outbox"} 0
		# HELP connector_running Whether the connector and all its tasks are RUNNING.
		# TYPE connector_running gauge
		connector_running{connector="outbox"} 0
	`), "connector_up", "connector_running"))

	worker.mu.Lock()
	worker.down = false
	worker.mu.Unlock()
	worker.set("RUNNING", "")
	w.Check(t.Context())
	code, body = get("/healthz")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "running\n", body)
	_, page := get("/metrics")
	assert.Contains(t, page, "go_goroutines ", "the process's own metrics too")
	assert.NoError(t, testutil.ScrapeAndCompare(srv.URL+"/metrics", strings.NewReader(`
		# HELP connector_up Whether Kafka Connect answers and has the connector.
		# TYPE connector_up gauge
		connector_up{connector="outbox"} 1
		# HELP connector_running Whether the connector and all its tasks are RUNNING.
		# TYPE connector_running gauge
		connector_running{connector="outbox"} 1
		# HELP connector_failed_instances Failed connector and task instances.
		# TYPE connector_failed_instances gauge
		connector_failed_instances{connector="outbox"} 0
		# HELP connector_restarts_total Restarts the watchdog requested.
		# TYPE connector_restarts_total counter
		connector_restarts_total{connector="outbox"} 0
		# HELP replication_slot_retained_wal_bytes WAL the replication slot keeps from being removed (from its restart_lsn).
		# TYPE replication_slot_retained_wal_bytes gauge
		replication_slot_retained_wal_bytes{slot="outbox_slot"} 4096
		# HELP replication_slot_confirmed_lag_bytes WAL written since the slot's confirmed_flush_lsn: how far the connector has not confirmed.
		# TYPE replication_slot_confirmed_lag_bytes gauge
		replication_slot_confirmed_lag_bytes{slot="outbox_slot"} 128
		# HELP replication_slot_active Whether a client streams from the slot.
		# TYPE replication_slot_active gauge
		replication_slot_active{slot="outbox_slot"} 1
	`), "connector_up", "connector_running", "connector_failed_instances", "connector_restarts_total",
		"replication_slot_retained_wal_bytes", "replication_slot_confirmed_lag_bytes", "replication_slot_active"))
}
