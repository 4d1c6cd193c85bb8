package e2e

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	dc "github.com/ory/dockertest/v3/docker"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/activityapp/event-processor/scripts/connect"
)

// load is an interleaved history over nUsers users (userEvents each:
// UserCreated then UserUpdated) and nActs activities (actEvents each:
// ActivityCreated, then ParticipantJoined by users 0, 1, ... on even
// versions and ActivityUpdated on odd ones), with what the read models
// must hold afterwards. actEvents/2 must not exceed nUsers.
type load struct {
	story
	tag      string
	users    []string
	acts     []string
	byAgg    map[string][]*Event
	inserted atomic.Int64
}

func newLoad(tag string, nUsers, userEvents, nActs, actEvents int) *load {
	l := &load{tag: tag, byAgg: map[string][]*Event{}}
	for range nUsers {
		l.users = append(l.users, newUUID())
	}
	for range nActs {
		l.acts = append(l.acts, newUUID())
	}
	ev := func(aggType, id string, v int64, typ string, payload map[string]any) {
		e := &Event{ID: newUUID(), AggregateID: id, AggregateType: aggType, Version: v, Type: typ, Payload: payload,
			CorrelationID: fmt.Sprintf("e2e-%s-%s-%s-%d", stack.RunID, tag, id[:8], v)}
		l.events = append(l.events, e)
		l.byAgg[id] = append(l.byAgg[id], e)
	}
	for r := 0; r < max(userEvents, actEvents); r++ {
		for i, u := range l.users {
			switch {
			case r == 0:
				ev("user", u, 1, "UserCreated", map[string]any{"user_id": u, "email": fmt.Sprintf("%s%d@example.org", tag, i),
					"username": fmt.Sprintf("%s%d", tag, i), "full_name": fmt.Sprintf("%s %d", tag, i), "city": "c1"})
			case r < userEvents:
				ev("user", u, int64(r+1), "UserUpdated", map[string]any{"user_id": u, "city": fmt.Sprintf("c%d", r+1)})
			}
		}
		if r >= actEvents {
			continue
		}
		for i, a := range l.acts {
			v := int64(r + 1)
			switch {
			case r == 0:
				ev("activity", a, 1, "ActivityCreated", map[string]any{"activity_id": a, "creator_id": l.users[i%len(l.users)], "title": "t1",
					"category": "sport", "starts_at": "2026-12-05T08:00:00Z"})
			case v%2 == 0:
				ev("activity", a, v, "ParticipantJoined", map[string]any{"activity_id": a, "user_id": l.users[(v-2)/2]})
			default:
				ev("activity", a, v, "ActivityUpdated", map[string]any{"activity_id": a, "title": fmt.Sprintf("t%d", v)})
			}
		}
	}
	return l
}

// start inserts the events, one every interval, in a goroutine; the
// channel gets the outcome.
func (l *load) start(ctx context.Context, interval time.Duration) <-chan error {
	done := make(chan error, 1)
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for _, e := range l.events {
			select {
			case <-ctx.Done():
				done <- ctx.Err()
				return
			case <-tick.C:
			}
			if err := insertEvent(ctx, e); err != nil {
				done <- fmt.Errorf("insert %s v%d: %w", e.Type, e.Version, err)
				return
			}
			l.inserted.Add(1)
		}
		done <- nil
	}()
	return done
}

// waitInserted waits until at least n events are in.
func (l *load) waitInserted(t *testing.T, ctx context.Context, n int, done <-chan error) {
	t.Helper()
	for l.inserted.Load() < int64(n) {
		select {
		case err := <-done:
			t.Fatalf("load ended early (%d inserted): %v", l.inserted.Load(), err)
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// want is the scenario's documents: users, activities, whether their _rev
// stays within their number of events (see revsWithin) and user
// statistics.
func (l *load) want() map[string]any {
	wantUsers, wantActs, uRevs, aRevs := map[string]any{}, map[string]any{}, map[string]any{}, map[string]any{}
	for i, u := range l.users {
		evs := l.byAgg[u]
		last := evs[len(evs)-1]
		wantUsers[u] = map[string]any{"email": fmt.Sprintf("%s%d@example.org", l.tag, i), "username": fmt.Sprintf("%s%d", l.tag, i),
			"full_name": fmt.Sprintf("%s %d", l.tag, i), "city": last.Payload["city"], "status": "active",
			"created_at": evs[0].CreatedAt, "updated_at": last.CreatedAt, "deleted_at": nil, "version": last.Version}
		uRevs[u] = true
	}
	for i, a := range l.acts {
		evs := l.byAgg[a]
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
		wantActs[a] = map[string]any{"creator_id": l.users[i%len(l.users)], "title": title, "description": "", "category": "sport", "location": "",
			"starts_at": time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC), "max_participants": 0, "status": "scheduled",
			"cancelled_at": nil, "created_at": evs[0].CreatedAt, "updated_at": last.CreatedAt,
			"participants": sortParticipants(parts), "participant_count": len(parts), "version": last.Version}
		aRevs[a] = true
	}
	return map[string]any{"users": wantUsers, "user_revs": uRevs, "activities": wantActs, "activity_revs": aRevs,
		"user_statistics": l.wantUserStatistics()}
}

// read reads what want describes, restricted to the scenario's ids.
func (l *load) read(t *testing.T, ctx context.Context, want map[string]any) any {
	wu, wa := want["users"].(map[string]any), want["activities"].(map[string]any)
	acts := only(Documents(t, ctx, "activities", activityFields...), wa)
	for _, d := range acts {
		m := d.(map[string]any)
		if p, ok := m["participants"].([]any); ok {
			m["participants"] = sortParticipants(p)
		}
	}
	return map[string]any{
		"users":           only(Documents(t, ctx, "users", userFields...), wu),
		"user_revs":       revsWithin(Documents(t, ctx, "users", "_rev"), l.byAgg, wu),
		"activities":      acts,
		"activity_revs":   revsWithin(Documents(t, ctx, "activities", "_rev"), l.byAgg, wa),
		"user_statistics": only(Documents(t, ctx, "user_statistics", userStatFields...), wu),
	}
}

// poisonEnds is the total end offset of every projector's poison topic.
func poisonEnds(t *testing.T, ctx context.Context) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, svc := range Projectors {
		var ends map[int32]int64
		var err error
		deadline := time.Now().Add(time.Minute)
		for {
			if ends, err = endOffsets(ctx, poisonTopic(svc)); err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		require.NoError(t, err, "end offsets of %s", poisonTopic(svc))
		var sum int64
		for _, o := range ends {
			sum += o
		}
		out[svc] = sum
	}
	return out
}

// waitConnectorRunning waits until the outbox connector and its tasks run.
func waitConnectorRunning(t *testing.T, ctx context.Context, timeout time.Duration) {
	t.Helper()
	c := connect.NewClient(stack.ConnectURL)
	deadline := time.Now().Add(timeout)
	for {
		st, err := c.Status(ctx, ConnectorName)
		if err == nil && st.Running() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("connector %s not running within %v: %+v %v", ConnectorName, timeout, st, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// groupAssignment returns, for each member of the group, the partitions of
// topic it owns (sorted), and the group state.
func groupAssignment(ctx context.Context, group, topic string) (map[string][]int32, string, error) {
	described, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		return nil, "", err
	}
	if err := described.Error(); err != nil {
		return nil, "", err
	}
	g := described[group]
	out := map[string][]int32{}
	for _, m := range g.Members {
		var parts []int32
		if ca, ok := m.Assigned.AsConsumer(); ok {
			for _, tp := range ca.Topics {
				if tp.Topic == topic {
					parts = append(parts, tp.Partitions...)
				}
			}
		}
		sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
		out[m.MemberID] = parts
	}
	return out, g.State, nil
}

// reconnectMongo follows the mongo container to the host port Docker gave
// it on its restart (ports are picked anew), and points the test's client
// at it.
func reconnectMongo(t *testing.T, ctx context.Context) {
	t.Helper()
	r := stack.Resource("mongo")
	c, err := stack.Pool.Client.InspectContainerWithContext(r.Container.ID, ctx)
	require.NoError(t, err)
	r.Container = c
	uri := "mongodb://" + hostPort(r, "27017/tcp")
	if uri == stack.MongoURI {
		return
	}
	mc, err := mongo.Connect(options.Client().ApplyURI(uri).SetTimeout(10 * time.Second))
	require.NoError(t, err)
	require.NoError(t, mc.Ping(ctx, nil))
	old := mdb.Client()
	stack.MongoURI, mdb = uri, mc.Database(MongoDatabase)
	_ = old.Disconnect(ctx)
}

// dockerKill is a SIGKILL for the container.
func dockerKill(id string) dc.KillContainerOptions {
	return dc.KillContainerOptions{ID: id, Signal: dc.SIGKILL}
}

// revsWithin says, for each document of want, whether its _rev is between 1
// and its aggregate's number of events: a batch writes a document once
// however many of its events it holds, and an event that changes nothing
// (a redelivery) writes nothing, so a document written for an event twice
// would go past it.
func revsWithin[E any](docs map[string]any, byAgg map[string][]E, want map[string]any) map[string]any {
	out := map[string]any{}
	for id := range want {
		d, ok := docs[id].(map[string]any)
		if !ok {
			continue
		}
		var rev int64
		switch v := d["_rev"].(type) {
		case int:
			rev = int64(v)
		case int32:
			rev = int64(v)
		case int64:
			rev = v
		case float64:
			rev = int64(v)
		}
		out[id] = rev >= 1 && rev <= int64(len(byAgg[id]))
	}
	return out
}
