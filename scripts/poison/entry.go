// Package poison reads the projectors' poison topics and replays their
// records: the operator's side of the poison queue (bin/poison).
//
// A poison topic (<service>.poison) holds each record a projector could not
// use, as it read it (key, value, headers), with Watermill's
// reason_poisoned, topic_poisoned and handler_poisoned headers, the
// record's own position (kafka_partition, kafka_offset) and its event and
// correlation ids. Replaying an entry sends the record back to the topic it
// came from, for its service only (router.ReplayForKey), and notes the
// replay on the ReplayedTopic, a compacted topic keyed by entry, so that
// list can hide it. Nothing is deleted from the poison topic.
package poison

import (
	"strconv"
	"strings"
	"time"

	wmiddleware "github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/shared/router"
)

// TopicSuffix ends the name of every poison topic.
const TopicSuffix = ".poison"

// ReplayedTopic notes the replayed entries: key the entry's ID, value a
// Replay as JSON.
const ReplayedTopic = "poison.replayed"

// Position is a record's place in Kafka.
type Position struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

// String is "topic/partition/offset": an entry's ID.
func (p Position) String() string {
	return p.Topic + "/" + strconv.Itoa(int(p.Partition)) + "/" + strconv.FormatInt(p.Offset, 10)
}

// ParsePosition reads "topic/partition/offset".
func ParsePosition(s string) (Position, bool) {
	i := strings.LastIndex(s, "/")
	if i < 0 {
		return Position{}, false
	}
	j := strings.LastIndex(s[:i], "/")
	if j <= 0 {
		return Position{}, false
	}
	part, err1 := strconv.ParseInt(s[j+1:i], 10, 32)
	off, err2 := strconv.ParseInt(s[i+1:], 10, 64)
	if err1 != nil || err2 != nil || part < 0 || off < 0 {
		return Position{}, false
	}
	return Position{Topic: s[:j], Partition: int32(part), Offset: off}, true
}

// Entry is one record of a poison topic.
type Entry struct {
	// ID is the entry's place in its poison topic, "topic/partition/offset".
	ID   string
	At   Position
	Time time.Time
	// Service is the projector that poisoned the record (the prefix of
	// its handler's name, "user-projector" of "user-projector.outbox").
	Service       string
	Handler       string
	Reason        string
	EventID       string
	EventType     string
	CorrelationID string
	// From is where the record was read when it was poisoned.
	From Position
	// Origin is where the event was first read, "topic/partition/offset":
	// From, unless the record was itself a replay. Copies of one event
	// share it.
	Origin string
	// ParkedBehind is, for a record parked because an earlier event of
	// its aggregate was poisoned, that event's Origin.
	ParkedBehind string
	Key          []byte
	// Value is the record's value as it was read: nil for a tombstone.
	Value   []byte
	Headers map[string]string
	// Replayed says when the entry was last replayed; nil if never.
	Replayed *Replay
}

// Replay is a note of one replay of an entry, or of the rebuild that made
// it moot.
type Replay struct {
	At time.Time `json:"replayed_at"`
	// To is where the record was written.
	To Position `json:"to"`
	// SupersededBy names the rebuild that read the entry's event again
	// (with the code of then) instead of a replay; To is then empty.
	SupersededBy string `json:"superseded_by,omitempty"`
	// Dropped says the event was given up (Drop): To is the drop record.
	Dropped bool `json:"dropped,omitempty"`
}

// poisonHeaders describe the poisoning or the record's old place: a
// replayed record carries none of them.
var poisonHeaders = map[string]bool{
	wmiddleware.ReasonForPoisonedKey:  true,
	wmiddleware.PoisonedTopicKey:      true,
	wmiddleware.PoisonedHandlerKey:    true,
	wmiddleware.PoisonedSubscriberKey: true,
	kafka.MetadataTopic:               true,
	kafka.MetadataPartition:           true,
	kafka.MetadataOffset:              true,
	kafka.MetadataTimestamp:           true,
	kafka.MetadataNullValue:           true,
	kafka.MetadataKey:                 true,
	router.ReplayOfKey:                true,
	router.ReplayForKey:               true,
	router.ParkedBehindKey:            true,
	"_watermill_message_uuid":         true,
}

// entryFrom reads a poison record.
func entryFrom(at Position, ts time.Time, key, value []byte, headers map[string]string) Entry {
	e := Entry{
		ID: at.String(), At: at, Time: ts, Key: key, Value: value, Headers: headers,
		Handler:       headers[wmiddleware.PoisonedHandlerKey],
		Reason:        headers[wmiddleware.ReasonForPoisonedKey],
		EventID:       headers[outbox.EventIDKey],
		EventType:     headers[outbox.EventTypeKey],
		CorrelationID: headers[outbox.CorrelationIDKey],
	}
	e.From.Topic = headers[wmiddleware.PoisonedTopicKey]
	if e.From.Topic == "" {
		e.From.Topic = headers[kafka.MetadataTopic]
	}
	if p, err := strconv.ParseInt(headers[kafka.MetadataPartition], 10, 32); err == nil {
		e.From.Partition = int32(p)
	}
	if o, err := strconv.ParseInt(headers[kafka.MetadataOffset], 10, 64); err == nil {
		e.From.Offset = o
	}
	e.Origin = headers[router.OriginKey]
	if e.Origin == "" {
		e.Origin = e.From.String()
	}
	e.ParkedBehind = headers[router.ParkedBehindKey]
	e.Service, _, _ = strings.Cut(e.Handler, ".")
	if e.Service == "" {
		e.Service = strings.TrimSuffix(at.Topic, TopicSuffix)
	}
	return e
}

// replayHeaders are the headers of the entry's replayed record: its own
// (correlation id, event id, ...) without the poison ones, plus where it
// comes from, whom it is for, and where its event was first read.
func (e Entry) replayHeaders() map[string]string {
	out := map[string]string{}
	for k, v := range e.Headers {
		if !poisonHeaders[k] {
			out[k] = v
		}
	}
	out[router.ReplayOfKey] = e.ID
	out[router.ReplayForKey] = e.Service
	out[router.OriginKey] = e.Origin
	return out
}

// FirstLine is the reason's first line (a recovered panic carries its
// stack).
func (e Entry) FirstLine() string {
	r, _, _ := strings.Cut(e.Reason, "\n")
	return r
}
