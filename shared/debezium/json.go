package debezium

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// jsonSpace is the whitespace JSON allows between tokens.
const jsonSpace = " \t\r\n"

// isNull reports whether a raw value is absent (nil) or JSON null.
func isNull(raw json.RawMessage) bool { return raw == nil || string(raw) == "null" }

// stringValue returns the text of a raw JSON string, and false for any
// other value. raw must be valid JSON (encoding/json's output).
func stringValue(raw json.RawMessage) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	// Most strings (ids, names, timestamps) have no escapes: their text is
	// what the quotes enclose. This saves an Unmarshal per column.
	if text := raw[1 : len(raw)-1]; bytes.IndexByte(text, '\\') < 0 && utf8.Valid(text) {
		return string(text), true
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err == nil
}

// intValue reads a JSON integer, or a string holding one: Kafka Connect
// converters may render an int64 either way.
func intValue(raw json.RawMessage) (int64, bool) {
	s, ok := stringValue(raw)
	if !ok {
		s = string(raw)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// compactCopy returns a compact copy of the JSON text, or its syntax error.
func compactCopy(text []byte) (json.RawMessage, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, text); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// jsonKind names the type of a raw value for error messages.
func jsonKind(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}
