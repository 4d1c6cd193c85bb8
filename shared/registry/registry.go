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
	"sync"

	"github.com/prometheus/client_golang/prometheus"

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

	unknownTypes *prometheus.CounterVec
	applied      *prometheus.CounterVec

	mu         sync.Mutex
	unknownSet map[string]bool // the event types labelled so far
}

// MaxUnknownTypeLabels bounds the event_type values of the unknown-types
// counter: the types come from outside, and every value is a series
// Prometheus keeps. Types beyond it are counted as OtherEventTypes.
const MaxUnknownTypeLabels = 100

// OtherEventTypes labels the unknown types beyond MaxUnknownTypeLabels.
const OtherEventTypes = "other"

// New returns a registry of handlers, counting in reg (nil: not served).
func New(logger *slog.Logger, reg prometheus.Registerer, handlers ...Handler) (*Registry, error) {
	r := &Registry{
		byType: map[string][]int{}, logger: logger, unknownSet: map[string]bool{},
		unknownTypes: metrics.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metrics.UnknownEventTypes, Help: "Events of types no handler of the service knows.",
		}, []string{"event_type"})),
		applied: metrics.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metrics.EventHandlerApplied, Help: "Events given to an event handler that succeeded.",
		}, []string{"event_handler"})),
	}
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
			r.unknownTypes.WithLabelValues(r.unknownTypeLabel(ev.EventType)).Inc()
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
		r.applied.WithLabelValues(h.Name).Add(float64(len(perHandler[i])))
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

// unknownTypeLabel is eventType while fewer than MaxUnknownTypeLabels types
// have been labelled, OtherEventTypes after.
func (r *Registry) unknownTypeLabel(eventType string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.unknownSet[eventType] {
		return eventType
	}
	if len(r.unknownSet) >= MaxUnknownTypeLabels {
		return OtherEventTypes
	}
	r.unknownSet[eventType] = true
	return eventType
}
