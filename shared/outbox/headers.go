package outbox

// Kafka headers that carry an event's identity on records about it (the
// statistics' contributions, poison entries, replays): where the record
// alone must say which event and which correlation chain it belongs to.
const (
	CorrelationIDKey = "correlation_id"
	EventIDKey       = "event_id"
	EventTypeKey     = "event_type"
)
