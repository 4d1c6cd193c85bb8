// Package app holds the statistics-projector's two use cases. The fan-out
// turns each outbox event into contributions and sends them, keyed by the
// statistics document, to the increments topic; the writer counts each
// contribution exactly once. Routing through a keyed topic gives every
// statistics document a single writer (its partition's consumer), whatever
// partitions the events that feed it came from.
package app

import (
	"context"

	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/projection"
	"github.com/activityapp/event-processor/shared/registry"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

// Fanout sends every event's contributions to the writers.
type Fanout struct {
	pub stats.Publisher
}

// NewFanout returns a fan-out publishing with pub.
func NewFanout(pub stats.Publisher) *Fanout { return &Fanout{pub: pub} }

// Handle computes the contributions of a batch of events and publishes
// them in one go, in event order. Publishing twice (a redelivery) is
// harmless: the writer counts each event once. An invalid event fails the
// batch permanently before anything is published.
func (f *Fanout) Handle(ctx context.Context, evs []outbox.Event) error {
	var all []stats.Contribution
	for _, ev := range evs {
		cs, err := stats.Contributions(ev)
		if err != nil {
			return err
		}
		all = append(all, cs...)
	}
	return f.pub.Publish(ctx, all...)
}

// Handlers is the fan-out's one handler, "statistics", for every counted
// type.
func (f *Fanout) Handlers() []registry.Handler {
	return []registry.Handler{{Name: "statistics", EventTypes: stats.EventTypes, Fn: f.Handle}}
}

// Writer counts contributions in the statistics documents.
type Writer struct {
	store stats.Store
}

// NewWriter returns a writer over store.
func NewWriter(store stats.Store) *Writer { return &Writer{store: store} }

// Apply counts a batch of contributions, each exactly once: every document
// they touch is written once.
func (w *Writer) Apply(ctx context.Context, cs []stats.Contribution) error {
	byCollection := map[string][]projection.Change[stats.Document]{}
	for _, c := range cs {
		byCollection[c.Collection] = append(byCollection[c.Collection], projection.Change[stats.Document]{
			ID:          c.DocID,
			CommittedAt: c.CommittedAt,
			Apply:       func(d *stats.Document) (bool, error) { return d.Absorb(c), nil },
			Creates:     c.Creates,
		})
	}
	for _, coll := range stats.Collections {
		if changes := byCollection[coll]; len(changes) > 0 {
			if err := w.store.UpdateBatch(ctx, coll, changes); err != nil {
				return err
			}
		}
	}
	return nil
}
