package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// prototypeInsert is the statement the Python prototype documents for a
// test event, verbatim: no aggregate_version, 'User' capitalised, a payload
// without user_id.
const prototypeInsert = `INSERT INTO activity.event_outbox (
    event_id, aggregate_id, aggregate_type, event_type, payload, status
) VALUES (
    gen_random_uuid(), gen_random_uuid(), 'User', 'UserCreated',
    '{"email": "test@example.com", "username": "testuser"}'::jsonb,
    'pending'
);`

// TestPrototypeInsert runs the prototype's statement and checks that its
// event is projected like any other: the user with that email and
// username, version 1, and counted in the statistics.
func TestPrototypeInsert(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	waitCaughtUp(t, ctx, 2*time.Minute) // the daily count below is read before the insert
	day := time.Now().UTC().Format("2006-01-02")
	dailyID := day + "/UserCreated"
	before := Documents(t, ctx, "daily_statistics", dailyStatFields...)
	count := int64(0)
	if d, ok := before[dailyID].(map[string]any); ok {
		count, _ = d["count"].(int64)
	}

	began := time.Now()
	_, err := pg.Exec(ctx, prototypeInsert)
	require.NoError(t, err, "the prototype's insert")
	var id string
	var version int64
	require.NoError(t, pg.QueryRow(ctx, `SELECT aggregate_id, aggregate_version FROM activity.event_outbox
		WHERE payload->>'username' = 'testuser' ORDER BY created_at DESC LIMIT 1`).Scan(&id, &version))
	assert.EqualValues(t, 1, version, "the database assigned the first version")

	want := map[string]any{
		"users":            map[string]any{id: map[string]any{"email": "test@example.com", "username": "testuser", "status": "active", "version": int64(1)}},
		"user_statistics":  map[string]any{id: map[string]any{"user_id": id}},
		"daily_statistics": map[string]any{dailyID: map[string]any{"day": day, "event_type": "UserCreated", "count": count + 1}},
	}
	Eventually(t, ctx, time.Minute, want, func() any {
		return map[string]any{
			"users":            only(Documents(t, ctx, "users", "email", "username", "status", "version"), want["users"].(map[string]any)),
			"user_statistics":  only(Documents(t, ctx, "user_statistics", "user_id"), want["user_statistics"].(map[string]any)),
			"daily_statistics": only(Documents(t, ctx, "daily_statistics", dailyStatFields...), want["daily_statistics"].(map[string]any)),
		}
	})
	t.Logf("the prototype's event in every read model %v after the insert", time.Since(began).Round(10*time.Millisecond))
}
