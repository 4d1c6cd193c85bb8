package debezium

import (
	"time"

	"github.com/activityapp/event-processor/shared/outbox"
)

// decodeSource reads the envelope's source block. Only lsn, txId, the
// commit timestamp and the snapshot marker are kept; Source is informational
// (ordering uses AggregateVersion), but a field of the wrong type still
// fails, because it means the record is not what we think it is.
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
		tsMs, tsUs []byte
	)
	for {
		k, v, ok := it.next()
		if !ok {
			break
		}
		switch string(unescapedKey(k)) {
		case "lsn":
			n, err := optionalInt(v, "source.lsn")
			if err != nil {
				return outbox.Source{}, err
			}
			src.LSN = n
		case "txId":
			n, err := optionalInt(v, "source.txId")
			if err != nil {
				return outbox.Source{}, err
			}
			src.TxID = n
		case "ts_ms":
			tsMs = v
		case "ts_us":
			tsUs = v
		case "snapshot":
			snap, err := parseSnapshot(v)
			if err != nil {
				return outbox.Source{}, err
			}
			src.Snapshot = snap
		}
	}
	// ts_us has the full precision of the commit timestamp; ts_ms is all that
	// connectors before Debezium 2.6 send.
	if !isNull(tsUs) {
		us, err := optionalInt(tsUs, "source.ts_us")
		if err != nil {
			return outbox.Source{}, err
		}
		src.CommitTime = time.UnixMicro(us).UTC()
	} else if !isNull(tsMs) {
		ms, err := optionalInt(tsMs, "source.ts_ms")
		if err != nil {
			return outbox.Source{}, err
		}
		src.CommitTime = time.UnixMilli(ms).UTC()
	}
	return src, nil
}

// optionalInt reads a JSON integer; null is 0.
func optionalInt(raw []byte, field string) (int64, error) {
	if isNull(raw) {
		return 0, nil
	}
	n, ok := intValue(raw)
	if !ok {
		return 0, malformed(field, "want an integer, got "+describe(raw))
	}
	return n, nil
}

// parseSnapshot reads source.snapshot: a string enum since Debezium 1.x
// ("true", "first", "last", "first_in_data_collection",
// "last_in_data_collection", "incremental", "false"), a boolean before.
// Any string other than "false" and "" means snapshot, so that an enum
// value added by a later Debezium does not poison records.
func parseSnapshot(raw []byte) (bool, error) {
	switch {
	case isNull(raw), string(raw) == "false":
		return false, nil
	case string(raw) == "true":
		return true, nil
	}
	s, ok := stringValue(raw)
	if !ok {
		return false, malformed("source.snapshot", "want a string or boolean, got "+jsonKind(raw))
	}
	return s != "false" && s != "", nil
}
