package report

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// As client_golang writes it: values are floats, large ones with an
// exponent.
const metricsPage = `# TYPE projector_store_documents_written_total counter
projector_store_documents_written_total{collection="users"} 1.000356e+06
projector_store_documents_written_total{collection="activities"} 4
# TYPE projector_store_round_trips_total counter
projector_store_round_trips_total{collection="users",op="read"} 12
projector_store_round_trips_total{collection="users",op="write"} 79
projector_store_round_trips_total{collection="activities",op="write"} 1
# TYPE projector_messages_processed_total counter
projector_messages_processed_total{handler="user-projector.outbox"} 1000
`

func TestScrapeStoreSumsInstances(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(metricsPage))
	}))
	defer srv.Close()
	c, err := ScrapeStore(context.Background(), []string{srv.URL, srv.URL})
	require.NoError(t, err)
	assert.Equal(t, StoreCounters{Reads: 24, Writes: 160, Documents: 2000720}, c)

	_, err = ScrapeStore(context.Background(), []string{"http://127.0.0.1:1/metrics"})
	assert.Error(t, err)
}

func TestParseStoreCountersRejectsGarbageValues(t *testing.T) {
	t.Parallel()
	_, err := parseStoreCounters(strings.NewReader(`projector_store_round_trips_total{op="read"} x` + "\n"))
	assert.Error(t, err)
}

func TestStoreCost(t *testing.T) {
	t.Parallel()
	s := StoreCost(StoreCounters{Reads: 10, Writes: 20, Documents: 100}, StoreCounters{Reads: 60, Writes: 120, Documents: 900}, 3, 1000)
	assert.Equal(t, &Store{Reads: 50, Writes: 100, Documents: 800, Instances: 3, OperationsPerEvent: 0.15, DocumentsPerEvent: 0.8}, s)
}
