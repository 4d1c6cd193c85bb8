package fault_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/fault"
)

func TestWaitForTriesUntilItSucceeds(t *testing.T) {
	t.Parallel()
	down := errors.New("connection refused")
	tries := 0
	var pauses []time.Duration
	got, err := fault.WaitFor(t.Context(), time.Millisecond, func(err error, next time.Duration) {
		assert.ErrorIs(t, err, down)
		pauses = append(pauses, next)
	}, func() (string, error) {
		if tries++; tries < 4 {
			return "", down
		}
		return "up", nil
	})
	require.NoError(t, err)
	assert.Equal(t, "up", got)
	assert.Equal(t, 4, tries)
	require.Len(t, pauses, 3)
	for _, p := range pauses {
		assert.Positive(t, p)
		assert.LessOrEqual(t, p, 5*time.Second)
	}
}

// Waiting ends with the context, and the error says both why it ended and
// what the dependency last answered.
func TestWaitForEndsWithTheContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	down := errors.New("connection refused")
	_, err := fault.WaitFor(ctx, time.Millisecond, nil, func() (int, error) { return 0, down })
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, down)
}
