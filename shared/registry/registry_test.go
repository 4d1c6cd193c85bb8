package registry_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/registry"
)

// calls records which handlers ran, in order.
type calls struct {
	mu    sync.Mutex
	names []string
}

func (c *calls) handler(name string, errs ...error) registry.HandlerFunc {
	n := 0
	return func(_ context.Context, _ outbox.Event) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.names = append(c.names, name)
		var err error
		if n < len(errs) {
			err = errs[n]
		}
		n++
		return err
	}
}

func (c *calls) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.names
	c.names = nil
	return out
}

func newRegistry(t *testing.T) (*registry.Registry, *metrics.Counters) {
	t.Helper()
	counters := metrics.NewCounters()
	return registry.New(slog.New(slog.NewTextHandler(io.Discard, nil)), counters), counters
}

func eventMessage(ev outbox.Event) *message.Message {
	msg := message.NewMessage("m-1", []byte("{}"))
	msg.SetContext(outbox.WithEvent(context.Background(), ev))
	return msg
}

var userCreated = outbox.Event{EventID: "e-1", AggregateID: "u-1", EventType: "UserCreated", AggregateVersion: 1}

func TestEveryHandlerOfTheTypeRuns(t *testing.T) {
	reg, counters := newRegistry(t)
	c := &calls{}
	require.NoError(t, reg.Register("UserCreated", "users", c.handler("users")))
	require.NoError(t, reg.Register("UserCreated", "search", c.handler("search")))
	require.NoError(t, reg.Register("UserUpdated", "users", c.handler("users-updated")))

	var seen outbox.Event
	require.NoError(t, reg.Register("UserCreated", "audit", func(_ context.Context, ev outbox.Event) error {
		seen = ev
		return nil
	}))

	msg := eventMessage(userCreated)
	require.NoError(t, reg.Handle(msg))
	assert.Equal(t, []string{"users", "search"}, c.take(), "registration order, only UserCreated handlers")
	assert.Equal(t, userCreated, seen)
	assert.Equal(t, "audit,search,users", msg.Metadata.Get(registry.DoneMetadataKey))
	assert.Empty(t, msg.Metadata.Get(registry.FailedMetadataKey))
	for _, h := range []string{"users", "search", "audit"} {
		assert.EqualValues(t, 1, counters.Get(metrics.EventHandlerApplied, "event_handler", h), h)
	}
	assert.Equal(t, []string{"UserCreated", "UserUpdated"}, reg.EventTypes())
}

func TestFailingHandlerDoesNotStopOthersAndRetryRunsOnlyFailed(t *testing.T) {
	reg, counters := newRegistry(t)
	c := &calls{}
	mongoDown := errors.New("mongodb: connection refused")
	require.NoError(t, reg.RegisterAll(
		registry.Registration{EventType: "UserCreated", Name: "a", Fn: c.handler("a")},
		registry.Registration{EventType: "UserCreated", Name: "b", Fn: c.handler("b", mongoDown, mongoDown)},
		registry.Registration{EventType: "UserCreated", Name: "c", Fn: c.handler("c")},
	))

	msg := eventMessage(userCreated)
	err := reg.Handle(msg)
	require.Error(t, err)
	assert.ErrorContains(t, err, "handler b")
	assert.ErrorContains(t, err, "connection refused")
	assert.False(t, fault.IsPermanent(err))
	assert.Equal(t, []string{"a", "b", "c"}, c.take())
	assert.Equal(t, "a,c", msg.Metadata.Get(registry.DoneMetadataKey))
	assert.Equal(t, "b", msg.Metadata.Get(registry.FailedMetadataKey))

	// A redelivery copies the metadata (watermill-kafka does so after a nack).
	again := eventMessage(userCreated)
	again.Metadata = msg.Copy().Metadata
	require.Error(t, reg.Handle(again))
	assert.Equal(t, []string{"b"}, c.take(), "only the failed handler runs again")

	third := eventMessage(userCreated)
	third.Metadata = again.Copy().Metadata
	require.NoError(t, reg.Handle(third))
	assert.Equal(t, []string{"b"}, c.take())
	assert.Equal(t, "a,b,c", third.Metadata.Get(registry.DoneMetadataKey))

	assert.EqualValues(t, 1, counters.Get(metrics.EventHandlerApplied, "event_handler", "a"))
	assert.EqualValues(t, 1, counters.Get(metrics.EventHandlerApplied, "event_handler", "b"))
	assert.EqualValues(t, 1, counters.Get(metrics.EventHandlerApplied, "event_handler", "c"))

	// A message whose every handler is done runs none.
	fourth := eventMessage(userCreated)
	fourth.Metadata = third.Copy().Metadata
	require.NoError(t, reg.Handle(fourth))
	assert.Empty(t, c.take())
}

func TestAllPermanentFailuresArePermanent(t *testing.T) {
	reg, _ := newRegistry(t)
	c := &calls{}
	bad := fault.Permanentf("payload: missing email")
	reg.MustRegister("UserCreated", "ok", c.handler("ok"))
	reg.MustRegister("UserCreated", "p1", c.handler("p1", bad))
	reg.MustRegister("UserCreated", "p2", c.handler("p2", fault.Permanent(errors.New("unknown schema version 9"))))

	err := reg.Handle(eventMessage(userCreated))
	require.Error(t, err)
	assert.True(t, fault.IsPermanent(err), "all failures permanent: %v", err)
	assert.ErrorIs(t, err, bad)
	assert.ErrorContains(t, err, "handler p1")
	assert.ErrorContains(t, err, "handler p2")
}

func TestMixedFailuresAreTransient(t *testing.T) {
	reg, _ := newRegistry(t)
	c := &calls{}
	reg.MustRegister("UserCreated", "permanent", c.handler("permanent", fault.Permanentf("bad payload")))
	reg.MustRegister("UserCreated", "transient", c.handler("transient", context.DeadlineExceeded))

	msg := eventMessage(userCreated)
	err := reg.Handle(msg)
	require.Error(t, err)
	assert.False(t, fault.IsPermanent(err), "a transient failure must win: %v", err)
	assert.ErrorContains(t, err, "bad payload")
	assert.ErrorContains(t, err, "deadline exceeded")
	assert.Equal(t, "permanent,transient", msg.Metadata.Get(registry.FailedMetadataKey))

	// Order does not matter.
	reg2, _ := newRegistry(t)
	reg2.MustRegister("UserCreated", "transient", c.handler("transient", context.DeadlineExceeded))
	reg2.MustRegister("UserCreated", "permanent", c.handler("permanent", fault.Permanentf("bad payload")))
	assert.False(t, fault.IsPermanent(reg2.Handle(eventMessage(userCreated))))
}

func TestUnknownEventTypeIsAcknowledgedAndCounted(t *testing.T) {
	reg, counters := newRegistry(t)
	c := &calls{}
	reg.MustRegister("UserCreated", "users", c.handler("users"))

	ev := userCreated
	ev.EventType = "InvoicePaid"
	require.NoError(t, reg.Handle(eventMessage(ev)))
	require.NoError(t, reg.Handle(eventMessage(ev)))
	assert.Empty(t, c.take())
	assert.EqualValues(t, 2, counters.Get(metrics.UnknownEventTypes, "event_type", "InvoicePaid"))
	assert.EqualValues(t, 0, counters.Get(metrics.UnknownEventTypes, "event_type", "UserCreated"))
}

func TestDuplicateRegistration(t *testing.T) {
	reg, _ := newRegistry(t)
	c := &calls{}
	require.NoError(t, reg.Register("UserCreated", "users", c.handler("users")))
	// One name may serve several event types.
	require.NoError(t, reg.Register("UserUpdated", "users", c.handler("users")))

	err := reg.Register("UserCreated", "users", c.handler("again"))
	require.ErrorIs(t, err, registry.ErrDuplicateHandler)
	assert.ErrorContains(t, err, "users")

	err = reg.RegisterAll(
		registry.Registration{EventType: "UserDeleted", Name: "users", Fn: c.handler("users")},
		registry.Registration{EventType: "UserDeleted", Name: "users", Fn: c.handler("users")},
	)
	require.ErrorIs(t, err, registry.ErrDuplicateHandler)

	assert.PanicsWithError(t, err.Error(), func() { reg.MustRegister("UserDeleted", "users", c.handler("x")) })

	// The duplicate was not added: one handler runs.
	require.NoError(t, reg.Handle(eventMessage(userCreated)))
	assert.Equal(t, []string{"users"}, c.take())
}

func TestInvalidRegistration(t *testing.T) {
	reg, _ := newRegistry(t)
	fn := (&calls{}).handler("x")
	for _, r := range []registry.Registration{
		{EventType: "", Name: "a", Fn: fn},
		{EventType: "T", Name: "", Fn: fn},
		{EventType: "T", Name: "a", Fn: nil},
		{EventType: "T", Name: "a,b", Fn: fn}, // would corrupt handlers_done
	} {
		err := reg.Register(r.EventType, r.Name, r.Fn)
		require.Errorf(t, err, "%+v", r)
		assert.NotErrorIs(t, err, registry.ErrDuplicateHandler)
	}
	assert.Empty(t, reg.EventTypes())
}

func TestHandleWithoutEventOrWithDecodeError(t *testing.T) {
	reg, _ := newRegistry(t)
	reg.MustRegister("UserCreated", "users", (&calls{}).handler("users"))

	// Wiring bug: no decode middleware.
	err := reg.Handle(message.NewMessage("m", nil))
	require.ErrorIs(t, err, outbox.ErrNoEvent)
	assert.True(t, fault.IsPermanent(err))

	// The decode middleware's error comes back unchanged.
	decodeErr := fault.Permanentf("debezium: value: not JSON")
	msg := message.NewMessage("m", nil)
	msg.SetContext(outbox.WithDecodeError(context.Background(), decodeErr))
	assert.Equal(t, decodeErr, reg.Handle(msg))
}
