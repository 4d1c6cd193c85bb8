package e2e

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/activityapp/event-processor/scripts/poison"
)

// previousUserProjector is the user-projector as it was before UserCreated
// schema version 2: built without that version's reader (images.sh).
func previousUserProjector() string {
	return image("USER_PROJECTOR_PREVIOUS_IMAGE", "event-processor/user-projector:schema-v1")
}

// TestUpgradeUnderLoadAndPoisonReplay deploys one projector on its own,
// twice, under load, while the other two run on:
//
//  1. The user-projector goes back to its previous release, which reads
//     UserCreated schema version 1 only. Three users created with version
//     2 arrive amid other events, each followed by an update: it poisons
//     the creations, with the reason, parks each update behind its user's
//     creation instead of applying it to a user that does not exist, and
//     the rest of the load goes on.
//  2. It is upgraded to the current image (a new tag) under load: the
//     other consumer groups keep committing throughout, with the same
//     members; nothing is lost or doubled.
//  3. `poison replay` of the three poisoned entries sends them back for
//     the user-projector only, each with the update parked behind it: the
//     users appear, with the version 2 name and the update, and a second
//     replay changes nothing.
func TestUpgradeUnderLoadAndPoisonReplay(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	const svc = "user-projector"
	waitCaughtUp(t, ctx, 2*time.Minute)
	tool, err := poison.New([]string{stack.KafkaBroker})
	require.NoError(t, err)
	defer tool.Close()

	began := time.Now()
	require.NoError(t, stack.ReplaceProjector(ctx, svc, previousUserProjector()))
	t.Logf("%s on %s after %v", svc, previousUserProjector(), time.Since(began).Round(100*time.Millisecond))

	v2 := make([]*Event, 3)
	v2IDs := make([]string, len(v2))
	updates := make([]*Event, len(v2))
	for i := range v2 {
		id := newUUID()
		v2[i] = &Event{ID: newUUID(), AggregateID: id, AggregateType: "user", Version: 1, Type: "UserCreated", SchemaVersion: 2,
			CorrelationID: fmt.Sprintf("e2e-%s-v2-%d", stack.RunID, i),
			Payload: map[string]any{"user_id": id, "email": fmt.Sprintf("v2-%d@example.org", i), "username": fmt.Sprintf("v2user%d", i),
				"name": map[string]any{"given": "Given", "family": fmt.Sprintf("Family%d", i)}, "city": "Turin"}}
		v2IDs[i] = v2[i].ID
		updates[i] = &Event{ID: newUUID(), AggregateID: id, AggregateType: "user", Version: 2, Type: "UserUpdated", SchemaVersion: 1,
			CorrelationID: fmt.Sprintf("e2e-%s-v2-%d-update", stack.RunID, i),
			Payload:       map[string]any{"user_id": id, "city": "Milan"}}
	}
	// 20 users x 4 events + 5 activities x 8 events = 120 events.
	l := newLoad("upg", 20, 4, 5, 8)
	done := l.start(ctx, 40*time.Millisecond)
	l.waitInserted(t, ctx, len(l.events)/3, done)
	Insert(t, ctx, v2...)
	Insert(t, ctx, updates...)

	var poisoned, parked []poison.Entry
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		var err error
		poisoned, err = tool.List(ctx, poison.Filter{Services: []string{svc}, IDs: v2IDs})
		assert.NoError(ct, err)
		assert.Len(ct, poisoned, len(v2))
		parked, err = tool.List(ctx, poison.Filter{Services: []string{svc}, EventType: "UserUpdated"})
		assert.NoError(ct, err)
		assert.Len(ct, parked, len(updates))
	}, 2*time.Minute, time.Second, "the previous release poisons the version 2 events and parks the updates behind them")
	blockers := map[string]string{} // user id -> origin of its poisoned creation
	for _, e := range poisoned {
		assert.Contains(t, e.Reason, "schema_version: unsupported version 2 (this build reads 1)")
		assert.Equal(t, "UserCreated", e.EventType)
		assert.Equal(t, OutboxTopic, e.From.Topic)
		assert.Empty(t, e.ParkedBehind)
		blockers[string(e.Key)] = e.Origin
	}
	for _, e := range parked {
		assert.Contains(t, e.Reason, "an earlier record of its sequence is poisoned")
		assert.Equal(t, blockers[string(e.Key)], e.ParkedBehind, "the update waits for its own user's creation")
	}
	require.NoError(t, <-done)

	// The upgrade, under a second load.
	l2 := newLoad("upg2", 40, 5, 10, 10) // 200 + 100 = 300 events, 15 s
	done2 := l2.start(ctx, 50*time.Millisecond)
	l2.waitInserted(t, ctx, 20, done2)
	others := []string{"activity-projector", "statistics-projector", "statistics-projector.increments"}
	offsetsBefore, membersBefore := groupState(t, ctx, others)
	began = time.Now()
	require.NoError(t, stack.ReplaceProjector(ctx, svc, projectorImage(svc)))
	upgraded := time.Since(began)
	offsetsAfter, membersAfter := groupState(t, ctx, others)
	inserted := l2.inserted.Load()
	t.Logf("%s upgraded to %s in %v, %d events of the second load inserted by then", svc, projectorImage(svc),
		upgraded.Round(100*time.Millisecond), inserted)
	require.Less(t, inserted, int64(len(l2.events)), "the load still ran when the upgrade ended")
	for _, g := range others {
		assert.Greater(t, offsetsAfter[g], offsetsBefore[g], "group %s kept committing during the upgrade", g)
		assert.Equal(t, membersBefore[g], membersAfter[g], "group %s kept its members", g)
	}
	require.NoError(t, <-done2)

	for _, ld := range []*load{l, l2} {
		want := ld.want()
		Eventually(t, ctx, 2*time.Minute, want, func() any { return ld.read(t, ctx, want) })
	}
	users := Documents(t, ctx, "users", "username", "city")
	for _, e := range v2 {
		_, ok := users[e.AggregateID]
		assert.False(t, ok, "user %s: no document before the replay, not even from its update", e.AggregateID)
	}

	replayed, err := tool.Replay(ctx, poisoned)
	require.NoError(t, err)
	require.Len(t, replayed, len(v2)+len(updates), "each creation with the update parked behind it")
	wantUsers := map[string]any{}
	for i, e := range v2 {
		wantUsers[e.AggregateID] = map[string]any{"email": fmt.Sprintf("v2-%d@example.org", i), "username": fmt.Sprintf("v2user%d", i),
			"full_name": fmt.Sprintf("Given Family%d", i), "city": "Milan", "status": "active", "version": int64(2)}
	}
	readUsers := func() any {
		all := Documents(t, ctx, "users", "email", "username", "full_name", "city", "status", "version")
		got := map[string]any{}
		for id := range wantUsers {
			if d, ok := all[id]; ok {
				got[id] = d
			}
		}
		return got
	}
	Eventually(t, ctx, time.Minute, wantUsers, readUsers)
	left, err := tool.List(ctx, poison.Filter{Services: []string{svc}})
	require.NoError(t, err)
	for _, e := range left {
		_, mine := blockers[string(e.Key)]
		assert.False(t, mine, "%s: replayed entries, and the parked ones with them, are hidden", e.ID)
	}
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		samples, err := promQuery(ctx, `sum(projector_sequences_released_total{handler="`+svc+`.outbox"})`)
		assert.NoError(ct, err)
		if assert.Len(ct, samples, 1) {
			assert.InDelta(ct, len(v2), samples[0].float(), 0)
		}
	}, time.Minute, 2*time.Second, "each user's sequence released, as Prometheus scrapes it")

	waitCaughtUp(t, ctx, time.Minute)
	before := snapshot(t, ctx)
	_, err = tool.Replay(ctx, poisoned)
	require.NoError(t, err)
	waitCaughtUp(t, ctx, time.Minute)
	assert.Equal(t, before, snapshot(t, ctx), "a second replay changes no document")
	t.Logf("%d version 2 events poisoned by the previous release, replayed after the upgrade; %d events of two loads exactly once",
		len(v2), len(l.events)+len(l2.events))
}

// groupState is, per group, the sum of its committed offsets and its
// members' ids, sorted.
func groupState(t *testing.T, ctx context.Context, groups []string) (map[string]int64, map[string][]string) {
	t.Helper()
	offsets, members := map[string]int64{}, map[string][]string{}
	described, err := adm.DescribeGroups(ctx, groups...)
	require.NoError(t, err)
	for _, g := range groups {
		committed, err := adm.FetchOffsets(ctx, g)
		require.NoError(t, err)
		committed.Each(func(o kadm.OffsetResponse) { offsets[g] += o.At })
		for _, m := range described[g].Members {
			members[g] = append(members[g], m.MemberID)
		}
		sort.Strings(members[g])
	}
	return offsets, members
}
