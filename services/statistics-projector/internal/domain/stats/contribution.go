// Package stats is the statistics read models: per-user counters and
// per-day, per-event-type counts, and what each event contributes to them.
//
// Counters are the hard case for at-least-once delivery: an increment is not
// idempotent. So an event's effect on a statistics document is a
// Contribution that names where its event was read (the outbox partition
// and offset), and each document keeps, per outbox partition, the offset
// of the newest event it has counted: a watermark (see Document).
package stats

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/projection"
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
	// CommittedAt is when the event committed in PostgreSQL: the written
	// document is stamped with it (freshness, not counted).
	CommittedAt time.Time `json:"committed_at,omitzero"`
	// Source is where the event was read from the outbox topic: the
	// watermark a document counts it against.
	Source outbox.Position `json:"source"`
	// CorrelationID of the event, carried as a message header.
	CorrelationID string `json:"-"`
	// Creates says the contribution most likely creates its document (a
	// user's first event creates the user's statistics): the writer then
	// skips reading a document it has no copy of.
	Creates bool `json:"creates,omitempty"`
	// Replay marks the contribution of an event replayed from a poison
	// topic: it reaches its document after later events of its partition
	// were counted, so the document counts it against the set of events
	// replayed into it (Document.Replayed), not against the watermark.
	Replay bool `json:"replay,omitempty"`
}

// Key names the document the contribution belongs to. It is the Kafka key
// of the increments topic, so one partition, and so one writer, owns each
// statistics document.
func (c Contribution) Key() string { return c.Collection + "/" + c.DocID }

// ID identifies the contribution: one per event and document.
func (c Contribution) ID() string { return c.Key() + "/" + c.EventID }

// Collections are the statistics collections, sorted.
var Collections = []string{DailyStatistics, UserStatistics}

// fields are the counters (Inc), times (Max) and identity fields a
// contribution may write, per collection.
var fields = map[string]struct{ inc, max, identity []string }{
	UserStatistics: {
		inc:      []string{ActivitiesCreated, ActivitiesJoined, ActivitiesLeft},
		max:      []string{LastActivityAt},
		identity: []string{"user_id"},
	},
	DailyStatistics: {
		inc:      []string{Count},
		identity: []string{"day", "event_type"},
	},
}

// Validate checks that c names its event and a document of a statistics
// collection, and writes only that collection's own fields. Anything else
// (a field such as _id, _rev or _sources, an operator-like "$x") would
// corrupt the document's bookkeeping or fail on every attempt to write it:
// such a contribution is rejected before it reaches the store.
func (c Contribution) Validate() error {
	if c.EventID == "" {
		return errors.New("event_id: required")
	}
	allowed, ok := fields[c.Collection]
	if !ok {
		return fmt.Errorf("collection: unknown %q", c.Collection)
	}
	if c.DocID == "" {
		return errors.New("doc_id: required")
	}
	if c.Source.Partition < 0 || c.Source.Offset < 0 {
		return fmt.Errorf("source: partition %d, offset %d: must not be negative", c.Source.Partition, c.Source.Offset)
	}
	for _, f := range []struct {
		name    string
		keys    []string
		allowed []string
	}{
		{"inc", slices.Sorted(maps.Keys(c.Inc)), allowed.inc},
		{"max", slices.Sorted(maps.Keys(c.Max)), allowed.max},
		{"identity", slices.Sorted(maps.Keys(c.Identity)), allowed.identity},
	} {
		for _, k := range f.keys {
			if !slices.Contains(f.allowed, k) {
				return fmt.Errorf("%s.%s: not a field of %s (allowed: %v)", f.name, k, c.Collection, f.allowed)
			}
		}
	}
	return nil
}

// Store keeps the statistics documents of every collection.
type Store interface {
	// UpdateBatch applies changes, in order, to documents of collection
	// and writes each changed document once.
	UpdateBatch(ctx context.Context, collection string, changes []projection.Change[Document]) error
}

// Publisher sends contributions to the statistics writers, in order.
type Publisher interface {
	Publish(ctx context.Context, cs ...Contribution) error
}
