package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKafkaRestart restarts the broker (its data stays on the container's
// filesystem, so topics and offsets persist) while events stream into the
// outbox, waits until it and the connector run again, and checks that
// every event landed exactly once and nothing was poisoned.
func TestKafkaRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()

	waitCaughtUp(t, ctx, 2*time.Minute)
	poisonBefore := poisonEnds(t, ctx)

	// 10 users x 5 events + 5 activities x 20 events = 150 events.
	l := newLoad("kafka", 10, 5, 5, 20)
	began := time.Now()
	done := l.start(ctx, 100*time.Millisecond)
	l.waitInserted(t, ctx, len(l.events)/4, done)

	id := stack.Resource("kafka").Container.ID
	restartAt := l.inserted.Load()
	require.NoError(t, stack.Pool.Client.RestartContainer(id, 30))
	restarted := time.Now()
	require.NoError(t, stack.WaitHealthy(ctx, "kafka"))
	t.Logf("kafka restarted after %d events inserted, healthy after %v", restartAt, time.Since(restarted).Round(100*time.Millisecond))
	waitConnectorRunning(t, ctx, 2*time.Minute)
	t.Logf("connector running %v after the restart", time.Since(restarted).Round(100*time.Millisecond))

	select {
	case err := <-done:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}

	want := l.want()
	read := func() any { return l.read(t, ctx, want) }
	Eventually(t, ctx, 3*time.Minute, want, read)
	waitCaughtUp(t, ctx, 2*time.Minute)
	Eventually(t, ctx, 0, want, read)
	assert.Equal(t, poisonBefore, poisonEnds(t, ctx), "records added to poison topics during the restart")
	for _, svc := range append([]string{"connect"}, Projectors...) {
		require.NoError(t, stack.WaitHealthy(ctx, svc))
	}
	waitConnectorRunning(t, ctx, time.Minute)
	t.Logf("%d events projected exactly once, %v after the load began", len(l.events), time.Since(began).Round(100*time.Millisecond))
}
