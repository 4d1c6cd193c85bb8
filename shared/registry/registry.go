// Package registry dispatches outbox events to the handlers registered for
// their event type. Several handlers may listen to one type; each is named
// and fails on its own.
package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/outbox"
)

// HandlerFunc projects one event. It must be idempotent and order-safe:
// delivery is at least once, and a failure of any handler of the same event
// redelivers the event to the handlers that have not yet succeeded.
type HandlerFunc func(ctx context.Context, ev outbox.Event) error

// DoneMetadataKey lists, comma-separated, the handlers that already
// succeeded for a message. Watermill-kafka copies metadata into the
// redelivered message after a nack, so a retry runs only the handlers that
// failed; a poisoned copy shows which handlers did their work.
const DoneMetadataKey = "handlers_done"

// FailedMetadataKey lists the handlers whose failure poisoned a message.
const FailedMetadataKey = "handlers_failed"

// ErrDuplicateHandler is returned by Register for a name already in use.
var ErrDuplicateHandler = errors.New("registry: handler name already registered")

type named struct {
	name string
	fn   HandlerFunc
}

// Registry maps event types to handlers. Register everything before the
// router runs; Handle is then safe for concurrent use.
type Registry struct {
	byType   map[string][]named
	names    map[string]bool
	logger   *slog.Logger
	counters *metrics.Counters
}

// New returns an empty registry.
func New(logger *slog.Logger, counters *metrics.Counters) *Registry {
	return &Registry{
		byType:   make(map[string][]named),
		names:    make(map[string]bool),
		logger:   logger,
		counters: counters,
	}
}

// Register adds handler name for eventType. A name is unique per event type
// (it is what handlers_done records for a message); one name may serve
// several event types, as a projector's single "users" handler does. Names
// label metrics and the poison queue's metadata.
func (r *Registry) Register(eventType, name string, fn HandlerFunc) error {
	if eventType == "" || name == "" || fn == nil || strings.Contains(name, ",") {
		return fmt.Errorf("registry: invalid registration %q for %q", name, eventType)
	}
	if r.names[name+"\x00"+eventType] {
		return fmt.Errorf("%w: %s for %s", ErrDuplicateHandler, name, eventType)
	}
	r.names[name+"\x00"+eventType] = true
	r.byType[eventType] = append(r.byType[eventType], named{name: name, fn: fn})
	return nil
}

// Registration is one handler for one event type.
type Registration struct {
	EventType string
	Name      string
	Fn        HandlerFunc
}

// RegisterAll registers every registration, stopping at the first error.
func (r *Registry) RegisterAll(regs ...Registration) error {
	for _, reg := range regs {
		if err := r.Register(reg.EventType, reg.Name, reg.Fn); err != nil {
			return err
		}
	}
	return nil
}

// MustRegister is Register for wiring code, where a failure is a bug.
func (r *Registry) MustRegister(eventType, name string, fn HandlerFunc) {
	if err := r.Register(eventType, name, fn); err != nil {
		panic(err)
	}
}

// EventTypes lists the types with at least one handler, sorted.
func (r *Registry) EventTypes() []string {
	types := make([]string, 0, len(r.byType))
	for t := range r.byType {
		types = append(types, t)
	}
	slices.Sort(types)
	return types
}

// Handle is the Watermill handler: it takes the event the decode middleware
// put on the context and runs every handler of its type that has not yet
// succeeded for this message. Unknown event types are acknowledged and
// counted: another service may well project them.
func (r *Registry) Handle(msg *message.Message) error {
	ctx := msg.Context()
	ev, err := outbox.FromContext(ctx)
	if err != nil {
		return err
	}
	handlers := r.byType[ev.EventType]
	if len(handlers) == 0 {
		r.counters.Inc(metrics.UnknownEventTypes, "event_type", ev.EventType)
		r.logger.DebugContext(ctx, "no handler for event type")
		return nil
	}

	done := doneSet(msg.Metadata.Get(DoneMetadataKey))
	var failed []string
	var errs []error
	allPermanent := true
	for _, h := range handlers {
		if done[h.name] {
			continue
		}
		if err := h.fn(ctx, ev); err != nil {
			failed = append(failed, h.name)
			errs = append(errs, fmt.Errorf("handler %s: %w", h.name, err))
			allPermanent = allPermanent && fault.IsPermanent(err)
			continue
		}
		done[h.name] = true
		r.counters.Inc(metrics.EventHandlerApplied, "event_handler", h.name)
	}
	msg.Metadata.Set(DoneMetadataKey, joinSet(done))
	if len(errs) == 0 {
		return nil
	}
	msg.Metadata.Set(FailedMetadataKey, strings.Join(failed, ","))
	joined := errors.Join(errs...)
	if allPermanent {
		return joined
	}
	// A transient failure must win: the message is retried, not poisoned,
	// and the permanently failing handler meets the poison queue on a
	// later attempt once the others have succeeded. Flatten the error so
	// that errors.As no longer finds the permanent one inside.
	return errors.New(joined.Error())
}

func doneSet(s string) map[string]bool {
	set := make(map[string]bool)
	for _, name := range strings.Split(s, ",") {
		if name != "" {
			set[name] = true
		}
	}
	return set
}

func joinSet(set map[string]bool) string {
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}
