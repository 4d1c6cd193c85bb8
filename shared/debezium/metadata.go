package debezium

import (
	"bytes"
	"encoding/json"
	"errors"
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

// parseMetadata decodes the metadata column: null or absent (an empty
// Metadata), a string holding JSON text (io.debezium.data.Json) or an
// object. It returns the payload schema version too, which lives in the
// metadata.
func parseMetadata(raw json.RawMessage, field string) (outbox.Metadata, int, error) {
	if s, ok := stringValue(raw); ok {
		return parseMetadataText([]byte(s), field)
	}
	return parseMetadataText(raw, field)
}

// parseMetadataText decodes metadata from JSON text: an object, null, or
// nothing at all.
func parseMetadataText(text []byte, field string) (outbox.Metadata, int, error) {
	if len(bytes.Trim(text, jsonSpace)) == 0 {
		return outbox.Metadata{}, defaultSchemaVersion, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(text, &obj); err != nil {
		// Unmarshal checks the syntax of all of text before decoding it.
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return outbox.Metadata{}, 0, malformed(field, "want a JSON object, got "+jsonKind(bytes.TrimLeft(text, jsonSpace)))
		}
		return outbox.Metadata{}, 0, malformedCause(field, "not valid JSON", err)
	}
	var (
		md  outbox.Metadata
		err error
	)
	if md.CorrelationID, err = optionalString(obj[metaCorrelationID], field+"."+metaCorrelationID); err != nil {
		return outbox.Metadata{}, 0, err
	}
	if md.CausationID, err = optionalString(obj[metaCausationID], field+"."+metaCausationID); err != nil {
		return outbox.Metadata{}, 0, err
	}
	version, err := parseSchemaVersion(obj[metaSchemaVersion], field+"."+metaSchemaVersion)
	if err != nil {
		return outbox.Metadata{}, 0, err
	}
	for key, v := range obj {
		if key == metaCorrelationID || key == metaCausationID || key == metaSchemaVersion {
			continue
		}
		if md.Extra == nil {
			md.Extra = make(map[string]json.RawMessage)
		}
		// v is valid JSON: compact cannot fail.
		md.Extra[key], _ = compactCopy(v)
	}
	return md, version, nil
}

// optionalString reads a JSON string, or null.
func optionalString(raw json.RawMessage, field string) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	s, ok := stringValue(raw)
	if !ok {
		return "", malformed(field, "want a string, got "+jsonKind(raw))
	}
	return s, nil
}

// parseSchemaVersion accepts a JSON integer >= 1, or null for the default.
// Strings are rejected: the application writes a number, and a handler
// must not guess which schema a payload follows.
func parseSchemaVersion(raw json.RawMessage, field string) (int, error) {
	if isNull(raw) {
		return defaultSchemaVersion, nil
	}
	if kind := jsonKind(raw); kind != "a number" {
		return 0, malformed(field, "want an integer, got "+kind)
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
