package readmodel

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/activityapp/event-processor/shared/metrics"
)

// storeMetrics are one store's series of the metrics every store shares.
type storeMetrics struct {
	reads, writes    prometheus.Counter
	documentsWritten prometheus.Counter
	commitToWrite    prometheus.Observer
}

func newStoreMetrics(reg prometheus.Registerer, collection string) storeMetrics {
	roundTrips := metrics.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: metrics.StoreRoundTrips, Help: "Commands sent to the read-model store: op=read (one document) or op=write (a bulk write).",
	}, []string{"collection", "op"}))
	written := metrics.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: metrics.StoreDocumentsWritten, Help: "Read-model documents written, one per changed document per batch.",
	}, []string{"collection"}))
	commitToWrite := metrics.Register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    metrics.CommitToWrite,
		Help:    "Seconds from an event's commit in PostgreSQL to the write of the read-model document it changed.",
		Buckets: metrics.CommitToWriteBuckets,
	}, []string{"read_model"}))
	return storeMetrics{
		reads:            roundTrips.WithLabelValues(collection, "read"),
		writes:           roundTrips.WithLabelValues(collection, "write"),
		documentsWritten: written.WithLabelValues(collection),
		commitToWrite:    commitToWrite.WithLabelValues(collection),
	}
}
