package debezium

import (
	"strconv"
	"time"

	"github.com/activityapp/event-processor/shared/outbox"
)

// decodeSource reads the envelope's source block: lsn, txId, the commit
// timestamp, the snapshot marker, schema and table. Only schema and table
// decide anything (the table check); the rest is informational (ordering
// uses AggregateVersion), so a value of an unexpected type is left out
// rather than poisoning the record: a harmless format change upstream must
// not stop the pipeline. A missing block, or one that is not an object,
// still fails.
func decodeSource(raw []byte) (outbox.Source, error) {
	if isNull(raw) {
		return outbox.Source{}, malformed("source", "missing")
	}
	it, ok := objectMembers(raw)
	if !ok {
		return outbox.Source{}, malformed("source", "want a JSON object, got "+jsonKind(raw))
	}
	var (
		src        outbox.Source
		tsMs, tsUs int64
	)
	for {
		k, v, ok := it.next()
		if !ok {
			break
		}
		switch string(unescapedKey(k)) {
		case "lsn":
			src.LSN = lenientInt(v)
		case "txId":
			src.TxID = lenientInt(v)
		case "ts_ms":
			tsMs = lenientInt(v)
		case "ts_us":
			tsUs = lenientInt(v)
		case "snapshot":
			src.Snapshot = parseSnapshot(v)
		case "schema":
			src.Schema, _ = stringValue(v)
		case "table":
			src.Table, _ = stringValue(v)
		}
	}
	// ts_us has the full precision of the commit timestamp; ts_ms is all that
	// connectors before Debezium 2.6 send. Without either, Event.CommitTime
	// falls back to created_at.
	switch {
	case tsUs > 0:
		src.CommitTime = time.UnixMicro(tsUs).UTC()
	case tsMs > 0:
		src.CommitTime = time.UnixMilli(tsMs).UTC()
	}
	return src, nil
}

// lenientInt reads a JSON integer, or a string holding one; anything else
// (null, a fraction, an object) is 0.
func lenientInt(raw []byte) int64 {
	if n, ok := intValue(raw); ok {
		return n
	}
	if s, ok := stringValue(raw); ok {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	}
	return 0
}

// parseSnapshot reads source.snapshot: a string enum since Debezium 1.x
// ("true", "first", "last", "first_in_data_collection",
// "last_in_data_collection", "incremental", "false"), a boolean before.
// Any string other than "false" and "" means snapshot, so that an enum
// value added by a later Debezium does not poison records; any other type
// means no snapshot (op r marks snapshot reads anyway).
func parseSnapshot(raw []byte) bool {
	if string(raw) == "true" {
		return true
	}
	s, ok := stringValue(raw)
	return ok && s != "false" && s != ""
}
