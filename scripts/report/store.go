package report

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
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

// Metric names the projectors serve (Prometheus text, prefix projector_).
const (
	roundTripsMetric = "projector_store_round_trips_total"
	documentsMetric  = "projector_store_documents_written_total"
)

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

// parseStoreCounters reads the store counters from Prometheus text.
func parseStoreCounters(r io.Reader) (StoreCounters, error) {
	var c StoreCounters
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, rest, ok := strings.Cut(line, "{")
		if !ok {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok || (name != roundTripsMetric && name != documentsMetric) {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
		if err != nil {
			return c, fmt.Errorf("%s: %w", line, err)
		}
		switch {
		case name == documentsMetric:
			c.Documents += n
		case strings.Contains(labels, `op="read"`):
			c.Reads += n
		default:
			c.Writes += n
		}
	}
	return c, sc.Err()
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
