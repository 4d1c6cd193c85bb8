package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"
)

// Report is what a demo run measured. It is written as JSON
// (report.json) and printed as a table.
type Report struct {
	RunID string `json:"run_id"`
	// Mode says what was loaded: "1000 events" or "200 events/s for 1m0s".
	Mode string `json:"mode"`
	// Pace says whether a rate-mode load kept up with its target.
	Pace    string    `json:"pace,omitempty"`
	Started time.Time `json:"started"`
	// LoadFinished is when the last event committed.
	LoadFinished time.Time `json:"load_finished"`
	// Projected is the last write of a read-model document the run
	// changed: when the read models had caught up.
	Projected time.Time `json:"projected"`
	Events    int       `json:"events"`
	// Mix is the events by type, and Categories by the load generator's
	// categories (user, activity, participant).
	Mix        []Share `json:"mix"`
	Categories []Share `json:"categories"`

	Throughput Throughput `json:"throughput"`
	// Latency is the commit-to-read-model latency per read model, and
	// over all of them as "all".
	Latency map[string]Summary `json:"latency"`
	// Store is what the run cost the read-model store, when the
	// projectors' metrics were reachable.
	Store   *Store  `json:"store,omitempty"`
	Success Success `json:"success"`
	// Charts names the image files written next to report.json.
	Charts map[string]string `json:"charts,omitempty"`
}

// Share is a part of the events.
type Share struct {
	Name    string  `json:"name"`
	Count   int     `json:"count"`
	Percent float64 `json:"percent"`
}

// Shares turns counts into shares of their total, largest first.
func Shares(counts map[string]int) []Share {
	total := 0
	for _, n := range counts {
		total += n
	}
	out := make([]Share, 0, len(counts))
	for _, name := range slices.Sorted(maps.Keys(counts)) {
		s := Share{Name: name, Count: counts[name]}
		if total > 0 {
			s.Percent = 100 * float64(s.Count) / float64(total)
		}
		out = append(out, s)
	}
	slices.SortStableFunc(out, func(a, b Share) int { return cmp.Compare(b.Count, a.Count) })
	return out
}

// Throughput is the run's rates.
type Throughput struct {
	// Load is events committed to the outbox per second.
	Load Rate `json:"load"`
	// Consumers is records each consumer group handled per second (from
	// its committed offsets, at one second's resolution), in pipeline
	// order.
	Consumers []ConsumerRate `json:"consumers"`
	// EndToEnd is events per second from the first commit until the read
	// models had caught up (Projected).
	EndToEnd float64 `json:"end_to_end_per_s"`
}

// ConsumerRate is one consumer group's throughput.
type ConsumerRate struct {
	Consumer
	Rate
}

// Success says how many events made it.
type Success struct {
	Committed int `json:"committed"`
	// Poisoned is the records each poison topic gained during the run.
	Poisoned map[string]int64 `json:"poisoned"`
	// Rate is the share of (event, projector) pairs handled without
	// going to a poison topic, 0..1.
	Rate float64 `json:"rate"`
	// CaughtUp is true when every consumer group had committed every
	// record before the deadline.
	CaughtUp bool `json:"caught_up"`
	// Verified is true when the read models equal the model the
	// verifier recomputed from the outbox; Verification is its summary.
	Verified     bool   `json:"verified"`
	Verification string `json:"verification"`
}

// OK reports whether the run succeeded entirely.
func (r Report) OK() bool {
	return r.Success.CaughtUp && r.Success.Verified && r.Success.Rate == 1
}

// SuccessRate is the share of (event, projector) pairs not poisoned, for
// committed events and projectors projectors.
func SuccessRate(committed int, poisoned map[string]int64, projectors int) float64 {
	pairs := committed * projectors
	if pairs == 0 {
		return 1
	}
	var bad int64
	for _, n := range poisoned {
		bad += n
	}
	return max(0, 1-float64(bad)/float64(pairs))
}

// WriteJSON writes r, indented.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
