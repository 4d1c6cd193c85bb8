package projection

import (
	"context"
	"time"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"
)

// Updater is the part of a read-model repository Project needs.
type Updater[D any] interface {
	Update(ctx context.Context, id string, change func(*D) (bool, error)) error
}

// Apply changes a document with one event's payload, at the event's
// aggregate version and time, and reports whether anything changed.
type Apply[D any, P events.Payload] func(doc *D, version int64, at time.Time, payload P) bool

// Project validates ev's payload as P (an invalid payload is a permanent
// error) and applies it to the document of ev's aggregate.
func Project[D any, P events.Payload](ctx context.Context, repo Updater[D], ev outbox.Event, apply Apply[D, P]) error {
	payload, err := events.Decode[P](ev)
	if err != nil {
		return err
	}
	return repo.Update(ctx, ev.AggregateID, func(doc *D) (bool, error) {
		return apply(doc, ev.AggregateVersion, ev.CreatedAt, payload), nil
	})
}

// Repository keeps the documents of one read model. Update loads document
// id (a new one with only its id set when absent), calls change, and stores
// the result if change reports a modification.
type Repository[D any] interface {
	Get(ctx context.Context, id string) (D, bool, error)
	Updater[D]
}
