// Package stats is the statistics read models: per-user counters and
// per-day, per-event-type counts, and what each event contributes to them.
//
// Counters are the hard case for at-least-once delivery: an increment is not
// idempotent. So an event's effect on a statistics document is a
// Contribution with an identity (the event id), and the document records
// which contributions it has absorbed (see adapters: the ledger).
package stats

import (
	"context"
	"time"
)

// Statistics collections.
const (
	UserStatistics  = "user_statistics"
	DailyStatistics = "daily_statistics"
)

// Counter and field names, as the documents show them.
const (
	ActivitiesCreated = "activities_created"
	ActivitiesJoined  = "activities_joined"
	ActivitiesLeft    = "activities_left"
	LastActivityAt    = "last_activity_at"
	Count             = "count"
)

// Contribution is one event's effect on one statistics document.
type Contribution struct {
	// EventID identifies the contribution within its document.
	EventID    string `json:"event_id"`
	Collection string `json:"collection"`
	DocID      string `json:"doc_id"`
	// Inc adds to counters; a zero entry makes the counter exist.
	Inc map[string]int64 `json:"inc"`
	// Max raises timestamps.
	Max map[string]time.Time `json:"max,omitempty"`
	// Identity fields written when the document is created.
	Identity map[string]string `json:"identity,omitempty"`
}

// Key names the document the contribution belongs to. It is the Kafka key
// of the increments topic, so one partition, and so one writer, owns each
// statistics document.
func (c Contribution) Key() string { return c.Collection + "/" + c.DocID }

// ID identifies the contribution: one per event and document.
func (c Contribution) ID() string { return c.Key() + "/" + c.EventID }

// Ledger applies contributions to statistics documents exactly once each.
type Ledger interface {
	// Apply adds c to its document unless the document already has it,
	// and reports whether it did.
	Apply(ctx context.Context, c Contribution) (applied bool, err error)
}

// Publisher sends contributions to the statistics writers.
type Publisher interface {
	Publish(ctx context.Context, correlationID string, cs ...Contribution) error
}
