package verify

import (
	"fmt"
	"strings"
)

// VersionConflict is a version of one aggregate that two or more events
// carry. The outbox's unique constraint on (aggregate_type, aggregate_id,
// aggregate_version) refuses the second of them, so none should ever be
// read. If one is, the projectors' per-field last-writer-wins cannot order
// its events: each field keeps the one that arrived first, which the
// verifier cannot know.
type VersionConflict struct {
	AggregateType string
	AggregateID   string
	Version       int64
	// EventIDs are the events' ids, sorted.
	EventIDs []string
}

func (c VersionConflict) String() string {
	return fmt.Sprintf("outbox: %s %s version %d is carried by %d events (%s); the outbox allows one",
		c.AggregateType, c.AggregateID, c.Version, len(c.EventIDs), strings.Join(c.EventIDs, ", "))
}

// versionConflicts finds them in rows sorted by aggregate_id,
// aggregate_version, aggregate_type and event_id.
func versionConflicts(rows []Row) []VersionConflict {
	var out []VersionConflict
	for i := 1; i < len(rows); i++ {
		prev, r := rows[i-1], rows[i]
		if r.AggregateID != prev.AggregateID || r.AggregateVersion != prev.AggregateVersion || r.AggregateType != prev.AggregateType {
			continue
		}
		if n := len(out); n > 0 && out[n-1].AggregateID == r.AggregateID && out[n-1].Version == r.AggregateVersion &&
			out[n-1].AggregateType == r.AggregateType {
			out[n-1].EventIDs = append(out[n-1].EventIDs, r.EventID)
			continue
		}
		out = append(out, VersionConflict{
			AggregateType: r.AggregateType, AggregateID: r.AggregateID, Version: r.AggregateVersion,
			EventIDs: []string{prev.EventID, r.EventID},
		})
	}
	return out
}
