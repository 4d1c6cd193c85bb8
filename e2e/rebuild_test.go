package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/activityapp/event-processor/scripts/poison"
	"github.com/activityapp/event-processor/scripts/rebuild"
	"github.com/activityapp/event-processor/shared/readmodel"
)

// TestRebuildUnderLoad rebuilds the statistics (the counters: exactly
// once or wrong) as make rebuild does, while events flow and a reader
// queries the read models every 50 ms through their pointers: a rebuild
// instance fills new collections from offset 0, the live projector stops
// once it has caught up, the rebuild catches up and stops, Switch points
// the readers at the new collections and hands over the offsets, the live
// projector starts on them, and the old ones are dropped after a grace.
// The reader never sees a read model shrink (empty, or partly built), and
// every event of the load is counted once.
func TestRebuildUnderLoad(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	const svc = "statistics-projector"
	waitCaughtUp(t, ctx, 2*time.Minute)
	plan, err := rebuild.NewPlan(svc, time.Now())
	require.NoError(t, err)
	entries, err := poison.New([]string{stack.KafkaBroker})
	require.NoError(t, err)
	defer entries.Close()

	r := startReader(ctx, mdb)
	// 60 users x 5 events + 30 activities x 10 events = 600 events, 30 s:
	// the load goes on through the switch.
	l := newLoad("rebuild", 60, 5, 30, 10)
	done := l.start(ctx, 50*time.Millisecond)
	l.waitInserted(t, ctx, 20, done)

	instance := svc + "-rebuild"
	sp := projectorSpec(instance, svc, projectorImage(svc))
	sp.env = withEnv(sp.env, plan.Env()...)
	_, err = stack.run(sp)
	require.NoError(t, err)
	t.Cleanup(func() { removeInstance(t, instance) })
	require.NoError(t, rebuild.WaitCaughtUp(ctx, []string{stack.KafkaBroker}, plan.RebuildGroups(), 200, 200*time.Millisecond, nil))
	t.Logf("rebuild close after %d events of the load", l.inserted.Load())

	live := stack.Resource(svc)
	require.NoError(t, stack.Pool.Client.StopContainer(live.Container.ID, 40))
	require.NoError(t, rebuild.WaitPast(ctx, adm, plan.RebuildGroup(), plan.Group, plan.Topic, 200*time.Millisecond))
	require.NoError(t, stack.Pool.Client.StopContainer(stack.Resource(instance).Container.ID, 40))
	switched, err := rebuild.Switch(ctx, mdb, kcl, entries, plan)
	require.NoError(t, err)
	require.NoError(t, stack.Pool.Client.StartContainer(live.Container.ID, nil))
	require.NoError(t, stack.WaitHealthy(ctx, svc))
	switchedAt := l.inserted.Load()
	t.Logf("switched after %d events of the load: %v -> %v", switchedAt, switched.Previous, plan.Collections())
	assert.Less(t, switchedAt, int64(len(l.events)), "the switch happened under load")
	assert.ElementsMatch(t, plan.ReadModels, switched.Previous, "the collections of their own names served before")

	time.Sleep(5 * time.Second) // readers that resolved before the switch finish
	dropped, err := rebuild.DropStale(ctx, mdb, plan)
	require.NoError(t, err)
	// The blocked sequences' collection exists only once something was
	// parked.
	assert.Subset(t, switched.Previous, dropped)
	for _, m := range plan.ReadModels {
		if m != readmodel.BlocksCollection(svc) {
			assert.Contains(t, dropped, m)
		}
	}
	require.NoError(t, <-done)
	want := l.want()
	Eventually(t, ctx, 2*time.Minute, want, func() any { return l.read(t, ctx, want) })
	waitCaughtUp(t, ctx, time.Minute)

	reads, shrank := r.stop()
	assert.Greater(t, reads, 50, "the reader queried throughout")
	assert.Empty(t, shrank, "a read model never shrank for a reader")
	for model, coll := range plan.Collections() {
		got, err := readmodel.Resolve(ctx, mdb, model)
		require.NoError(t, err)
		assert.Equal(t, coll, got)
	}
	t.Logf("%d reads during the rebuild, none saw a read model shrink; %d events counted once", reads, len(l.events))
}

// reader queries the statistics every 50 ms, as an application would:
// resolving each read model, then reading it.
type reader struct {
	stopped chan struct{}
	wg      sync.WaitGroup
	reads   atomic.Int64
	mu      sync.Mutex
	shrank  []string
}

func startReader(ctx context.Context, db *mongo.Database) *reader {
	r := &reader{stopped: make(chan struct{})}
	r.wg.Go(func() {
		var maxUsers, maxDaily int64
		for {
			select {
			case <-r.stopped:
				return
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			users, err1 := countDocuments(ctx, db, "user_statistics")
			daily, err2 := sumCounts(ctx, db, "daily_statistics")
			r.reads.Add(1)
			r.mu.Lock()
			switch {
			case err1 != nil || err2 != nil:
				r.shrank = append(r.shrank, "read failed: "+errors.Join(err1, err2).Error())
			case users < maxUsers:
				r.shrank = append(r.shrank, fmt.Sprintf("user_statistics: %d documents after %d", users, maxUsers))
			case daily < maxDaily:
				r.shrank = append(r.shrank, fmt.Sprintf("daily_statistics: a total count of %d after %d", daily, maxDaily))
			}
			r.mu.Unlock()
			maxUsers, maxDaily = max(maxUsers, users), max(maxDaily, daily)
		}
	})
	return r
}

func (r *reader) stop() (int, []string) {
	close(r.stopped)
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	return int(r.reads.Load()), r.shrank
}

func countDocuments(ctx context.Context, db *mongo.Database, model string) (int64, error) {
	name, err := readmodel.Resolve(ctx, db, model)
	if err != nil {
		return 0, err
	}
	return db.Collection(name).CountDocuments(ctx, bson.D{})
}

func sumCounts(ctx context.Context, db *mongo.Database, model string) (int64, error) {
	name, err := readmodel.Resolve(ctx, db, model)
	if err != nil {
		return 0, err
	}
	cur, err := db.Collection(name).Find(ctx, bson.D{})
	if err != nil {
		return 0, err
	}
	var docs []struct {
		Count int64 `bson:"count"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return 0, err
	}
	var sum int64
	for _, d := range docs {
		sum += d.Count
	}
	return sum, nil
}

// withEnv is env with the given KEY=VALUE settings replacing those of the
// same keys.
func withEnv(env []string, settings ...string) []string {
	out := append([]string(nil), env...)
	for _, s := range settings {
		key, _, _ := strings.Cut(s, "=")
		out = slices.DeleteFunc(out, func(e string) bool { return strings.HasPrefix(e, key+"=") })
		out = append(out, s)
	}
	return out
}
