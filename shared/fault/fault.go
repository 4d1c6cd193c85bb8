// Package fault classifies processing errors.
//
// A permanent error means the message itself is wrong (undecodable, invalid
// payload, unknown schema version): retrying cannot help, so it goes to the
// poison queue. Every other error is transient (MongoDB or Kafka unreachable,
// a timeout, a failing dependency): it is retried until it succeeds, because
// dead-lettering during an outage would lose events from the read models.
package fault

import (
	"errors"
	"fmt"
)

// permanentError marks its wrapped error as permanent.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as permanent. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err: err}
}

// Permanentf formats a permanent error.
func Permanentf(format string, args ...any) error {
	return Permanent(fmt.Errorf(format, args...))
}

// IsPermanent reports whether err, or an error it wraps, is permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
