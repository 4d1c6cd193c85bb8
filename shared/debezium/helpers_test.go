package debezium

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/kafka"
)

const (
	outboxTopic    = "outbox.activity.event_outbox"
	heartbeatTopic = "__debezium-heartbeat.outbox"
)

// fixture reads testdata/name.
func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(tb, err)
	return b
}

// variant is fixture name with old replaced by repl, for each old, repl
// pair that follows; every old must occur.
func variant(tb testing.TB, name string, oldRepl ...string) []byte {
	tb.Helper()
	require.True(tb, len(oldRepl)%2 == 0, "variant takes old, repl pairs")
	b := fixture(tb, name)
	for i := 0; i < len(oldRepl); i += 2 {
		old, repl := oldRepl[i], oldRepl[i+1]
		require.Truef(tb, bytes.Contains(b, []byte(old)), "%s does not contain %q", name, old)
		b = bytes.Replace(b, []byte(old), []byte(repl), 1)
	}
	return b
}

// compact is the single-line form JsonConverter puts on the wire.
func compact(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	require.NoError(tb, json.Compact(&buf, b))
	return buf.Bytes()
}

func record(value []byte) kafka.Record {
	return kafka.Record{Topic: outboxTopic, Partition: 3, Offset: 42, Value: value, Headers: map[string]string{
		"__debezium.context.connectorLogicalName": "outbox",
		"__debezium.context.taskId":               "0",
		"__debezium.context.connectorName":        "postgresql",
	}}
}

func newTestDecoder(tb testing.TB) *Decoder {
	tb.Helper()
	d, err := NewDecoder(DecoderConfig{})
	require.NoError(tb, err)
	return d
}

// requireMalformed checks the error contract: permanent, ErrMalformed, a
// *DecodeError for field, and a message that names the field.
func requireMalformed(tb testing.TB, err error, field, msgPrefix string) {
	tb.Helper()
	require.Error(tb, err)
	require.ErrorIs(tb, err, ErrMalformed)
	require.True(tb, fault.IsPermanent(err), "error is not permanent: %v", err)
	var de *DecodeError
	require.True(tb, errors.As(err, &de), "no *DecodeError in %v", err)
	require.Equal(tb, field, de.Field)
	require.Contains(tb, err.Error(), "debezium: "+field+": ")
	require.Truef(tb, strings.HasPrefix(err.Error(), msgPrefix), "error %q does not start with %q", err.Error(), msgPrefix)
}
