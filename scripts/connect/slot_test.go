package connect_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/scripts/connect"
	"github.com/activityapp/event-processor/testkit/pgtest"
)

// TestPostgresSlotMeasuresRetainedWAL: a slot nobody reads keeps the WAL
// written since it was made, and the reader says how much, on a real
// PostgreSQL.
func TestPostgresSlotMeasuresRetainedWAL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := pgtest.Start(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	pool, err := pgxpool.New(ctx, srv.URL("postgres"))
	require.NoError(t, err)
	t.Cleanup(pool.Close)

	_, err = connect.PostgresSlot{Pool: pool, Name: "outbox_slot"}.Slot(ctx)
	require.ErrorIs(t, err, connect.ErrNoSlot)

	_, err = pool.Exec(ctx, `SELECT pg_create_logical_replication_slot('outbox_slot', 'pgoutput')`)
	require.NoError(t, err)
	before, err := connect.PostgresSlot{Pool: pool, Name: "outbox_slot"}.Slot(ctx)
	require.NoError(t, err)

	_, err = pool.Exec(ctx, `CREATE TABLE filler AS SELECT g, repeat('x', 100) AS pad FROM generate_series(1, 60000) g`)
	require.NoError(t, err)
	after, err := connect.PostgresSlot{Pool: pool, Name: "outbox_slot"}.Slot(ctx)
	require.NoError(t, err)
	assert.Equal(t, "outbox_slot", after.Name)
	assert.False(t, after.Active, "nobody streams from it")
	assert.Greater(t, after.RetainedBytes-before.RetainedBytes, int64(1_000_000), "the table's WAL is retained")
	assert.GreaterOrEqual(t, after.ConfirmedLagBytes, after.RetainedBytes-before.RetainedBytes)
}
