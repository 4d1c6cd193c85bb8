package stats_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

// from is c as read at offset of partition.
func from(c stats.Contribution, partition int32, offset int64) stats.Contribution {
	c.Source = outbox.Position{Partition: partition, Offset: offset}
	return c
}

// absorb lets d absorb c and checks that it reports changed as want, and
// that a contribution it refuses leaves d exactly as it was.
func absorb(t *testing.T, d *stats.Document, c stats.Contribution, want bool) {
	t.Helper()
	before := d.Clone()
	require.Equal(t, want, d.Absorb(c), "absorb %s from %+v", c.ID(), c.Source)
	if !want {
		assert.Equal(t, before, *d, "a refused contribution changes nothing")
	}
}

// A new document takes everything from its first contribution: counters
// (zero ones too), time, identity and the watermark of its partition.
func TestAbsorbIntoANewDocument(t *testing.T) {
	t.Parallel()
	d := stats.Document{ID: userID}
	absorb(t, &d, from(user(userID, 0, 0, 0), 4, 17), true)
	assert.Equal(t, stats.Document{
		ID: userID,
		Counters: map[string]int64{
			stats.ActivitiesCreated: 0, stats.ActivitiesJoined: 0, stats.ActivitiesLeft: 0,
		},
		Latest:   map[string]time.Time{stats.LastActivityAt: utcAt},
		Identity: map[string]string{"user_id": userID},
		Sources:  map[int32]int64{4: 17},
	}, d, "a user who only did UserCreated has every counter, at zero")

	day := stats.Document{ID: "2026-11-28/UserCreated"}
	absorb(t, &day, from(daily(events.UserCreated), 0, 0), true)
	assert.Equal(t, "2026-11-28/UserCreated", day.ID)
	assert.Equal(t, map[string]int64{stats.Count: 1}, day.Counters)
	assert.Empty(t, day.Latest, "a daily document keeps no time")
	assert.Equal(t, map[string]string{"day": "2026-11-28", "event_type": events.UserCreated}, day.Identity)
	assert.Equal(t, map[int32]int64{0: 0}, day.Sources, "offset 0 is counted: the first record of a partition")
}

// The watermark is per outbox partition: a contribution at or below its
// partition's watermark was counted before (or is older than one that
// was), whatever the other partitions have seen.
func TestAbsorbCountsOncePerPartitionWatermark(t *testing.T) {
	t.Parallel()
	c := daily(events.ParticipantJoined)
	d := stats.Document{ID: c.DocID}

	absorb(t, &d, from(c, 0, 10), true)
	absorb(t, &d, from(c, 0, 10), false) // the same contribution again
	absorb(t, &d, from(c, 0, 9), false)  // below the watermark
	absorb(t, &d, from(c, 1, 3), true)   // another partition: its own watermark
	absorb(t, &d, from(c, 1, 3), false)
	absorb(t, &d, from(c, 0, 11), true)
	absorb(t, &d, from(c, 2, 0), true)
	absorb(t, &d, from(c, 1, 2), false)
	absorb(t, &d, from(c, 0, 500), true) // offsets need not be consecutive
	absorb(t, &d, from(c, 0, 11), false)

	assert.Equal(t, map[string]int64{stats.Count: 5}, d.Counters)
	assert.Equal(t, map[int32]int64{0: 500, 1: 3, 2: 0}, d.Sources)
}

// Counters add up; the latest time only moves forward, kept in UTC
// milliseconds whatever zone and precision it came in.
func TestAbsorbAddsCountersAndRaisesLatest(t *testing.T) {
	t.Parallel()
	d := stats.Document{ID: userID}
	absorb(t, &d, from(user(userID, 1, 0, 0), 0, 1), true)

	older := from(user(userID, 0, 1, 0), 0, 2)
	older.Max = map[string]time.Time{stats.LastActivityAt: utcAt.Add(-time.Hour)}
	absorb(t, &d, older, true)
	assert.Equal(t, utcAt, d.Latest[stats.LastActivityAt], "an older time leaves the latest alone")

	newer := from(user(userID, 0, 0, 1), 0, 3)
	paris := time.FixedZone("CET", 3600)
	newer.Max = map[string]time.Time{stats.LastActivityAt: utcAt.Add(time.Minute + 999*time.Microsecond).In(paris)}
	absorb(t, &d, newer, true)
	latest := d.Latest[stats.LastActivityAt]
	assert.Equal(t, utcAt.Add(time.Minute), latest, "UTC, milliseconds")
	assert.Equal(t, time.UTC, latest.Location())

	// Within the same millisecond is not later.
	same := from(user(userID, 0, 1, 0), 0, 4)
	same.Max = map[string]time.Time{stats.LastActivityAt: utcAt.Add(time.Minute + 500*time.Microsecond)}
	absorb(t, &d, same, true)
	assert.Equal(t, utcAt.Add(time.Minute), d.Latest[stats.LastActivityAt])

	assert.Equal(t, map[string]int64{
		stats.ActivitiesCreated: 1, stats.ActivitiesJoined: 2, stats.ActivitiesLeft: 1,
	}, d.Counters)
}

// Identity fields are written once: the first contribution that names one
// sets it for good.
func TestAbsorbSetsIdentityOnce(t *testing.T) {
	t.Parallel()
	d := stats.Document{ID: "2026-11-28/UserCreated"}
	first := from(daily(events.UserCreated), 0, 1)
	first.Identity = map[string]string{"day": "2026-11-28"}
	absorb(t, &d, first, true)
	assert.Equal(t, map[string]string{"day": "2026-11-28"}, d.Identity)

	second := from(daily(events.UserCreated), 0, 2)
	second.Identity = map[string]string{"day": "1999-01-01", "event_type": events.UserCreated}
	absorb(t, &d, second, true)
	assert.Equal(t, map[string]string{"day": "2026-11-28", "event_type": events.UserCreated}, d.Identity,
		"day kept, event_type added")
	assert.Equal(t, int64(2), d.Counters[stats.Count])
}

// A clone shares no map with its original: changing one, by hand or by
// absorbing a contribution, leaves the other alone.
func TestDocumentCloneIsIndependent(t *testing.T) {
	t.Parallel()
	orig := stats.Document{ID: userID}
	absorb(t, &orig, from(user(userID, 1, 0, 0), 0, 1), true)
	snapshot := orig.Clone()

	clone := orig.Clone()
	require.Equal(t, orig, clone)
	absorb(t, &clone, from(user(userID, 0, 1, 0), 1, 1), true)
	clone.Identity["user_id"] = "someone else"
	clone.Latest[stats.LastActivityAt] = time.Time{}
	assert.Equal(t, snapshot, orig, "changing the clone changes the original")

	clone = orig.Clone()
	orig.Counters[stats.ActivitiesCreated] = 99
	orig.Sources[0] = 99
	assert.Equal(t, snapshot.Counters, clone.Counters, "changing the original changes the clone")
	assert.Equal(t, snapshot.Sources, clone.Sources)

	// A new document's clone is new too: Absorb fills its own maps.
	empty := stats.Document{ID: "x"}
	c := empty.Clone()
	absorb(t, &c, from(daily(events.UserCreated), 0, 1), true)
	assert.Equal(t, stats.Document{ID: "x"}, empty)
}

// A replayed contribution comes after its partition's watermark has moved
// past it: it is counted once, by its event id, whatever its position,
// and the watermark stays where it was.
func TestAbsorbCountsAReplayOnceByEventID(t *testing.T) {
	t.Parallel()
	c := daily(events.ParticipantJoined)
	d := stats.Document{ID: c.DocID}
	absorb(t, &d, from(c, 0, 10), true)

	poisoned := from(c, 0, 4) // below the watermark: it was poisoned, never counted
	poisoned.EventID = "poisoned-event"
	absorb(t, &d, poisoned, false)
	poisoned.Replay = true
	absorb(t, &d, poisoned, true)
	absorb(t, &d, poisoned, false) // replayed twice
	absorb(t, &d, from(poisoned, 3, 99), false)

	assert.Equal(t, map[string]int64{stats.Count: 2}, d.Counters)
	assert.Equal(t, map[int32]int64{0: 10}, d.Sources, "a replay leaves the watermark alone")
	assert.Equal(t, map[string]bool{"poisoned-event": true}, d.Replayed)

	fresh := stats.Document{ID: c.DocID}
	absorb(t, &fresh, poisoned, true)
	assert.NotNil(t, fresh.Sources, "a document created by a replay is not new any more")
}
