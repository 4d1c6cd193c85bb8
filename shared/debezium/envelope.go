package debezium

import (
	"bytes"
	"encoding/json"
	"errors"
)

// envelope is a record value (or key, or header) decoded in one pass: a
// Debezium change event, a heartbeat ({"ts_ms":...}), anything else (the
// Outbox Event Router's payload), or any of these wrapped by JsonConverter
// with schemas.enable=true as {"schema":...,"payload":...}. after and
// source are decoded in that pass rather than kept raw and decoded again:
// they are most of a change event.
type envelope struct {
	// raw is the whole value without surrounding space.
	raw json.RawMessage
	// typeErr is the first of after and source that is neither an object
	// nor null (or the whole value, when it is not an object): encoding/json
	// decodes the other members all the same.
	typeErr *json.UnmarshalTypeError

	Op     json.RawMessage `json:"op"`
	After  row             `json:"after"`
	Source *source         `json:"source"`
	TsMs   json.RawMessage `json:"ts_ms"`

	Schema  json.RawMessage `json:"schema"`
	Payload json.RawMessage `json:"payload"`
}

// parseEnvelope decodes data, unwrapping a JsonConverter wrapper. The
// error is data's syntax error: data is not JSON.
func parseEnvelope(data []byte) (envelope, error) {
	e, err := unmarshalEnvelope(data)
	if err != nil || !e.isConnectWrapper() {
		return e, err
	}
	return unmarshalEnvelope(e.Payload)
}

func unmarshalEnvelope(data []byte) (envelope, error) {
	e := envelope{raw: bytes.Trim(data, jsonSpace)}
	if err := json.Unmarshal(data, &e); err != nil {
		// Unmarshal checks the syntax of all of data before decoding it;
		// after that, it only reports a value that is not an object (the
		// whole value, after or source), and decodes the other members.
		if !errors.As(err, &e.typeErr) {
			return envelope{}, err
		}
	}
	return e, nil
}

// isConnectWrapper reports whether e is the {"schema":...,"payload":...}
// wrapper that JsonConverter writes with schemas.enable=true: the schema an
// object or null, and not a change event.
func (e envelope) isConnectWrapper() bool {
	return e.Schema != nil && e.Payload != nil && e.Op == nil &&
		(isNull(e.Schema) || e.Schema[0] == '{')
}

// isHeartbeat reports whether e is a heartbeat value: {"ts_ms":...}
// (Debezium's io.debezium.connector.common.Heartbeat).
func (e envelope) isHeartbeat() bool {
	return e.TsMs != nil && e.Op == nil && e.After == nil && e.Source == nil
}

// decodeEnvelope decodes a change event. Only c (insert) and r (snapshot
// read) carry events; the other operations are skipped without looking at
// after.
func (d *Decoder) decodeEnvelope(e envelope) (Result, error) {
	op, ok := stringValue(e.Op)
	if !ok {
		return Result{}, malformed("op", "want a string, got "+jsonKind(e.Op))
	}
	// Whatever the operation: a record of another table is not ours, and
	// projecting (or skipping) it silently would hide a misconfigured
	// connector.
	if err := e.Source.checkTable(d.cfg.Table); err != nil {
		return Result{}, err
	}
	switch op {
	case "c", "r":
	case "u":
		return Result{Skip: SkipUpdate}, nil
	case "d":
		return Result{Skip: SkipDelete}, nil
	case "t":
		return Result{Skip: SkipTruncate}, nil
	case "m":
		return Result{Skip: SkipMessage}, nil
	default:
		return Result{}, malformed("op", "unknown operation "+snippet([]byte(op)))
	}
	if e.typeErr != nil {
		return Result{}, malformed(e.typeErr.Field, "want a JSON object, got "+typeNames[e.typeErr.Value])
	}
	if e.After == nil {
		return Result{}, malformed("after", `missing for op "`+op+`"`)
	}
	ev, err := e.After.event()
	if err != nil {
		return Result{}, err
	}
	if e.Source == nil {
		return Result{}, malformed("source", "missing")
	}
	ev.Source = e.Source.outbox()
	// A read is a snapshot by definition, whatever source.snapshot says.
	ev.Source.Snapshot = ev.Source.Snapshot || op == "r"
	return Result{Event: ev}, nil
}

// typeNames turns encoding/json's names of JSON types into jsonKind's.
var typeNames = map[string]string{
	"array": "an array", "string": "a string", "number": "a number", "bool": "a boolean",
}
