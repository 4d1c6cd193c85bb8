package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	wmiddleware "github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/logging"
	"github.com/activityapp/event-processor/shared/outbox"
)

// PoisonedSubscriber is what poisoned records name as their subscriber.
const PoisonedSubscriber = "kafka"

// poisonRecord publishes rec to the poison topic with Watermill's
// reason_poisoned, topic_poisoned, handler_poisoned and subscriber_poisoned
// metadata, its original key, headers and position, and the correlation
// and event it carried. A failing publish is retried with backoff like any
// transient error (counted as kind poison_publish, and shown by
// PoisonWaiting), never dropped; once shutdown has begun nothing is
// poisoned (a failure then says nothing about the record) and the batch is
// left for redelivery.
func (r *Router) poisonRecord(ctx context.Context, handler string, rec kafka.Record, correlationID, eventID, eventType string, reason error) error {
	ctx = logging.WithAttrs(ctx, slog.String("correlation_id", correlationID), slog.Int64("offset", rec.Offset))
	select {
	case <-r.closing:
		return fmt.Errorf("%w (record %d: %s)", ErrShuttingDown, rec.Offset, firstLine(reason))
	default:
	}
	msg := PoisonMessage(handler, rec, correlationID, eventID, eventType, reason)
	if err := r.publishPoison(ctx, handler, rec, msg); err != nil {
		return err
	}
	r.metrics.poisoned.WithLabelValues(handler).Inc()
	r.logger.ErrorContext(ctx, "record sent to poison queue", slog.String("poison_topic", r.cfg.PoisonTopic),
		slog.String("event_id", eventID), slog.String("event_type", eventType), slog.String("reason", firstLine(reason)))
	return nil
}

// parkRecord publishes rec to the poison topic as poisonRecord does, as
// parked behind the record whose origin is head (ParkedBehindKey): rec
// itself is fine, but its sequence is blocked.
func (r *Router) parkRecord(ctx context.Context, handler string, rec kafka.Record, correlationID, eventID, eventType, head string) error {
	reason := fmt.Errorf("%w: parked behind %s", ErrParked, head)
	msg := PoisonMessage(handler, rec, correlationID, eventID, eventType, reason)
	msg.Metadata.Set(ParkedBehindKey, head)
	if err := r.publishPoison(ctx, handler, rec, msg); err != nil {
		return err
	}
	r.metrics.parked.WithLabelValues(handler).Inc()
	r.logger.WarnContext(logging.WithAttrs(ctx, slog.String("correlation_id", correlationID), slog.Int64("offset", rec.Offset)),
		"record parked behind a poisoned record of its sequence", slog.String("poison_topic", r.cfg.PoisonTopic),
		slog.String("event_id", eventID), slog.String("event_type", eventType), slog.String("parked_behind", head))
	return nil
}

// ErrParked starts the reason of every parked record.
var ErrParked = errors.New("an earlier record of its sequence is poisoned")

// publishPoison publishes msg, rec's poison entry, retrying with backoff.
func (r *Router) publishPoison(ctx context.Context, handler string, rec kafka.Record, msg *message.Message) error {
	select {
	case <-r.closing:
		return fmt.Errorf("%w (record %d)", ErrShuttingDown, rec.Offset)
	default:
	}
	err := r.attempt(ctx, handler, poisoning, func(ctx context.Context) error {
		return kafka.PublishContext(ctx, r.poison, r.cfg.PoisonTopic, msg)
	})
	if err != nil {
		return fmt.Errorf("router: poisoning record %d: %w", rec.Offset, err)
	}
	return nil
}

// PoisonWaiting is how many records are waiting to be poisoned after at
// least one failed publish: each holds its partition. Readiness reports it.
func (r *Router) PoisonWaiting() int64 { return r.poisonWaiting.Load() }

// PoisonMessage is the poison topic's copy of rec, which handler could not
// use for reason: its value, key (kafka.MetadataKey) and headers, its
// position (kafka.MetadataTopic, MetadataPartition, MetadataOffset), the
// correlation and event it carried, and Watermill's reason_poisoned,
// topic_poisoned, handler_poisoned and subscriber_poisoned. Published with
// kafka.Marshaler, as the router does.
func PoisonMessage(handler string, rec kafka.Record, correlationID, eventID, eventType string, reason error) *message.Message {
	uuid := rec.Headers[wkafka.UUIDHeaderKey]
	if uuid == "" {
		uuid = rec.Topic + "/" + strconv.Itoa(int(rec.Partition)) + "/" + strconv.FormatInt(rec.Offset, 10)
	}
	msg := message.NewMessage(uuid, rec.Value)
	for k, v := range rec.Headers {
		msg.Metadata.Set(k, v)
	}
	if rec.Key != nil {
		msg.Metadata.Set(kafka.MetadataKey, string(rec.Key))
	}
	if rec.Value == nil {
		msg.Metadata.Set(kafka.MetadataNullValue, "true")
	}
	msg.Metadata.Set(kafka.MetadataTopic, rec.Topic)
	msg.Metadata.Set(kafka.MetadataPartition, strconv.Itoa(int(rec.Partition)))
	msg.Metadata.Set(kafka.MetadataOffset, strconv.FormatInt(rec.Offset, 10))
	msg.Metadata.Set(outbox.CorrelationIDKey, correlationID)
	if eventID != "" {
		msg.Metadata.Set(outbox.EventIDKey, eventID)
	}
	if eventType != "" {
		msg.Metadata.Set(outbox.EventTypeKey, eventType)
	}
	msg.Metadata.Set(wmiddleware.ReasonForPoisonedKey, reason.Error())
	msg.Metadata.Set(wmiddleware.PoisonedTopicKey, rec.Topic)
	msg.Metadata.Set(wmiddleware.PoisonedHandlerKey, handler)
	msg.Metadata.Set(wmiddleware.PoisonedSubscriberKey, PoisonedSubscriber)
	return msg
}
