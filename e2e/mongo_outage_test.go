package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMongoOutage stops MongoDB for 20 s while events stream into the
// outbox, starts the same container again (its data persists), and checks
// that the projectors' readiness said the store was unavailable meanwhile,
// that nothing was poisoned and that every event landed exactly once:
// transient errors are retried, not dead-lettered.
//
// A paused MongoDB (`docker pause`) is not among the scenarios: on the
// FerretDB stand-in, writes frozen mid-flight land after later writes and
// roll documents back, because FerretDB checks an update's filter (the
// store's _rev guard) in a query separate from the update; MongoDB applies
// it atomically. See the README, FerretDB section.
func TestMongoOutage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	const down = 20 * time.Second

	waitCaughtUp(t, ctx, 2*time.Minute)
	poisonBefore := poisonEnds(t, ctx)
	dailyBefore := Documents(t, ctx, "daily_statistics", dailyStatFields...)

	// 10 users x 5 events + 5 activities x 20 events = 150 events, one
	// every 150 ms: the load outlasts most of the outage.
	l := newLoad("mongo", 10, 5, 5, 20)
	began := time.Now()
	done := l.start(ctx, 150*time.Millisecond)
	l.waitInserted(t, ctx, len(l.events)/5, done)

	id := stack.Resource("mongo").Container.ID
	outAt := l.inserted.Load()
	require.NoError(t, stack.Pool.Client.StopContainerWithContext(id, 10, ctx))
	out := time.Now()
	t.Logf("mongo stopped after %d events inserted", outAt)
	// The scenario: MongoDB away for 20 s, while the projectors' health
	// checks (every 5 s) ask their readiness.
	unavailable := map[string]string{}
	for time.Since(out) < down {
		for _, svc := range Projectors {
			if _, seen := unavailable[svc]; seen {
				continue
			}
			c, err := stack.Pool.Client.InspectContainerWithContext(stack.Resource(svc).Container.ID, ctx)
			if err == nil && strings.Contains(lastProbe(c), "store unavailable") {
				unavailable[svc] = lastProbe(c)
			}
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
	duringOutage := l.inserted.Load() - outAt
	require.NoError(t, stack.Pool.Client.StartContainerWithContext(id, nil, ctx))
	require.NoError(t, stack.WaitHealthy(ctx, "mongo"))
	reconnectMongo(t, ctx)
	t.Logf("mongo down %v, %d events inserted meanwhile, healthy again after %v",
		down, duringOutage, time.Since(out).Round(100*time.Millisecond))
	assert.Positive(t, duringOutage, "the load went on during the outage")
	for _, svc := range Projectors {
		if assert.Contains(t, unavailable, svc, "%s: readiness did not report the store unavailable", svc) {
			t.Logf("%s readiness during the outage: %s", svc, unavailable[svc])
		}
	}

	select {
	case err := <-done:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}

	want := l.want()
	want["daily_statistics"] = merged(dailyBefore, l.wantDailyStatistics())
	read := func() any {
		got := l.read(t, ctx, want).(map[string]any)
		got["daily_statistics"] = Documents(t, ctx, "daily_statistics", dailyStatFields...)
		return got
	}
	// Backoff is capped at RETRY_MAX_INTERVAL (10 s): allow ~2 min.
	Eventually(t, ctx, 2*time.Minute, want, read)
	waitCaughtUp(t, ctx, 2*time.Minute)
	Eventually(t, ctx, 0, want, read)
	assert.Equal(t, poisonBefore, poisonEnds(t, ctx), "records added to poison topics during the outage")
	for _, svc := range Projectors {
		require.NoError(t, stack.WaitHealthy(ctx, svc))
	}
	t.Logf("%d events projected exactly once, %v after the load began", len(l.events), time.Since(began).Round(100*time.Millisecond))
}
