package stats_test

// Run: go test -run '^$' -bench . ./internal/domain/stats/

import (
	"testing"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"

	"github.com/activityapp/event-processor/services/statistics-projector/internal/domain/stats"
)

// mixedEvents has one event of every counted type, weighted roughly as an
// activity app sees them: mostly joins and leaves.
func mixedEvents() []outbox.Event {
	joined := event(events.ParticipantJoined, activityID, `{"activity_id":"`+activityID+`","user_id":"`+otherUser+`"}`)
	left := event(events.ParticipantLeft, activityID, `{"activity_id":"`+activityID+`","user_id":"`+otherUser+`"}`)
	return []outbox.Event{
		event(events.UserCreated, userID, `{"user_id":"`+userID+`","email":"ada@example.com","username":"ada","full_name":"Ada Lovelace"}`),
		event(events.UserUpdated, userID, `{"user_id":"`+userID+`","city":"Paris"}`),
		event(events.ActivityCreated, activityID, `{"activity_id":"`+activityID+`","creator_id":"`+userID+
			`","title":"Run","category":"sport","starts_at":"2026-12-01T08:00:00Z","max_participants":10}`),
		joined, joined, joined,
		event(events.ActivityUpdated, activityID, `{"activity_id":"`+activityID+`","title":"Long run"}`),
		left,
		event(events.ActivityCancelled, activityID, `{"activity_id":"`+activityID+`","reason":"rain"}`),
		event(events.UserDeleted, userID, `{"user_id":"`+userID+`","reason":"requested"}`),
	}
}

// BenchmarkContributions is the fan-out's own work per event: validate the
// payload and compute the daily and per-user contributions.
func BenchmarkContributions(b *testing.B) {
	evs := mixedEvents()
	var n, contributions int
	b.ReportAllocs()
	for b.Loop() {
		cs, err := stats.Contributions(evs[n%len(evs)])
		if err != nil {
			b.Fatal(err)
		}
		contributions += len(cs)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	// Every event counts for its day, most for a user too.
	if contributions <= n {
		b.Fatalf("%d events gave %d contributions", n, contributions)
	}
}

// BenchmarkAbsorb is the writer's work per contribution once its document
// is in memory: the watermark check and the counting, for new
// contributions (a new offset each) and duplicates (at the watermark).
func BenchmarkAbsorb(b *testing.B) {
	c := user(userID, 0, 1, 0)
	b.Run("new", func(b *testing.B) {
		d := stats.Document{ID: userID}
		var n int64
		b.ReportAllocs()
		for b.Loop() {
			c.Source.Offset = n
			if !d.Absorb(c) {
				b.Fatalf("offset %d not counted", n)
			}
			n++
		}
		if got := d.Counters[stats.ActivitiesJoined]; got != n {
			b.Fatalf("%d contributions counted %d times", n, got)
		}
	})
	b.Run("duplicate", func(b *testing.B) {
		d := stats.Document{ID: userID}
		c.Source.Offset = 1000
		d.Absorb(c)
		var n int64
		b.ReportAllocs()
		for b.Loop() {
			c.Source.Offset = n % 1001
			if d.Absorb(c) {
				b.Fatalf("offset %d counted twice", c.Source.Offset)
			}
			n++
		}
	})
}
