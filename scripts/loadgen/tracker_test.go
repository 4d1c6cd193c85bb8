package loadgen

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCommitTrackerWaitsForRegisteredEvents(t *testing.T) {
	t.Parallel()
	tr := newCommitTracker()
	ctx := context.Background()
	assert.NoError(t, tr.wait(ctx, []int{7}), "an unregistered event has committed")

	tr.register(1)
	tr.register(2)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, tr.wait(cancelled, []int{1}), context.Canceled, "1 has not committed yet")

	waited := make(chan error)
	go func() { waited <- tr.wait(ctx, []int{1, 2}) }()
	tr.committed(2)
	tr.committed(1)
	assert.NoError(t, <-waited)
	assert.NoError(t, tr.wait(cancelled, []int{1, 2}), "committed events do not block")
	assert.Empty(t, tr.pending, "committed events are forgotten")
}
