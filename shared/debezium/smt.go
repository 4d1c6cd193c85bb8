package debezium

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/outbox"
)

// Headers read in the Outbox Event Router shape. The SMT always sets "id";
// the others are table.fields.additional.placement aliases, so a few common
// spellings are accepted, first match wins.
const headerEventID = "id"

var (
	// eventType is the alias in the SMT documentation's example
	// (type:header:eventType); type is that example's column name.
	headersEventType     = []string{"event_type", "eventType", "type"}
	headersAggregateType = []string{"aggregate_type", "aggregateType"}
	headersMetadata      = []string{"metadata"}
	headersCreatedAt     = []string{"created_at", "createdAt"}
)

// decodeSMT decodes a record written by Debezium's Outbox Event Router:
//
//   - key: the aggregate id (event key column), as text, a JSON string, a
//     JsonConverter wrapper around either, or an object with a single
//     string member (a table key struct such as {"aggregate_id":"..."});
//   - header "id": the event id;
//   - headers event_type (or eventType, type), aggregate_type (or
//     aggregateType, optional: the SMT already routes by it),
//     DecoderConfig.VersionHeader, metadata (optional), created_at (or
//     createdAt);
//   - value: the payload, a JSON string holding JSON text or an object
//     (table.expand.json.payload=true), already unwrapped from
//     {"schema":...,"payload":...} by Decode.
//
// Header values may be plain text (Connect's SimpleHeaderConverter, the
// default), JSON, or a JsonConverter wrapper. Columns placed in the
// envelope (…:envelope) instead of headers are not supported: the value
// must be the payload alone. These records carry no WAL position, so
// Source is left empty.
func (d *Decoder) decodeSMT(rec kafka.Record, value []byte) (Result, error) {
	var (
		ev  outbox.Event
		err error
	)
	if ev.EventID, _, err = requiredHeader(rec.Headers, []string{headerEventID}); err != nil {
		return Result{}, err
	}
	if ev.AggregateID, err = parseKey(rec.Key); err != nil {
		return Result{}, err
	}
	if ev.EventType, _, err = requiredHeader(rec.Headers, headersEventType); err != nil {
		return Result{}, err
	}
	if v, _, ok := lookupHeader(rec.Headers, headersAggregateType); ok {
		ev.AggregateType = v
	}
	version, _, err := requiredHeader(rec.Headers, []string{d.cfg.VersionHeader})
	if err != nil {
		return Result{}, err
	}
	n, perr := strconv.ParseInt(version, 10, 64)
	if perr != nil {
		return Result{}, malformed("header."+d.cfg.VersionHeader, "want an integer, got "+snippet([]byte(version)))
	}
	if ev.AggregateVersion, err = checkVersion(n, "header."+d.cfg.VersionHeader); err != nil {
		return Result{}, err
	}
	ev.SchemaVersion = defaultSchemaVersion
	if md, name, ok := lookupHeader(rec.Headers, headersMetadata); ok {
		if ev.Metadata, ev.SchemaVersion, err = parseMetadataText([]byte(md), "header."+name); err != nil {
			return Result{}, err
		}
	}
	created, name, err := requiredHeader(rec.Headers, headersCreatedAt)
	if err != nil {
		return Result{}, err
	}
	if ev.CreatedAt, err = parseHeaderTime(created, "header."+name); err != nil {
		return Result{}, err
	}
	if ev.Payload, err = parsePayload(value, "value"); err != nil {
		return Result{}, err
	}
	return Result{Event: ev}, nil
}

// requiredHeader returns the normalised value of the first non-empty header
// among names, and that header's name.
func requiredHeader(h map[string]string, names []string) (value, name string, err error) {
	value, name, ok := lookupHeader(h, names)
	if !ok {
		reason := "missing"
		if len(names) > 1 {
			reason += " (also looked for " + strings.Join(names[1:], ", ") + ")"
		}
		return "", "", malformed("header."+names[0], reason)
	}
	return value, name, nil
}

// lookupHeader returns the normalised value of the first header among names
// that has a non-empty one, and that header's name.
func lookupHeader(h map[string]string, names []string) (value, name string, ok bool) {
	for _, n := range names {
		raw, present := h[n]
		if !present {
			continue
		}
		if v := headerText(raw); v != "" {
			return v, n, true
		}
	}
	return "", "", false
}

// headerText normalises a header value to its text: a JsonConverter
// wrapper is unwrapped, a JSON string unquoted, JSON null is empty, and
// anything else (plain text, a number, a JSON object) is kept as it is.
func headerText(raw string) string {
	s := strings.TrimSpace(raw)
	if s == "" || (s[0] != '{' && s[0] != '"' && s[0] != 'n') {
		return s
	}
	e, err := parseEnvelope([]byte(s))
	if err != nil {
		return s
	}
	if isNull(e.raw) {
		return ""
	}
	if text, ok := stringValue(e.raw); ok {
		return strings.TrimSpace(text)
	}
	return string(e.raw)
}

// parseKey reads the aggregate id from the record key.
func parseKey(key []byte) (string, error) {
	const missing = "missing (the Outbox Event Router puts the aggregate id there)"
	text := bytes.Trim(key, jsonSpace)
	if len(text) == 0 {
		return "", malformed("key", missing)
	}
	e, err := parseEnvelope(text)
	if err != nil {
		// Plain text (StringConverter): the id itself.
		return string(text), nil
	}
	k := e.raw
	if k[0] == '{' {
		// A table key struct: {"<column>":"<id>"}.
		var cols map[string]json.RawMessage
		_ = json.Unmarshal(k, &cols) // k is a valid object
		for _, v := range cols {
			k = v
		}
		if len(cols) != 1 || k[0] != '"' {
			return "", malformed("key", "want the aggregate id, got an object that is not {\"<column>\":\"<id>\"}")
		}
	}
	switch {
	case isNull(k):
		return "", malformed("key", missing)
	case k[0] == '"':
		s, _ := stringValue(k)
		if s == "" {
			return "", malformed("key", "empty")
		}
		return s, nil
	case k[0] == '-' || ('0' <= k[0] && k[0] <= '9'):
		// A numeric aggregate id.
		return string(k), nil
	default:
		return "", malformed("key", "want the aggregate id, got "+jsonKind(k))
	}
}
