package verify

import (
	"cmp"
	"slices"
	"strings"
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
	// SkipInvalidPayload: the payload does not fit its type (poison
	// queue).
	SkipInvalidPayload SkipReason = "invalid payload"
)

// OutboxStats counts what Fold did with the outbox.
type OutboxStats struct {
	EventsRead    int
	EventsApplied int
	Skipped       map[SkipReason]int
	// Invalid counts, per projector service, the events it poisons:
	// malformed rows, and the events of the types it handles that have an
	// unsupported schema version or an invalid payload.
	Invalid map[string]int
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
// projectors would skip skipped and counted. Events that share their
// aggregate's version are all folded, in event_id order, and listed in
// the model's Conflicts.
func Fold(rows []Row) (Model, OutboxStats) {
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b Row) int {
		return cmp.Or(strings.Compare(a.AggregateID, b.AggregateID), cmp.Compare(a.AggregateVersion, b.AggregateVersion),
			strings.Compare(a.AggregateType, b.AggregateType), strings.Compare(a.EventID, b.EventID))
	})
	f := folder{model: NewModel()}
	f.model.Conflicts = versionConflicts(rows)
	stats := OutboxStats{EventsRead: len(rows), Skipped: map[SkipReason]int{}, Invalid: map[string]int{}}
	for _, row := range rows {
		reason, services := f.apply(row)
		if reason == "" {
			stats.EventsApplied++
			continue
		}
		stats.Skipped[reason]++
		for _, s := range services {
			stats.Invalid[s]++
		}
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

// apply folds one row in, in the order the projectors' pipeline checks it:
// row decoding, then the handler registry, then the payload. A skipped
// row returns why, and the services that poison it.
func (f *folder) apply(row Row) (SkipReason, []string) {
	ev, err := row.event()
	if err != nil {
		// Every projector decodes every record.
		return SkipMalformedRow, Services
	}
	t, ok := catalogue[ev.Type]
	if !ok {
		return SkipUnknownEventType, nil
	}
	if !slices.Contains(t.versions, ev.SchemaVersion) {
		return SkipUnsupportedSchemaVersion, t.services
	}
	if err := t.apply(f, ev); err != nil {
		return SkipInvalidPayload, t.services
	}
	return "", nil
}
