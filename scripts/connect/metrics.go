package connect

import (
	"github.com/prometheus/client_golang/prometheus"
)

// watchdogCollector exports, at every scrape, what the watchdog saw at its
// last check: the connector's state and the replication slot's.
type watchdogCollector struct {
	w *Watchdog

	up, running, failed, restarts  *prometheus.Desc
	retained, confirmedLag, active *prometheus.Desc
}

func newWatchdogCollector(w *Watchdog) *watchdogCollector {
	connector := prometheus.Labels{"connector": w.cfg.Connector}
	slot := []string{"slot"}
	return &watchdogCollector{
		w:        w,
		up:       prometheus.NewDesc("connector_up", "Whether Kafka Connect answers and has the connector.", nil, connector),
		running:  prometheus.NewDesc("connector_running", "Whether the connector and all its tasks are RUNNING.", nil, connector),
		failed:   prometheus.NewDesc("connector_failed_instances", "Failed connector and task instances.", nil, connector),
		restarts: prometheus.NewDesc("connector_restarts_total", "Restarts the watchdog requested.", nil, connector),
		retained: prometheus.NewDesc("replication_slot_retained_wal_bytes",
			"WAL the replication slot keeps from being removed (from its restart_lsn).", slot, nil),
		confirmedLag: prometheus.NewDesc("replication_slot_confirmed_lag_bytes",
			"WAL written since the slot's confirmed_flush_lsn: how far the connector has not confirmed.", slot, nil),
		active: prometheus.NewDesc("replication_slot_active", "Whether a client streams from the slot.", slot, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *watchdogCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.running, c.failed, c.restarts, c.retained, c.confirmedLag, c.active} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *watchdogCollector) Collect(ch chan<- prometheus.Metric) {
	h := c.w.Health()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(c.up, boolValue(h.State != "unreachable" && h.State != "missing"))
	gauge(c.running, boolValue(h.Running()))
	gauge(c.failed, float64(h.FailedTasks))
	ch <- prometheus.MustNewConstMetric(c.restarts, prometheus.CounterValue, float64(h.Restarts))
	if s := h.Slot; s != nil {
		gauge(c.retained, float64(s.RetainedBytes), s.Name)
		gauge(c.confirmedLag, float64(s.ConfirmedLagBytes), s.Name)
		gauge(c.active, boolValue(s.Active), s.Name)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
