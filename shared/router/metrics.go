package router

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/activityapp/event-processor/shared/metrics"
)

// routerMetrics are what the router counts of every handler's records.
type routerMetrics struct {
	processed    *prometheus.CounterVec
	skipped      *prometheus.CounterVec
	poisoned     *prometheus.CounterVec
	parked       *prometheus.CounterVec
	released     *prometheus.CounterVec
	retried      *prometheus.CounterVec
	batchRecords *prometheus.HistogramVec
}

func newRouterMetrics(reg prometheus.Registerer) routerMetrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return metrics.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels))
	}
	return routerMetrics{
		processed: counter(metrics.MessagesProcessed, "Records handled.", "handler"),
		skipped:   counter(metrics.MessagesSkipped, "Records acknowledged without handling (tombstones, heartbeats).", "handler", "reason"),
		poisoned:  counter(metrics.MessagesPoisoned, "Records sent to the poison topic.", "handler"),
		parked:    counter(metrics.MessagesParked, "Records parked behind a poisoned record of their sequence (on the poison topic).", "handler"),
		released:  counter(metrics.SequencesReleased, "Blocked sequences released by a replay.", "handler"),
		retried:   counter(metrics.MessagesRetried, "Failed attempts that are retried: transient, panic or poison_publish.", "handler", "kind"),
		batchRecords: metrics.Register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: metrics.BatchRecords, Help: "Records per batch.", Buckets: metrics.BatchRecordsBuckets,
		}, []string{"handler"})),
	}
}
