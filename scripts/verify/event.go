package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/activityapp/event-processor/shared/outbox"
)

// errMalformedRow marks a row the projectors' Debezium decoder rejects, so
// it goes to their poison queues before any handler sees it.
var errMalformedRow = errors.New("malformed outbox row")

// defaultSchemaVersion is the payload schema version of an event whose
// metadata does not name one.
const defaultSchemaVersion = 1

// event turns a row into the outbox.Event the projectors decode, applying
// the rules of their row decoder: non-empty aggregate_type and event_type,
// metadata a JSON object (or null) whose correlation_id and causation_id
// are strings and whose schema_version is an integer >= 1.
func (r Row) event() (outbox.Event, error) {
	if r.AggregateType == "" || r.EventType == "" {
		return outbox.Event{}, fmt.Errorf("%w: aggregate_type and event_type must not be empty", errMalformedRow)
	}
	md, version, err := parseMetadata(r.Metadata)
	if err != nil {
		return outbox.Event{}, fmt.Errorf("%w: metadata: %w", errMalformedRow, err)
	}
	return outbox.Event{
		EventID: r.EventID, AggregateID: r.AggregateID, AggregateType: r.AggregateType,
		AggregateVersion: r.AggregateVersion, EventType: r.EventType, SchemaVersion: version,
		Payload: r.Payload, Metadata: md, CreatedAt: r.CreatedAt,
	}, nil
}

func parseMetadata(raw json.RawMessage) (outbox.Metadata, int, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return outbox.Metadata{}, defaultSchemaVersion, nil
	}
	var fields map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &fields) != nil {
		return outbox.Metadata{}, 0, errors.New("want a JSON object")
	}
	var md outbox.Metadata
	for key, dst := range map[string]*string{"correlation_id": &md.CorrelationID, "causation_id": &md.CausationID} {
		v, ok := fields[key]
		if !ok || string(v) == "null" {
			continue
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return outbox.Metadata{}, 0, fmt.Errorf("%s: want a string", key)
		}
	}
	version := defaultSchemaVersion
	if v, ok := fields["schema_version"]; ok && string(v) != "null" {
		// Only a JSON integer: the decoder rejects "1", 1.0 and 1e0.
		n, err := strconv.ParseInt(string(v), 10, 32)
		if err != nil || n < 1 {
			return outbox.Metadata{}, 0, fmt.Errorf("schema_version: want an integer >= 1, got %s", v)
		}
		version = int(n)
	}
	return md, version, nil
}
