// Package projection has the rules that make every read model idempotent
// and order-safe, whatever store keeps it: per-field last-writer-wins
// versions, and the head (newest version seen) of a document.
package projection

import "time"

// Versions remembers, per field, the aggregate version of the event that
// last wrote it. An event writes a field only when its version is higher,
// so applying the same events in any order, any number of times, yields the
// same document: a redelivered or stale event changes nothing, and a late
// older event still fills the fields no newer event has written.
type Versions map[string]int64

// Claim reports whether an event at version may write field, and records
// version as the field's owner when it may.
func (v Versions) Claim(field string, version int64) bool {
	if version <= v[field] {
		return false
	}
	v[field] = version
	return true
}

// Set writes value to *dst if an event at version may write field, and
// reports whether it did. It allocates *v on first use.
func Set[T any](v *Versions, field string, version int64, dst *T, value T) bool {
	if *v == nil {
		*v = Versions{}
	}
	if !v.Claim(field, version) {
		return false
	}
	*dst = value
	return true
}

// Head is the newest event a document reflects.
type Head struct {
	// Version is the highest aggregate version applied.
	Version int64
	// UpdatedAt is the created_at of that event.
	UpdatedAt time.Time
}

// Observe moves the head to an event at version and time at if it is newer,
// and reports whether it moved.
func (h *Head) Observe(version int64, at time.Time) bool {
	if version <= h.Version {
		return false
	}
	h.Version, h.UpdatedAt = version, Time(at)
	return true
}

// Time is t as a read model keeps it: UTC, millisecond precision (a BSON
// date), so that a document compares equal before and after a round trip
// through the store.
func Time(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }
