package debezium

import (
	"fmt"

	"github.com/activityapp/event-processor/shared/outbox"
)

// envelope holds the raw members of a Debezium change-event envelope that
// the decoder looks at.
type envelope struct {
	op, after, source, tsMs []byte
	// members counts every member, to recognise a heartbeat ({"ts_ms":...}).
	members int
	// schema and payload are only set when the value may be a JsonConverter
	// wrapper ({"schema":...,"payload":...}).
	schema, payload []byte
}

// scanEnvelope picks the envelope members out of a validated JSON object.
func scanEnvelope(it members) envelope {
	var e envelope
	for {
		k, v, ok := it.next()
		if !ok {
			return e
		}
		e.members++
		switch string(unescapedKey(k)) {
		case "op":
			e.op = v
		case "after":
			e.after = v
		case "source":
			e.source = v
		case "ts_ms":
			e.tsMs = v
		case "schema":
			e.schema = v
		case "payload":
			e.payload = v
		}
	}
}

// isConnectWrapper reports whether e is the {"schema":...,"payload":...}
// wrapper that JsonConverter writes with schemas.enable=true: exactly those
// two members, the schema an object or null. Requiring exactly two members
// keeps an SMT payload that merely has a "payload" field from being
// mistaken for a wrapper.
func (e envelope) isConnectWrapper() bool {
	return e.members == 2 && e.schema != nil && e.payload != nil &&
		(e.schema[0] == '{' || isNull(e.schema))
}

// isHeartbeat reports whether e is a heartbeat value: {"ts_ms":...} and
// nothing else (Debezium's io.debezium.connector.common.Heartbeat).
func (e envelope) isHeartbeat() bool {
	return e.members == 1 && e.tsMs != nil
}

// decodeEnvelope decodes a change event. Only c (insert) and r (snapshot
// read) carry events; the other operations are skipped without looking at
// before/after, which json.Valid has already checked for well-formedness.
func (d *Decoder) decodeEnvelope(e envelope) (Result, error) {
	op, ok := stringValue(e.op)
	if !ok {
		return Result{}, malformed("op", "want a string, got "+jsonKind(e.op))
	}
	// Whatever the operation: a record of another table is not ours, and
	// projecting (or skipping) it silently would hide a misconfigured
	// connector. The source is read once, for this and for the event.
	src, srcErr := decodeSource(e.source)
	if err := d.checkTable(src, srcErr); err != nil {
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
	if isNull(e.after) {
		return Result{}, malformed("after", `missing for op "`+op+`"`)
	}
	ev, err := decodeRow(e.after)
	if err != nil {
		return Result{}, err
	}
	if srcErr != nil {
		return Result{}, srcErr
	}
	ev.Source = src
	// A read is a snapshot by definition, whatever source.snapshot says.
	ev.Source.Snapshot = ev.Source.Snapshot || op == "r"
	return Result{Event: ev}, nil
}

// checkTable fails for a source block that names a table other than the
// outbox. A block without schema and table (or none at all) passes: only
// a record that says where it comes from can be refused for it.
func (d *Decoder) checkTable(src outbox.Source, srcErr error) error {
	if srcErr != nil || (src.Schema == "" && src.Table == "") {
		return nil
	}
	if got := src.Schema + "." + src.Table; got != d.cfg.Table {
		return malformed("source.table", fmt.Sprintf("record of table %q, not the outbox %q", got, d.cfg.Table))
	}
	return nil
}
