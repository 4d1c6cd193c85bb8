// Package outbox holds the application's view of one row of
// activity.event_outbox, independent of how it travelled (Debezium envelope,
// Outbox Event Router SMT, a test).
package outbox

import (
	"encoding/json"
	"time"
)

// Event is one decoded outbox row.
type Event struct {
	EventID       string
	AggregateID   string
	AggregateType string
	// AggregateVersion is the per-aggregate sequence number the application
	// wrote with the event (1, 2, 3, ...). Read models use it to stay
	// idempotent and order-safe: unlike the source LSN, which is where a
	// change was written rather than where its transaction committed, it
	// orders an aggregate's events whatever transactions interleave.
	AggregateVersion int64
	EventType        string
	// SchemaVersion of the payload, from the metadata field "schema_version";
	// 1 when absent.
	SchemaVersion int
	Payload       json.RawMessage
	Metadata      Metadata
	// CreatedAt is the outbox row's created_at (UTC).
	CreatedAt time.Time
	Source    Source
	// Position is where the consumer read the event from Kafka.
	Position Position
	// ReplayOf names the poison-queue entry this record replays
	// ("<poison topic>/<partition>/<offset>"); empty for an event read
	// the first time.
	ReplayOf string
}

// Position is a record's place in a Kafka topic. Within one partition it
// grows with every record, which is what makes a position a watermark:
// a consumer that remembers the highest one it applied from each partition
// can tell a redelivered event from a new one.
type Position struct {
	Partition int32 `json:"partition"`
	Offset    int64 `json:"offset"`
}

// Metadata is the outbox row's metadata column.
type Metadata struct {
	CorrelationID string
	CausationID   string
	// Extra holds every other metadata field, verbatim.
	Extra map[string]json.RawMessage
}

// Source says where in the PostgreSQL WAL the change came from. It is
// informational: ordering decisions use AggregateVersion.
type Source struct {
	// Schema and Table name the captured table, e.g. activity and
	// event_outbox; empty when the record does not say.
	Schema string
	Table  string
	LSN    int64
	TxID   int64
	// CommitTime is source.ts_ms/ts_us: when the transaction committed.
	CommitTime time.Time
	// Snapshot is true for rows read by Debezium's initial snapshot (op r).
	Snapshot bool
}

// CommitTime is when the event's transaction committed: Debezium's source
// timestamp, or created_at for a record that carries none (the Outbox Event
// Router shape). Within one transaction created_at is its start, so it is
// at most the transaction's duration early.
func (e Event) CommitTime() time.Time {
	if !e.Source.CommitTime.IsZero() {
		return e.Source.CommitTime.UTC()
	}
	return e.CreatedAt.UTC()
}
