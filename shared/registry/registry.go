// Package registry dispatches a batch of outbox events to the handlers
// registered for their event types. Several handlers may listen to one
// type; each is named and fails on its own.
package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/outbox"
)

// BatchFunc projects a batch of events, in offset order. It must be
// idempotent and order-safe: delivery is at least once, and a failure of
// any handler of the same batch delivers the whole batch again.
type BatchFunc func(ctx context.Context, events []outbox.Event) error

// Handler is one named handler of the event types it lists.
type Handler struct {
	Name       string
	EventTypes []string
	Fn         BatchFunc
}

// ErrDuplicateHandler is returned by New for a name used twice.
var ErrDuplicateHandler = errors.New("registry: handler name already registered")

// Registry maps event types to handlers. It is safe for concurrent use.
type Registry struct {
	handlers []Handler
	byType   map[string][]int // event type → indexes into handlers
	logger   *slog.Logger
	counters *metrics.Counters
}

// New returns a registry of handlers.
func New(logger *slog.Logger, counters *metrics.Counters, handlers ...Handler) (*Registry, error) {
	r := &Registry{byType: map[string][]int{}, logger: logger, counters: counters}
	names := map[string]bool{}
	for i, h := range handlers {
		if h.Name == "" || h.Fn == nil || len(h.EventTypes) == 0 || strings.Contains(h.Name, ",") {
			return nil, fmt.Errorf("registry: invalid handler %q for %v", h.Name, h.EventTypes)
		}
		if names[h.Name] {
			return nil, fmt.Errorf("%w: %s", ErrDuplicateHandler, h.Name)
		}
		names[h.Name] = true
		for _, t := range h.EventTypes {
			if t == "" {
				return nil, fmt.Errorf("registry: handler %s: empty event type", h.Name)
			}
			if slices.Contains(r.byType[t], i) {
				// Listed twice: the handler still gets each event once.
				continue
			}
			r.byType[t] = append(r.byType[t], i)
		}
		r.handlers = append(r.handlers, h)
	}
	return r, nil
}

// Handle gives every handler the events of its types, in order. Unknown
// event types are counted and left alone: another service may well
// project them. Every handler runs, whatever the others do; a transient
// failure of any of them wins over permanent ones (the batch is retried,
// and a permanently failing handler meets the poison queue once the
// router handles the events one by one).
func (r *Registry) Handle(ctx context.Context, events []outbox.Event) error {
	perHandler := make([][]outbox.Event, len(r.handlers))
	for _, ev := range events {
		idx, ok := r.byType[ev.EventType]
		if !ok {
			r.counters.Inc(metrics.UnknownEventTypes, "event_type", ev.EventType)
			r.logger.DebugContext(ctx, "no handler for event type", slog.String("event_type", ev.EventType),
				slog.String("event_id", ev.EventID))
			continue
		}
		for _, i := range idx {
			perHandler[i] = append(perHandler[i], ev)
		}
	}
	var errs []error
	allPermanent := true
	for i, h := range r.handlers {
		if len(perHandler[i]) == 0 {
			continue
		}
		if err := h.Fn(ctx, perHandler[i]); err != nil {
			errs = append(errs, fmt.Errorf("handler %s: %w", h.Name, err))
			allPermanent = allPermanent && fault.IsPermanent(err)
			continue
		}
		r.counters.Add(metrics.EventHandlerApplied, int64(len(perHandler[i])), "event_handler", h.Name)
	}
	if len(errs) == 0 {
		return nil
	}
	joined := errors.Join(errs...)
	if allPermanent {
		return joined
	}
	// Flatten the error so that errors.As no longer finds a permanent one
	// inside: the batch is retried, not poisoned.
	return errors.New(joined.Error())
}
