package readmodel

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver"

	"github.com/activityapp/event-processor/shared/fault"
)

// ErrUnavailable is wrapped by the errors of a store that does not answer
// (network errors, timeouts, no server to select): transient, and what
// readiness reports while the projector waits for it.
var ErrUnavailable = errors.New("store unavailable")

// ErrDocumentTooLarge is wrapped by the error of a write whose document
// would exceed the store's limit (see WithMaxDocumentBytes).
var ErrDocumentTooLarge = errors.New("document too large")

// DefaultMaxDocumentBytes stays below MongoDB's 16 MiB BSON limit with room
// for the server's own overhead: a document that grows past it fails here,
// with its size, rather than on the server.
const DefaultMaxDocumentBytes = 15 << 20

// permanentCodes are server error codes that the same write gets again
// however often it is retried: the document or the command itself is at
// fault, not the server's state.
var permanentCodes = map[int]string{
	2:     "BadValue",
	14:    "TypeMismatch",
	52:    "DollarPrefixedFieldName",
	55:    "InvalidDBRef",
	56:    "EmptyFieldName",
	57:    "DottedFieldName",
	66:    "ImmutableField",
	121:   "DocumentValidationFailure",
	10334: "BSONObjectTooLarge",
	17419: "DocumentTooLargeAfterUpdate",
	17420: "DocumentTooLargeAfterUpdate",
}

// classify marks the errors a retry cannot fix as permanent, so the router
// poisons the event that causes them (with this reason) instead of
// retrying its batch forever, and marks a store that does not answer with
// ErrUnavailable. Everything else (a write concern error, a server that is
// shutting down) stays transient as it is.
func classify(err error) error {
	if err == nil || fault.IsPermanent(err) || errors.Is(err, ErrUnavailable) {
		return err
	}
	if mongo.IsNetworkError(err) || mongo.IsTimeout(err) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if errors.Is(err, driver.ErrDocumentTooLarge) {
		return fault.Permanent(err)
	}
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) {
		if bwe.WriteConcernError != nil {
			return err
		}
		for _, we := range bwe.WriteErrors {
			if name, ok := permanentCodes[we.Code]; ok {
				return fault.Permanent(fmt.Errorf("%s (code %d): %w", name, we.Code, err))
			}
		}
		return err
	}
	var se mongo.ServerError
	if errors.As(err, &se) {
		for code, name := range permanentCodes {
			if se.HasErrorCode(code) {
				return fault.Permanent(fmt.Errorf("%s (code %d): %w", name, code, err))
			}
		}
	}
	return err
}
