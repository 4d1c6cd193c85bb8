package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/metrics/metricstest"
)

func TestRegisterReturnsTheCollectorRegisteredBefore(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	newVec := func() *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "things_total", Help: "Things."}, []string{"kind"})
	}
	first := metrics.Register(reg, newVec())
	second := metrics.Register(reg, newVec())
	first.WithLabelValues("a").Inc()
	second.WithLabelValues("a").Inc()

	assert.Same(t, first, second)
	assert.InDelta(t, 2, testutil.ToFloat64(first.WithLabelValues("a")), 0)
}

func TestRegisterPanicsOnAConflictingRegistration(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	metrics.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "things_total", Help: "Things."}, []string{"kind"}))
	assert.Panics(t, func() {
		metrics.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "things_total", Help: "Things."}, []string{"colour"}))
	})
}

func TestRegisterWithoutARegistryKeepsTheCollectorUsable(t *testing.T) {
	t.Parallel()
	c := metrics.Register[prometheus.Counter](nil, prometheus.NewCounter(prometheus.CounterOpts{Name: "x_total", Help: "X."}))
	c.Inc()
	assert.InDelta(t, 1, testutil.ToFloat64(c), 0)
}

func TestHandlerServesRuntimeProcessAndBuildMetrics(t *testing.T) {
	t.Parallel()
	reg := metrics.NewRegistry()
	metrics.Register(reg, prometheus.NewCounter(prometheus.CounterOpts{Name: metrics.MessagesProcessed, Help: "Records handled."})).Add(3)

	rec := httptest.NewRecorder()
	metrics.Handler(reg).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, err := io.ReadAll(rec.Body)
	require.NoError(t, err)

	for _, want := range []string{"go_goroutines ", "go_build_info{", "process_resident_memory_bytes ", "projector_messages_processed_total 3"} {
		assert.Contains(t, string(body), want)
	}
	assert.InDelta(t, 3, metricstest.Value(t, reg, metrics.MessagesProcessed), 0)
}
