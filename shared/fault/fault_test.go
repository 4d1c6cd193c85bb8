package fault_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/fault"
)

func TestPermanent(t *testing.T) {
	assert.NoError(t, fault.Permanent(nil))
	assert.False(t, fault.IsPermanent(nil))

	cause := errors.New("payload: missing email")
	err := fault.Permanent(cause)
	require.Error(t, err)
	assert.True(t, fault.IsPermanent(err))
	assert.Equal(t, cause.Error(), err.Error(), "the mark adds nothing to the message")
	assert.ErrorIs(t, err, cause)

	wrapped := fmt.Errorf("handler users: %w", err)
	assert.True(t, fault.IsPermanent(wrapped))
	assert.True(t, fault.IsPermanent(errors.Join(errors.New("other"), err)))

	pf := fault.Permanentf("schema version %d: %w", 9, context.Canceled)
	assert.True(t, fault.IsPermanent(pf))
	assert.ErrorIs(t, pf, context.Canceled)
	assert.Equal(t, "schema version 9: context canceled", pf.Error())

	for _, transient := range []error{cause, context.DeadlineExceeded, fmt.Errorf("x: %w", cause), errors.New(err.Error())} {
		assert.False(t, fault.IsPermanent(transient), "%v", transient)
	}
}
