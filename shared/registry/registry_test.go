package registry_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/metrics/metricstest"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/registry"
)

// recorder records the batches each named handler received, and which
// handlers ran, in order.
type recorder struct {
	mu      sync.Mutex
	order   []string
	batches map[string][][]string // handler → event ids of each call
}

func newRecorder() *recorder { return &recorder{batches: map[string][][]string{}} }

// fn returns a handler that records its batches and returns err.
func (r *recorder) fn(name string, err error) registry.BatchFunc {
	return func(_ context.Context, events []outbox.Event) error {
		ids := make([]string, len(events))
		for i, ev := range events {
			ids[i] = ev.EventID
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.order = append(r.order, name)
		r.batches[name] = append(r.batches[name], ids)
		return err
	}
}

func (r *recorder) calls(name string) [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.batches[name]
}

func (r *recorder) ran() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.order
}

func newRegistry(t *testing.T, handlers ...registry.Handler) (*registry.Registry, *prometheus.Registry) {
	t.Helper()
	counters := prometheus.NewRegistry()
	reg, err := registry.New(slog.New(slog.DiscardHandler), counters, handlers...)
	require.NoError(t, err)
	return reg, counters
}

func event(id, eventType string) outbox.Event {
	return outbox.Event{EventID: id, AggregateID: "agg-" + id, EventType: eventType, AggregateVersion: 1}
}

func applied(t *testing.T, counters prometheus.Gatherer, handler string) int64 {
	t.Helper()
	return int64(metricstest.Value(t, counters, metrics.EventHandlerApplied, "event_handler", handler))
}

func TestHandleDispatchesByTypeInOrder(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	var got []outbox.Event
	reg, counters := newRegistry(t,
		registry.Handler{Name: "users", EventTypes: []string{"UserCreated", "UserUpdated"}, Fn: rec.fn("users", nil)},
		registry.Handler{Name: "search", EventTypes: []string{"UserCreated"}, Fn: rec.fn("search", nil)},
		registry.Handler{Name: "activities", EventTypes: []string{"ActivityCreated"}, Fn: rec.fn("activities", nil)},
		registry.Handler{Name: "deletions", EventTypes: []string{"UserDeleted"}, Fn: rec.fn("deletions", nil)},
		registry.Handler{Name: "audit", EventTypes: []string{"UserUpdated"}, Fn: func(_ context.Context, events []outbox.Event) error {
			got = append(got, events...)
			return nil
		}},
	)

	batch := []outbox.Event{
		event("u1", "UserCreated"),
		event("a1", "ActivityCreated"),
		event("u2", "UserUpdated"),
		event("u3", "UserCreated"),
		event("u4", "UserUpdated"),
	}
	require.NoError(t, reg.Handle(t.Context(), batch))

	// Each handler is called once per batch with the events of its types,
	// in the batch's order.
	assert.Equal(t, [][]string{{"u1", "u2", "u3", "u4"}}, rec.calls("users"))
	assert.Equal(t, [][]string{{"u1", "u3"}}, rec.calls("search"), "a second handler of UserCreated gets the events too")
	assert.Equal(t, [][]string{{"a1"}}, rec.calls("activities"))
	assert.Empty(t, rec.calls("deletions"), "a handler without events in the batch is not called")
	assert.Equal(t, []outbox.Event{batch[2], batch[4]}, got, "events are passed unchanged")

	for name, want := range map[string]int64{"users": 4, "search": 2, "activities": 1, "audit": 2, "deletions": 0} {
		assert.Equal(t, want, applied(t, counters, name), "applied by %s", name)
	}
}

func TestHandleEmptyBatchCallsNoHandler(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	reg, _ := newRegistry(t, registry.Handler{Name: "users", EventTypes: []string{"UserCreated"}, Fn: rec.fn("users", nil)})
	require.NoError(t, reg.Handle(t.Context(), nil))
	require.NoError(t, reg.Handle(t.Context(), []outbox.Event{}))
	assert.Empty(t, rec.ran())
}

func TestHandleCountsAndSkipsUnknownTypes(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	reg, counters := newRegistry(t, registry.Handler{Name: "users", EventTypes: []string{"UserCreated"}, Fn: rec.fn("users", nil)})

	err := reg.Handle(t.Context(), []outbox.Event{
		event("i1", "InvoicePaid"),
		event("u1", "UserCreated"),
		event("i2", "InvoicePaid"),
		event("r1", "RefundIssued"),
	})
	require.NoError(t, err, "another service may project unknown types")
	assert.Equal(t, [][]string{{"u1"}}, rec.calls("users"))
	assert.EqualValues(t, 2, metricstest.Value(t, counters, metrics.UnknownEventTypes, "event_type", "InvoicePaid"))
	assert.EqualValues(t, 1, metricstest.Value(t, counters, metrics.UnknownEventTypes, "event_type", "RefundIssued"))
	assert.Zero(t, metricstest.Value(t, counters, metrics.UnknownEventTypes, "event_type", "UserCreated"))

	// A batch of unknown types only calls no handler at all.
	require.NoError(t, reg.Handle(t.Context(), []outbox.Event{event("i3", "InvoicePaid")}))
	assert.Len(t, rec.calls("users"), 1)
	assert.EqualValues(t, 3, metricstest.Value(t, counters, metrics.UnknownEventTypes, "event_type", "InvoicePaid"))
}

func TestHandlerListingATypeTwiceGetsEachEventOnce(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	reg, counters := newRegistry(t, registry.Handler{Name: "users", EventTypes: []string{"UserCreated", "UserCreated"}, Fn: rec.fn("users", nil)})
	require.NoError(t, reg.Handle(t.Context(), []outbox.Event{event("u1", "UserCreated"), event("u2", "UserCreated")}))
	assert.Equal(t, [][]string{{"u1", "u2"}}, rec.calls("users"))
	assert.EqualValues(t, 2, applied(t, counters, "users"))
}

func TestNewRejectsInvalidHandlers(t *testing.T) {
	t.Parallel()
	fn := newRecorder().fn("x", nil)
	for name, tc := range map[string]struct {
		handlers  []registry.Handler
		duplicate bool
	}{
		"no name":          {handlers: []registry.Handler{{EventTypes: []string{"T"}, Fn: fn}}},
		"no func":          {handlers: []registry.Handler{{Name: "a", EventTypes: []string{"T"}}}},
		"no event types":   {handlers: []registry.Handler{{Name: "a", Fn: fn}}},
		"empty event type": {handlers: []registry.Handler{{Name: "a", EventTypes: []string{"T", ""}, Fn: fn}}},
		"comma in name":    {handlers: []registry.Handler{{Name: "a,b", EventTypes: []string{"T"}, Fn: fn}}},
		"duplicate name": {
			handlers: []registry.Handler{
				{Name: "users", EventTypes: []string{"UserCreated"}, Fn: fn},
				{Name: "users", EventTypes: []string{"UserUpdated"}, Fn: fn},
			},
			duplicate: true,
		},
		"invalid after valid": {handlers: []registry.Handler{
			{Name: "users", EventTypes: []string{"UserCreated"}, Fn: fn},
			{Name: "", EventTypes: []string{"UserCreated"}, Fn: fn},
		}},
	} {
		t.Run(name, func(t *testing.T) {
			reg, err := registry.New(slog.New(slog.DiscardHandler), nil, tc.handlers...)
			require.Error(t, err)
			assert.Nil(t, reg)
			if tc.duplicate {
				assert.ErrorIs(t, err, registry.ErrDuplicateHandler)
				assert.ErrorContains(t, err, "users")
			} else {
				assert.NotErrorIs(t, err, registry.ErrDuplicateHandler)
			}
		})
	}
}

func TestNewWithoutHandlers(t *testing.T) {
	t.Parallel()
	reg, counters := newRegistry(t)
	require.NoError(t, reg.Handle(t.Context(), []outbox.Event{event("u1", "UserCreated")}))
	assert.EqualValues(t, 1, metricstest.Value(t, counters, metrics.UnknownEventTypes, "event_type", "UserCreated"))
}

func TestHandleErrors(t *testing.T) {
	t.Parallel()
	var (
		badPayload    = fault.Permanentf("payload: missing email")
		unknownSchema = fault.Permanent(errors.New("unknown schema version 9"))
		mongoDown     = errors.New("mongodb: connection refused")
	)
	type handler struct {
		name string
		err  error
	}
	for name, tc := range map[string]struct {
		handlers  []handler
		permanent bool
		contains  []string
	}{
		"one transient": {
			handlers: []handler{{"ok", nil}, {"t", mongoDown}},
			contains: []string{"handler t", "connection refused"},
		},
		"permanent then transient": {
			handlers: []handler{{"p", badPayload}, {"ok", nil}, {"t", mongoDown}},
			contains: []string{"handler p", "missing email", "handler t", "connection refused"},
		},
		"transient then permanent": {
			handlers: []handler{{"t", context.DeadlineExceeded}, {"p", badPayload}},
			contains: []string{"handler t", "deadline exceeded", "handler p", "missing email"},
		},
		"one permanent": {
			handlers:  []handler{{"ok", nil}, {"p", badPayload}},
			permanent: true,
			contains:  []string{"handler p", "missing email"},
		},
		"all permanent": {
			handlers:  []handler{{"p1", badPayload}, {"ok", nil}, {"p2", unknownSchema}},
			permanent: true,
			contains:  []string{"handler p1", "missing email", "handler p2", "schema version 9"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			rec := newRecorder()
			var hs []registry.Handler
			var names []string
			for _, h := range tc.handlers {
				hs = append(hs, registry.Handler{Name: h.name, EventTypes: []string{"UserCreated"}, Fn: rec.fn(h.name, h.err)})
				names = append(names, h.name)
			}
			reg, counters := newRegistry(t, hs...)

			err := reg.Handle(t.Context(), []outbox.Event{event("u1", "UserCreated"), event("u2", "UserCreated")})
			require.Error(t, err)
			assert.Equal(t, tc.permanent, fault.IsPermanent(err), "fault.IsPermanent(%v)", err)
			for _, s := range tc.contains {
				assert.ErrorContains(t, err, s)
			}
			if tc.permanent {
				assert.ErrorIs(t, err, badPayload, "a permanent error keeps its causes")
			}
			assert.ElementsMatch(t, names, rec.ran(), "a failing handler does not stop the others")
			for _, h := range tc.handlers {
				want := int64(0)
				if h.err == nil {
					want = 2
				}
				assert.Equal(t, want, applied(t, counters, h.name), "applied by %s", h.name)
			}
		})
	}
}

func TestUnknownTypeLabelsAreBounded(t *testing.T) {
	t.Parallel()
	reg, counters := newRegistry(t, registry.Handler{Name: "users", EventTypes: []string{"UserCreated"}, Fn: newRecorder().fn("users", nil)})
	var events []outbox.Event
	for i := range registry.MaxUnknownTypeLabels + 5 {
		events = append(events, event(fmt.Sprint(i), fmt.Sprintf("Type%d", i)))
	}
	events = append(events, event("again", "Type0"))
	require.NoError(t, reg.Handle(t.Context(), events))

	assert.Len(t, metricstest.Series(t, counters, metrics.UnknownEventTypes), registry.MaxUnknownTypeLabels+1)
	assert.InDelta(t, 5, metricstest.Value(t, counters, metrics.UnknownEventTypes, "event_type", registry.OtherEventTypes), 0)
	assert.InDelta(t, 2, metricstest.Value(t, counters, metrics.UnknownEventTypes, "event_type", "Type0"), 0, "a type labelled before keeps its label")
	assert.InDelta(t, float64(len(events)), metricstest.Value(t, counters, metrics.UnknownEventTypes), 0)
}
