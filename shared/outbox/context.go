package outbox

import (
	"context"
	"errors"

	"github.com/activityapp/event-processor/shared/fault"
)

// ErrNoEvent means a handler that needs a decoded event ran without the
// decoding middleware in front of it: a wiring bug, never retried.
var ErrNoEvent = errors.New("outbox: no decoded event on the message context")

type ctxKey struct{}

type decoded struct {
	event Event
	err   error
}

// WithEvent returns a context that carries ev.
func WithEvent(ctx context.Context, ev Event) context.Context {
	return context.WithValue(ctx, ctxKey{}, decoded{event: ev})
}

// WithDecodeError returns a context that records why the message could not
// be decoded; FromContext returns err to the handler, whose failure then
// travels through the poison queue like any other.
func WithDecodeError(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, ctxKey{}, decoded{err: err})
}

// FromContext returns the event or decoding error put on ctx.
func FromContext(ctx context.Context) (Event, error) {
	d, ok := ctx.Value(ctxKey{}).(decoded)
	if !ok {
		return Event{}, fault.Permanent(ErrNoEvent)
	}
	return d.event, d.err
}
