package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// eventSizeLimit is the outbox's limit on payload plus metadata, as text
// (deployments/postgres/01-outbox.sql).
const eventSizeLimit = 1 << 20

// TestEventSizeLimit: an event of exactly the size limit, made of the
// characters that grow most when Debezium escapes the payload into its JSON
// record (so the Kafka record is about twice the limit, well over Kafka's
// default 1 MB), travels the whole pipeline and is projected. One byte more
// fails the application's INSERT with an error naming the limit, and
// nothing downstream notices: the connector keeps running, nothing is
// poisoned, the next event is projected.
func TestEventSizeLimit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	before := poisonEnds(t, ctx)

	big, small := newUUID(), newUUID()
	bigEvent := &Event{ID: newUUID(), AggregateID: big, AggregateType: "user", Version: 1, Type: "UserCreated",
		CorrelationID: "e2e-" + stack.RunID + "-size-" + newUUID()[:8],
		Payload:       map[string]any{"user_id": big, "email": "big@example.org", "username": "big", "bio": ""}}
	bigEvent.Payload["bio"] = bioFilling(t, ctx, bigEvent, eventSizeLimit)

	over := *bigEvent
	over.ID = newUUID()
	over.AggregateID = newUUID()
	over.Payload = map[string]any{"user_id": over.AggregateID, "email": "over@example.org", "username": "over"}
	over.Payload["bio"] = bioFilling(t, ctx, &over, eventSizeLimit+1)
	err := insertEvent(ctx, &over)
	require.Error(t, err, "an event one byte over the limit was accepted")
	assert.Contains(t, err.Error(), "event_outbox_payload_and_metadata_max_1048576_bytes")

	Insert(t, ctx, bigEvent)
	next := &Event{ID: newUUID(), AggregateID: small, AggregateType: "user", Version: 1, Type: "UserCreated",
		CorrelationID: "e2e-" + stack.RunID + "-size-next-" + newUUID()[:8],
		Payload:       map[string]any{"user_id": small, "email": "next@example.org", "username": "next"}}
	Insert(t, ctx, next)

	want := map[string]any{
		big:   map[string]any{"email": "big@example.org", "username": "big", "version": 1},
		small: map[string]any{"email": "next@example.org", "username": "next", "version": 1},
	}
	Eventually(t, ctx, 2*time.Minute, want, func() any {
		return only(Documents(t, ctx, "users", "email", "username", "version"), want)
	})
	waitCaughtUp(t, ctx, 90*time.Second)
	waitConnectorRunning(t, ctx, 10*time.Second)
	assert.Equal(t, before, poisonEnds(t, ctx), "nothing poisoned")
}

// bioFilling returns a bio that makes e's payload and metadata, as
// PostgreSQL's jsonb text, exactly size bytes: '"' and '\' (two bytes each
// in jsonb text, four in Debezium's record), padded with one 'x'.
func bioFilling(t *testing.T, ctx context.Context, e *Event, size int) string {
	t.Helper()
	e.Payload["bio"] = ""
	base := outboxTextSize(t, ctx, e)
	room := size - base
	require.Positive(t, room)
	bio := strings.Repeat(`"\`, room/4) + strings.Repeat("x", room%4)
	e.Payload["bio"] = bio
	require.Equal(t, size, outboxTextSize(t, ctx, e), "payload and metadata size")
	return bio
}

// outboxTextSize is the size the outbox's limit counts for e.
func outboxTextSize(t *testing.T, ctx context.Context, e *Event) int {
	t.Helper()
	payload, meta, err := eventJSON(e)
	require.NoError(t, err)
	var n int
	require.NoError(t, pg.QueryRow(ctx, `SELECT octet_length($1::jsonb::text) + octet_length($2::jsonb::text)`,
		payload, meta).Scan(&n))
	return n
}
