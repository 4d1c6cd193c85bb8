package e2e

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// closeTimeout is the projectors' CLOSE_TIMEOUT (the default; the suite
// does not set it).
const closeTimeout = 30 * time.Second

// TestGracefulStopUnderLoad stops the activity-projector with SIGTERM while
// events stream into the outbox, checks it exits 0 within CLOSE_TIMEOUT,
// starts it again, and checks that every event was projected exactly once:
// the activities equal the expected model and each one's _rev stays within
// its number of events (revsWithin).
func TestGracefulStopUnderLoad(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const nUsers, nActivities, userEvents, activityEvents = 10, 10, 10, 20
	const svc = "activity-projector"

	users, acts := make([]string, nUsers), make([]string, nActivities)
	for i := range users {
		users[i] = newUUID()
	}
	for i := range acts {
		acts[i] = newUUID()
	}
	s := &story{}
	byAgg := map[string][]*Event{}
	ev := func(aggType, id string, v int64, typ string, payload map[string]any) {
		e := &Event{ID: newUUID(), AggregateID: id, AggregateType: aggType, Version: v, Type: typ, Payload: payload,
			CorrelationID: fmt.Sprintf("e2e-%s-graceful-%s-%d", stack.RunID, id[:8], v)}
		s.events = append(s.events, e)
		byAgg[id] = append(byAgg[id], e)
	}
	// Interleaved: step r of every aggregate, then step r+1.
	for r := 0; r < activityEvents; r++ {
		for i, u := range users {
			switch {
			case r == 0:
				ev("user", u, 1, "UserCreated", map[string]any{"user_id": u, "email": fmt.Sprintf("g%d@example.org", i),
					"username": fmt.Sprintf("g%d", i), "full_name": fmt.Sprintf("G %d", i), "city": "c1"})
			case r < userEvents:
				ev("user", u, int64(r+1), "UserUpdated", map[string]any{"user_id": u, "city": fmt.Sprintf("c%d", r+1)})
			}
		}
		for i, a := range acts {
			v := int64(r + 1)
			switch {
			case r == 0:
				ev("activity", a, 1, "ActivityCreated", map[string]any{"activity_id": a, "creator_id": users[i], "title": "t1",
					"category": "sport", "starts_at": "2026-12-05T08:00:00Z"})
			case v%2 == 0: // v = 2, 4, ..., 20: users 0..9 join
				ev("activity", a, v, "ParticipantJoined", map[string]any{"activity_id": a, "user_id": users[(v-2)/2]})
			default: // v = 3, 5, ..., 19
				ev("activity", a, v, "ActivityUpdated", map[string]any{"activity_id": a, "title": fmt.Sprintf("t%d", v)})
			}
		}
	}

	// The load: one event every 30 ms, in a goroutine.
	var inserted atomic.Int64
	loadDone := make(chan error, 1)
	loadBegan := time.Now()
	go func() {
		tick := time.NewTicker(30 * time.Millisecond)
		defer tick.Stop()
		for _, e := range s.events {
			select {
			case <-ctx.Done():
				loadDone <- ctx.Err()
				return
			case <-tick.C:
			}
			if err := insertEvent(ctx, e); err != nil {
				loadDone <- fmt.Errorf("insert %s v%d: %w", e.Type, e.Version, err)
				return
			}
			inserted.Add(1)
		}
		loadDone <- nil
	}()

	// SIGTERM once a third of the load is in.
	for inserted.Load() < int64(len(s.events)/3) {
		select {
		case err := <-loadDone:
			t.Fatalf("load ended before the stop: %v", err)
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	id := stack.Resource(svc).Container.ID
	stopAt := inserted.Load()
	began := time.Now()
	require.NoError(t, stack.Pool.Client.StopContainerWithContext(id, 40, ctx))
	took := time.Since(began)
	c, err := stack.Pool.Client.InspectContainerWithContext(id, ctx)
	require.NoError(t, err)
	t.Logf("%s stopped after %d events inserted, in %v, exit code %d", svc, stopAt, took.Round(10*time.Millisecond), c.State.ExitCode)
	assert.Equal(t, 0, c.State.ExitCode, "%s exit code on SIGTERM", svc)
	assert.Less(t, took, closeTimeout, "%s took longer than CLOSE_TIMEOUT to stop", svc)
	require.NoError(t, stack.Pool.Client.StartContainerWithContext(id, nil, ctx))
	require.NoError(t, stack.WaitHealthy(ctx, svc))
	restartedAt := inserted.Load()

	select {
	case err := <-loadDone:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	t.Logf("%d events inserted in %v (restart healthy after %d)", len(s.events), time.Since(loadBegan).Round(100*time.Millisecond), restartedAt)

	wantUsers, wantActs, wantRevs := map[string]any{}, map[string]any{}, map[string]any{}
	for i, u := range users {
		evs := byAgg[u]
		last := evs[len(evs)-1]
		wantUsers[u] = map[string]any{"email": fmt.Sprintf("g%d@example.org", i), "username": fmt.Sprintf("g%d", i),
			"full_name": fmt.Sprintf("G %d", i), "city": last.Payload["city"], "status": "active",
			"created_at": evs[0].CreatedAt, "updated_at": last.CreatedAt, "deleted_at": nil, "version": last.Version}
	}
	for i, a := range acts {
		evs := byAgg[a]
		last := evs[len(evs)-1]
		var parts []any
		title := ""
		for _, e := range evs {
			switch e.Type {
			case "ParticipantJoined":
				parts = append(parts, map[string]any{"user_id": e.Payload["user_id"], "joined_at": e.CreatedAt})
			case "ActivityCreated", "ActivityUpdated":
				title = e.Payload["title"].(string)
			}
		}
		wantActs[a] = map[string]any{"creator_id": users[i], "title": title, "description": "", "category": "sport", "location": "",
			"starts_at": time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC), "max_participants": 0, "status": "scheduled",
			"cancelled_at": nil, "created_at": evs[0].CreatedAt, "updated_at": last.CreatedAt,
			"participants": sortParticipants(parts), "participant_count": len(parts), "version": last.Version}
		wantRevs[a] = true
	}
	want := map[string]any{"users": wantUsers, "activities": wantActs, "revs": wantRevs, "user_statistics": s.wantUserStatistics()}
	read := func() any {
		acts := only(Documents(t, ctx, "activities", activityFields...), wantActs)
		for _, d := range acts {
			m := d.(map[string]any)
			if p, ok := m["participants"].([]any); ok {
				m["participants"] = sortParticipants(p)
			}
		}
		return map[string]any{
			"users":           only(Documents(t, ctx, "users", userFields...), wantUsers),
			"activities":      acts,
			"revs":            revsWithin(Documents(t, ctx, "activities", "_rev"), byAgg, wantActs),
			"user_statistics": only(Documents(t, ctx, "user_statistics", userStatFields...), wantUsers),
		}
	}
	Eventually(t, ctx, 3*time.Minute, want, read)
	// Once every group is past everything, nothing was written twice.
	waitCaughtUp(t, ctx, 2*time.Minute)
	Eventually(t, ctx, 0, want, read)
	t.Logf("%d events projected exactly once, %v after the load began", len(s.events), time.Since(loadBegan).Round(100*time.Millisecond))
}

// sortParticipants orders participants by user id: joins a millisecond
// apart or less have no order to check here.
func sortParticipants(p []any) []any {
	out := append([]any{}, p...)
	sort.Slice(out, func(i, j int) bool {
		return fmt.Sprint(out[i].(map[string]any)["user_id"]) < fmt.Sprint(out[j].(map[string]any)["user_id"])
	})
	return out
}
