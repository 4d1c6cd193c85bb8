package debezium

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/activityapp/event-processor/shared/outbox"
)

// Columns of activity.event_outbox.
const (
	colEventID          = "event_id"
	colAggregateID      = "aggregate_id"
	colAggregateType    = "aggregate_type"
	colAggregateVersion = "aggregate_version"
	colEventType        = "event_type"
	colPayload          = "payload"
	colMetadata         = "metadata"
	colCreatedAt        = "created_at"
)

// row holds the raw JSON values of the columns the decoder reads.
type row struct {
	eventID, aggregateID, aggregateType, aggregateVersion []byte
	eventType, payload, metadata, createdAt               []byte
}

// scanRow picks the columns out of a validated "after" object. Unknown
// columns (status, columns added later) are ignored.
func scanRow(after []byte) (row, bool) {
	it, ok := objectMembers(after)
	if !ok {
		return row{}, false
	}
	var r row
	for {
		k, v, ok := it.next()
		if !ok {
			return r, true
		}
		var dst *[]byte
		switch string(unescapedKey(k)) {
		case colEventID:
			dst = &r.eventID
		case colAggregateID:
			dst = &r.aggregateID
		case colAggregateType:
			dst = &r.aggregateType
		case colAggregateVersion:
			dst = &r.aggregateVersion
		case colEventType:
			dst = &r.eventType
		case colPayload:
			dst = &r.payload
		case colMetadata:
			dst = &r.metadata
		case colCreatedAt:
			dst = &r.createdAt
		default:
			continue
		}
		*dst = v
	}
}

// decodeRow turns the "after" row of an insert or snapshot read into an
// event (without Source).
func decodeRow(after []byte) (outbox.Event, error) {
	r, ok := scanRow(after)
	if !ok {
		return outbox.Event{}, malformed("after", "want a JSON object, got "+jsonKind(after))
	}
	var (
		ev  outbox.Event
		err error
	)
	if ev.EventID, err = requiredString(r.eventID, "after."+colEventID); err != nil {
		return outbox.Event{}, err
	}
	if ev.AggregateID, err = requiredString(r.aggregateID, "after."+colAggregateID); err != nil {
		return outbox.Event{}, err
	}
	if ev.AggregateType, err = requiredString(r.aggregateType, "after."+colAggregateType); err != nil {
		return outbox.Event{}, err
	}
	if ev.AggregateVersion, err = parseAggregateVersion(r.aggregateVersion, "after."+colAggregateVersion); err != nil {
		return outbox.Event{}, err
	}
	if ev.EventType, err = requiredString(r.eventType, "after."+colEventType); err != nil {
		return outbox.Event{}, err
	}
	if ev.Payload, err = parsePayload(r.payload, "after."+colPayload); err != nil {
		return outbox.Event{}, err
	}
	if ev.Metadata, ev.SchemaVersion, err = parseMetadata(r.metadata, "after."+colMetadata); err != nil {
		return outbox.Event{}, err
	}
	if ev.CreatedAt, err = parseCreatedAt(r.createdAt, "after."+colCreatedAt); err != nil {
		return outbox.Event{}, err
	}
	return ev, nil
}

// requiredString reads a non-empty JSON string.
func requiredString(raw []byte, field string) (string, error) {
	if isNull(raw) {
		return "", malformed(field, "missing")
	}
	s, ok := stringValue(raw)
	if !ok {
		return "", malformed(field, "want a string, got "+jsonKind(raw))
	}
	if s == "" {
		return "", malformed(field, "empty")
	}
	return s, nil
}

// parseAggregateVersion reads a JSON integer, or a string holding one (a
// bigint can arrive as a string through some converters), that is >= 1.
func parseAggregateVersion(raw []byte, field string) (int64, error) {
	if isNull(raw) {
		return 0, malformed(field, "missing")
	}
	var (
		n  int64
		ok bool
	)
	if s, isString := stringValue(raw); isString {
		var err error
		n, err = strconv.ParseInt(s, 10, 64)
		ok = err == nil
	} else {
		n, ok = intValue(raw)
	}
	if !ok {
		return 0, malformed(field, "want an integer, got "+describe(raw))
	}
	return checkVersion(n, field)
}

func checkVersion(n int64, field string) (int64, error) {
	if n < 1 {
		return 0, malformed(field, "must be >= 1, got "+strconv.FormatInt(n, 10))
	}
	return n, nil
}

// parsePayload reads the payload column: a JSON string holding the JSON
// text of an object (io.debezium.data.Json), or the object itself. The
// result is a compact copy.
func parsePayload(raw []byte, field string) (json.RawMessage, error) {
	if isNull(raw) {
		return nil, malformed(field, "missing")
	}
	var text []byte
	if b, ok := stringBytes(raw); ok {
		text = trimSpace(b)
		if len(text) == 0 {
			return nil, malformed(field, "empty")
		}
		if !json.Valid(text) {
			return nil, malformedCause(field, "not valid JSON", syntaxError(text))
		}
	} else {
		text = bytes.Clone(raw)
	}
	if text[0] != '{' {
		return nil, malformed(field, "want a JSON object, got "+jsonKind(text))
	}
	return compactInPlace(text), nil
}
