package middleware_test

import (
	"context"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/middleware"
)

// An attempt in flight keeps its context when the message's context is
// cancelled (shutdown), and still ends at its own deadline.
func TestTimeoutDetachesAttemptFromCancellation(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	msg := message.NewMessage("m1", nil)
	msg.SetContext(parent)

	var sawCancel, sawDeadline bool
	h := middleware.Timeout(200 * time.Millisecond)(func(m *message.Message) ([]*message.Message, error) {
		cancel() // shutdown begins while the attempt runs
		select {
		case <-m.Context().Done():
			sawCancel = true
		case <-time.After(50 * time.Millisecond):
		}
		<-m.Context().Done()
		sawDeadline = m.Context().Err() == context.DeadlineExceeded
		return nil, nil
	})
	_, err := h(msg)
	require.NoError(t, err)
	assert.False(t, sawCancel, "the attempt was cancelled with its message")
	assert.True(t, sawDeadline, "the attempt did not end at its deadline")
}
