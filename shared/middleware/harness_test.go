package middleware_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/logging"
	"github.com/activityapp/event-processor/shared/metrics"
	"github.com/activityapp/event-processor/shared/router"
)

const (
	inputTopic  = "outbox"
	poisonTopic = "svc.poison"
	handlerName = "projector"
	// wait bounds every wait for something that should happen at once.
	wait = 10 * time.Second
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines parses every JSON log line written so far.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	data := append([]byte(nil), b.buf.Bytes()...)
	b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), "log line %q", sc.Text())
		out = append(out, m)
	}
	require.NoError(t, sc.Err())
	return out
}

// withMsg returns the log lines whose msg is msg.
func (b *syncBuffer) withMsg(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range b.lines(t) {
		if l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}

// outcome is how a delivered message ended.
type outcome struct {
	uuid  string
	acked bool
}

// trackingSubscriber passes messages on and reports whether each delivery
// was acked or nacked.
type trackingSubscriber struct {
	message.Subscriber
	outcomes chan outcome
	stop     chan struct{}
}

func (s *trackingSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	in, err := s.Subscriber.Subscribe(ctx, topic)
	if err != nil {
		return nil, err
	}
	out := make(chan *message.Message)
	go func() {
		defer close(out)
		for msg := range in {
			go func() {
				select {
				case <-msg.Acked():
					s.outcomes <- outcome{uuid: msg.UUID, acked: true}
				case <-msg.Nacked():
					s.outcomes <- outcome{uuid: msg.UUID, acked: false}
				case <-s.stop:
				}
			}()
			out <- msg
		}
	}()
	return out, nil
}

// recordingPublisher records every message published (synchronously, so a
// test knows at once that nothing was) and passes it on.
type recordingPublisher struct {
	message.Publisher
	mu   sync.Mutex
	msgs []*message.Message
}

func (p *recordingPublisher) Publish(topic string, msgs ...*message.Message) error {
	p.mu.Lock()
	for _, m := range msgs {
		p.msgs = append(p.msgs, m.Copy())
	}
	p.mu.Unlock()
	return p.Publisher.Publish(topic, msgs...)
}

func (p *recordingPublisher) published() []*message.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*message.Message(nil), p.msgs...)
}

// harness runs a router built by router.New over gochannel: input on
// inputTopic, poison messages on poisonTopic of another gochannel.
type harness struct {
	t        *testing.T
	input    *gochannel.GoChannel
	sub      *trackingSubscriber
	poison   *recordingPublisher
	poisoned <-chan *message.Message
	router   *router.Router
	counters *metrics.Counters
	logs     *syncBuffer
	logger   *slog.Logger
	cancel   context.CancelFunc
	runErr   chan error
}

func defaultConfig() router.Config {
	return router.Config{
		PoisonTopic:          poisonTopic,
		HandlerTimeout:       5 * time.Second,
		RetryInitialInterval: 2 * time.Millisecond,
		RetryMaxInterval:     10 * time.Millisecond,
		PanicAttempts:        3,
		CloseTimeout:         5 * time.Second,
	}
}

func newHarness(t *testing.T, cfg router.Config) *harness {
	t.Helper()
	h := &harness{
		t:        t,
		input:    gochannel.NewGoChannel(gochannel.Config{}, nil),
		counters: metrics.NewCounters(),
		logs:     &syncBuffer{},
		runErr:   make(chan error, 1),
	}
	logger := logging.New(h.logs, slog.LevelDebug, "test-svc")
	h.logger = logger
	h.sub = &trackingSubscriber{Subscriber: h.input, outcomes: make(chan outcome, 100), stop: make(chan struct{})}
	poisonPubSub := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 100}, nil)
	var err error
	h.poisoned, err = poisonPubSub.Subscribe(context.Background(), poisonTopic)
	require.NoError(t, err)
	h.poison = &recordingPublisher{Publisher: poisonPubSub}

	h.router, err = router.New(cfg, h.poison, logger, h.counters)
	require.NoError(t, err)
	t.Cleanup(func() {
		close(h.sub.stop)
		if h.cancel != nil {
			h.cancel()
			select {
			case <-h.runErr:
			case <-time.After(wait):
				t.Errorf("router did not stop")
			}
		}
		_ = h.input.Close()
		_ = poisonPubSub.Close()
	})
	return h
}

// start runs the router and waits until it is subscribed.
func (h *harness) start() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.runErr <- h.router.Run(ctx) }()
	select {
	case <-h.router.Running():
	case err := <-h.runErr:
		h.t.Fatalf("router stopped at start: %v", err)
	case <-time.After(wait):
		h.t.Fatal("router not running")
	}
}

// stop cancels Run's context and returns Run's error and how long it took.
func (h *harness) stop() (time.Duration, error) {
	h.t.Helper()
	began := time.Now()
	h.cancel()
	select {
	case err := <-h.runErr:
		h.cancel = nil
		return time.Since(began), err
	case <-time.After(wait):
		h.t.Fatal("Run did not return after its context was cancelled")
		return 0, nil
	}
}

func (h *harness) publish(msg *message.Message) {
	h.t.Helper()
	require.NoError(h.t, h.input.Publish(inputTopic, msg))
}

// nextOutcome waits for the next delivery to end.
func (h *harness) nextOutcome() outcome {
	h.t.Helper()
	select {
	case o := <-h.sub.outcomes:
		return o
	case <-time.After(wait):
		h.t.Fatal("no message was acked or nacked")
		return outcome{}
	}
}

func (h *harness) nextPoisoned() *message.Message {
	h.t.Helper()
	select {
	case m := <-h.poisoned:
		m.Ack()
		return m
	case <-time.After(wait):
		h.t.Fatal("nothing arrived on the poison topic")
		return nil
	}
}

// signal sends on ch without blocking when nobody listens.
func signal(ch chan<- int, n int) {
	select {
	case ch <- n:
	default:
	}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "debezium", "testdata", name))
	require.NoError(t, err)
	return b
}
