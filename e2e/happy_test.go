package e2e

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// story is one history of every event type, over three users and two
// activities, with what the read models must hold afterwards.
type story struct {
	events             []*Event
	u1, u2, u3, a1, a2 string
}

func newStory(runID string) *story {
	s := &story{u1: newUUID(), u2: newUUID(), u3: newUUID(), a1: newUUID(), a2: newUUID()}
	n := 0
	ev := func(aggType, aggID string, version int64, typ string, payload map[string]any) *Event {
		n++
		e := &Event{ID: newUUID(), AggregateID: aggID, AggregateType: aggType, Version: version, Type: typ,
			Payload: payload, CorrelationID: "e2e-" + runID + "-" + typ + "-" + newUUID()[:8]}
		s.events = append(s.events, e)
		return e
	}
	ev("user", s.u1, 1, "UserCreated", map[string]any{"user_id": s.u1, "email": "alice@example.org", "username": "alice", "full_name": "Alice A", "city": "Berlin"})
	ev("user", s.u2, 1, "UserCreated", map[string]any{"user_id": s.u2, "email": "bob@example.org", "username": "bob"})
	ev("user", s.u3, 1, "UserCreated", map[string]any{"user_id": s.u3, "email": "carol@example.org", "username": "carol", "full_name": "Carol C"})
	ev("user", s.u1, 2, "UserUpdated", map[string]any{"user_id": s.u1, "full_name": "Alice Anders", "city": "Hamburg"})
	ev("activity", s.a1, 1, "ActivityCreated", map[string]any{"activity_id": s.a1, "creator_id": s.u1, "title": "Run",
		"description": "5 km", "category": "sport", "location": "Park", "starts_at": "2026-12-01T09:00:00Z", "max_participants": 10})
	ev("activity", s.a2, 1, "ActivityCreated", map[string]any{"activity_id": s.a2, "creator_id": s.u3, "title": "Chess",
		"category": "games", "starts_at": "2026-12-02T18:30:00+01:00"})
	ev("activity", s.a1, 2, "ActivityUpdated", map[string]any{"activity_id": s.a1, "title": "Morning run", "max_participants": 12})
	ev("activity", s.a1, 3, "ParticipantJoined", map[string]any{"activity_id": s.a1, "user_id": s.u2})
	ev("activity", s.a1, 4, "ParticipantJoined", map[string]any{"activity_id": s.a1, "user_id": s.u3})
	ev("activity", s.a2, 2, "ParticipantJoined", map[string]any{"activity_id": s.a2, "user_id": s.u1})
	ev("activity", s.a1, 5, "ParticipantLeft", map[string]any{"activity_id": s.a1, "user_id": s.u2})
	ev("activity", s.a2, 3, "ActivityCancelled", map[string]any{"activity_id": s.a2, "reason": "rain"})
	ev("user", s.u2, 2, "UserDeleted", map[string]any{"user_id": s.u2, "reason": "gdpr"})
	return s
}

func (s *story) at(aggID string, version int64) time.Time {
	for _, e := range s.events {
		if e.AggregateID == aggID && e.Version == version {
			return e.CreatedAt
		}
	}
	panic("no event")
}

// Reader-facing fields (no _rev, field_versions, members, _sources: bookkeeping).
var (
	userFields     = []string{"email", "username", "full_name", "city", "status", "created_at", "updated_at", "deleted_at", "deletion_reason", "version"}
	activityFields = []string{"creator_id", "title", "description", "category", "location", "starts_at", "max_participants", "status",
		"cancelled_at", "cancel_reason", "created_at", "updated_at", "participants", "participant_count", "version"}
	userStatFields  = []string{"user_id", "activities_created", "activities_joined", "activities_left", "last_activity_at"}
	dailyStatFields = []string{"day", "event_type", "count"}
)

func (s *story) wantUsers() map[string]any {
	return map[string]any{
		s.u1: map[string]any{"email": "alice@example.org", "username": "alice", "full_name": "Alice Anders", "city": "Hamburg",
			"status": "active", "created_at": s.at(s.u1, 1), "updated_at": s.at(s.u1, 2), "deleted_at": nil, "version": 2},
		s.u2: map[string]any{"email": "", "username": "", "full_name": "", "city": "", "status": "deleted",
			"created_at": s.at(s.u2, 1), "updated_at": s.at(s.u2, 2), "deleted_at": s.at(s.u2, 2), "deletion_reason": "gdpr", "version": 2},
		s.u3: map[string]any{"email": "carol@example.org", "username": "carol", "full_name": "Carol C", "city": "",
			"status": "active", "created_at": s.at(s.u3, 1), "updated_at": s.at(s.u3, 1), "deleted_at": nil, "version": 1},
	}
}

func (s *story) wantActivities() map[string]any {
	return map[string]any{
		s.a1: map[string]any{"creator_id": s.u1, "title": "Morning run", "description": "5 km", "category": "sport", "location": "Park",
			"starts_at": time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), "max_participants": 12, "status": "scheduled", "cancelled_at": nil,
			"created_at": s.at(s.a1, 1), "updated_at": s.at(s.a1, 5),
			"participants":      []any{map[string]any{"user_id": s.u3, "joined_at": s.at(s.a1, 4)}},
			"participant_count": 1, "version": 5},
		s.a2: map[string]any{"creator_id": s.u3, "title": "Chess", "description": "", "category": "games", "location": "",
			"starts_at": time.Date(2026, 12, 2, 17, 30, 0, 0, time.UTC), "max_participants": 0, "status": "cancelled",
			"cancelled_at": s.at(s.a2, 3), "cancel_reason": "rain", "created_at": s.at(s.a2, 1), "updated_at": s.at(s.a2, 3),
			"participants":      []any{map[string]any{"user_id": s.u1, "joined_at": s.at(s.a2, 2)}},
			"participant_count": 1, "version": 3},
	}
}

// actor is the user an event counts for in user_statistics (docs/events.md).
func actor(e *Event) string {
	switch e.Type {
	case "UserCreated", "UserUpdated", "UserDeleted":
		return e.AggregateID
	case "ActivityCreated":
		return e.Payload["creator_id"].(string)
	case "ParticipantJoined", "ParticipantLeft":
		return e.Payload["user_id"].(string)
	}
	return ""
}

func (s *story) wantUserStatistics() map[string]any {
	out := map[string]any{}
	for _, e := range s.events {
		u := actor(e)
		if u == "" {
			continue
		}
		d, ok := out[u].(map[string]any)
		if !ok {
			d = map[string]any{"user_id": u, "activities_created": 0, "activities_joined": 0, "activities_left": 0, "last_activity_at": e.CreatedAt}
			out[u] = d
		}
		switch e.Type {
		case "ActivityCreated":
			d["activities_created"] = d["activities_created"].(int) + 1
		case "ParticipantJoined":
			d["activities_joined"] = d["activities_joined"].(int) + 1
		case "ParticipantLeft":
			d["activities_left"] = d["activities_left"].(int) + 1
		}
		if e.CreatedAt.After(d["last_activity_at"].(time.Time)) {
			d["last_activity_at"] = e.CreatedAt
		}
	}
	return out
}

func (s *story) wantDailyStatistics() map[string]any {
	out := map[string]any{}
	for _, e := range s.events {
		day := e.CreatedAt.UTC().Format(time.DateOnly)
		id := day + "/" + e.Type
		d, ok := out[id].(map[string]any)
		if !ok {
			d = map[string]any{"day": day, "event_type": e.Type, "count": 0}
			out[id] = d
		}
		d["count"] = d["count"].(int) + 1
	}
	return out
}

// readAll reads the four read models, reader-facing fields only.
func readAll(t *testing.T, ctx context.Context) map[string]any {
	return map[string]any{
		"users":            Documents(t, ctx, "users", userFields...),
		"activities":       Documents(t, ctx, "activities", activityFields...),
		"user_statistics":  Documents(t, ctx, "user_statistics", userStatFields...),
		"daily_statistics": Documents(t, ctx, "daily_statistics", dailyStatFields...),
	}
}

func TestHappyPath(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// Other scenarios may have run first: what they left, settled, is the
	// baseline, and the read models must end as exactly the baseline plus
	// this story (daily counts added to the baseline's).
	waitCaughtUp(t, ctx, 2*time.Minute)
	baseline := readAll(t, ctx)

	s := newStory(stack.RunID)
	began := time.Now()
	Insert(t, ctx, s.events...)

	want := map[string]any{
		"users":            merged(baseline["users"], s.wantUsers()),
		"activities":       merged(baseline["activities"], s.wantActivities()),
		"user_statistics":  merged(baseline["user_statistics"], s.wantUserStatistics()),
		"daily_statistics": merged(baseline["daily_statistics"], s.wantDailyStatistics()),
	}
	Eventually(t, ctx, 2*time.Minute, want, func() any { return readAll(t, ctx) })
	t.Logf("%d events from the outbox to every read model in %v", len(s.events), time.Since(began).Round(10*time.Millisecond))

	// Every event's correlation id, from the outbox metadata, is on the
	// "event handled" line of each projector that handles it.
	for _, svc := range Projectors {
		handled := HandledCorrelationIDs(svc)
		var missing []string
		for _, e := range s.events {
			if svc == "user-projector" && e.AggregateType != "user" || svc == "activity-projector" && e.AggregateType != "activity" {
				continue
			}
			if !handled[e.CorrelationID] {
				missing = append(missing, e.Type+" "+e.CorrelationID)
			}
		}
		sort.Strings(missing)
		assert.Empty(t, missing, "%s logged no \"event handled\" line with these correlation ids", svc)
	}
}

// merged is the baseline documents plus the story's; a document in both
// (a daily_statistics day and type) gets the sum of the two counts.
func merged(baseline any, story map[string]any) map[string]any {
	out := map[string]any{}
	for id, d := range baseline.(map[string]any) {
		out[id] = d
	}
	for id, d := range story {
		b, ok := out[id].(map[string]any)
		if !ok {
			out[id] = d
			continue
		}
		sum := map[string]any{}
		for k, v := range d.(map[string]any) {
			sum[k] = v
		}
		sum["count"] = normalize(b["count"]).(int64) + int64(sum["count"].(int))
		out[id] = sum
	}
	return out
}
