package verify

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// errInvalidPayload is wrapped by every payload the verifier refuses: the
// projectors poison such an event.
var errInvalidPayload = errors.New("invalid payload")

// fields reads a payload, a JSON object, field by field and collects what
// is wrong with it. Field names match exactly; a field that is absent and
// one that is null are the same, not present; fields the catalogue does
// not name are ignored.
type fields struct {
	values map[string]json.RawMessage
	// path names the object in errors: "payload", "payload.name".
	path string
	// errs are shared with the objects a payload nests.
	errs *[]error
}

// readFields starts reading ev's payload. A payload that is not a JSON
// object reads as one without fields, with that error.
func readFields(ev event) *fields {
	f := &fields{path: "payload", errs: new([]error)}
	if err := json.Unmarshal(ev.Payload, &f.values); err != nil || f.values == nil {
		*f.errs = append(*f.errs, errors.New("payload: want a JSON object"))
	}
	return f
}

// err is every error found, or nil.
func (f *fields) err(ev event) error {
	if len(*f.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s %s (schema version %d): %w", errInvalidPayload, ev.Type, ev.ID, ev.SchemaVersion, errors.Join(*f.errs...))
}

func (f *fields) fail(name, format string, args ...any) {
	*f.errs = append(*f.errs, fmt.Errorf("%s.%s: %s", f.path, name, fmt.Sprintf(format, args...)))
}

// raw is the field's JSON value, if present.
func (f *fields) raw(name string) (json.RawMessage, bool) {
	v, ok := f.values[name]
	if !ok || string(v) == "null" {
		return nil, false
	}
	return v, true
}

// optionalText is a string field, nil when not present.
func (f *fields) optionalText(name string) *string {
	v, ok := f.raw(name)
	if !ok {
		return nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		f.fail(name, "want a string, got %s", v)
		return nil
	}
	return &s
}

// text is a string field, "" when not present.
func (f *fields) text(name string) string {
	if s := f.optionalText(name); s != nil {
		return *s
	}
	return ""
}

// required is a string field that must be present and not empty.
func (f *fields) required(name string) string {
	s := f.optionalText(name)
	if s == nil || *s == "" {
		f.fail(name, "required")
		return ""
	}
	return *s
}

// nonEmpty is a string field that may be left out but not be empty.
func (f *fields) nonEmpty(name string) *string {
	s := f.optionalText(name)
	if s != nil && *s == "" {
		f.fail(name, "must not be empty")
	}
	return s
}

// uuid is a required field holding a UUID.
func (f *fields) uuid(name string) string {
	s := f.required(name)
	if s != "" && !isUUID(s) {
		f.fail(name, "want a UUID, got %q", s)
	}
	return s
}

// ownID checks the aggregate's own id field: left out, it is the row's
// aggregate_id; present, it must equal it.
func (f *fields) ownID(name string, ev event) {
	s := f.optionalText(name)
	if s != nil && *s != ev.AggregateID {
		f.fail(name, "%q is not the aggregate_id %q", *s, ev.AggregateID)
	}
}

// optionalTime is an RFC 3339 time field, nil when not present.
func (f *fields) optionalTime(name string) *time.Time {
	s := f.optionalText(name)
	if s == nil {
		return nil
	}
	t, err := time.Parse(time.RFC3339, *s)
	if err != nil {
		f.fail(name, "want an RFC 3339 time, got %q", *s)
		return nil
	}
	return &t
}

// requiredTime is a required RFC 3339 time field.
func (f *fields) requiredTime(name string) time.Time {
	if _, ok := f.raw(name); !ok {
		f.fail(name, "required")
		return time.Time{}
	}
	if t := f.optionalTime(name); t != nil {
		return *t
	}
	return time.Time{}
}

// optionalCount is an integer >= 0 field, nil when not present.
func (f *fields) optionalCount(name string) *int {
	v, ok := f.raw(name)
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(string(v))
	switch {
	case err != nil:
		f.fail(name, "want an integer, got %s", v)
		return nil
	case n < 0:
		f.fail(name, "must not be negative, got %d", n)
		return nil
	}
	return &n
}

// object is an object field, read like the payload (its errors are the
// payload's); one without fields when not present.
func (f *fields) object(name string) *fields {
	inner := &fields{path: f.path + "." + name, errs: f.errs}
	v, ok := f.raw(name)
	if ok && (json.Unmarshal(v, &inner.values) != nil || inner.values == nil) {
		f.fail(name, "want a JSON object, got %s", v)
	}
	return inner
}

// isUUID reports whether s is a UUID in its text form,
// xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx in hex digits of either case.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}
