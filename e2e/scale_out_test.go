package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScaleOut starts a second user-projector in the same consumer group,
// waits until both members own partitions, streams user events, kills
// (SIGKILL) the second instance mid-load, and checks that every event
// landed exactly once and the surviving member owns all partitions.
func TestScaleOut(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	const svc, extra = "user-projector", "user-projector-2"

	waitCaughtUp(t, ctx, 2*time.Minute)
	topic, err := adm.ListTopics(ctx, OutboxTopic)
	require.NoError(t, err)
	partitions := len(topic[OutboxTopic].Partitions)
	require.Positive(t, partitions)

	// Same image and environment as the first instance, group included.
	_, err = stack.run(projectorSpec(extra, svc, projectorImage(svc)))
	t.Cleanup(func() { removeInstance(t, extra) })
	require.NoError(t, err)
	require.NoError(t, stack.WaitHealthy(ctx, extra))

	// waitMembers waits until the group is stable with n members, each
	// owning partitions, all of them owned.
	waitMembers := func(n int, timeout time.Duration) map[string][]int32 {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for {
			members, state, err := groupAssignment(ctx, svc, OutboxTopic)
			if err == nil && state == "Stable" && len(members) == n {
				owned, ok := 0, true
				for _, p := range members {
					owned += len(p)
					ok = ok && len(p) > 0
				}
				if ok && owned == partitions {
					return members
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("group %s not stable with %d members owning all %d partitions within %v: state %q members %v err %v",
					svc, n, partitions, timeout, state, members, err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	members := waitMembers(2, 90*time.Second)
	t.Logf("group %s: 2 members: %v", svc, members)

	// 20 users x 10 events = 200 user events.
	l := newLoad("scale", 20, 10, 0, 0)
	began := time.Now()
	done := l.start(ctx, 50*time.Millisecond)
	l.waitInserted(t, ctx, len(l.events)/3, done)
	killAt := l.inserted.Load()
	require.NoError(t, stack.Pool.Client.KillContainer(dockerKill(stack.Resource(extra).Container.ID)))
	t.Logf("%s killed after %d events inserted", extra, killAt)

	select {
	case err := <-done:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}

	want := l.want()
	read := func() any { return l.read(t, ctx, want) }
	Eventually(t, ctx, 2*time.Minute, want, read)
	waitCaughtUp(t, ctx, 2*time.Minute)
	Eventually(t, ctx, 0, want, read)

	survivor := waitMembers(1, 90*time.Second)
	for id, p := range survivor {
		assert.Len(t, p, partitions, "surviving member %s owns every partition", id)
	}
	require.NoError(t, stack.WaitHealthy(ctx, svc))
	t.Logf("%d events projected exactly once, %v after the load began; survivor %v", len(l.events), time.Since(began).Round(100*time.Millisecond), survivor)
}
