package debezium

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/activityapp/event-processor/shared/outbox"
)

// Keys of the metadata column that have a field of their own in
// outbox.Event; every other key goes to Metadata.Extra.
const (
	metaCorrelationID = "correlation_id"
	metaCausationID   = "causation_id"
	metaSchemaVersion = "schema_version"
)

// defaultSchemaVersion is the payload schema version of an event whose
// metadata does not say.
const defaultSchemaVersion = 1

// parseMetadata decodes the metadata column from a raw JSON value: null or
// absent (an empty Metadata), a string holding JSON text
// (io.debezium.data.Json) or an object. It returns the payload schema
// version too, which lives in the metadata.
func parseMetadata(raw []byte, field string) (outbox.Metadata, int, error) {
	if isNull(raw) {
		return outbox.Metadata{}, defaultSchemaVersion, nil
	}
	if text, ok := stringBytes(raw); ok {
		return parseMetadataText(text, field)
	}
	return parseMetadataObject(raw, field)
}

// parseMetadataText decodes metadata held as JSON text.
func parseMetadataText(text []byte, field string) (outbox.Metadata, int, error) {
	text = trimSpace(text)
	if len(text) == 0 || string(text) == "null" {
		return outbox.Metadata{}, defaultSchemaVersion, nil
	}
	if !json.Valid(text) {
		return outbox.Metadata{}, 0, malformedCause(field, "not valid JSON", syntaxError(text))
	}
	return parseMetadataObject(text, field)
}

// parseMetadataObject decodes a validated raw JSON value that must be an
// object.
func parseMetadataObject(raw []byte, field string) (outbox.Metadata, int, error) {
	it, ok := objectMembers(raw)
	if !ok {
		return outbox.Metadata{}, 0, malformed(field, "want a JSON object, got "+jsonKind(raw))
	}
	var md outbox.Metadata
	version := defaultSchemaVersion
	for {
		k, v, ok := it.next()
		if !ok {
			break
		}
		key := keyString(k)
		switch key {
		case metaCorrelationID, metaCausationID:
			if isNull(v) {
				continue
			}
			s, ok := stringValue(v)
			if !ok {
				return outbox.Metadata{}, 0, malformed(field+"."+key, "want a string, got "+jsonKind(v))
			}
			if key == metaCorrelationID {
				md.CorrelationID = s
			} else {
				md.CausationID = s
			}
		case metaSchemaVersion:
			if isNull(v) {
				continue
			}
			n, err := parseSchemaVersion(v, field+"."+key)
			if err != nil {
				return outbox.Metadata{}, 0, err
			}
			version = n
		default:
			if md.Extra == nil {
				md.Extra = make(map[string]json.RawMessage)
			}
			md.Extra[key] = compactInPlace(bytes.Clone(v))
		}
	}
	return md, version, nil
}

// parseSchemaVersion accepts a JSON integer >= 1. Strings are rejected: the
// application writes a number, and a handler must not guess which schema a
// payload follows.
func parseSchemaVersion(raw []byte, field string) (int, error) {
	if len(raw) == 0 || raw[0] == '"' || raw[0] == '{' || raw[0] == '[' || raw[0] == 't' || raw[0] == 'f' {
		return 0, malformed(field, "want an integer, got "+jsonKind(raw))
	}
	n, err := strconv.ParseInt(string(raw), 10, 32)
	if err != nil {
		return 0, malformed(field, "want an integer >= 1, got "+describe(raw))
	}
	if n < 1 {
		return 0, malformed(field, "must be >= 1, got "+describe(raw))
	}
	return int(n), nil
}
