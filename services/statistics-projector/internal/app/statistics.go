// Package app holds the statistics-projector's two use cases. The fan-out
// turns each outbox event into contributions and sends them, keyed by the
// statistics document, to the increments topic; the writer applies each
// contribution exactly once. Routing through a keyed topic gives every
// statistics document a single writer (its partition's consumer), whatever
// partitions the events that feed it came from.
package app

import (
	"context"

	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/registry"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

// Fanout sends every event's contributions to the writers.
type Fanout struct {
	pub stats.Publisher
}

// NewFanout returns a fan-out publishing with pub.
func NewFanout(pub stats.Publisher) *Fanout { return &Fanout{pub: pub} }

// Handle computes ev's contributions and publishes them. Publishing twice
// (a redelivery) is harmless: the writer applies each contribution once.
func (f *Fanout) Handle(ctx context.Context, ev outbox.Event) error {
	cs, err := stats.Contributions(ev)
	if err != nil {
		return err
	}
	return f.pub.Publish(ctx, ev.Metadata.CorrelationID, cs...)
}

// Registrations register Handle, as "statistics", for every counted type.
func (f *Fanout) Registrations() []registry.Registration {
	regs := make([]registry.Registration, 0, len(stats.EventTypes))
	for _, t := range stats.EventTypes {
		regs = append(regs, registry.Registration{EventType: t, Name: "statistics", Fn: f.Handle})
	}
	return regs
}

// Writer applies contributions to the statistics documents.
type Writer struct {
	ledger stats.Ledger
}

// NewWriter returns a writer over ledger.
func NewWriter(ledger stats.Ledger) *Writer { return &Writer{ledger: ledger} }

// Apply applies c exactly once.
func (w *Writer) Apply(ctx context.Context, c stats.Contribution) error {
	_, err := w.ledger.Apply(ctx, c)
	return err
}
