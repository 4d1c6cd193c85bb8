package outbox

import "context"

type ctxKey struct{}

// WithEvent returns a context that carries ev.
func WithEvent(ctx context.Context, ev Event) context.Context {
	return context.WithValue(ctx, ctxKey{}, ev)
}

// FromContext returns the event put on ctx by WithEvent.
func FromContext(ctx context.Context) (Event, bool) {
	ev, ok := ctx.Value(ctxKey{}).(Event)
	return ev, ok
}
