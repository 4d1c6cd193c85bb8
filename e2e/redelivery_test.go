package e2e

import (
	"bytes"
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// groupsOf are the consumer groups a projector uses, with their topics.
func groupsOf(svc string) map[string]string {
	g := map[string]string{svc: OutboxTopic}
	if svc == "statistics-projector" {
		g[svc+".increments"] = svc + ".increments"
	}
	return g
}

// lag is how many records of topic the group has not committed; a group
// with no commit on a non-empty partition lags by all of it.
func lag(ctx context.Context, group, topic string) (int64, error) {
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return 0, err
	}
	if err := ends.Error(); err != nil {
		return 0, err
	}
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return 0, err
	}
	var total int64
	ends.Each(func(o kadm.ListedOffset) {
		at := int64(0)
		if c, ok := committed.Lookup(topic, o.Partition); ok && c.At >= 0 {
			at = c.At
		}
		total += o.Offset - at
	})
	return total, nil
}

// waitCaughtUp waits until every group of every projector has committed
// everything, in pipeline order (the increments group reads what the
// statistics outbox group writes).
func waitCaughtUp(t *testing.T, ctx context.Context, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for _, svc := range Projectors {
		for _, group := range []string{svc, svc + ".increments"} {
			topic, ok := groupsOf(svc)[group]
			if !ok {
				continue
			}
			for {
				n, err := lag(ctx, group, topic)
				if err == nil && n == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("group %s did not catch up on %s within %v: lag %d, %v", group, topic, timeout, n, err)
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
	}
}

// snapshot returns every document of the read models as raw BSON, by
// collection and _id.
func snapshot(t *testing.T, ctx context.Context) map[string]map[string][]byte {
	t.Helper()
	out := map[string]map[string][]byte{}
	for _, coll := range readModels {
		cur, err := readModel(t, ctx, coll).Find(ctx, bson.D{})
		require.NoError(t, err)
		docs := map[string][]byte{}
		for cur.Next(ctx) {
			docs[cur.Current.Lookup("_id").String()] = bytes.Clone(cur.Current)
		}
		require.NoError(t, cur.Err())
		require.NoError(t, cur.Close(ctx))
		out[coll] = docs
	}
	return out
}

// restartFromEarliest stops the projector (SIGTERM, compose's 40 s grace),
// deletes its consumer groups so it starts again from the oldest offset
// (Consumer.Offsets.Initial = OffsetOldest), and starts it again.
func restartFromEarliest(t *testing.T, ctx context.Context, svc string) {
	t.Helper()
	id := stack.Resource(svc).Container.ID
	require.NoError(t, stack.Pool.Client.StopContainerWithContext(id, 40, ctx))
	for group := range groupsOf(svc) {
		deadline := time.Now().Add(60 * time.Second)
		for {
			resp, err := adm.DeleteGroup(ctx, group)
			if err == nil {
				err = resp.Err
			}
			if err == nil || errors.Is(err, kerr.GroupIDNotFound) {
				break
			}
			// A member that has not left yet (session timeout) keeps the
			// group non-empty for a while.
			if time.Now().After(deadline) {
				t.Fatalf("delete group %s: %v", group, err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	require.NoError(t, stack.Pool.Client.StartContainerWithContext(id, nil, ctx))
	require.NoError(t, stack.WaitHealthy(ctx, svc))
}

// TestRedelivery replays the whole outbox topic into every projector (its
// consumer groups reset to the earliest offset) and checks that the read
// models, statistics included, stay byte for byte the same.
func TestRedelivery(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// Its own events, so the test stands alone (go test -run TestRedelivery).
	s := newStory(stack.RunID)
	Insert(t, ctx, s.events...)
	users, activities := s.wantUsers(), s.wantActivities()
	Eventually(t, ctx, 2*time.Minute, map[string]any{"users": users, "activities": activities, "user_statistics": s.wantUserStatistics()},
		func() any {
			return map[string]any{
				"users":           only(Documents(t, ctx, "users", userFields...), users),
				"activities":      only(Documents(t, ctx, "activities", activityFields...), activities),
				"user_statistics": only(Documents(t, ctx, "user_statistics", userStatFields...), users),
			}
		})
	waitCaughtUp(t, ctx, 60*time.Second)
	before := snapshot(t, ctx)
	for _, coll := range readModels {
		require.NotEmpty(t, before[coll], coll)
	}
	handledBefore := map[string]map[string]int{}
	for _, svc := range Projectors {
		handledBefore[svc] = handledCounts(svc)
	}

	began := time.Now()
	for _, svc := range Projectors {
		restartFromEarliest(t, ctx, svc)
	}
	// Every event was handled again: each projector logged one more
	// "event handled" line per correlation id (at least).
	for _, svc := range Projectors {
		deadline := time.Now().Add(2 * time.Minute)
		for {
			after := handledCounts(svc)
			var notAgain []string
			for _, e := range s.events {
				if svc == "user-projector" && e.AggregateType != "user" || svc == "activity-projector" && e.AggregateType != "activity" {
					continue
				}
				if after[e.CorrelationID] <= handledBefore[svc][e.CorrelationID] {
					notAgain = append(notAgain, e.Type)
				}
			}
			if len(notAgain) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not handle these events again: %v", svc, notAgain)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitCaughtUp(t, ctx, 2*time.Minute)
	t.Logf("three projectors replayed the outbox topic from the earliest offset in %v", time.Since(began).Round(100*time.Millisecond))

	after := snapshot(t, ctx)
	for _, coll := range readModels {
		assert.Equal(t, sortedKeys(before[coll]), sortedKeys(after[coll]), "%s: documents", coll)
		for id, b := range before[coll] {
			if a, ok := after[coll][id]; ok && !bytes.Equal(a, b) {
				t.Errorf("%s %s changed on redelivery:\nbefore %s\nafter  %s", coll, id, bson.Raw(b), bson.Raw(a))
			}
		}
	}
}

func only(docs, want map[string]any) map[string]any {
	out := map[string]any{}
	for id := range want {
		if d, ok := docs[id]; ok {
			out[id] = d
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
