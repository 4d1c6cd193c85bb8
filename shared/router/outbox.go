package router

import (
	"context"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/activityapp/event-processor/shared/debezium"
	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/outbox"
)

// Outbox is a batch handler of the Debezium outbox topic: dec decodes each
// record, and handle gets the batch's events in offset order, each with
// its Position. Records that carry no event (tombstones, heartbeats,
// updates and deletes of outbox rows, truncates) are acknowledged and
// counted. It is sequenced: a poisoned event's later events of the same
// aggregate (the record key) wait behind it.
func Outbox(name, topic string, sub message.Subscriber, dec *debezium.Decoder, handle func(context.Context, []outbox.Event) error) BatchHandler[outbox.Event] {
	return BatchHandler[outbox.Event]{
		Name:       name,
		Topic:      topic,
		Subscriber: sub,
		Decode: func(rec kafka.Record) Decoded[outbox.Event] {
			res, err := dec.Decode(rec)
			switch {
			case err != nil:
				return Decoded[outbox.Event]{Err: err}
			case res.Skip != "":
				return Decoded[outbox.Event]{Skip: string(res.Skip)}
			}
			ev := res.Event
			ev.Position = outbox.Position{Partition: rec.Partition, Offset: rec.Offset}
			ev.ReplayOf = rec.Headers[ReplayOfKey]
			return Decoded[outbox.Event]{Value: ev, CorrelationID: ev.Metadata.CorrelationID, EventID: ev.EventID, EventType: ev.EventType}
		},
		Handle:    handle,
		Sequenced: true,
	}
}
