package router

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/kafka"
)

// TestDecodePanicBecomesAPoisonReason: a decoder that panics on a record
// must not take the projector down or redeliver the record forever; the
// record is poisoned with the panic as its reason, like any undecodable
// one.
func TestDecodePanicBecomesAPoisonReason(t *testing.T) {
	h := BatchHandler[int]{Decode: func(kafka.Record) Decoded[int] { panic("index out of range [3]") }}
	rec := kafka.Record{Topic: "outbox", Partition: 2, Offset: 7, Headers: map[string]string{"correlation_id": "corr-7"}}

	var d Decoded[int]
	require.NotPanics(t, func() { d = h.decode(rec) })
	require.Error(t, d.Err)
	assert.True(t, fault.IsPermanent(d.Err), "poisoned, not retried")
	assert.EqualError(t, d.Err, "decoding panicked: index out of range [3]")
	assert.Equal(t, "corr-7", d.CorrelationID, "the poison record keeps the record's correlation id")
}
