package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMongoOutage stops MongoDB for 20 s while events stream into the
// outbox, starts the same container again (its data persists), and checks
// that nothing was poisoned and every event landed exactly: transient
// errors are retried, not dead-lettered.
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
	stopAt := l.inserted.Load()
	require.NoError(t, stack.Pool.Client.StopContainerWithContext(id, 10, ctx))
	stopped := time.Now()
	t.Logf("mongo stopped after %d events inserted", stopAt)
	select {
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	case <-time.After(down): // the scenario: keep MongoDB down 20 s
	}
	duringOutage := l.inserted.Load() - stopAt
	require.NoError(t, stack.Pool.Client.StartContainerWithContext(id, nil, ctx))
	require.NoError(t, stack.WaitHealthy(ctx, "mongo"))
	reconnectMongo(t, ctx)
	t.Logf("mongo down %v, %d events inserted meanwhile, healthy again after %v",
		down, duringOutage, time.Since(stopped).Round(100*time.Millisecond))
	assert.Positive(t, duringOutage, "the load went on during the outage")

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
