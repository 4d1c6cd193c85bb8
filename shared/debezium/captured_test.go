package debezium

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/kafka"
)

// capturedRecord is a record the real Debezium 3.6.1 connector wrote to
// Kafka in the docker compose stack, copied byte for byte by
// scripts/cmd/capture (see testdata/captured/README.md).
type capturedRecord struct {
	Topic     string            `json:"topic"`
	Partition int32             `json:"partition"`
	Offset    int64             `json:"offset"`
	Key       *string           `json:"key"`
	Value     *string           `json:"value"`
	Headers   map[string]string `json:"headers"`
}

func loadCaptured(t *testing.T, name string) kafka.Record {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "captured", name))
	require.NoError(t, err)
	var c capturedRecord
	require.NoError(t, json.Unmarshal(raw, &c))
	rec := kafka.Record{Topic: c.Topic, Partition: c.Partition, Offset: c.Offset, Headers: c.Headers}
	if c.Key != nil {
		rec.Key = []byte(*c.Key)
	}
	if c.Value != nil {
		rec.Value = []byte(*c.Value)
	}
	return rec
}

// Every captured record decodes, or is skipped, as its file name says.
func TestCapturedRecordsFromTheRealConnector(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "captured", "*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 15, "captures of every op, schemas on and off")
	dec, err := NewDecoder(DecoderConfig{})
	require.NoError(t, err)

	skips := map[string]SkipReason{
		"heartbeat": SkipHeartbeat, "tombstone": SkipTombstone,
		"update": SkipUpdate, "delete": SkipDelete, "truncate": SkipTruncate,
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			res, err := dec.Decode(loadCaptured(t, name))
			require.NoError(t, err)
			kind := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(name, "schemas_on_"), "schemas_off_"), ".json")
			kind = strings.TrimRight(kind, "_0123456789")
			for prefix, reason := range skips {
				if strings.HasPrefix(kind, prefix) {
					assert.Equal(t, reason, res.Skip)
					seen[prefix] = true
					return
				}
			}
			require.Empty(t, res.Skip, "a create or snapshot read is an event")
			seen[kind] = true
			ev := res.Event
			assert.Equal(t, strings.TrimPrefix(strings.TrimPrefix(kind, "create_"), "read_"), ev.EventType)
			assert.Equal(t, strings.HasPrefix(kind, "read_"), ev.Source.Snapshot)
			assert.Equal(t, 1, ev.SchemaVersion)
			assert.NotZero(t, ev.Source.LSN)
			assert.NotZero(t, ev.Source.TxID)
			assert.WithinDuration(t, ev.CreatedAt, ev.Source.CommitTime, 5*time.Second)
			assert.True(t, json.Valid(ev.Payload))
		})
	}
	for _, kind := range []string{"heartbeat", "tombstone", "update", "delete", "truncate",
		"create_UserCreated", "create_ActivityCreated", "create_ParticipantJoined", "read_ActivityCreated"} {
		assert.True(t, seen[kind], "no capture of %s", kind)
	}
}

// The UserCreated capture decodes to exactly the row that was inserted.
func TestCapturedUserCreated(t *testing.T) {
	dec, err := NewDecoder(DecoderConfig{})
	require.NoError(t, err)
	for _, name := range []string{"schemas_off_create_UserCreated.json"} {
		res, err := dec.Decode(loadCaptured(t, name))
		require.NoError(t, err)
		ev := res.Event
		assert.Equal(t, "0f8fad5b-d9cb-469f-a165-70867728950e", ev.EventID)
		assert.Equal(t, "7c9e6679-7425-40de-944b-e07fc1f90ae7", ev.AggregateID)
		assert.Equal(t, "user", ev.AggregateType)
		assert.EqualValues(t, 1, ev.AggregateVersion)
		assert.Equal(t, "5b1c8f0e-3a2d-4c6b-9e7f-1a2b3c4d5e6f", ev.Metadata.CorrelationID)
		assert.Empty(t, ev.Metadata.CausationID, "causation_id null")
		var payload map[string]string
		require.NoError(t, json.Unmarshal(ev.Payload, &payload))
		assert.Equal(t, map[string]string{
			"user_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "email": "ada@example.com",
			"username": "ada", "full_name": "Ada Lovelace", "city": "London",
		}, payload)
		assert.Equal(t, time.UTC, ev.CreatedAt.Location())
		assert.Equal(t, 714175000, ev.CreatedAt.Nanosecond(), "microseconds kept")
	}
}

// With schemas on, the snapshot read and the streamed create carry the
// same row shape as with schemas off.
func TestCapturedSchemasOnMatchesSchemasOff(t *testing.T) {
	dec, err := NewDecoder(DecoderConfig{})
	require.NoError(t, err)
	on, err := dec.Decode(loadCaptured(t, "schemas_on_create_ParticipantJoined.json"))
	require.NoError(t, err)
	off, err := dec.Decode(loadCaptured(t, "schemas_off_create_ParticipantJoined.json"))
	require.NoError(t, err)
	a, b := on.Event, off.Event
	assert.Equal(t, b.Source.LSN, a.Source.LSN, "two slots read the same WAL change")
	assert.Equal(t, b, a)
	assert.Equal(t, "1a2b3c4d-0000-4000-8000-000000000001", a.Metadata.CausationID)
}
