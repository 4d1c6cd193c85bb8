package debezium

import (
	"strings"

	"github.com/activityapp/event-processor/shared/kafka"
)

// Decoder turns raw Kafka records from the outbox topic into outbox events.
// It holds only configuration and is safe for concurrent use.
type Decoder struct {
	cfg DecoderConfig
}

// NewDecoder returns a Decoder for cfg (see DecoderConfig for defaults).
func NewDecoder(cfg DecoderConfig) (*Decoder, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Decoder{cfg: cfg}, nil
}

// Decode decodes one record. It returns either an event, a skip reason, or
// an error that wraps ErrMalformed and is fault.Permanent (see the package
// documentation for the accepted shapes).
func (d *Decoder) Decode(rec kafka.Record) (Result, error) {
	// Heartbeats first: their topic says it all, whatever the value.
	if strings.HasPrefix(rec.Topic, HeartbeatTopicPrefix) {
		return Result{Skip: SkipHeartbeat}, nil
	}
	if rec.Value == nil {
		return Result{Skip: SkipTombstone}, nil
	}
	if len(rec.Value) == 0 {
		return Result{}, malformed("value", "empty")
	}
	e, err := parseEnvelope(rec.Value)
	if err != nil {
		return Result{}, malformedCause("value", "not JSON", err)
	}
	if isNull(e.raw) {
		// JsonConverter writes a null value as a Kafka null; a wrapped null
		// ({"schema":...,"payload":null}) means the same.
		return Result{Skip: SkipTombstone}, nil
	}
	// With an "id" header the record may come from the Outbox Event Router,
	// whose value is the application's payload: that payload may well have
	// an "op" member, so only a value with both op and source counts as an
	// envelope then.
	_, smt := rec.Headers[headerEventID]
	switch {
	case e.Op != nil && (e.Source != nil || !smt):
		return d.decodeEnvelope(e)
	case smt:
		return d.decodeSMT(rec, e.raw)
	case e.raw[0] != '{':
		return Result{}, malformed("value", "want a JSON object, got "+jsonKind(e.raw))
	case e.isHeartbeat():
		return Result{Skip: SkipHeartbeat}, nil
	default:
		return Result{}, malformed("op", "missing")
	}
}
