package debezium

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/outbox"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func micros(us int64) time.Time { return time.UnixMicro(us).UTC() }

var (
	userCreated = outbox.Event{
		EventID:          "0f8fad5b-d9cb-469f-a165-70867728950e",
		AggregateID:      "7c9e6679-7425-40de-944b-e07fc1f90ae7",
		AggregateType:    "user",
		AggregateVersion: 1,
		EventType:        "UserCreated",
		SchemaVersion:    1,
		Payload:          json.RawMessage(`{"email":"ann@example.com","user_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","display_name":"Ann Example"}`),
		Metadata: outbox.Metadata{
			CorrelationID: "5b1c8f0e-3a2d-4c6b-9e7f-1a2b3c4d5e6f",
			Extra: map[string]json.RawMessage{
				"source":   json.RawMessage(`{"ip":"203.0.113.7","service":"api"}`),
				"trace_id": json.RawMessage(`"4bf92f3577b34da6a3ce929d0e0e4736"`),
			},
		},
		CreatedAt: utc("2025-11-27T10:15:30.118204Z"),
		Source:    outbox.Source{Schema: "activity", Table: "event_outbox", LSN: 24023176, TxID: 771, CommitTime: micros(1764238530123456)},
	}
	activityCreated = outbox.Event{
		EventID:          "3d6f4b2e-8a1c-4f5e-9b7d-2c8e1a0f6b34",
		AggregateID:      "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
		AggregateType:    "activity",
		AggregateVersion: 1,
		EventType:        "ActivityCreated",
		SchemaVersion:    2,
		Payload:          json.RawMessage(`{"tags":["running","outdoor"],"title":"Sunday trail run","capacity":12,"starts_at":"2025-11-30T08:00:00Z","activity_id":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d","organizer_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7"}`),
		Metadata: outbox.Metadata{
			CorrelationID: "9e107d9d-372b-4b6f-8a1e-6c5f0d2b3a41",
			CausationID:   "c0ffee00-1234-4abc-8def-0123456789ab",
		},
		CreatedAt: utc("2025-11-27T10:16:02.907311Z"),
		Source:    outbox.Source{Schema: "activity", Table: "event_outbox", LSN: 24025648, TxID: 775, CommitTime: micros(1764238562912054)},
	}
	participantLeft = outbox.Event{
		EventID:          "5e0d2f61-7b3a-4c89-a1d4-93f2e8b7c6a0",
		AggregateID:      "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
		AggregateType:    "activity",
		AggregateVersion: 5,
		EventType:        "ParticipantLeft",
		SchemaVersion:    1,
		Payload:          json.RawMessage(`{"user_id":"2f1e0d9c-8b7a-4655-9443-3221100fedcb","activity_id":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"}`),
		CreatedAt:        micros(1764238601250377),
		Source:           outbox.Source{Schema: "activity", Table: "event_outbox", LSN: 24031072, TxID: 781, CommitTime: micros(1764238601255912)},
	}
	userUpdated = outbox.Event{
		EventID:          "8b3e4c2a-1f0d-4e9b-b7a6-5c4d3e2f1a09",
		AggregateID:      "7c9e6679-7425-40de-944b-e07fc1f90ae7",
		AggregateType:    "user",
		AggregateVersion: 2,
		EventType:        "UserUpdated",
		SchemaVersion:    1,
		Payload:          json.RawMessage(`{"user_id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","display_name":"Ann E.","changed":["display_name"]}`),
		Metadata: outbox.Metadata{
			CorrelationID: "d2a4c6e8-0b1d-4f3a-95c7-e9b1d3f5a7c9",
			CausationID:   "0f8fad5b-d9cb-469f-a165-70867728950e",
		},
		CreatedAt: utc("2025-11-27T10:20:11.5Z"),
		Source:    outbox.Source{Schema: "activity", Table: "event_outbox", LSN: 24035512, TxID: 802, CommitTime: micros(1764238811504119)},
	}
	participantJoined = outbox.Event{
		EventID:          "c9b8a7f6-e5d4-4c3b-a291-8f7e6d5c4b3a",
		AggregateID:      "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
		AggregateType:    "activity",
		AggregateVersion: 3,
		EventType:        "ParticipantJoined",
		SchemaVersion:    1,
		Payload:          json.RawMessage(`{"user_id":"2f1e0d9c-8b7a-4655-9443-3221100fedcb","joined_at":"2025-11-26T18:42:07.000001Z","activity_id":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"}`),
		Metadata:         outbox.Metadata{CorrelationID: "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d"},
		CreatedAt:        utc("2025-11-26T18:42:07.000412Z"),
		Source:           outbox.Source{Schema: "activity", Table: "event_outbox", LSN: 24019528, TxID: 769, CommitTime: micros(1764238400002118), Snapshot: true},
	}
)

// with returns ev changed by fn (the fixtures' events are shared).
func with(ev outbox.Event, fn func(*outbox.Event)) outbox.Event {
	fn(&ev)
	return ev
}

func TestDecodeEnvelope(t *testing.T) {
	const create = "create_schemas_off.json"
	tests := []struct {
		name  string
		value []byte
		want  outbox.Event
	}{
		{"create, schemas off", fixture(t, "create_schemas_off.json"), userCreated},
		{"create, schemas on", fixture(t, "create_schemas_on.json"), activityCreated},
		{"create, MicroTimestamp created_at, null metadata, schemas on", fixture(t, "create_micro_timestamp.json"), participantLeft},
		{"create, payload and metadata as objects, version as string, offset time", fixture(t, "create_payload_object.json"), userUpdated},
		{"snapshot read", fixture(t, "read_snapshot.json"), participantJoined},
		{
			"snapshot read, legacy boolean snapshot",
			variant(t, "read_snapshot.json", `"snapshot": "last"`, `"snapshot": true`),
			participantJoined,
		},
		{
			"create, legacy boolean snapshot false",
			variant(t, "create_schemas_off.json", `"snapshot": "false"`, `"snapshot": false`),
			userCreated,
		},
		{
			"create during an incremental snapshot window is flagged",
			variant(t, "create_schemas_off.json", `"snapshot": "false"`, `"snapshot": "incremental"`),
			with(userCreated, func(e *outbox.Event) { e.Source.Snapshot = true }),
		},
		{
			"create, source without ts_us (Debezium < 2.6) uses ts_ms",
			variant(t, "create_schemas_off.json", `"ts_us": 1764238530123456,`, ``),
			with(userCreated, func(e *outbox.Event) { e.Source.CommitTime = time.UnixMilli(1764238530123).UTC() }),
		},
		{
			"create, source without positions",
			variant(t, "create_schemas_off.json", `"txId": 771,
    "lsn": 24023176,`, `"txId": null,`),
			with(userCreated, func(e *outbox.Event) { e.Source.LSN, e.Source.TxID = 0, 0 }),
		},
		{
			"create, informational source fields of other types are left out",
			variant(t, create, `"lsn": 24023176`, `"lsn": "0/16E9A48"`,
				`"txId": 771`, `"txId": {"xid": 771}`, `"snapshot": "false"`, `"snapshot": 1`),
			with(userCreated, func(e *outbox.Event) { e.Source.LSN, e.Source.TxID = 0, 0 }),
		},
		{
			"create, numbers as strings",
			variant(t, create, `"lsn": 24023176`, `"lsn": "24023176"`, `"ts_us": 1764238530123456`, `"ts_us": "1764238530123456"`),
			userCreated,
		},
		{
			"create, unreadable ts_us falls back to ts_ms",
			variant(t, create, `"ts_us": 1764238530123456`, `"ts_us": 1.5e15`),
			with(userCreated, func(e *outbox.Event) { e.Source.CommitTime = time.UnixMilli(1764238530123).UTC() }),
		},
		{
			"create, source without schema and table",
			variant(t, create, `"schema": "activity",`, ``, `"table": "event_outbox",`, ``),
			with(userCreated, func(e *outbox.Event) { e.Source.Schema, e.Source.Table = "", "" }),
		},
		{
			"create, metadata absent",
			variant(t, "create_schemas_off.json", `"metadata": "{\"source\": {\"ip\": \"203.0.113.7\", \"service\": \"api\"}, \"trace_id\": \"4bf92f3577b34da6a3ce929d0e0e4736\", \"causation_id\": null, \"correlation_id\": \"5b1c8f0e-3a2d-4c6b-9e7f-1a2b3c4d5e6f\", \"schema_version\": 1}",`, ``),
			with(userCreated, func(e *outbox.Event) { e.Metadata = outbox.Metadata{} }),
		},
		{
			"create, extra unknown columns are ignored",
			variant(t, "create_schemas_off.json", `"status": "pending",`, `"status": "pending", "tenant": "acme", "Event_Type": 7,`),
			userCreated,
		},
	}
	d := newTestDecoder(t)
	for _, tt := range tests {
		for _, form := range []struct {
			name  string
			value []byte
		}{{"as stored", tt.value}, {"wire", compact(t, tt.value)}} {
			t.Run(tt.name+"/"+form.name, func(t *testing.T) {
				res, err := d.Decode(record(form.value))
				require.NoError(t, err)
				assert.Equal(t, SkipReason(""), res.Skip)
				assert.Equal(t, tt.want, res.Event)
				assert.Equal(t, time.UTC, res.Event.CreatedAt.Location())
				assert.Equal(t, time.UTC, res.Event.Source.CommitTime.Location())
			})
		}
	}
}

func TestDecodeSkips(t *testing.T) {
	tests := []struct {
		name  string
		topic string
		value []byte
		want  SkipReason
	}{
		{"tombstone", outboxTopic, nil, SkipTombstone},
		{"wrapped null", outboxTopic, []byte(`{"schema":null,"payload":null}`), SkipTombstone},
		{"update, schemas off", outboxTopic, fixture(t, "update_schemas_off.json"), SkipUpdate},
		{"update, schemas on", outboxTopic, []byte(`{"schema":{"type":"struct","fields":[]},"payload":` + string(fixture(t, "update_schemas_off.json")) + `}`), SkipUpdate},
		{"delete", outboxTopic, fixture(t, "delete_schemas_off.json"), SkipDelete},
		{"truncate, schemas on", outboxTopic, fixture(t, "truncate_schemas_on.json"), SkipTruncate},
		{"logical decoding message", outboxTopic, fixture(t, "message_schemas_off.json"), SkipMessage},
		{"heartbeat topic", heartbeatTopic, fixture(t, "heartbeat_schemas_off.json"), SkipHeartbeat},
		{"heartbeat topic, schemas on", heartbeatTopic, fixture(t, "heartbeat_schemas_on.json"), SkipHeartbeat},
		{"heartbeat topic, any content", heartbeatTopic, []byte("not json at all"), SkipHeartbeat},
		{"heartbeat topic, null value", heartbeatTopic, nil, SkipHeartbeat},
		{"heartbeat value on the outbox topic", outboxTopic, fixture(t, "heartbeat_schemas_off.json"), SkipHeartbeat},
		{"heartbeat value on the outbox topic, schemas on", outboxTopic, fixture(t, "heartbeat_schemas_on.json"), SkipHeartbeat},
		// Skipped operations are not validated beyond well-formed JSON.
		{"update with a broken row", outboxTopic, variant(t, "update_schemas_off.json", `"aggregate_version": 1,`, `"aggregate_version": "x",`), SkipUpdate},
		{"delete without source", outboxTopic, []byte(`{"before":{"event_id":"0f8fad5b-d9cb-469f-a165-70867728950e"},"after":null,"op":"d"}`), SkipDelete},
	}
	d := newTestDecoder(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := record(tt.value)
			rec.Topic = tt.topic
			res, err := d.Decode(rec)
			require.NoError(t, err)
			assert.Equal(t, Result{Skip: tt.want}, res)
		})
	}
}

func TestDecodeMalformed(t *testing.T) {
	const base = "create_schemas_off.json"
	tests := []struct {
		name   string
		value  []byte
		field  string
		prefix string // expected start of the message
	}{
		{"not JSON", fixture(t, "malformed_not_json.txt"), "value", "debezium: value: not JSON: "},
		{"empty value", []byte{}, "value", "debezium: value: empty"},
		{"whitespace value", []byte(" \n"), "value", "debezium: value: not JSON: "},
		{"value is a string", []byte(`"hello"`), "value", "debezium: value: want a JSON object, got a string"},
		{"value is an array", []byte(`[1,2]`), "value", "debezium: value: want a JSON object, got an array"},
		{"no op", []byte(`{"before":null,"after":{}}`), "op", "debezium: op: missing"},
		{"op not a string", []byte(`{"op":1,"source":{}}`), "op", "debezium: op: want a string, got a number"},
		{"unknown op", fixture(t, "malformed_unknown_op.json"), "op", `debezium: op: unknown operation "x"`},
		{"op is case-sensitive", variant(t, base, `"op": "c"`, `"op": "C"`), "op", `debezium: op: unknown operation "C"`},
		{"missing after for op c", fixture(t, "malformed_missing_after.json"), "after", `debezium: after: missing for op "c"`},
		{"missing after for op r", variant(t, "read_snapshot.json", `"after": {`, `"after": null, "x": {`), "after", `debezium: after: missing for op "r"`},
		{"after not an object", variant(t, base, `"after": {`, `"after": [], "x": {`), "after", "debezium: after: want a JSON object, got an array"},
		{"missing event_type", fixture(t, "malformed_missing_event_type.json"), "after.event_type", "debezium: after.event_type: missing"},
		{"empty event_type", variant(t, base, `"event_type": "UserCreated"`, `"event_type": ""`), "after.event_type", "debezium: after.event_type: empty"},
		{"event_type not a string", variant(t, base, `"event_type": "UserCreated"`, `"event_type": 3`), "after.event_type", "debezium: after.event_type: want a string, got a number"},
		{"missing event_id", variant(t, base, `"event_id": "0f8fad5b-d9cb-469f-a165-70867728950e",`, ``), "after.event_id", "debezium: after.event_id: missing"},
		{"null aggregate_id", variant(t, base, `"aggregate_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7"`, `"aggregate_id": null`), "after.aggregate_id", "debezium: after.aggregate_id: missing"},
		{"missing aggregate_type", variant(t, base, `"aggregate_type": "user",`, ``), "after.aggregate_type", "debezium: after.aggregate_type: missing"},
		{"missing aggregate_version", fixture(t, "malformed_missing_aggregate_version.json"), "after.aggregate_version", "debezium: after.aggregate_version: missing"},
		{"zero aggregate_version", variant(t, base, `"aggregate_version": 1`, `"aggregate_version": 0`), "after.aggregate_version", "debezium: after.aggregate_version: must be >= 1, got 0"},
		{"fractional aggregate_version", variant(t, base, `"aggregate_version": 1`, `"aggregate_version": 1.5`), "after.aggregate_version", `debezium: after.aggregate_version: want an integer, got 1.5`},
		{"non-numeric aggregate_version string", variant(t, base, `"aggregate_version": 1`, `"aggregate_version": "one"`), "after.aggregate_version", "debezium: after.aggregate_version: want an integer"},
		{"payload not JSON", fixture(t, "malformed_payload_not_json.json"), "after.payload", "debezium: after.payload: not valid JSON: "},
		{"payload null", variant(t, base, `"payload": "{`, `"payload": null, "x": "{`), "after.payload", "debezium: after.payload: missing"},
		{"payload empty string", variant(t, base, `"payload": "{`, `"payload": "", "x": "{`), "after.payload", "debezium: after.payload: empty"},
		{"payload an array", variant(t, base, `"payload": "{`, `"payload": "[1]", "x": "{`), "after.payload", "debezium: after.payload: want a JSON object, got an array"},
		{"payload a number", variant(t, base, `"payload": "{`, `"payload": 7, "x": "{`), "after.payload", "debezium: after.payload: want a JSON object, got a number"},
		{"bad schema_version", fixture(t, "malformed_bad_schema_version.json"), "after.metadata.schema_version", `debezium: after.metadata.schema_version: must be >= 1, got 0`},
		{"fractional schema_version", variant(t, base, `\"schema_version\": 1}`, `\"schema_version\": 1.5}`), "after.metadata.schema_version", `debezium: after.metadata.schema_version: want an integer >= 1, got 1.5`},
		{"string schema_version", variant(t, base, `\"schema_version\": 1}`, `\"schema_version\": \"2\"}`), "after.metadata.schema_version", "debezium: after.metadata.schema_version: want an integer, got a string"},
		{"metadata not JSON", variant(t, base, `"metadata": "{`, `"metadata": "{oops", "x": "{`), "after.metadata", "debezium: after.metadata: not valid JSON: "},
		{"metadata an array", variant(t, base, `"metadata": "{`, `"metadata": "[]", "x": "{`), "after.metadata", "debezium: after.metadata: want a JSON object, got an array"},
		{"correlation_id not a string", variant(t, base, `\"correlation_id\": \"5b1c8f0e-3a2d-4c6b-9e7f-1a2b3c4d5e6f\"`, `\"correlation_id\": 5`), "after.metadata.correlation_id", "debezium: after.metadata.correlation_id: want a string, got a number"},
		{"missing created_at", variant(t, base, `,
    "created_at": "2025-11-27T10:15:30.118204Z"`, ``), "after.created_at", "debezium: after.created_at: missing"},
		{"created_at not ISO-8601", variant(t, base, `"created_at": "2025-11-27T10:15:30.118204Z"`, `"created_at": "27/11/2025 10:15"`), "after.created_at", "debezium: after.created_at: not an ISO-8601 timestamp: "},
		{"created_at without zone", variant(t, base, `"created_at": "2025-11-27T10:15:30.118204Z"`, `"created_at": "2025-11-27T10:15:30.118204"`), "after.created_at", "debezium: after.created_at: not an ISO-8601 timestamp: "},
		{"created_at a boolean", variant(t, base, `"created_at": "2025-11-27T10:15:30.118204Z"`, `"created_at": true`), "after.created_at", "debezium: after.created_at: want an ISO-8601 string or epoch microseconds, got a boolean"},
		{"created_at fractional micros", variant(t, base, `"created_at": "2025-11-27T10:15:30.118204Z"`, `"created_at": 1764238530118204.5`), "after.created_at", "debezium: after.created_at: want an ISO-8601 string or epoch microseconds, got a number"},
		{"missing source", variant(t, base, `"source": {`, `"x": {`), "source", "debezium: source: missing"},
		{
			"another table",
			variant(t, base, `"table": "event_outbox"`, `"table": "event_outbox_archive"`),
			"source.table", `debezium: source.table: record of table "activity.event_outbox_archive", not the outbox "activity.event_outbox"`,
		},
		{
			"another schema",
			variant(t, base, `"schema": "activity"`, `"schema": "public"`),
			"source.table", `debezium: source.table: record of table "public.event_outbox", not the outbox`,
		},
		{
			"an update of another table",
			variant(t, base, `"op": "c"`, `"op": "u"`, `"table": "event_outbox"`, `"table": "users"`),
			"source.table", `debezium: source.table: record of table "activity.users", not the outbox`,
		},
	}
	d := newTestDecoder(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := d.Decode(record(tt.value))
			requireMalformed(t, err, tt.field, tt.prefix)
			assert.Equal(t, Result{}, res)
		})
	}
}

func TestNewDecoder(t *testing.T) {
	d, err := NewDecoder(DecoderConfig{})
	require.NoError(t, err)
	assert.Equal(t, DefaultVersionHeader, d.cfg.VersionHeader)

	_, err = NewDecoder(DecoderConfig{VersionHeader: "id"})
	assert.Error(t, err)
	_, err = NewDecoder(DecoderConfig{VersionHeader: " version"})
	assert.Error(t, err)

	assert.Equal(t, DefaultTable, d.cfg.Table)
	for _, bad := range []string{"event_outbox", ".event_outbox", "activity."} {
		_, err = NewDecoder(DecoderConfig{Table: bad})
		assert.ErrorContains(t, err, "schema.table", bad)
	}
	// Another outbox table: its records pass, the default table's do not.
	other, err := NewDecoder(DecoderConfig{Table: "billing.outbox"})
	require.NoError(t, err)
	_, err = other.Decode(record(fixture(t, "create_schemas_off.json")))
	requireMalformed(t, err, "source.table", `debezium: source.table: record of table "activity.event_outbox", not the outbox "billing.outbox"`)
	res, err := other.Decode(record(variant(t, "create_schemas_off.json",
		`"schema": "activity"`, `"schema": "billing"`, `"table": "event_outbox"`, `"table": "outbox"`)))
	require.NoError(t, err)
	assert.Equal(t, "billing", res.Event.Source.Schema)
}

// The decoded event must not alias the record: the caller may reuse the
// buffer, and handlers keep events.
func TestDecodeDoesNotAliasValue(t *testing.T) {
	value := compact(t, fixture(t, "create_payload_object.json"))
	res, err := newTestDecoder(t).Decode(record(value))
	require.NoError(t, err)
	payload := string(res.Event.Payload)
	for i := range value {
		value[i] = 'x'
	}
	assert.Equal(t, payload, string(res.Event.Payload))
}
