package debezium

import "github.com/activityapp/event-processor/shared/outbox"

// Result is the outcome of decoding one record.
type Result struct {
	// Event is valid when Skip is empty.
	Event outbox.Event
	// Skip, when not empty, says why the record carries no event: the caller
	// acknowledges it without calling handlers.
	Skip SkipReason
}

// SkipReason says why a record carries no event. The values are stable:
// they are used as metric labels.
type SkipReason string

const (
	// SkipTombstone is a record with a null value (after a delete, for log
	// compaction).
	SkipTombstone SkipReason = "tombstone"
	// SkipHeartbeat is a Debezium heartbeat: a record on a topic starting with
	// HeartbeatTopicPrefix, or a value with ts_ms and none of a change
	// event's op, after and source ({"ts_ms":...}).
	SkipHeartbeat SkipReason = "heartbeat"
	// SkipUpdate is op u. Outbox rows are insert-only: an UPDATE (a cleanup
	// job marking a row published) is not a new event.
	SkipUpdate SkipReason = "update"
	// SkipDelete is op d: outbox cleanup.
	SkipDelete SkipReason = "delete"
	// SkipTruncate is op t.
	SkipTruncate SkipReason = "truncate"
	// SkipMessage is op m, a logical decoding message (pg_logical_emit_message).
	SkipMessage SkipReason = "message"
)

// HeartbeatTopicPrefix is Debezium's default topic.heartbeat.prefix.
const HeartbeatTopicPrefix = "__debezium-heartbeat"
