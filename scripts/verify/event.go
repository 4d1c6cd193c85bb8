package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// errMalformedRow marks a row the projectors' Debezium decoder rejects, so
// it goes to their poison queues before any handler sees it.
var errMalformedRow = errors.New("malformed outbox row")

// defaultSchemaVersion is the payload schema version of an event whose
// metadata does not name one.
const defaultSchemaVersion = 1

// event is an outbox row as the projectors' row decoder accepts it.
type event struct {
	ID            string
	AggregateID   string
	AggregateType string
	Version       int64
	Type          string
	// SchemaVersion is the payload's, from the metadata.
	SchemaVersion int
	Payload       json.RawMessage
	CreatedAt     time.Time
}

// event reads r by the rules of the projectors' row decoder: non-empty
// aggregate_type and event_type, metadata a JSON object (or null) whose
// correlation_id and causation_id are strings and whose schema_version is
// an integer >= 1.
func (r Row) event() (event, error) {
	if r.AggregateType == "" || r.EventType == "" {
		return event{}, fmt.Errorf("%w: aggregate_type and event_type must not be empty", errMalformedRow)
	}
	version, err := schemaVersion(r.Metadata)
	if err != nil {
		return event{}, fmt.Errorf("%w: metadata: %w", errMalformedRow, err)
	}
	return event{
		ID: r.EventID, AggregateID: r.AggregateID, AggregateType: r.AggregateType, Version: r.AggregateVersion,
		Type: r.EventType, SchemaVersion: version, Payload: r.Payload, CreatedAt: r.CreatedAt,
	}, nil
}

// schemaVersion checks the metadata and returns its schema_version.
func schemaVersion(raw json.RawMessage) (int, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return defaultSchemaVersion, nil
	}
	var fields map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &fields) != nil {
		return 0, errors.New("want a JSON object")
	}
	for _, key := range []string{"correlation_id", "causation_id"} {
		v, ok := fields[key]
		if !ok || string(v) == "null" {
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return 0, fmt.Errorf("%s: want a string", key)
		}
	}
	v, ok := fields["schema_version"]
	if !ok || string(v) == "null" {
		return defaultSchemaVersion, nil
	}
	// Only a JSON integer: the decoder rejects "1", 1.0 and 1e0.
	n, err := strconv.ParseInt(string(v), 10, 32)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("schema_version: want an integer >= 1, got %s", v)
	}
	return int(n), nil
}
