package loadgen

import (
	"fmt"
	"strings"
	"time"
)

// lagTolerance is how late a rate-mode event may commit before the run
// counts as not having kept up.
const lagTolerance = time.Second

// Committed is one event as written.
type Committed struct {
	EventID       string
	AggregateID   string
	AggregateType string
	EventType     string
	CorrelationID string
	Version       int64
	// CommittedAt is the client clock right after COMMIT returned.
	CommittedAt time.Time
}

// Result describes a run: what was committed, by type and category, and,
// in rate mode, whether the database kept up.
type Result struct {
	RunID   string
	Seed    uint64
	Mix     Mix
	Mode    string // ModeCount or ModeRate
	Workers int

	Started  time.Time
	Finished time.Time
	// Events are the committed events in the order their commits returned.
	Events []Committed
	// ByType and ByCategory count Events: the actual mix, after the
	// fallbacks to creation events.
	ByType     map[string]int
	ByCategory map[string]int

	// Planned is Count, or Rate × Duration in rate mode.
	Planned int
	// TargetRate and Duration are the rate-mode plan (zero in count mode).
	TargetRate float64
	Duration   time.Duration
	// AchievedRate is committed events per second of Elapsed.
	AchievedRate float64
	// MaxLag is, in rate mode, the longest an event committed after its
	// scheduled time.
	MaxLag time.Duration
	// Interrupted reports that the context was cancelled before the plan
	// was done; Events holds what was committed until then.
	Interrupted bool
}

// Elapsed is the run's wall-clock duration.
func (r Result) Elapsed() time.Duration { return r.Finished.Sub(r.Started) }

// Missing is the number of planned events that were not written: in rate
// mode without an interruption, those the database could not take in time.
func (r Result) Missing() int { return max(0, r.Planned-len(r.Events)) }

// FellBehind reports a rate-mode run the database could not keep up with:
// planned events not written by the end, or events committed more than a
// second after they were due.
func (r Result) FellBehind() bool {
	if r.Mode != ModeRate {
		return false
	}
	return (!r.Interrupted && r.Missing() > 0) || r.MaxLag > lagTolerance
}

// Pace says, for a rate-mode run, whether the database kept up with the
// target rate (empty in count mode).
func (r Result) Pace() string {
	if r.Mode != ModeRate {
		return ""
	}
	if r.FellBehind() {
		return fmt.Sprintf("target %g events/s for %v: the database did not keep up (%d of %d planned events not written, up to %v behind schedule)",
			r.TargetRate, r.Duration, r.Missing(), r.Planned, r.MaxLag.Round(time.Millisecond))
	}
	return fmt.Sprintf("target %g events/s for %v: kept up (at most %v behind schedule)",
		r.TargetRate, r.Duration, r.MaxLag.Round(time.Millisecond))
}

// Summary is a short human report: events by type, duration and rate.
func (r Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "run %s (seed %d, mix %s, %d workers)\n", r.RunID, r.Seed, r.Mix, r.Workers)
	status := "wrote"
	if r.Interrupted {
		status = "interrupted after"
	}
	fmt.Fprintf(&b, "%s %d of %d events in %v, %.0f events/s on average\n",
		status, len(r.Events), r.Planned, r.Elapsed().Round(time.Millisecond), r.AchievedRate)
	if r.Mode == ModeRate {
		b.WriteString(r.Pace() + "\n")
	}
	for _, c := range Categories {
		fmt.Fprintf(&b, "  %-12s %7d\n", c, r.ByCategory[c])
		for _, t := range EventTypes {
			if CategoryOf(t) == c && r.ByType[t] > 0 {
				fmt.Fprintf(&b, "    %-18s %7d\n", t, r.ByType[t])
			}
		}
	}
	return b.String()
}
