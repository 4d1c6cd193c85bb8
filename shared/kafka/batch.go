package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/activityapp/event-processor/shared/metrics"
)

// Metadata keys a BatchSubscriber sets on every message in addition to
// MetadataTopic, MetadataPartition and MetadataOffset (which, for a batch, is
// the offset of its last record).
const (
	// MetadataBatchSize is the number of records in the batch, in decimal.
	MetadataBatchSize = "kafka_batch_size"
	// MetadataFirstOffset is the offset of the batch's first record.
	MetadataFirstOffset = "kafka_first_offset"
)

// Defaults of BatchSubscriberConfig.
const (
	DefaultBatchMaxEvents       = 500
	DefaultBatchNackResendSleep = 100 * time.Millisecond
)

// lagInterval is how often a claimed partition's lag is measured while no
// batch is acked (a handler retrying, or nothing to read).
const lagInterval = 5 * time.Second

// consumeRetrySleep is how long a subscription waits before joining the
// group again after Consume failed (broker gone, coordinator moving).
const consumeRetrySleep = time.Second

// Errors of the BatchSubscriber.
var (
	// ErrBatchSubscriberClosed is returned by Subscribe after Close.
	ErrBatchSubscriberClosed = errors.New("kafka: batch subscriber closed")
	// ErrInvalidBatchConfig is wrapped by every error Validate returns.
	ErrInvalidBatchConfig = errors.New("kafka: invalid batch subscriber config")
)

// BatchSubscriberConfig configures NewBatchSubscriber.
type BatchSubscriberConfig struct {
	Brokers       []string
	ConsumerGroup string
	ClientID      string
	// MaxEvents caps the records in one batch; 500 when zero.
	MaxEvents int
	// MaxWait is how long a batch that is not yet full waits for more
	// records after its first one; 0 means take only what is already
	// fetched, never wait. Negative is invalid.
	MaxWait time.Duration
	// NackResendSleep delays the redelivery of a nacked batch; 100ms when
	// zero. Negative is invalid.
	NackResendSleep time.Duration
	// OffsetsInitial is sarama.OffsetOldest (default, when zero) or
	// sarama.OffsetNewest; it applies to a group without committed offsets.
	OffsetsInitial int64
	// Registerer gets the consumer lag gauge of every partition this
	// subscriber claims (nil: not measured).
	Registerer prometheus.Registerer
}

func (c *BatchSubscriberConfig) setDefaults() {
	if c.MaxEvents == 0 {
		c.MaxEvents = DefaultBatchMaxEvents
	}
	if c.NackResendSleep == 0 {
		c.NackResendSleep = DefaultBatchNackResendSleep
	}
	if c.OffsetsInitial == 0 {
		// sarama's default is the newest offset, which would skip
		// everything written before the group's first start.
		c.OffsetsInitial = sarama.OffsetOldest
	}
}

// Validate reports whether the config, with its defaults applied, is usable.
func (c BatchSubscriberConfig) Validate() error {
	c.setDefaults()
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("no brokers"))
	}
	if c.ConsumerGroup == "" {
		errs = append(errs, errors.New("no consumer group"))
	}
	if c.MaxEvents < 1 {
		errs = append(errs, fmt.Errorf("MaxEvents %d is less than 1", c.MaxEvents))
	}
	if c.MaxWait < 0 {
		errs = append(errs, fmt.Errorf("MaxWait %v is negative", c.MaxWait))
	}
	if c.NackResendSleep < 0 {
		errs = append(errs, fmt.Errorf("NackResendSleep %v is negative", c.NackResendSleep))
	}
	if c.OffsetsInitial != sarama.OffsetOldest && c.OffsetsInitial != sarama.OffsetNewest {
		errs = append(errs, fmt.Errorf("OffsetsInitial %d is neither sarama.OffsetOldest nor sarama.OffsetNewest", c.OffsetsInitial))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidBatchConfig, errors.Join(errs...))
	}
	return nil
}

// saramaConfig is watermill-kafka's consumer configuration with this
// config's initial offset, auto-commit every second, sticky assignment, and
// a channel buffer that can hold a full batch.
func (c BatchSubscriberConfig) saramaConfig() *sarama.Config {
	// The base leaves the protocol version at sarama's default (2.8),
	// which kfake and Kafka 4 accept.
	sc := wkafka.DefaultSaramaSubscriberConfig()
	if c.ClientID != "" {
		sc.ClientID = c.ClientID
	}
	sc.Consumer.Return.Errors = true
	sc.Consumer.Offsets.Initial = c.OffsetsInitial
	sc.Consumer.Offsets.AutoCommit.Enable = true
	sc.Consumer.Offsets.AutoCommit.Interval = time.Second
	// Sticky assignment keeps partitions in place across rebalances as far
	// as possible. It is an eager strategy: a rebalance ends the session and
	// with it every claim, which is what ConsumeClaim relies on to notice
	// that its partition is going away.
	sc.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategySticky()}
	// Fetch.Max stays 0 (no limit): a record larger than Fetch.Default
	// (the outbox allows 8 MiB records) is still fetched whole, as brokers
	// return at least one batch and sarama grows its fetch size for it.
	sc.Consumer.Fetch.Default = 1 << 20
	sc.Consumer.Fetch.Max = 0
	// A batch is cut from what the partition consumer has buffered; a
	// buffer smaller than MaxEvents would cap every batch at its size.
	sc.ChannelBufferSize = max(sc.ChannelBufferSize, c.MaxEvents)
	return sc
}

// Batch is the records of one partition that one message carries, in offset
// order.
type Batch struct {
	Topic     string
	Partition int32
	// Claim identifies the partition claim that read the batch: every
	// claim (a start, or the partition coming back after a rebalance) has
	// its own, so a handler that keeps state per partition knows when to
	// load it again. Zero for a batch made by NewBatchMessage.
	Claim   uint64
	Records []Record
}

// FirstOffset is the offset of the batch's first record, -1 for no records.
func (b Batch) FirstOffset() int64 {
	if len(b.Records) == 0 {
		return -1
	}
	return b.Records[0].Offset
}

// LastOffset is the offset of the batch's last record, -1 for no records.
func (b Batch) LastOffset() int64 {
	if len(b.Records) == 0 {
		return -1
	}
	return b.Records[len(b.Records)-1].Offset
}

// batchContextKey is the message-context key under which a Batch travels.
type batchContextKey struct{}

// BatchFromMessage returns the batch a message of a BatchSubscriber carries.
// The batch travels on the message's context rather than in its payload, so
// nothing is encoded; the router derives handler contexts from it, so the
// batch is there in every middleware and handler.
func BatchFromMessage(msg *message.Message) (Batch, bool) {
	b, ok := msg.Context().Value(batchContextKey{}).(Batch)
	return b, ok
}

// NewBatchMessage returns the message a BatchSubscriber would deliver for b:
// its UUID, metadata and context (ctx, carrying b) are the same. It is for
// tests and benchmarks that drive a router without Kafka; acking or nacking
// the message does nothing but close its Acked or Nacked channel.
func NewBatchMessage(ctx context.Context, b Batch) *message.Message {
	return newBatchMessage(ctx, b)
}

// newBatchMessage wraps a batch in a new message whose context is ctx (which
// ends with the partition's claim) carrying the batch.
func newBatchMessage(ctx context.Context, b Batch) *message.Message {
	first, last := b.FirstOffset(), b.LastOffset()
	msg := message.NewMessage(fmt.Sprintf("%s/%d/%d-%d", b.Topic, b.Partition, first, last), nil)
	msg.Metadata = message.Metadata{
		MetadataTopic:       b.Topic,
		MetadataPartition:   strconv.FormatInt(int64(b.Partition), 10),
		MetadataOffset:      strconv.FormatInt(last, 10),
		MetadataFirstOffset: strconv.FormatInt(first, 10),
		MetadataBatchSize:   strconv.Itoa(len(b.Records)),
	}
	msg.SetContext(context.WithValue(ctx, batchContextKey{}, b))
	return msg
}

// recordFromConsumerMessage keeps the record's bytes as sarama decoded them:
// a null key or value stays nil, an empty one stays empty.
func recordFromConsumerMessage(m *sarama.ConsumerMessage) Record {
	rec := Record{
		Topic:     m.Topic,
		Partition: m.Partition,
		Offset:    m.Offset,
		Key:       m.Key,
		Value:     m.Value,
		Headers:   make(map[string]string, len(m.Headers)),
		Timestamp: m.Timestamp,
	}
	for _, h := range m.Headers {
		if h == nil {
			continue
		}
		switch k := string(h.Key); k {
		case MetadataKey, MetadataTopic, MetadataPartition, MetadataOffset, MetadataTimestamp, MetadataNullValue:
			// These names describe a record's own position and key,
			// so a header must not pass for them.
		default:
			rec.Headers[k] = string(h.Value)
		}
	}
	return rec
}

// BatchSubscriber is a message.Subscriber that delivers, per partition, the
// records already fetched (up to MaxEvents, optionally waiting MaxWait for
// more) as one message, so that a handler can fold them together.
//
// watermill-kafka's subscriber delivers one record per partition and waits
// for its ack before the next, so nothing can be folded. A BatchSubscriber
// keeps the same guarantee per batch: a partition has one batch in flight, its
// next batch comes only after the ack (so per-key order holds), an ack marks
// the batch's last offset for the next auto-commit, and a nack redelivers the
// same records after NackResendSleep. The message's context ends when the
// partition's claim ends (rebalance, session end, Close): the batch will then
// be redelivered to whoever gets the partition, and its handler should stop.
type BatchSubscriber struct {
	config       BatchSubscriberConfig
	saramaConfig *sarama.Config
	logger       watermill.LoggerAdapter

	// ctx is cancelled by Close; every subscription's Consume context, and
	// so every session and message context, derives from it.
	ctx    context.Context
	cancel context.CancelFunc

	lag *prometheus.GaugeVec

	mu            sync.Mutex // guards closed against subscriptions.Add
	closed        bool
	subscriptions sync.WaitGroup
}

var _ message.Subscriber = (*BatchSubscriber)(nil)

// NewBatchSubscriber validates cfg and returns a subscriber. It does not
// connect yet: each Subscribe joins the consumer group.
func NewBatchSubscriber(cfg BatchSubscriberConfig, logger watermill.LoggerAdapter) (*BatchSubscriber, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	sc := cfg.saramaConfig()
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("kafka: sarama config: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &BatchSubscriber{
		config:       cfg,
		saramaConfig: sc,
		logger:       logger,
		ctx:          ctx,
		cancel:       cancel,
		lag: metrics.Register(cfg.Registerer, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: metrics.ConsumerLag,
			Help: "Records between the partition's high-water mark and this consumer's position; reported by the partition's owner only.",
		}, []string{"topic", "partition"})),
	}, nil
}

// Subscribe joins the consumer group for topic and returns the channel of
// batch messages. The channel is closed when ctx ends or Close is called,
// after every partition's claim has returned. Each call adds one member to
// the group (sharing the topic's partitions with the others); the router
// calls it once per handler.
func (s *BatchSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrBatchSubscriberClosed
	}
	s.subscriptions.Add(1)
	s.mu.Unlock()

	logFields := watermill.LogFields{
		"provider":            "kafka",
		"topic":               topic,
		"consumer_group":      s.config.ConsumerGroup,
		"kafka_consumer_uuid": watermill.NewShortUUID(),
	}
	group, err := sarama.NewConsumerGroup(s.config.Brokers, s.config.ConsumerGroup, s.saramaConfig)
	if err != nil {
		s.subscriptions.Done()
		return nil, fmt.Errorf("kafka: create consumer group %q for brokers %v: %w", s.config.ConsumerGroup, s.config.Brokers, err)
	}
	s.logger.Info("Subscribing to Kafka topic in batches", logFields)

	// Close or the caller's ctx ends the subscription; cancelling the
	// Consume context ends the session, which ends every claim.
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	output := make(chan *message.Message)
	go func() {
		defer s.subscriptions.Done()
		defer close(output)
		defer stop()
		defer cancel()
		s.consume(ctx, group, topic, output, logFields)
	}()
	return output, nil
}

// consume runs the group's sessions until ctx ends. Consume returns on every
// rebalance (and the claims of the session have returned by then), so it is
// called in a loop.
func (s *BatchSubscriber) consume(ctx context.Context, group sarama.ConsumerGroup, topic string, output chan<- *message.Message, logFields watermill.LogFields) {
	errorsDone := make(chan struct{})
	go func() {
		defer close(errorsDone)
		for err := range group.Errors() {
			s.logger.Error("Kafka consumer group error", err, logFields)
		}
	}()

	h := &batchHandler{
		output:          output,
		maxEvents:       s.config.MaxEvents,
		maxWait:         s.config.MaxWait,
		nackResendSleep: s.config.NackResendSleep,
		lag:             s.lag,
		logger:          s.logger,
		logFields:       logFields,
	}
	for ctx.Err() == nil {
		err := group.Consume(ctx, []string{topic}, h)
		if ctx.Err() != nil || errors.Is(err, sarama.ErrClosedConsumerGroup) {
			break
		}
		if err != nil {
			s.logger.Error("Kafka consumer group session failed, joining again", err, logFields.Add(watermill.LogFields{"retry_in": consumeRetrySleep.String()}))
			select {
			case <-ctx.Done():
			case <-time.After(consumeRetrySleep):
			}
			continue
		}
		s.logger.Debug("Kafka consumer group session ended, joining again", logFields)
	}

	// Close leaves the group (so the partitions move on at once rather than
	// after the session timeout) and closes the errors channel.
	if err := group.Close(); err != nil {
		// Close reports the last error it drained, which on shutdown is
		// mostly noise (as in watermill-kafka, which logs it as info).
		s.logger.Info("Kafka consumer group closed with error", logFields.Add(watermill.LogFields{"err": err.Error()}))
	}
	<-errorsDone
	s.logger.Info("Kafka batch subscription ended", logFields)
}

// Close ends every subscription and waits until their channels are closed.
// Unacknowledged batches are not marked and will be delivered again. A second
// Close returns nil.
func (s *BatchSubscriber) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()

	s.cancel()
	s.subscriptions.Wait()
	s.logger.Debug("Kafka batch subscriber closed", nil)
	return nil
}

// claims numbers the partition claims of the process (Batch.Claim).
var claims atomic.Uint64

// batchHandler is the sarama.ConsumerGroupHandler of one subscription.
// sarama runs ConsumeClaim in a goroutine per claimed partition.
type batchHandler struct {
	output          chan<- *message.Message
	maxEvents       int
	maxWait         time.Duration
	nackResendSleep time.Duration
	lag             *prometheus.GaugeVec
	logger          watermill.LoggerAdapter
	logFields       watermill.LogFields
}

var _ sarama.ConsumerGroupHandler = (*batchHandler)(nil)

func (h *batchHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *batchHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

// ConsumeClaim delivers the partition's records batch by batch, one in flight.
// It returns as soon as the session ends: a claim that does not return holds
// up the rebalance of the whole group. (An early return also ends the session,
// so it returns only when the session is over or the claim is closed.)
func (h *batchHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	// Messages of this claim carry ctx, so their handlers learn that the
	// partition has gone when the session ends or this claim returns.
	ctx, cancel := context.WithCancel(sess.Context())
	defer cancel()

	logFields := h.logFields.Copy().Add(watermill.LogFields{
		"kafka_partition":      claim.Partition(),
		"kafka_initial_offset": claim.InitialOffset(),
	})
	h.logger.Debug("Partition claimed", logFields)
	defer h.logger.Debug("Partition claim ended", logFields)

	claimID := claims.Add(1)
	lag := newClaimLag(h.lag, claim)
	stopLag := lag.measureEvery(ctx, lagInterval)
	defer stopLag()

	for {
		msgs, ok := h.collect(ctx, claim)
		if !ok {
			return nil
		}
		lag.positionAtLeast(msgs[0].Offset)
		batch := Batch{Topic: claim.Topic(), Partition: claim.Partition(), Claim: claimID, Records: make([]Record, len(msgs))}
		for i, m := range msgs {
			batch.Records[i] = recordFromConsumerMessage(m)
		}
		if !h.deliver(ctx, batch, logFields) {
			return nil
		}
		sess.MarkMessage(msgs[len(msgs)-1], "")
		lag.acked(msgs[len(msgs)-1].Offset)
	}
}

// collect waits for the claim's next record and adds the ones that follow,
// up to maxEvents: those already fetched, or with maxWait those that arrive
// within maxWait of the first. It reports false when the claim or its
// session has ended; a partial batch is then dropped, as it was not marked.
func (h *batchHandler) collect(ctx context.Context, claim sarama.ConsumerGroupClaim) ([]*sarama.ConsumerMessage, bool) {
	records := claim.Messages()
	var first *sarama.ConsumerMessage
	select {
	case m, ok := <-records:
		if !ok {
			return nil, false
		}
		first = m
	case <-ctx.Done():
		return nil, false
	}

	msgs := make([]*sarama.ConsumerMessage, 1, min(h.maxEvents, 1+len(records)))
	msgs[0] = first
	if h.maxWait == 0 {
		for len(msgs) < h.maxEvents {
			select {
			case m, ok := <-records:
				if !ok {
					return nil, false
				}
				msgs = append(msgs, m)
			default:
				return msgs, true
			}
		}
		return msgs, true
	}

	timer := time.NewTimer(h.maxWait)
	defer timer.Stop()
	for len(msgs) < h.maxEvents {
		select {
		case m, ok := <-records:
			if !ok {
				return nil, false
			}
			msgs = append(msgs, m)
		case <-timer.C:
			return msgs, true
		case <-ctx.Done():
			return nil, false
		}
	}
	return msgs, true
}

// deliver sends the batch until it is acked, reporting true, or until ctx
// ends, reporting false. A Watermill message can be acked or nacked only
// once, so every redelivery is a new message with the same records.
func (h *batchHandler) deliver(ctx context.Context, batch Batch, logFields watermill.LogFields) bool {
	for {
		if ctx.Err() != nil {
			// Both cases of the select below could be ready; prefer not
			// to hand over a batch whose context is already done.
			return false
		}
		msg := newBatchMessage(ctx, batch)
		fields := logFields.Add(watermill.LogFields{"message_uuid": msg.UUID})
		select {
		case h.output <- msg:
			h.logger.Trace("Batch sent to consumer", fields)
		case <-ctx.Done():
			h.logger.Trace("Claim ended before the batch was sent", fields)
			return false
		}

		select {
		case <-msg.Acked():
			h.logger.Trace("Batch acked", fields)
			return true
		case <-msg.Nacked():
			h.logger.Trace("Batch nacked, sending it again", fields)
			if !sleepOrDone(ctx, h.nackResendSleep) {
				return false
			}
		case <-ctx.Done():
			select {
			case <-msg.Acked():
				// The ack raced the end of the claim. Marking it is
				// still right: the session commits marked offsets
				// once its claims have returned.
				h.logger.Trace("Batch acked as the claim ended", fields)
				return true
			default:
			}
			h.logger.Trace("Claim ended before the batch was acked", fields)
			return false
		}
	}
}

// sleepOrDone waits for d, reporting false when ctx ends first.
func sleepOrDone(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
