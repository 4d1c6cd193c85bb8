package debezium

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/activityapp/event-processor/shared/outbox"
)

// row is the "after" image of an outbox row: its values by column name. It
// is a map rather than a struct because encoding/json matches struct fields
// case-insensitively, and Postgres column names are case-sensitive when
// quoted: a column "Event_Type" is not event_type.
type row map[string]json.RawMessage

// event turns the row of an insert or snapshot read into an event (without
// Source). Other columns (status, columns added later) are ignored.
func (cols row) event() (outbox.Event, error) {
	var (
		ev  outbox.Event
		err error
	)
	if ev.EventID, err = requiredString(cols["event_id"], "after.event_id"); err != nil {
		return outbox.Event{}, err
	}
	if ev.AggregateID, err = requiredString(cols["aggregate_id"], "after.aggregate_id"); err != nil {
		return outbox.Event{}, err
	}
	if ev.AggregateType, err = requiredString(cols["aggregate_type"], "after.aggregate_type"); err != nil {
		return outbox.Event{}, err
	}
	if ev.AggregateVersion, err = parseAggregateVersion(cols["aggregate_version"], "after.aggregate_version"); err != nil {
		return outbox.Event{}, err
	}
	if ev.EventType, err = requiredString(cols["event_type"], "after.event_type"); err != nil {
		return outbox.Event{}, err
	}
	if ev.Payload, err = parsePayload(cols["payload"], "after.payload"); err != nil {
		return outbox.Event{}, err
	}
	if ev.Metadata, ev.SchemaVersion, err = parseMetadata(cols["metadata"], "after.metadata"); err != nil {
		return outbox.Event{}, err
	}
	if ev.CreatedAt, err = parseCreatedAt(cols["created_at"], "after.created_at"); err != nil {
		return outbox.Event{}, err
	}
	return ev, nil
}

// requiredString reads a non-empty JSON string.
func requiredString(raw json.RawMessage, field string) (string, error) {
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
func parseAggregateVersion(raw json.RawMessage, field string) (int64, error) {
	if isNull(raw) {
		return 0, malformed(field, "missing")
	}
	n, ok := intValue(raw)
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
func parsePayload(raw json.RawMessage, field string) (json.RawMessage, error) {
	if isNull(raw) {
		return nil, malformed(field, "missing")
	}
	text := []byte(raw)
	if s, ok := stringValue(raw); ok {
		if strings.Trim(s, jsonSpace) == "" {
			return nil, malformed(field, "empty")
		}
		text = []byte(s)
	}
	payload, err := compactCopy(text)
	if err != nil {
		return nil, malformedCause(field, "not valid JSON", err)
	}
	if payload[0] != '{' {
		return nil, malformed(field, "want a JSON object, got "+jsonKind(payload))
	}
	return payload, nil
}
