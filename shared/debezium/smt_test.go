package debezium

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/kafka"
	"github.com/activityapp/event-processor/shared/outbox"
)

const (
	smtEventID     = "e4d3c2b1-a098-4f7e-8d6c-5b4a39281706"
	smtAggregateID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
	smtTopic       = "outbox.event.activity"
)

// smtHeaders are the headers of an SMT record configured with
// table.fields.additional.placement=event_type:header,aggregate_type:header,
// aggregate_version:header,metadata:header,created_at:header and Connect's
// default SimpleHeaderConverter (plain text).
func smtHeaders() map[string]string {
	return map[string]string{
		"id":                smtEventID,
		"event_type":        "ActivityCancelled",
		"aggregate_type":    "activity",
		"aggregate_version": "6",
		"metadata":          `{"causation_id": null, "correlation_id": "f0e1d2c3-b4a5-4697-8879-6a5b4c3d2e1f", "schema_version": 1}`,
		"created_at":        "2025-11-28T07:05:44.250001Z",
		"__debezium.context.connectorLogicalName": "outbox",
		"__debezium.context.taskId":               "0",
		"__debezium.context.connectorName":        "postgresql",
	}
}

// jsonHeaders are smtHeaders as header.converter=JsonConverter with schemas
// writes them.
func jsonHeaders() map[string]string {
	return map[string]string{
		"id":                `{"schema":{"type":"string","optional":false,"name":"io.debezium.data.Uuid","version":1},"payload":"` + smtEventID + `"}`,
		"event_type":        `{"schema":{"type":"string","optional":false},"payload":"ActivityCancelled"}`,
		"aggregate_type":    `{"schema":{"type":"string","optional":false},"payload":"activity"}`,
		"aggregate_version": `{"schema":{"type":"int64","optional":false},"payload":6}`,
		"metadata":          `{"schema":{"type":"string","optional":true,"name":"io.debezium.data.Json","version":1},"payload":"{\"causation_id\": null, \"correlation_id\": \"f0e1d2c3-b4a5-4697-8879-6a5b4c3d2e1f\", \"schema_version\": 1}"}`,
		"created_at":        `{"schema":{"type":"string","optional":false,"name":"io.debezium.time.ZonedTimestamp","version":1},"payload":"2025-11-28T07:05:44.250001Z"}`,
	}
}

func smtRecord(key string, value []byte, headers map[string]string) kafka.Record {
	rec := kafka.Record{Topic: smtTopic, Partition: 7, Offset: 1001, Value: value, Headers: headers}
	if key != "" {
		rec.Key = []byte(key)
	}
	return rec
}

func edit(h map[string]string, fn func(map[string]string)) map[string]string {
	h = maps.Clone(h)
	fn(h)
	return h
}

var activityCancelled = outbox.Event{
	EventID:          smtEventID,
	AggregateID:      smtAggregateID,
	AggregateType:    "activity",
	AggregateVersion: 6,
	EventType:        "ActivityCancelled",
	SchemaVersion:    1,
	// The jsonb text order, as the string-payload fixtures carry it.
	Payload:   json.RawMessage(`{"reason":"weather","activity_id":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d","cancelled_by":"7c9e6679-7425-40de-944b-e07fc1f90ae7"}`),
	Metadata:  outbox.Metadata{CorrelationID: "f0e1d2c3-b4a5-4697-8879-6a5b4c3d2e1f"},
	CreatedAt: utc("2025-11-28T07:05:44.250001Z"),
}

// expandedCancelled is activityCancelled with the payload as the expanded
// fixtures carry it.
var expandedCancelled = with(activityCancelled, func(e *outbox.Event) {
	e.Payload = json.RawMessage(`{"activity_id":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d","reason":"weather","cancelled_by":"7c9e6679-7425-40de-944b-e07fc1f90ae7"}`)
})

func TestDecodeSMT(t *testing.T) {
	wrappedKey := `{"schema":{"type":"string","optional":false,"name":"io.debezium.data.Uuid","version":1},"payload":"` + smtAggregateID + `"}`
	tests := []struct {
		name string
		cfg  DecoderConfig
		rec  kafka.Record
		want outbox.Event
	}{
		{
			"string payload, plain key and headers",
			DecoderConfig{},
			smtRecord(smtAggregateID, fixture(t, "smt_string.json"), smtHeaders()),
			activityCancelled,
		},
		{
			"expanded payload, JSON string key",
			DecoderConfig{},
			smtRecord(`"`+smtAggregateID+`"`, fixture(t, "smt_expanded.json"), smtHeaders()),
			expandedCancelled,
		},
		{
			"string payload with schemas, JsonConverter key and headers",
			DecoderConfig{},
			smtRecord(wrappedKey, fixture(t, "smt_string_schemas_on.json"), jsonHeaders()),
			activityCancelled,
		},
		{
			"expanded payload with schemas, SMT default 'type' header, micros created_at, custom version header",
			DecoderConfig{VersionHeader: "version"},
			smtRecord(wrappedKey, fixture(t, "smt_expanded_schemas_on.json"), edit(smtHeaders(), func(h map[string]string) {
				h["type"] = h["event_type"]
				delete(h, "event_type")
				h["version"] = h["aggregate_version"]
				delete(h, "aggregate_version")
				h["created_at"] = "1764313544250001"
			})),
			expandedCancelled,
		},
		{
			"camelCase headers, JSON-string metadata, no aggregate type",
			DecoderConfig{},
			smtRecord(smtAggregateID, fixture(t, "smt_string.json"), edit(smtHeaders(), func(h map[string]string) {
				h["eventType"] = h["event_type"]
				h["createdAt"] = h["created_at"]
				delete(h, "event_type")
				delete(h, "created_at")
				delete(h, "aggregate_type")
				h["metadata"] = `"{\"correlation_id\": \"f0e1d2c3-b4a5-4697-8879-6a5b4c3d2e1f\", \"schema_version\": 3, \"tenant\": \"acme\"}"`
			})),
			with(activityCancelled, func(e *outbox.Event) {
				e.AggregateType = ""
				e.SchemaVersion = 3
				e.Metadata.Extra = map[string]json.RawMessage{"tenant": json.RawMessage(`"acme"`)}
			}),
		},
		{
			"no metadata header, table key struct, offset created_at",
			DecoderConfig{},
			smtRecord(`{"aggregate_id":"`+smtAggregateID+`"}`, fixture(t, "smt_string.json"), edit(smtHeaders(), func(h map[string]string) {
				delete(h, "metadata")
				h["created_at"] = "2025-11-28T08:05:44.250001+01:00"
			})),
			with(activityCancelled, func(e *outbox.Event) { e.Metadata = outbox.Metadata{} }),
		},
		{
			// The application's payload may have an "op" member: without a
			// "source" next to it, it is not an envelope.
			"expanded payload with an op member",
			DecoderConfig{},
			smtRecord(smtAggregateID, []byte(`{"op":"add","user_id":"u1"}`), smtHeaders()),
			with(activityCancelled, func(e *outbox.Event) { e.Payload = json.RawMessage(`{"op":"add","user_id":"u1"}`) }),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDecoder(tt.cfg)
			require.NoError(t, err)
			res, err := d.Decode(tt.rec)
			require.NoError(t, err)
			assert.Equal(t, Result{Event: tt.want}, res)
		})
	}
}

func TestDecodeSMTSkips(t *testing.T) {
	d := newTestDecoder(t)

	res, err := d.Decode(smtRecord(smtAggregateID, nil, smtHeaders()))
	require.NoError(t, err)
	assert.Equal(t, Result{Skip: SkipTombstone}, res, "route.tombstone.on.empty.payload")

	// An envelope that happens to carry an "id" header is still an envelope.
	rec := record(fixture(t, "update_schemas_off.json"))
	rec.Headers["id"] = "x"
	res, err = d.Decode(rec)
	require.NoError(t, err)
	assert.Equal(t, Result{Skip: SkipUpdate}, res)
}

func TestDecodeSMTMalformed(t *testing.T) {
	str := fixture(t, "smt_string.json")
	tests := []struct {
		name   string
		rec    kafka.Record
		field  string
		prefix string
	}{
		{"missing event type", smtRecord(smtAggregateID, str, edit(smtHeaders(), func(h map[string]string) { delete(h, "event_type") })),
			"header.event_type", "debezium: header.event_type: missing (also looked for eventType, type)"},
		{"empty event type", smtRecord(smtAggregateID, str, edit(smtHeaders(), func(h map[string]string) { h["event_type"] = " " })),
			"header.event_type", "debezium: header.event_type: missing"},
		{"empty id", smtRecord(smtAggregateID, str, edit(smtHeaders(), func(h map[string]string) { h["id"] = "" })),
			"header.id", "debezium: header.id: missing"},
		{"missing key", smtRecord("", str, smtHeaders()), "key", "debezium: key: missing"},
		{"null key", smtRecord("null", str, smtHeaders()), "key", "debezium: key: missing"},
		{"empty key string", smtRecord(`""`, str, smtHeaders()), "key", "debezium: key: empty"},
		{"struct key with two members", smtRecord(`{"a":"1","b":"2"}`, str, smtHeaders()), "key", "debezium: key: want the aggregate id, got an object"},
		{"array key", smtRecord(`["x"]`, str, smtHeaders()), "key", "debezium: key: want the aggregate id, got an array"},
		{"missing version", smtRecord(smtAggregateID, str, edit(smtHeaders(), func(h map[string]string) { delete(h, "aggregate_version") })),
			"header.aggregate_version", "debezium: header.aggregate_version: missing"},
		{"bad version", smtRecord(smtAggregateID, str, edit(smtHeaders(), func(h map[string]string) { h["aggregate_version"] = "six" })),
			"header.aggregate_version", `debezium: header.aggregate_version: want an integer, got "six"`},
		{"zero version", smtRecord(smtAggregateID, str, edit(smtHeaders(), func(h map[string]string) { h["aggregate_version"] = "0" })),
			"header.aggregate_version", "debezium: header.aggregate_version: must be >= 1, got 0"},
		{"metadata not JSON", smtRecord(smtAggregateID, str, edit(smtHeaders(), func(h map[string]string) { h["metadata"] = "{nope" })),
			"header.metadata", "debezium: header.metadata: not valid JSON: "},
		{"bad schema_version", smtRecord(smtAggregateID, str, edit(smtHeaders(), func(h map[string]string) { h["metadata"] = `{"schema_version": -1}` })),
			"header.metadata.schema_version", `debezium: header.metadata.schema_version: must be >= 1, got -1`},
		{"missing created_at", smtRecord(smtAggregateID, str, edit(smtHeaders(), func(h map[string]string) { delete(h, "created_at") })),
			"header.created_at", "debezium: header.created_at: missing (also looked for createdAt)"},
		{"bad created_at", smtRecord(smtAggregateID, str, edit(smtHeaders(), func(h map[string]string) { h["createdAt"] = "yesterday"; delete(h, "created_at") })),
			"header.createdAt", "debezium: header.createdAt: not an ISO-8601 timestamp: "},
		{"payload not JSON", smtRecord(smtAggregateID, []byte(`"{\"reason\": "`), smtHeaders()), "value", "debezium: value: not valid JSON: "},
		{"payload an array", smtRecord(smtAggregateID, []byte(`[{"reason":"weather"}]`), smtHeaders()), "value", "debezium: value: want a JSON object, got an array"},
		{"payload a JSON string of a string", smtRecord(smtAggregateID, []byte(`"\"weather\""`), smtHeaders()), "value", "debezium: value: want a JSON object, got a string"},
		{"value not JSON", smtRecord(smtAggregateID, []byte(`{"reason":`), smtHeaders()), "value", "debezium: value: not JSON: "},
	}
	d := newTestDecoder(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := d.Decode(tt.rec)
			requireMalformed(t, err, tt.field, tt.prefix)
			assert.Equal(t, Result{}, res)
		})
	}
}
