package debezium

import (
	"encoding/json"
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
	// One validation pass over the whole value; everything after it walks
	// validated JSON.
	if !json.Valid(rec.Value) {
		return Result{}, malformedCause("value", "not JSON", syntaxError(rec.Value))
	}
	value := trimSpace(rec.Value)
	_, smt := rec.Headers[headerEventID]

	var env envelope
	it, isObject := objectMembers(value)
	if isObject {
		env = scanEnvelope(it)
		if env.isConnectWrapper() {
			value = env.payload
			it, isObject = objectMembers(value)
			env = envelope{}
			if isObject {
				env = scanEnvelope(it)
			}
		}
	}
	if isNull(value) {
		// JsonConverter writes a null value as a Kafka null; a wrapped null
		// ({"schema":...,"payload":null}) means the same.
		return Result{Skip: SkipTombstone}, nil
	}
	// With an "id" header the record may come from the Outbox Event Router,
	// whose value is the application's payload: that payload may well have
	// an "op" member, so only a value with both op and source counts as an
	// envelope then.
	if isObject && env.op != nil && (!smt || env.source != nil) {
		return d.decodeEnvelope(env)
	}
	if smt {
		return d.decodeSMT(rec, value)
	}
	if isObject {
		if env.isHeartbeat() {
			return Result{Skip: SkipHeartbeat}, nil
		}
		return Result{}, malformed("op", "missing")
	}
	return Result{}, malformed("value", "want a JSON object, got "+jsonKind(value))
}
