// Package debezium decodes the Kafka records that Debezium produces from the
// activity.event_outbox table into outbox.Event values. It is a pure
// decoder: no I/O, no state, safe for concurrent use.
//
// # Accepted shapes
//
// 1. The Debezium change-event envelope written by Kafka Connect's
// JsonConverter with schemas.enable=false:
//
//	{"before":null,"after":{...row...},"source":{...},"transaction":null,
//	 "op":"c","ts_ms":...,"ts_us":...,"ts_ns":...}
//
// 2. The same envelope with schemas.enable=true, wrapped as
// {"schema":{...},"payload":<envelope>}. A value is unwrapped when it has
// "schema" (an object or null) and "payload" members and no "op".
//
// 3. The value written by Debezium's Outbox Event Router SMT: the Kafka key
// is the aggregate id, header "id" is the event id, the value is the row's
// payload column (a JSON string holding JSON text, or an object with
// table.expand.json.payload=true, either optionally wrapped in
// {"schema":...,"payload":...}), and the other columns arrive as headers
// placed with table.fields.additional.placement=<column>:header:<name>. A
// record is read in this shape when it has an "id" header and its value is
// not an envelope (not both an "op" member and a "source" object).
// Headers read, first match wins: event_type, eventType or type
// (required); aggregate_type or aggregateType (optional: the SMT routes by
// it, so it may not be placed);
// DecoderConfig.VersionHeader (required, default "aggregate_version");
// metadata (optional); created_at or createdAt (required). Header values
// may be plain text (Connect's default SimpleHeaderConverter), JSON, or a
// JsonConverter {"schema":...,"payload":...} wrapper. The key may be plain
// text, a JSON string, such a wrapper, or a one-member object like
// {"aggregate_id":"..."}. Columns placed in the value
// (<column>:envelope) are not supported: the value must be the payload
// alone. These records carry no WAL position, so Event.Source is empty.
//
// # Row encoding
//
// uuid columns are strings; jsonb columns (payload, metadata) are strings
// holding JSON text (io.debezium.data.Json), or JSON values directly;
// created_at is an ISO-8601 string (io.debezium.time.ZonedTimestamp, any
// offset) or an integer of epoch microseconds (io.debezium.time.MicroTimestamp).
// Integer timestamps are always read as microseconds: a millisecond
// timestamp (time.precision.mode=connect) would decode to a wrong time, so
// do not configure the connector that way. aggregate_version is a JSON
// integer or a string holding one.
//
// Members of the envelope and of its source block are matched as
// encoding/json matches struct fields: case-insensitively, a repeated
// member decoded over the earlier one. Column names and metadata keys are
// matched exactly: Postgres column names are case-sensitive when quoted,
// and metadata keys are the application's.
//
// # Result
//
// Only inserts (op c) and snapshot reads (op r) carry events. Tombstones,
// heartbeats, updates, deletes, truncates and logical decoding messages are
// returned as a Result with a SkipReason: the caller acknowledges them
// without running handlers. A value that is JSON null, bare or wrapped,
// counts as a tombstone; a zero-length value is an error. Every other
// problem is a *DecodeError naming the offending field; it wraps
// ErrMalformed and is fault.Permanent, because a record that cannot be
// decoded now never will be.
//
// Event.Source comes from the envelope's source block: lsn, txId, ts_us
// (ts_ms before Debezium 2.6) as CommitTime, and Snapshot, set by op r and
// by any source.snapshot other than "false" (string or, in old versions,
// boolean). Payload and Metadata.Extra values are compact JSON copies: they
// never alias the record's value. All times are UTC.
package debezium
