package debezium

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/activityapp/event-processor/shared/fault"
)

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("malformed Debezium record")

// DecodeError says which field of a record is wrong and why. Decode returns
// it wrapped in fault.Permanent; errors.As finds it, errors.Is finds
// ErrMalformed and Cause.
type DecodeError struct {
	// Field is the path of the offending field: "value", "op",
	// "after.payload", "after.metadata.schema_version", "source.lsn", "key",
	// "header.event_type", ...
	Field string
	// Reason says what is wrong with it.
	Reason string
	// Cause is the underlying error (a JSON syntax error, a time parse
	// error), or nil.
	Cause error
}

func (e *DecodeError) Error() string {
	msg := "debezium: " + e.Field + ": " + e.Reason
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg
}

// Unwrap returns ErrMalformed and the cause, if any.
func (e *DecodeError) Unwrap() []error {
	if e.Cause == nil {
		return []error{ErrMalformed}
	}
	return []error{ErrMalformed, e.Cause}
}

// malformed builds the permanent error for field.
func malformed(field, reason string) error {
	return fault.Permanent(&DecodeError{Field: field, Reason: reason})
}

// malformedCause is malformed with an underlying error.
func malformedCause(field, reason string, cause error) error {
	return fault.Permanent(&DecodeError{Field: field, Reason: reason, Cause: cause})
}

// snippetMax bounds the bytes of input quoted in an error message: enough
// to recognise the value, not enough to flood a log line.
const snippetMax = 40

// snippet quotes at most snippetMax bytes of text for an error message.
func snippet(text []byte) string {
	if len(text) > snippetMax {
		return strconv.Quote(string(text[:snippetMax])) + "..."
	}
	return strconv.Quote(string(text))
}

// describe renders a raw JSON value for an error message: a string as its
// quoted text, a number as itself, anything else by its kind.
func describe(raw json.RawMessage) string {
	if s, ok := stringValue(raw); ok {
		return snippet([]byte(s))
	}
	if jsonKind(raw) == "a number" {
		if len(raw) > snippetMax {
			return string(raw[:snippetMax]) + "..."
		}
		return string(raw)
	}
	return jsonKind(raw)
}
