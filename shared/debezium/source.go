package debezium

import (
	"fmt"
	"time"

	"github.com/activityapp/event-processor/shared/outbox"
)

// source is the envelope's source block. Only schema and table decide
// anything (the table check); the rest is informational (ordering uses
// AggregateVersion). Every field is therefore read leniently: a value of
// an unexpected type is left out rather than poisoning the record, so a
// harmless format change upstream does not stop the pipeline. A block that
// is missing, or not an object, still fails.
type source struct {
	Schema   lenientString `json:"schema"`
	Table    lenientString `json:"table"`
	LSN      lenientInt    `json:"lsn"`
	TxID     lenientInt    `json:"txId"`
	TsMs     lenientInt    `json:"ts_ms"`
	TsUs     lenientInt    `json:"ts_us"`
	Snapshot snapshotFlag  `json:"snapshot"`
}

// checkTable fails for a source block that names a table other than the
// outbox. A block without schema and table (or none at all) passes: only
// a record that says where it comes from can be refused for it.
func (s *source) checkTable(table string) error {
	if s == nil || (s.Schema == "" && s.Table == "") {
		return nil
	}
	if got := string(s.Schema) + "." + string(s.Table); got != table {
		return malformed("source.table", fmt.Sprintf("record of table %q, not the outbox %q", got, table))
	}
	return nil
}

// outbox returns the source as the event carries it.
func (s *source) outbox() outbox.Source {
	src := outbox.Source{
		Schema:   string(s.Schema),
		Table:    string(s.Table),
		LSN:      int64(s.LSN),
		TxID:     int64(s.TxID),
		Snapshot: bool(s.Snapshot),
	}
	// ts_us has the full precision of the commit timestamp; ts_ms is all that
	// connectors before Debezium 2.6 send. Without either, Event.CommitTime
	// falls back to created_at.
	switch {
	case s.TsUs > 0:
		src.CommitTime = time.UnixMicro(int64(s.TsUs)).UTC()
	case s.TsMs > 0:
		src.CommitTime = time.UnixMilli(int64(s.TsMs)).UTC()
	}
	return src
}

// lenientString is a JSON string's text, or "" for any other value.
type lenientString string

func (s *lenientString) UnmarshalJSON(raw []byte) error {
	v, _ := stringValue(raw)
	*s = lenientString(v)
	return nil
}

// lenientInt is a JSON integer or a string holding one, or 0 for any other
// value (null, a fraction, an object).
type lenientInt int64

func (n *lenientInt) UnmarshalJSON(raw []byte) error {
	v, _ := intValue(raw)
	*n = lenientInt(v)
	return nil
}

// snapshotFlag reads source.snapshot: a string enum since Debezium 1.x
// ("true", "first", "last", "first_in_data_collection",
// "last_in_data_collection", "incremental", "false"), a boolean before.
// Any string other than "false" and "" means snapshot, so that an enum
// value added by a later Debezium does not poison records; any other type
// means no snapshot (op r marks snapshot reads anyway).
type snapshotFlag bool

func (f *snapshotFlag) UnmarshalJSON(raw []byte) error {
	s, ok := stringValue(raw)
	*f = snapshotFlag(string(raw) == "true" || (ok && s != "false" && s != ""))
	return nil
}
