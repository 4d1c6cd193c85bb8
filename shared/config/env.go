// Package config reads a projector's settings from environment variables.
//
// Every setting has a default where one makes sense; a missing or invalid
// value stops the service at start with an error naming the variable.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrInvalid is wrapped by every configuration error.
var ErrInvalid = errors.New("invalid configuration")

// Error names the variable whose value is missing or invalid.
type Error struct {
	Variable string
	Reason   string
}

func (e *Error) Error() string { return fmt.Sprintf("config: %s: %s", e.Variable, e.Reason) }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *Error) Unwrap() error { return ErrInvalid }

// Env reads typed values from a lookup function (os.LookupEnv in production,
// a map in tests). It keeps the first error it meets, so a caller can read
// every variable and check Err once.
type Env struct {
	lookup func(string) (string, bool)
	err    error
}

// NewEnv returns an Env over lookup.
func NewEnv(lookup func(string) (string, bool)) *Env { return &Env{lookup: lookup} }

// MapLookup adapts a map to the lookup signature NewEnv wants.
func MapLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// Err returns the first error met, or nil.
func (e *Env) Err() error { return e.err }

func (e *Env) fail(name, format string, args ...any) {
	if e.err == nil {
		e.err = &Error{Variable: name, Reason: fmt.Sprintf(format, args...)}
	}
}

// Either returns the name of the variable to read for a setting that also
// has an alias (a name the prototype used): name when it is set, else alias
// when that is set, else name. Errors then name the variable that was read.
func (e *Env) Either(name, alias string) string {
	if _, ok := e.raw(name); ok {
		return name
	}
	if _, ok := e.raw(alias); ok {
		return alias
	}
	return name
}

func (e *Env) raw(name string) (string, bool) {
	v, ok := e.lookup(name)
	if !ok {
		return "", false
	}
	v = strings.TrimSpace(v)
	return v, v != ""
}

// String returns the variable's value, or def when unset or empty.
func (e *Env) String(name, def string) string {
	if v, ok := e.raw(name); ok {
		return v
	}
	return def
}

// List splits a comma-separated value, dropping empty items.
func (e *Env) List(name string, def []string) []string {
	v, ok := e.raw(name)
	if !ok {
		return def
	}
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	if len(out) == 0 {
		e.fail(name, "no values in %q", v)
	}
	return out
}

// Duration parses a Go duration ("500ms", "30s") that must be positive.
func (e *Env) Duration(name string, def time.Duration) time.Duration {
	return e.duration(name, def, false)
}

// NonNegativeDuration parses a Go duration that may also be 0.
func (e *Env) NonNegativeDuration(name string, def time.Duration) time.Duration {
	return e.duration(name, def, true)
}

func (e *Env) duration(name string, def time.Duration, zeroOK bool) time.Duration {
	v, ok := e.raw(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		e.fail(name, "not a duration (like 500ms or 30s): %q", v)
		return def
	}
	if d < 0 || (d == 0 && !zeroOK) {
		if zeroOK {
			e.fail(name, "must not be negative, got %q", v)
		} else {
			e.fail(name, "must be positive, got %q", v)
		}
		return def
	}
	return d
}

// Int parses an integer within [lo, hi].
func (e *Env) Int(name string, def, lo, hi int) int {
	v, ok := e.raw(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.fail(name, "not an integer: %q", v)
		return def
	}
	if n < lo || n > hi {
		e.fail(name, "must be between %d and %d, got %d", lo, hi, n)
		return def
	}
	return n
}

// LogLevel parses debug, info, warn or error.
func (e *Env) LogLevel(name string, def slog.Level) slog.Level {
	v, ok := e.raw(name)
	if !ok {
		return def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		e.fail(name, "must be one of debug, info, warn, error; got %q", v)
		return def
	}
	return l
}

// MongoURI checks that the value is a mongodb:// or mongodb+srv:// URI.
func (e *Env) MongoURI(name, def string) string {
	v := e.String(name, def)
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "mongodb" && u.Scheme != "mongodb+srv") || u.Host == "" {
		e.fail(name, "must be a mongodb:// or mongodb+srv:// URI with a host, got %q", redact(v))
	}
	return v
}

// redact hides a password in a URI before it is printed. A value that does
// not parse as a URI with user info (a password with a bare '%', a missing
// scheme) may still hold one: everything up to its last '@' is hidden then.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.String()
	}
	at := strings.LastIndex(raw, "@")
	if at < 0 {
		return raw
	}
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 && i < at {
		start = i + len("://")
	}
	return raw[:start] + "xxxxx" + raw[at:]
}

// IsConfigError reports whether err is (or wraps) a configuration error.
func IsConfigError(err error) bool { return errors.Is(err, ErrInvalid) }
