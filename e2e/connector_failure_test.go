package e2e

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/activityapp/event-processor/scripts/connect"
)

// TestConnectorTaskFailure breaks the Debezium task under load: the outbox
// topic's record limit drops below the events' size (a broker
// misconfigured by hand), so the task fails on the next record. The
// watchdog reports it within 30 s with the root cause, and does not
// restart it (the same record would fail again); Connect's health check
// turns unhealthy, and Prometheus fires ConnectorNotRunning once the task
// has been down for a minute (from the watchdog container's metrics). Once
// the limit is back and the failed task restarted, the alert resolves,
// every event lands exactly once and nothing is poisoned.
func TestConnectorTaskFailure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()
	waitCaughtUp(t, ctx, 2*time.Minute)
	poisonBefore := poisonEnds(t, ctx)

	client := connect.NewClient(stack.ConnectURL)
	watchdog, err := connect.NewWatchdog(connect.WatchdogConfig{Connector: ConnectorName, FirstBackoff: time.Second},
		client, nil, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	wctx, stopWatchdog := context.WithCancel(ctx)
	defer stopWatchdog()
	go watchdog.Run(wctx, time.Second)
	require.Eventually(t, func() bool { return watchdog.Health().Running() }, 30*time.Second, 100*time.Millisecond,
		"the watchdog sees the connector running")

	// 10 users x 5 events + 5 activities x 20 events = 150 events.
	l := newLoad("connfail", 10, 5, 5, 20)
	began := time.Now()
	done := l.start(ctx, 50*time.Millisecond)
	l.waitInserted(t, ctx, len(l.events)/4, done)

	setLimit := func(value *string) {
		t.Helper()
		op := kadm.SetConfig
		if value == nil {
			op = kadm.DeleteConfig
		}
		resp, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: op, Name: "max.message.bytes", Value: value}}, OutboxTopic)
		require.NoError(t, err)
		require.NoError(t, resp[0].Err)
	}
	tiny := "200"
	setLimit(&tiny)
	broken := time.Now()
	brokenAt := l.inserted.Load()

	require.Eventually(t, func() bool { return watchdog.Health().State == "failed" }, 30*time.Second, 100*time.Millisecond,
		"the watchdog sees the failed task within 30 s")
	h := watchdog.Health()
	t.Logf("broken after %d events inserted; the watchdog saw it after %v: %s", brokenAt, time.Since(broken).Round(100*time.Millisecond), h.Detail)
	assert.Contains(t, h.Detail, "RecordTooLargeException", "the root cause")
	assert.Contains(t, h.Detail, "a restart cannot help")
	assert.Equal(t, 1, h.FailedTasks)
	assert.Zero(t, h.Restarts, "not restarted: the same record would fail again")
	require.Eventually(t, func() bool { return containerHealth(ctx, "connect") == "unhealthy" }, 30*time.Second, 500*time.Millisecond,
		"Connect's health check shows the failed task")
	t.Logf("Connect unhealthy %v after the break", time.Since(broken).Round(100*time.Millisecond))
	// The rule's for: 1m, plus the watchdog's check, the scrape and the
	// evaluation intervals (10 s each).
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		state, err := alertState(ctx, "ConnectorNotRunning")
		assert.NoError(ct, err)
		assert.Equal(ct, "firing", state)
	}, 3*time.Minute, time.Second, "Prometheus fires ConnectorNotRunning")
	t.Logf("ConnectorNotRunning firing %v after the break", time.Since(broken).Round(time.Second))

	select {
	case err := <-done:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	setLimit(nil)
	require.NoError(t, client.RestartFailed(ctx, ConnectorName))
	waitConnectorRunning(t, ctx, 2*time.Minute)
	require.Eventually(t, func() bool { return watchdog.Health().Running() }, 30*time.Second, 100*time.Millisecond)
	require.Eventually(t, func() bool { return containerHealth(ctx, "connect") == "healthy" }, 30*time.Second, 500*time.Millisecond,
		"Connect healthy again")
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		state, err := alertState(ctx, "ConnectorNotRunning")
		assert.NoError(ct, err)
		assert.Empty(ct, state)
	}, 2*time.Minute, time.Second, "ConnectorNotRunning resolves")

	want := l.want()
	read := func() any { return l.read(t, ctx, want) }
	Eventually(t, ctx, 3*time.Minute, want, read)
	waitCaughtUp(t, ctx, 2*time.Minute)
	Eventually(t, ctx, 0, want, read)
	assert.Equal(t, poisonBefore, poisonEnds(t, ctx), "records added to poison topics")
	t.Logf("%d events projected exactly once, %v after the load began", len(l.events), time.Since(began).Round(100*time.Millisecond))
}

// containerHealth is a service container's health status.
func containerHealth(ctx context.Context, service string) string {
	c, err := stack.Pool.Client.InspectContainerWithContext(stack.Resource(service).Container.ID, ctx)
	if err != nil {
		return err.Error()
	}
	return c.State.Health.Status
}
