package projection

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"
)

// Change is one event's change of one document of a read model.
type Change[D any] struct {
	// ID is the document's id.
	ID string
	// CommittedAt is when the event committed; the written document is
	// stamped with it (freshness only).
	CommittedAt time.Time
	// Apply changes the document (a new one with only its id set when
	// absent) and reports whether anything changed. It runs again on the
	// stored document after a write conflict, so it must be idempotent.
	Apply func(*D) (bool, error)
	// Creates says the event is the first of its aggregate, so the
	// document most likely does not exist yet: a store may skip reading
	// it (a wrong guess costs a failed write and a read, never a lost
	// change).
	Creates bool
}

// Repository keeps the documents of one read model. UpdateBatch applies
// the changes in order, to each document's stored value (a new one with
// only its id set when absent), and stores each changed document once.
type Repository[D any] interface {
	Get(ctx context.Context, id string) (D, bool, error)
	UpdateBatch(ctx context.Context, changes []Change[D]) error
}

// Apply changes a document with one event's payload, at the event's
// aggregate version and time, and reports whether anything changed.
type Apply[D any, P events.Payload] func(doc *D, version int64, at time.Time, payload P) bool

// ChangeOf turns an event into a change of its aggregate's document: it
// validates the payload as P (an invalid payload is a permanent error,
// returned before anything is written) and applies it with apply.
func ChangeOf[D any, P events.Payload](ev outbox.Event, apply Apply[D, P]) (Change[D], error) {
	payload, err := events.Decode[P](ev)
	if err != nil {
		return Change[D]{}, err
	}
	return Change[D]{
		ID:          ev.AggregateID,
		CommittedAt: ev.CommitTime(),
		Creates:     ev.AggregateVersion == 1,
		Apply: func(doc *D) (bool, error) {
			return apply(doc, ev.AggregateVersion, ev.CreatedAt, payload), nil
		},
	}, nil
}

// Step makes a change from an event, or fails permanently for an invalid
// event.
type Step[D any] func(outbox.Event) (Change[D], error)

// StepOf is the Step that validates the payload as P and applies it.
func StepOf[D any, P events.Payload](apply Apply[D, P]) Step[D] {
	return func(ev outbox.Event) (Change[D], error) { return ChangeOf(ev, apply) }
}

// Steps are a read model's steps by event type.
type Steps[D any] map[string]Step[D]

// EventTypes are the types with a step, sorted.
func (s Steps[D]) EventTypes() []string {
	return slices.Sorted(maps.Keys(s))
}

// ProjectBatch turns every event into its change and stores them all in
// one UpdateBatch. An invalid event fails the batch permanently before
// anything is written (the router then finds it by handling the events one
// by one); events without a step are left alone.
func ProjectBatch[D any](ctx context.Context, repo Repository[D], steps Steps[D], evs []outbox.Event) error {
	changes := make([]Change[D], 0, len(evs))
	for _, ev := range evs {
		step, ok := steps[ev.EventType]
		if !ok {
			continue
		}
		c, err := step(ev)
		if err != nil {
			return err
		}
		changes = append(changes, c)
	}
	if len(changes) == 0 {
		return nil
	}
	return repo.UpdateBatch(ctx, changes)
}
