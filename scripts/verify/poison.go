package verify

import (
	"context"
	"fmt"
	"io"

	"github.com/activityapp/event-processor/scripts/poison"
)

// outboxHandlerSuffix ends the name of a projector's outbox handler,
// "<service>.outbox", as its poison entries name it. The statistics
// writer's handler poisons contributions, not outbox events.
const outboxHandlerSuffix = ".outbox"

// PoisonCount sets one projector's poison topic beside the outbox.
type PoisonCount struct {
	Service string
	// Poisoned is the number of events on <service>.poison that its outbox
	// handler poisoned, neither parked behind another one nor replayed or
	// dropped since; copies of one event count once.
	Poisoned int
	// Invalid is the number of outbox events the verifier finds the
	// service must poison (OutboxStats.Invalid).
	Invalid int
}

// Match reports whether the two counts agree. A mismatch is not a
// verification failure: a poison topic also holds records that are not
// outbox rows, and an invalid event parked behind another one is not
// poisoned until it is replayed.
func (p PoisonCount) Match() bool { return p.Poisoned == p.Invalid }

// poisonCounts reads every poison topic on brokers and counts, for each
// service, its poisoned events next to invalid, the verifier's count.
func poisonCounts(ctx context.Context, brokers []string, invalid map[string]int) ([]PoisonCount, error) {
	tool, err := poison.New(brokers)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer tool.Close()
	entries, err := tool.List(ctx, poison.Filter{Services: Services})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	events := map[string]map[string]bool{}
	for _, e := range entries {
		if e.ParkedBehind != "" || e.Handler != e.Service+outboxHandlerSuffix {
			continue
		}
		if events[e.Service] == nil {
			events[e.Service] = map[string]bool{}
		}
		// Origin is where the event was first read: a copy poisoned again
		// (a batch delivered twice, a replay) shares it.
		events[e.Service][e.Origin] = true
	}
	out := make([]PoisonCount, len(Services))
	for i, s := range Services {
		out[i] = PoisonCount{Service: s, Poisoned: len(events[s]), Invalid: invalid[s]}
	}
	return out, nil
}

// poisonSummary writes a line per service:
//
//	poison: user-projector 2 poisoned, 2 invalid in the outbox
//	poison: activity-projector 1 poisoned, 0 invalid in the outbox (mismatch)
func poisonSummary(w io.Writer, counts []PoisonCount) {
	for _, c := range counts {
		line := fmt.Sprintf("poison: %s %d poisoned, %d invalid in the outbox", c.Service, c.Poisoned, c.Invalid)
		if !c.Match() {
			line += " (mismatch)"
		}
		_, _ = fmt.Fprintln(w, line)
	}
}
