// Package metrics is the projectors' Prometheus plumbing: the registry a
// projector serves on /metrics, with the Go runtime, process and build
// collectors, and the names of the metrics the shared packages register in
// it (an operator's alerts and dashboards depend on them, so they are
// listed in one place).
package metrics

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric of the projectors' own.
const Namespace = "projector"

// Names of the projectors' own metrics.
const (
	// MessagesProcessed counts records handled, by handler.
	MessagesProcessed = Namespace + "_messages_processed_total"
	// MessagesSkipped counts records acknowledged without handling
	// (tombstones, heartbeats), by handler and reason.
	MessagesSkipped = Namespace + "_messages_skipped_total"
	// MessagesPoisoned counts records sent to the poison topic, by handler.
	MessagesPoisoned = Namespace + "_messages_poisoned_total"
	// MessagesParked counts records parked behind a poisoned record of
	// their sequence (sent to the poison topic to wait for it), by handler.
	MessagesParked = Namespace + "_messages_parked_total"
	// SequencesReleased counts blocked sequences released by a replay, by
	// handler.
	SequencesReleased = Namespace + "_sequences_released_total"
	// MessagesRetried counts failed attempts that are retried, by handler
	// and kind (transient, panic, poison_publish).
	MessagesRetried = Namespace + "_messages_retried_total"
	// UnknownEventTypes counts events no handler of the service knows, by
	// event type.
	UnknownEventTypes = Namespace + "_unknown_event_types_total"
	// EventHandlerApplied counts events given to an event handler, by
	// event_handler.
	EventHandlerApplied = Namespace + "_event_handler_applied_total"
	// BatchRecords is the histogram of the records per batch, by handler.
	BatchRecords = Namespace + "_batch_records"
	// StoreRoundTrips counts commands sent to the read-model store, by
	// collection and op (read or write).
	StoreRoundTrips = Namespace + "_store_round_trips_total"
	// StoreDocumentsWritten counts documents written, one per changed
	// document per batch however many events changed it, by collection.
	StoreDocumentsWritten = Namespace + "_store_documents_written_total"
	// CommitToWrite is the histogram of the seconds from an event's commit
	// in PostgreSQL to the write of the read-model document it changed, by
	// read_model (the collection).
	CommitToWrite = Namespace + "_commit_to_write_seconds"
	// ConsumerLag is how many records a partition's owner is behind the
	// partition's high-water mark, by topic and partition. Only the
	// instance that owns a partition reports it.
	ConsumerLag = Namespace + "_consumer_lag_records"
)

// CommitToWriteBuckets resolve the seconds around the freshness target
// (100 ms) finely and a backlog's minutes coarsely.
var CommitToWriteBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// BatchRecordsBuckets cover batches of one record to the subscriber's cap.
var BatchRecordsBuckets = []float64{1, 2, 5, 10, 25, 50, 100, 250, 500, 1000}

// NewRegistry returns a registry with the Go runtime, process and build
// information collectors registered.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
	)
	return reg
}

// Handler serves g in the Prometheus exposition formats.
func Handler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}

// Register registers c in reg and returns it, or returns the equal
// collector registered before: the stores of several collections and the
// subscribers of two topics share one vector. With a nil reg, c counts but
// is never served. A conflicting registration (one name, other labels) is
// a programming error and panics, as prometheus.MustRegister does.
func Register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(C); ok {
			return existing
		}
	}
	panic(fmt.Sprintf("metrics: %v", err))
}
