package debezium

import (
	"encoding/json"
	"strconv"
	"time"
)

// parseCreatedAt reads created_at from a raw JSON value: a string is an
// ISO-8601 timestamp (io.debezium.time.ZonedTimestamp), an integer is epoch
// microseconds (io.debezium.time.MicroTimestamp, for a timestamp column).
// Integers are never read as milliseconds: the connector emits micros
// unless time.precision.mode=connect, which this project does not use, and
// guessing the unit from the magnitude would hide that misconfiguration.
func parseCreatedAt(raw json.RawMessage, field string) (time.Time, error) {
	if isNull(raw) {
		return time.Time{}, malformed(field, "missing")
	}
	if s, ok := stringValue(raw); ok {
		return parseISOTime(s, field)
	}
	if us, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return time.UnixMicro(us).UTC(), nil
	}
	return time.Time{}, malformed(field, "want an ISO-8601 string or epoch microseconds, got "+jsonKind(raw))
}

// parseISOTime parses an RFC 3339 timestamp with any offset and fraction
// length, in UTC.
func parseISOTime(s, field string) (time.Time, error) {
	if s == "" {
		return time.Time{}, malformed(field, "empty")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, malformedCause(field, "not an ISO-8601 timestamp", err)
	}
	return t.UTC(), nil
}

// parseHeaderTime reads created_at from a header: the SMT renders a
// ZonedTimestamp as its string and a MicroTimestamp as decimal digits.
func parseHeaderTime(s, field string) (time.Time, error) {
	if isDecimal(s) {
		us, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, malformedCause(field, "not epoch microseconds", err)
		}
		return time.UnixMicro(us).UTC(), nil
	}
	return parseISOTime(s, field)
}

// isDecimal reports whether s is an optionally negative run of digits.
func isDecimal(s string) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
