package demo

import (
	"fmt"
	"time"

	"github.com/activityapp/event-processor/scripts/loadgen"
	"github.com/activityapp/event-processor/scripts/report"
)

// build assembles the report of a run from what was loaded, the consumer
// samples (the first taken before the load) and the documents' stamps.
func build(cfg Config, res loadgen.Result, samples []report.Sample, fresh report.Freshness) report.Report {
	r := report.Report{
		RunID:      res.RunID,
		Mode:       mode(res),
		Pace:       res.Pace(),
		Started:    res.Started,
		Events:     len(res.Events),
		Mix:        report.Shares(res.ByType),
		Categories: report.Shares(res.ByCategory),
		Latency:    map[string]report.Summary{},
		Projected:  fresh.LastWrite,
	}
	commits := make([]time.Time, 0, len(res.Events))
	for _, e := range res.Events {
		commits = append(commits, e.CommittedAt)
		if e.CommittedAt.After(r.LoadFinished) {
			r.LoadFinished = e.CommittedAt
		}
	}
	r.Throughput.Load = report.Bucket(res.Started, commits).Rate(float64(len(commits)), r.LoadFinished.Sub(res.Started))
	if span := r.Projected.Sub(res.Started); span > 0 {
		r.Throughput.EndToEnd = float64(len(res.Events)) / span.Seconds()
	}
	for _, c := range report.Pipeline(cfg.OutboxTopic) {
		r.Throughput.Consumers = append(r.Throughput.Consumers,
			report.ConsumerRate{Consumer: c, Rate: consumerRate(res.Started, samples, c.Group)})
	}

	for name, l := range fresh.Latencies {
		r.Latency[name] = report.Summarize(l)
	}
	r.Latency["all"] = report.Summarize(fresh.All())

	first, last := samples[0], samples[len(samples)-1]
	r.Success.Committed = len(res.Events)
	r.Success.Poisoned = map[string]int64{}
	for topic, n := range last.Poisoned {
		r.Success.Poisoned[topic] = n - first.Poisoned[topic]
	}
	r.Success.Rate = report.SuccessRate(len(res.Events), r.Success.Poisoned, projectors)
	return r
}

// consumerRate is group's records per second from the start of the load
// until it had committed its last record, and its busiest second.
func consumerRate(start time.Time, samples []report.Sample, group string) report.Rate {
	first, last := samples[0].Consumers[group].Committed, samples[len(samples)-1].Consumers[group].Committed
	done := samples[len(samples)-1].At
	for _, s := range samples {
		if s.Consumers[group].Committed == last {
			done = s.At
			break
		}
	}
	return report.Consumed(start, samples, group).Rate(float64(last-first), done.Sub(start))
}

// timelines are the chart's series: commits per second, and each
// consumer's records per second.
func timelines(cfg Config, res loadgen.Result, samples []report.Sample) report.Timelines {
	commits := make([]time.Time, 0, len(res.Events))
	for _, e := range res.Events {
		commits = append(commits, e.CommittedAt)
	}
	t := report.Timelines{Load: report.Bucket(res.Started, commits)}
	for _, c := range report.Pipeline(cfg.OutboxTopic) {
		t.Consumers = append(t.Consumers, report.NamedSeries{
			Name: c.Label, Series: report.Consumed(res.Started, samples, c.Group),
		})
	}
	return t
}

func mode(res loadgen.Result) string {
	if res.Mode == loadgen.ModeRate {
		return fmt.Sprintf("%g events/s for %s", res.TargetRate, res.Duration)
	}
	return fmt.Sprintf("%d events", res.Planned)
}
