package report

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/activityapp/event-processor/shared/metrics"
)

// Store is what the run cost the read-model store, from the projectors'
// own counters (their /metrics): round trips (reads and bulk writes) and
// documents written, in all and per event of the run.
type Store struct {
	Reads     int64 `json:"reads"`
	Writes    int64 `json:"writes"`
	Documents int64 `json:"documents"`
	// Instances is how many projector instances were asked.
	Instances int `json:"instances"`
	// OperationsPerEvent is (Reads+Writes) per event of the run, and
	// DocumentsPerEvent Documents per event.
	OperationsPerEvent float64 `json:"operations_per_event"`
	DocumentsPerEvent  float64 `json:"documents_per_event"`
}

// StoreCounters are the store counters of some projector instances.
type StoreCounters struct {
	Reads, Writes, Documents int64
}

// ScrapeStore sums the store counters served at urls.
func ScrapeStore(ctx context.Context, urls []string) (StoreCounters, error) {
	var total StoreCounters
	client := &http.Client{Timeout: 5 * time.Second}
	for _, u := range urls {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return total, fmt.Errorf("metrics %s: %w", u, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return total, fmt.Errorf("metrics %s: %w", u, err)
		}
		c, err := parseStoreCounters(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return total, fmt.Errorf("metrics %s: %w", u, err)
		}
		total.Reads += c.Reads
		total.Writes += c.Writes
		total.Documents += c.Documents
	}
	return total, nil
}

// parseStoreCounters reads the store counters from the Prometheus text
// exposition format.
func parseStoreCounters(r io.Reader) (StoreCounters, error) {
	var c StoreCounters
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return c, err
	}
	for _, m := range families[metrics.StoreDocumentsWritten].GetMetric() {
		c.Documents += int64(m.GetCounter().GetValue())
	}
	for _, m := range families[metrics.StoreRoundTrips].GetMetric() {
		n := int64(m.GetCounter().GetValue())
		if slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool { return l.GetName() == "op" && l.GetValue() == "read" }) {
			c.Reads += n
		} else {
			c.Writes += n
		}
	}
	return c, nil
}

// StoreCost is what happened between two scrapes of instances, for events.
func StoreCost(before, after StoreCounters, instances, events int) *Store {
	s := &Store{
		Reads: after.Reads - before.Reads, Writes: after.Writes - before.Writes,
		Documents: after.Documents - before.Documents, Instances: instances,
	}
	if events > 0 {
		s.OperationsPerEvent = float64(s.Reads+s.Writes) / float64(events)
		s.DocumentsPerEvent = float64(s.Documents) / float64(events)
	}
	return s
}
