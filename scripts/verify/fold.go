package verify

import (
	"maps"
	"slices"
	"strings"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"
)

// SkipReason says why an event changes no read model.
type SkipReason string

// Reasons the projectors skip an event; Fold skips the same ones.
const (
	// SkipMalformedRow: the row decoder rejects it (poison queue).
	SkipMalformedRow SkipReason = "malformed row"
	// SkipUnknownEventType: no projector handles the type (acknowledged).
	SkipUnknownEventType SkipReason = "unknown event type"
	// SkipUnsupportedSchemaVersion: metadata schema_version is one the
	// catalogue does not read of the type (poison queue, until a
	// projector that reads it is deployed and the event replayed).
	SkipUnsupportedSchemaVersion SkipReason = "unsupported schema_version"
	// SkipInvalidPayload: events.Decode rejects the payload (poison queue).
	SkipInvalidPayload SkipReason = "invalid payload"
)

// OutboxStats counts what Fold did with the outbox.
type OutboxStats struct {
	EventsRead    int
	EventsApplied int
	Skipped       map[SkipReason]int
}

// EventsSkipped is the number of events skipped for any reason.
func (s OutboxStats) EventsSkipped() int {
	n := 0
	for _, c := range s.Skipped {
		n += c
	}
	return n
}

// Fold computes the read models the outbox rows must produce: each
// aggregate's events in aggregate_version order, every event the
// projectors would skip skipped and counted.
func Fold(rows []Row) (Model, OutboxStats) {
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b Row) int {
		if c := strings.Compare(a.AggregateID, b.AggregateID); c != 0 {
			return c
		}
		return int(a.AggregateVersion - b.AggregateVersion)
	})
	f := folder{model: NewModel()}
	stats := OutboxStats{EventsRead: len(rows), Skipped: map[SkipReason]int{}}
	for _, row := range rows {
		if reason, skipped := f.apply(row); skipped {
			stats.Skipped[reason]++
			continue
		}
		stats.EventsApplied++
	}
	for id, a := range f.model.Activities {
		a.ParticipantCount = len(a.Participants)
		f.model.Activities[id] = a
	}
	return f.model, stats
}

// folder accumulates the expected model.
type folder struct {
	model Model
}

// handlers decode an event's payload and apply it to every read model it
// changes; the catalogue's types are exactly the ones projectors handle.
var handlers = map[string]func(*folder, outbox.Event) error{
	events.UserCreated:       handle((*folder).userCreated),
	events.UserUpdated:       handle((*folder).userUpdated),
	events.UserDeleted:       handle((*folder).userDeleted),
	events.ActivityCreated:   handle((*folder).activityCreated),
	events.ActivityUpdated:   handle((*folder).activityUpdated),
	events.ActivityCancelled: handle((*folder).activityCancelled),
	events.ParticipantJoined: handle((*folder).participantJoined),
	events.ParticipantLeft:   handle((*folder).participantLeft),
}

// HandledEventTypes are the event types Fold applies.
func HandledEventTypes() []string { return slices.Sorted(maps.Keys(handlers)) }

func handle[P events.Payload](apply func(*folder, outbox.Event, P)) func(*folder, outbox.Event) error {
	return func(f *folder, ev outbox.Event) error {
		payload, err := events.Decode[P](ev)
		if err != nil {
			return err
		}
		apply(f, ev, payload)
		return nil
	}
}

// apply folds one row in, in the order the projectors' pipeline checks it:
// row decoding, then the handler registry, then the payload.
func (f *folder) apply(row Row) (SkipReason, bool) {
	ev, err := row.event()
	if err != nil {
		return SkipMalformedRow, true
	}
	h, ok := handlers[ev.EventType]
	if !ok {
		return SkipUnknownEventType, true
	}
	if !events.ReadsVersion(ev.EventType, ev.SchemaVersion) {
		return SkipUnsupportedSchemaVersion, true
	}
	if err := h(f, ev); err != nil {
		return SkipInvalidPayload, true
	}
	return "", false
}
