package router

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/logging"
	"github.com/activityapp/event-processor/shared/outbox"
)

// Decoded is what a batch handler's Decode makes of one record.
type Decoded[T any] struct {
	// Value is what Handle receives when Skip and Err are empty.
	Value T
	// Skip acknowledges the record without handling it, counted under
	// this reason (a tombstone, a heartbeat).
	Skip string
	// Err sends the record to the poison queue with this reason.
	Err error
	// CorrelationID, EventID and EventType go on every log line about the
	// record and on its poisoned copy.
	CorrelationID string
	EventID       string
	EventType     string
}

// BatchHandler consumes Topic from Subscriber, a *kafka.BatchSubscriber,
// one batch of a partition's records at a time.
//
// Every record is decoded on its own: one that cannot be goes to the poison
// queue alone, with the reason, and the rest of the batch goes on. Handle
// then gets the batch's values in offset order. A transient error retries
// the whole batch with capped backoff, for as long as it takes; a permanent
// one (an invalid event) makes the router handle the batch's values one by
// one, so that only the values that fail on their own are poisoned. So
// Handle must be idempotent: values it already applied come again.
type BatchHandler[T any] struct {
	Name       string
	Topic      string
	Subscriber message.Subscriber
	Decode     func(kafka.Record) Decoded[T]
	Handle     func(ctx context.Context, values []T) error
	// Sequenced parks the later records of a poisoned record's sequence
	// (its key) behind it until it is replayed (see Block). It needs the
	// router's Config.Blocks; without them records are never parked.
	Sequenced bool
}

// Handler is a handler the router runs (a BatchHandler of any type).
type Handler interface {
	addTo(r *Router) error
}

func (h BatchHandler[T]) addTo(r *Router) error {
	if h.Name == "" || h.Topic == "" || h.Subscriber == nil || h.Decode == nil || h.Handle == nil {
		return fmt.Errorf("router: batch handler %q: name, topic, subscriber, decode and handle are required", h.Name)
	}
	// The handler's series exist from the start, at 0, so that a rate or
	// an increase over them sees the first record counted.
	r.metrics.processed.WithLabelValues(h.Name)
	r.metrics.poisoned.WithLabelValues(h.Name)
	if h.Sequenced && r.seq != nil {
		r.metrics.parked.WithLabelValues(h.Name)
		r.metrics.released.WithLabelValues(h.Name)
	}
	r.router.AddConsumerHandler(h.Name, h.Topic, h.Subscriber, func(msg *message.Message) error {
		return h.process(r, msg)
	})
	return nil
}

// item is one decoded record of a batch.
type item[T any] struct {
	rec kafka.Record
	dec Decoded[T]
}

func (h BatchHandler[T]) process(r *Router, msg *message.Message) error {
	batch, ok := kafka.BatchFromMessage(msg)
	if !ok {
		// A wiring bug (not a BatchSubscriber): nothing here can fix it.
		return fmt.Errorf("router: handler %s: message %s carries no batch", h.Name, msg.UUID)
	}
	ctx := logging.WithAttrs(msg.Context(), slog.String("handler", h.Name),
		slog.Int("partition", int(batch.Partition)),
		slog.Int64("first_offset", batch.FirstOffset()), slog.Int64("last_offset", batch.LastOffset()))
	r.metrics.batchRecords.WithLabelValues(h.Name).Observe(float64(len(batch.Records)))

	var seq *partitionBlocks
	if h.Sequenced && r.seq != nil {
		if seq = r.seq.cached(h.Name, batch); seq == nil {
			err := r.attempt(ctx, h.Name, handling, func(ctx context.Context) (err error) {
				seq, err = r.seq.load(ctx, h.Name, batch)
				return err
			})
			if err != nil {
				return err
			}
		}
	}

	// Records are handled in offset order: together, in one Handle call,
	// until one must be handled alone (a record of a blocked sequence, a
	// drop, a rebuild's replay, an undecodable record that will block its
	// sequence); the records before it are handled first, and the ones
	// after it see what it did to its sequence. The statistics count on a
	// partition's events reaching them in offset order.
	var items []item[T]
	for _, rec := range batch.Records {
		replayed := false
		if f := rec.Headers[ReplayForKey]; f != "" {
			if f != r.cfg.Service {
				r.metrics.skipped.WithLabelValues(h.Name, SkipReplayForOther).Inc()
				continue
			}
			replayed = true
		}
		drop := rec.Headers[DropKey] != ""
		if seq == nil && (drop || replayed && r.cfg.SkipReplays) {
			reason := SkipDropped
			if !drop {
				reason = SkipReplayInRebuild
			}
			r.metrics.skipped.WithLabelValues(h.Name, reason).Inc()
			continue
		}
		it := item[T]{rec: rec}
		if !drop {
			it.dec = h.decode(rec)
		}
		if seq != nil && (drop || replayed && r.cfg.SkipReplays || it.dec.Err != nil && rec.Key != nil || seq.blocked(rec) != nil) {
			if err := h.handleTogether(ctx, r, seq, items); err != nil {
				return err
			}
			items = nil
			if err := h.handleHeld(ctx, r, seq, it); err != nil {
				return err
			}
			continue
		}
		switch {
		case it.dec.Err != nil:
			if err := h.poison(ctx, r, seq, it, it.dec.Err); err != nil {
				return err
			}
		case it.dec.Skip != "":
			h.skip(ctx, r, it)
		default:
			items = append(items, it)
		}
	}
	return h.handleTogether(ctx, r, seq, items)
}

// handleTogether hands items to Handle in one call. When that fails
// permanently, it handles them one by one, so that only the ones that fail
// on their own are poisoned.
func (h BatchHandler[T]) handleTogether(ctx context.Context, r *Router, seq *partitionBlocks, items []item[T]) error {
	if len(items) == 0 {
		return nil
	}
	err := r.attempt(ctx, h.Name, handling, func(ctx context.Context) error { return h.Handle(ctx, values(items)) })
	if err == nil {
		r.metrics.processed.WithLabelValues(h.Name).Add(float64(len(items)))
		logHandled(ctx, r.logger, items...)
		return nil
	}
	if !fault.IsPermanent(err) {
		return err
	}
	if len(items) == 1 {
		// The value has been tried alone already: trying it again would
		// only repeat the failure (and a panic PanicAttempts more times).
		return h.poison(ctx, r, seq, items[0], err)
	}
	r.logger.WarnContext(ctx, "batch failed permanently; handling its records one by one to find the bad ones",
		slog.Int("records", len(items)), slog.String("error", firstLine(err)))
	for _, it := range items {
		// A record poisoned here blocks its sequence: the later records
		// of it are parked.
		if seq.blocked(it.rec) != nil {
			err = h.handleHeld(ctx, r, seq, it)
		} else {
			_, err = h.handleAlone(ctx, r, seq, it)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// handleAlone handles one record: poisoned if it failed to decode or fails
// permanently, skipped if its decoding says so. It reports whether Handle
// applied it.
func (h BatchHandler[T]) handleAlone(ctx context.Context, r *Router, seq *partitionBlocks, it item[T]) (applied bool, err error) {
	switch {
	case it.dec.Err != nil:
		return false, h.poison(ctx, r, seq, it, it.dec.Err)
	case it.dec.Skip != "":
		h.skip(ctx, r, it)
		return false, nil
	}
	err = r.attempt(eventContext(ctx, it.dec), h.Name, handling, func(ctx context.Context) error {
		return h.Handle(ctx, []T{it.dec.Value})
	})
	switch {
	case err == nil:
		r.metrics.processed.WithLabelValues(h.Name).Inc()
		logHandled(ctx, r.logger, it)
		return true, nil
	case fault.IsPermanent(err):
		return false, h.poison(ctx, r, seq, it, err)
	default:
		return false, err
	}
}

// handleHeld handles a record of a blocked sequence. The sequence's next
// record, replayed, is applied (and releases the sequence if it is the
// last); a record already parked and delivered again is skipped; anything
// else is parked behind the sequence's head, except the replay of a record
// from before the block, which is applied (it is idempotent).
func (h BatchHandler[T]) handleHeld(ctx context.Context, r *Router, seq *partitionBlocks, it item[T]) error {
	b := seq.blocked(it.rec)
	if o := it.rec.Headers[DropKey]; o != "" {
		return h.drop(ctx, r, seq, b, it.rec, o)
	}
	replayed := it.rec.Headers[ReplayOfKey] != ""
	o := origin(it.rec)
	parked := b != nil && slices.Contains(b.Parked, o)
	switch {
	case replayed && !parked && r.cfg.SkipReplays:
		// A rebuild applies its own reading of the event, or waits for
		// the replay that is its sequence's turn.
		r.metrics.skipped.WithLabelValues(h.Name, SkipReplayInRebuild).Inc()
		return nil
	case b == nil:
		// Not blocked, or released by an earlier record of this batch.
		_, err := h.handleAlone(ctx, r, seq, it)
		return err
	case it.dec.Skip != "":
		h.skip(ctx, r, it)
		return nil
	}
	switch {
	case replayed && o == b.head():
		applied, err := h.handleAlone(ctx, r, seq, it)
		if err != nil || !applied {
			return err // poisoned again: the sequence stays blocked behind it
		}
		return h.unblock(eventContext(ctx, it.dec), r, seq, b, o)
	case replayed && !parked:
		_, err := h.handleAlone(ctx, r, seq, it)
		return err
	case !replayed && parked:
		r.metrics.skipped.WithLabelValues(h.Name, SkipAlreadyParked).Inc()
		return nil
	}
	if err := r.parkRecord(ctx, h.Name, it.rec, it.dec.CorrelationID, it.dec.EventID, it.dec.EventType, b.head()); err != nil {
		return err
	}
	if parked {
		return nil // a replay that came before its turn: it stays where it was
	}
	return r.attempt(ctx, h.Name, handling, func(ctx context.Context) error { return r.seq.park(ctx, b, it.rec) })
}

// drop takes the poisoned record first read at origin out of its
// sequence's block b (nil: not blocked), at the operator's word: it will
// not be applied, and the records parked behind it no longer wait for it.
func (h BatchHandler[T]) drop(ctx context.Context, r *Router, seq *partitionBlocks, b *Block, rec kafka.Record, origin string) error {
	r.metrics.skipped.WithLabelValues(h.Name, SkipDropped).Inc()
	if b == nil || !slices.Contains(b.Parked, origin) {
		r.logger.InfoContext(ctx, "drop of a record its sequence does not wait for: nothing to do", slog.String("origin", origin))
		return nil
	}
	r.logger.WarnContext(ctx, "poisoned record dropped from its sequence", slog.String("origin", origin), slog.String("key", b.Key))
	return h.unblock(ctx, r, seq, b, origin)
}

// unblock takes origin out of b, releasing it when it was the last.
func (h BatchHandler[T]) unblock(ctx context.Context, r *Router, seq *partitionBlocks, b *Block, origin string) error {
	var released bool
	err := r.attempt(ctx, h.Name, handling, func(ctx context.Context) (err error) {
		released, err = r.seq.remove(ctx, seq, b, origin)
		return err
	})
	if err == nil && released {
		r.metrics.released.WithLabelValues(h.Name).Inc()
		r.logger.InfoContext(ctx, "blocked sequence released", slog.String("key", b.Key))
	}
	return err
}

// poison sends it to the poison queue for reason and, in a sequenced
// handler, blocks its sequence behind it (unless it is blocked already).
func (h BatchHandler[T]) poison(ctx context.Context, r *Router, seq *partitionBlocks, it item[T], reason error) error {
	if err := r.poisonRecord(ctx, h.Name, it.rec, it.dec.CorrelationID, it.dec.EventID, it.dec.EventType, reason); err != nil {
		return err
	}
	if seq == nil || it.rec.Key == nil || seq.blocked(it.rec) != nil {
		return nil
	}
	return r.attempt(ctx, h.Name, handling, func(ctx context.Context) error {
		_, err := r.seq.block(ctx, seq, h.Name, it.rec)
		return err
	})
}

func (h BatchHandler[T]) skip(ctx context.Context, r *Router, it item[T]) {
	r.metrics.skipped.WithLabelValues(h.Name, it.dec.Skip).Inc()
	r.logger.DebugContext(ctx, "record skipped", slog.String("reason", it.dec.Skip), slog.Int64("offset", it.rec.Offset))
}

// decode runs Decode, turning a panic into a reason to poison the record.
func (h BatchHandler[T]) decode(rec kafka.Record) (d Decoded[T]) {
	defer func() {
		if p := recover(); p != nil {
			d = Decoded[T]{Err: fault.Permanentf("decoding panicked: %v", p), CorrelationID: recordCorrelationID(rec)}
		}
	}()
	d = h.Decode(rec)
	if d.Err != nil {
		d.Err = fault.Permanent(d.Err)
	}
	if d.CorrelationID == "" {
		d.CorrelationID = recordCorrelationID(rec)
	}
	return d
}

// logHandled writes one debug line per handled record, with its
// correlation id and event: the trail of each event through the service.
func logHandled[T any](ctx context.Context, logger *slog.Logger, items ...item[T]) {
	if !logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	for _, it := range items {
		logger.DebugContext(eventContext(ctx, it.dec), EventHandledLog, slog.Int64("offset", it.rec.Offset))
	}
}

// EventHandledLog is the message of the debug line logged for every
// handled record.
const EventHandledLog = "event handled"

func values[T any](items []item[T]) []T {
	vs := make([]T, len(items))
	for i, it := range items {
		vs[i] = it.dec.Value
	}
	return vs
}

// eventContext labels log lines with one record's correlation and event.
func eventContext[T any](ctx context.Context, d Decoded[T]) context.Context {
	attrs := []slog.Attr{slog.String("correlation_id", d.CorrelationID)}
	if d.EventID != "" {
		attrs = append(attrs, slog.String("event_id", d.EventID))
	}
	if d.EventType != "" {
		attrs = append(attrs, slog.String("event_type", d.EventType))
	}
	return logging.WithAttrs(ctx, attrs...)
}

// Headers of a record replayed from a poison topic (bin/poison replay):
// where it comes from, and which service it is for. The topic it is
// replayed to may be read by other services too; they skip it.
const (
	ReplayOfKey  = "replay_of"
	ReplayForKey = "replay_for"
	// SkipReplayForOther is the skip reason of a record replayed for
	// another service.
	SkipReplayForOther = "replay_for_other_service"
	// SkipReplayInRebuild is the skip reason of every replayed record in
	// a rebuild (Config.SkipReplays).
	SkipReplayInRebuild = "replay_in_rebuild"
)

// correlationHeaderAlt is the other correlation header a record may carry
// (besides outbox.CorrelationIDKey).
const correlationHeaderAlt = "X-Correlation-ID"

// recordCorrelationID is the record's correlation header or, without one,
// its position: the record is then the root of its own chain.
func recordCorrelationID(rec kafka.Record) string {
	for _, k := range []string{outbox.CorrelationIDKey, correlationHeaderAlt} {
		if v := rec.Headers[k]; v != "" {
			return v
		}
	}
	return rec.Topic + "/" + strconv.Itoa(int(rec.Partition)) + "/" + strconv.FormatInt(rec.Offset, 10)
}
