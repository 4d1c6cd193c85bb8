package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	wmiddleware "github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/debezium"
	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/middleware"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/registry"
)

func newMessage(uuid, key, correlationID string) *message.Message {
	msg := message.NewMessage(uuid, []byte(`{"payload":"`+uuid+`"}`))
	if key != "" {
		msg.Metadata.Set(kafka.MetadataKey, key)
	}
	if correlationID != "" {
		msg.Metadata.Set(middleware.CorrelationIDKey, correlationID)
	}
	return msg
}

func retried(c *metrics.Counters, kind string) int64 {
	return c.Get(metrics.MessagesRetried, "handler", handlerName, "kind", kind)
}

func TestPanicIsTriedPanicAttemptsTimesThenPoisoned(t *testing.T) {
	h := newHarness(t, defaultConfig())
	var attempts atomic.Int32
	h.router.AddHandler(handlerName, inputTopic, h.sub, func(msg *message.Message) error {
		attempts.Add(1)
		panic("boom for " + msg.Metadata.Get(kafka.MetadataKey))
	})
	h.start()

	in := newMessage("m-panic", "agg-7", "corr-a")
	in.Metadata.Set("custom", "kept")
	h.publish(in)

	p := h.nextPoisoned()
	assert.Equal(t, outcome{uuid: "m-panic", acked: true}, h.nextOutcome(), "a poisoned message is acked")
	assert.EqualValues(t, 3, attempts.Load(), "PanicAttempts")

	assert.Equal(t, "m-panic", p.UUID)
	assert.Equal(t, in.Payload, p.Payload)
	assert.Contains(t, p.Metadata.Get(wmiddleware.ReasonForPoisonedKey), "boom for agg-7")
	assert.Equal(t, handlerName, p.Metadata.Get(wmiddleware.PoisonedHandlerKey))
	assert.Equal(t, inputTopic, p.Metadata.Get(wmiddleware.PoisonedTopicKey))
	assert.Equal(t, "corr-a", p.Metadata.Get(middleware.CorrelationIDKey))
	assert.Equal(t, "agg-7", p.Metadata.Get(kafka.MetadataKey))
	assert.Equal(t, "kept", p.Metadata.Get("custom"))

	assert.EqualValues(t, 1, h.counters.Get(metrics.MessagesPoisoned, "handler", handlerName))
	assert.EqualValues(t, 2, retried(h.counters, "panic"))
	assert.EqualValues(t, 0, h.counters.Get(metrics.MessagesProcessed, "handler", handlerName))
	assert.Len(t, h.poison.published(), 1)

	logged := h.logs.withMsg(t, "message sent to poison queue")
	require.Len(t, logged, 1)
	assert.Equal(t, "corr-a", logged[0]["correlation_id"])
	assert.Equal(t, poisonTopic, logged[0]["poison_topic"])
	assert.NotContains(t, logged[0]["reason"], "\n", "the stack trace stays out of the log line")
}

func TestTransientErrorIsRetriedWithBackoffUntilTheDependencyRecovers(t *testing.T) {
	cfg := defaultConfig()
	cfg.RetryInitialInterval = 4 * time.Millisecond
	cfg.RetryMaxInterval = 16 * time.Millisecond
	h := newHarness(t, cfg)

	var healthy atomic.Bool
	var mu sync.Mutex
	var times []time.Time
	attempted := make(chan int, 1000)
	h.router.AddHandler(handlerName, inputTopic, h.sub, func(*message.Message) error {
		mu.Lock()
		times = append(times, time.Now())
		n := len(times)
		mu.Unlock()
		signal(attempted, n)
		if !healthy.Load() {
			return fmt.Errorf("upsert user: %w", errors.New("mongodb: connection refused"))
		}
		return nil
	})
	h.start()
	h.publish(newMessage("m-transient", "agg-1", "corr-b"))

	deadline := time.After(wait)
	for n := 0; n < 6; {
		select {
		case n = <-attempted:
		case <-deadline:
			t.Fatalf("only %d attempts", n)
		}
	}
	healthy.Store(true) // MongoDB is back
	assert.Equal(t, outcome{uuid: "m-transient", acked: true}, h.nextOutcome())

	mu.Lock()
	defer mu.Unlock()
	attempts := len(times)
	require.GreaterOrEqual(t, attempts, 6)
	assert.Empty(t, h.poison.published(), "a transient error is never poisoned")
	assert.EqualValues(t, 0, h.counters.Get(metrics.MessagesPoisoned, "handler", handlerName))
	assert.EqualValues(t, attempts-1, retried(h.counters, "transient"))
	assert.EqualValues(t, 1, h.counters.Get(metrics.MessagesProcessed, "handler", handlerName))

	// Exponential backoff, capped: attempt i+1 comes at least
	// 0.8 × min(initial × 2^i, max) after attempt i (±20 % jitter).
	for i := 1; i < attempts; i++ {
		backoff := min(cfg.RetryInitialInterval<<(i-1), cfg.RetryMaxInterval)
		gap := times[i].Sub(times[i-1])
		assert.GreaterOrEqualf(t, gap, backoff*8/10, "gap before attempt %d", i+1)
	}

	warnings := h.logs.withMsg(t, "message failed, retrying")
	assert.Len(t, warnings, attempts-1)
	for _, w := range warnings {
		assert.Equal(t, "corr-b", w["correlation_id"])
		assert.Equal(t, "transient", w["kind"])
		assert.Contains(t, w["error"], "connection refused")
	}
}

func TestPermanentErrorIsPoisonedAtOnce(t *testing.T) {
	h := newHarness(t, defaultConfig())
	var attempts atomic.Int32
	h.router.AddHandler(handlerName, inputTopic, h.sub, func(*message.Message) error {
		attempts.Add(1)
		return fmt.Errorf("project user: %w", fault.Permanentf("payload: email missing"))
	})
	h.start()
	h.publish(newMessage("m-permanent", "agg-2", "corr-c"))

	p := h.nextPoisoned()
	assert.Equal(t, outcome{uuid: "m-permanent", acked: true}, h.nextOutcome())
	assert.EqualValues(t, 1, attempts.Load())
	assert.Equal(t, "project user: payload: email missing", p.Metadata.Get(wmiddleware.ReasonForPoisonedKey))
	assert.Equal(t, handlerName, p.Metadata.Get(wmiddleware.PoisonedHandlerKey))
	assert.Equal(t, "corr-c", p.Metadata.Get(middleware.CorrelationIDKey))
	assert.Equal(t, "agg-2", p.Metadata.Get(kafka.MetadataKey))
	assert.EqualValues(t, 1, h.counters.Get(metrics.MessagesPoisoned, "handler", handlerName))
	assert.EqualValues(t, 0, retried(h.counters, "transient")+retried(h.counters, "panic"))

	// A correlation id found elsewhere is written to the poisoned copy too.
	alt := newMessage("m-alt", "agg-2", "")
	alt.Metadata.Set("X-Correlation-ID", "corr-alt")
	h.publish(alt)
	assert.Equal(t, "corr-alt", h.nextPoisoned().Metadata.Get(middleware.CorrelationIDKey))
	assert.True(t, h.nextOutcome().acked)
	h.publish(newMessage("m-root", "agg-2", ""))
	assert.Equal(t, "m-root", h.nextPoisoned().Metadata.Get(middleware.CorrelationIDKey))
	assert.True(t, h.nextOutcome().acked)
}

// TestHandlerTimeoutIsPerAttempt: an attempt that runs into HandlerTimeout
// is retried with a fresh deadline.
func TestHandlerTimeoutIsPerAttempt(t *testing.T) {
	cfg := defaultConfig()
	cfg.HandlerTimeout = 30 * time.Millisecond
	h := newHarness(t, cfg)
	var attempts atomic.Int32
	h.router.AddHandler(handlerName, inputTopic, h.sub, func(msg *message.Message) error {
		if attempts.Add(1) == 1 {
			<-msg.Context().Done() // a slow dependency
			return msg.Context().Err()
		}
		return msg.Context().Err() // must not have expired already
	})
	h.start()
	h.publish(newMessage("m-slow", "", ""))
	assert.Equal(t, outcome{uuid: "m-slow", acked: true}, h.nextOutcome())
	assert.EqualValues(t, 2, attempts.Load())
	assert.EqualValues(t, 1, retried(h.counters, "transient"))
	assert.Empty(t, h.poison.published())
}

func TestShutdown(t *testing.T) {
	t.Run("transient retries stop and the message is nacked, not poisoned", func(t *testing.T) {
		cfg := defaultConfig()
		h := newHarness(t, cfg)
		attempted := make(chan int, 1000)
		var attempts atomic.Int32
		h.router.AddHandler(handlerName, inputTopic, h.sub, func(*message.Message) error {
			signal(attempted, int(attempts.Add(1)))
			return errors.New("mongodb: no reachable servers")
		})
		h.start()
		h.publish(newMessage("m-shutdown", "agg-3", "corr-d"))
		waitAttempts(t, attempted, 3)

		took, err := h.stop()
		require.NoError(t, err)
		assert.Less(t, took, cfg.CloseTimeout, "Run returns within CloseTimeout")

		assert.Equal(t, outcome{uuid: "m-shutdown", acked: false}, h.nextOutcome())
		assertNoAck(t, h)
		assert.Empty(t, h.poison.published(), "nothing is poisoned during shutdown")
		assert.EqualValues(t, 0, h.counters.Get(metrics.MessagesPoisoned, "handler", handlerName))

		var cut bool
		for _, l := range h.logs.withMsg(t, "message failed") {
			if l["correlation_id"] == "corr-d" {
				assert.Contains(t, l["error"], middleware.ErrShuttingDown.Error())
				cut = true
			}
		}
		assert.True(t, cut, "the retry loop was cut short by shutdown")
	})

	t.Run("a permanent error after closing began is not poisoned", func(t *testing.T) {
		h := newHarness(t, defaultConfig())
		started := make(chan int, 10)
		h.router.AddHandler(handlerName, inputTopic, h.sub, func(*message.Message) error {
			signal(started, 1)
			<-h.router.Closing()
			return fault.Permanentf("payload: invalid")
		})
		h.start()
		h.publish(newMessage("m-late", "agg-4", ""))
		waitAttempts(t, started, 1)

		_, err := h.stop()
		require.NoError(t, err)
		assert.Equal(t, outcome{uuid: "m-late", acked: false}, h.nextOutcome())
		assertNoAck(t, h)
		assert.Empty(t, h.poison.published())
		assert.EqualValues(t, 0, h.counters.Get(metrics.MessagesPoisoned, "handler", handlerName))
	})

	t.Run("Close stops like a cancelled context", func(t *testing.T) {
		cfg := defaultConfig()
		h := newHarness(t, cfg)
		attempted := make(chan int, 1000)
		var attempts atomic.Int32
		h.router.AddHandler(handlerName, inputTopic, h.sub, func(*message.Message) error {
			signal(attempted, int(attempts.Add(1)))
			return errors.New("kafka: not enough replicas")
		})
		h.start()
		h.publish(newMessage("m-close", "", ""))
		waitAttempts(t, attempted, 2)

		began := time.Now()
		require.NoError(t, h.router.Close())
		select {
		case err := <-h.runErr:
			require.NoError(t, err)
			h.cancel = nil
		case <-time.After(wait):
			t.Fatal("Run did not return after Close")
		}
		assert.Less(t, time.Since(began), cfg.CloseTimeout)
		assert.Equal(t, outcome{uuid: "m-close", acked: false}, h.nextOutcome())
		assertNoAck(t, h)
		assert.Empty(t, h.poison.published())
		// The router closed the poison publisher.
		assert.Error(t, h.poison.Publish(poisonTopic, message.NewMessage("x", nil)))
	})
}

func waitAttempts(t *testing.T, attempted <-chan int, n int) {
	t.Helper()
	deadline := time.After(wait)
	for got := 0; got < n; {
		select {
		case got = <-attempted:
		case <-deadline:
			t.Fatalf("%d of %d attempts", got, n)
		}
	}
}

// assertNoAck checks that no delivery that ended so far was acked. Run has
// returned, so every handler has finished.
func assertNoAck(t *testing.T, h *harness) {
	t.Helper()
	for {
		select {
		case o := <-h.sub.outcomes:
			assert.False(t, o.acked, "message %s acked during shutdown", o.uuid)
		default:
			return
		}
	}
}

func TestDecodeOutbox(t *testing.T) {
	h := newHarness(t, defaultConfig())
	dec, err := debezium.NewDecoder(debezium.DecoderConfig{})
	require.NoError(t, err)

	type seen struct {
		ev outbox.Event
		md message.Metadata
	}
	var calls atomic.Int32
	got := make(chan seen, 10)
	h.router.AddOutboxHandler(handlerName, inputTopic, h.sub, dec, func(msg *message.Message) error {
		calls.Add(1)
		ev, err := outbox.FromContext(msg.Context())
		if err != nil {
			return err
		}
		h.logger.InfoContext(msg.Context(), "projecting")
		got <- seen{ev: ev, md: maps.Clone(msg.Metadata)}
		return nil
	})
	h.start()

	t.Run("undecodable value is poisoned with the reason", func(t *testing.T) {
		bad := message.NewMessage("m-bad", []byte("not json"))
		bad.Metadata.Set(kafka.MetadataKey, "agg-9")
		bad.Metadata.Set(middleware.CorrelationIDKey, "corr-e")
		h.publish(bad)

		p := h.nextPoisoned()
		assert.Equal(t, outcome{uuid: "m-bad", acked: true}, h.nextOutcome())
		reason := p.Metadata.Get(wmiddleware.ReasonForPoisonedKey)
		assert.Contains(t, reason, "debezium: value: not JSON")
		assert.Equal(t, handlerName, p.Metadata.Get(wmiddleware.PoisonedHandlerKey))
		assert.Equal(t, "agg-9", p.Metadata.Get(kafka.MetadataKey))
		assert.Equal(t, "corr-e", p.Metadata.Get(middleware.CorrelationIDKey))
		assert.Equal(t, []byte("not json"), []byte(p.Payload))
		assert.EqualValues(t, 1, calls.Load())
		assert.EqualValues(t, 1, h.counters.Get(metrics.MessagesPoisoned, "handler", handlerName))
	})

	t.Run("tombstone is acked without calling the handler", func(t *testing.T) {
		before := calls.Load()
		tomb := message.NewMessage("m-tomb", nil)
		tomb.Metadata.Set(kafka.MetadataKey, "agg-9")
		tomb.Metadata.Set(kafka.MetadataNullValue, "true")
		h.publish(tomb)

		assert.Equal(t, outcome{uuid: "m-tomb", acked: true}, h.nextOutcome())
		assert.Equal(t, before, calls.Load())
		assert.EqualValues(t, 1, h.counters.Get(metrics.MessagesSkipped, "handler", handlerName, "reason", "tombstone"))
		assert.Len(t, h.poison.published(), 1, "only the undecodable one")
	})

	t.Run("valid record reaches the handler with its event and correlation id", func(t *testing.T) {
		ok := message.NewMessage("m-ok", fixture(t, "create_schemas_off.json"))
		ok.Metadata.Set(kafka.MetadataKey, "7c9e6679-7425-40de-944b-e07fc1f90ae7")
		// The outbox row is the source of truth for the correlation id.
		ok.Metadata.Set(middleware.CorrelationIDKey, "from-a-header")
		h.publish(ok)

		var s seen
		select {
		case s = <-got:
		case <-time.After(wait):
			t.Fatal("handler not called")
		}
		assert.Equal(t, outcome{uuid: "m-ok", acked: true}, h.nextOutcome())
		assert.Equal(t, "UserCreated", s.ev.EventType)
		assert.Equal(t, "0f8fad5b-d9cb-469f-a165-70867728950e", s.ev.EventID)
		assert.Equal(t, "7c9e6679-7425-40de-944b-e07fc1f90ae7", s.ev.AggregateID)
		assert.EqualValues(t, 1, s.ev.AggregateVersion)
		const corr = "5b1c8f0e-3a2d-4c6b-9e7f-1a2b3c4d5e6f"
		assert.Equal(t, corr, s.ev.Metadata.CorrelationID)
		assert.Equal(t, corr, s.md[middleware.CorrelationIDKey])
		assert.Equal(t, s.ev.EventID, s.md[middleware.EventIDKey])
		assert.Equal(t, "UserCreated", s.md[middleware.EventTypeKey])
		assert.EqualValues(t, 1, h.counters.Get(metrics.MessagesProcessed, "handler", handlerName))

		logged := h.logs.withMsg(t, "projecting")
		require.Len(t, logged, 1)
		assert.Equal(t, corr, logged[0]["correlation_id"])
		assert.Equal(t, s.ev.EventID, logged[0]["event_id"])
		assert.Equal(t, "UserCreated", logged[0]["event_type"])
	})

	t.Run("heartbeat and update records are skipped", func(t *testing.T) {
		before := calls.Load()
		for uuid, name := range map[string]string{"m-hb": "heartbeat_schemas_off.json", "m-upd": "update_schemas_off.json"} {
			h.publish(message.NewMessage(uuid, fixture(t, name)))
			assert.True(t, h.nextOutcome().acked, name)
		}
		assert.Equal(t, before, calls.Load())
		assert.EqualValues(t, 1, h.counters.Get(metrics.MessagesSkipped, "handler", handlerName, "reason", "heartbeat"))
		assert.EqualValues(t, 1, h.counters.Get(metrics.MessagesSkipped, "handler", handlerName, "reason", "update"))
	})
}

// TestDecodeOutboxWithRegistry runs the registry behind the decode
// middleware: a handler failing permanently poisons the message with the
// handlers that did their work listed.
func TestDecodeOutboxWithRegistry(t *testing.T) {
	h := newHarness(t, defaultConfig())
	dec, err := debezium.NewDecoder(debezium.DecoderConfig{})
	require.NoError(t, err)
	reg := registry.New(h.logger, h.counters)
	var okCalls atomic.Int32
	reg.MustRegister("UserCreated", "ok", func(context.Context, outbox.Event) error {
		okCalls.Add(1)
		return nil
	})
	reg.MustRegister("UserCreated", "strict", func(context.Context, outbox.Event) error {
		return fault.Permanentf("payload: display_name too long")
	})
	h.router.AddOutboxHandler(handlerName, inputTopic, h.sub, dec, reg.Handle)
	h.start()

	h.publish(message.NewMessage("m-reg", fixture(t, "create_schemas_off.json")))
	p := h.nextPoisoned()
	assert.True(t, h.nextOutcome().acked)
	assert.EqualValues(t, 1, okCalls.Load())
	assert.Equal(t, "ok", p.Metadata.Get(registry.DoneMetadataKey))
	assert.Equal(t, "strict", p.Metadata.Get(registry.FailedMetadataKey))
	assert.Contains(t, p.Metadata.Get(wmiddleware.ReasonForPoisonedKey), "handler strict: payload: display_name too long")
	assert.Equal(t, "5b1c8f0e-3a2d-4c6b-9e7f-1a2b3c4d5e6f", p.Metadata.Get(middleware.CorrelationIDKey))
}

func TestCorrelationIDInLogLines(t *testing.T) {
	h := newHarness(t, defaultConfig())
	h.router.AddHandler(handlerName, inputTopic, h.sub, func(msg *message.Message) error {
		ctx := msg.Context()
		h.logger.InfoContext(ctx, "inside handler", "step", 1)
		h.logger.WarnContext(ctx, "inside handler", "step", 2)
		return nil
	})
	h.start()

	withHeader := message.NewMessage("m-alt", []byte("{}"))
	withHeader.Metadata.Set("X-Correlation-ID", "corr-x")
	cases := []struct {
		msg  *message.Message
		want string
	}{
		{newMessage("m-corr", "", "corr-f"), "corr-f"},
		{withHeader, "corr-x"},
		{newMessage("m-none", "", ""), "m-none"}, // the message is the root of its chain
	}
	for _, c := range cases {
		h.publish(c.msg)
		assert.True(t, h.nextOutcome().acked)
	}

	byUUID := map[string][]map[string]any{}
	for _, l := range h.logs.withMsg(t, "inside handler") {
		byUUID[l["message_uuid"].(string)] = append(byUUID[l["message_uuid"].(string)], l)
	}
	handled := map[string]map[string]any{}
	for _, l := range h.logs.withMsg(t, "message handled") {
		handled[l["message_uuid"].(string)] = l
	}
	for _, c := range cases {
		lines := byUUID[c.msg.UUID]
		require.Len(t, lines, 2, c.msg.UUID)
		for _, l := range lines {
			assert.Equal(t, c.want, l["correlation_id"], c.msg.UUID)
			assert.Equal(t, handlerName, l["handler"])
			assert.Equal(t, "test-svc", l["service"])
		}
		require.Contains(t, handled, c.msg.UUID)
		assert.Equal(t, "DEBUG", handled[c.msg.UUID]["level"])
		assert.Equal(t, c.want, handled[c.msg.UUID]["correlation_id"])
	}
}
