package pgtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/activityapp/event-processor/testkit/pgtest"
)

// The project's init SQL (deployments/postgres) sets up what the
// application and Debezium rely on; this runs it on a real PostgreSQL.
func TestDeploymentInitSQL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := pgtest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	if err := srv.CreateDatabase(ctx, "activity"); err != nil {
		t.Fatal(err)
	}
	const dir = "../../deployments/postgres"
	if err := srv.ApplyFiles(ctx, "activity", dir); err != nil {
		t.Fatal(err)
	}
	// Idempotent: a second run (a restarted init job) changes nothing.
	if err := srv.ApplyFiles(ctx, "activity", dir); err != nil {
		t.Fatalf("second run: %v", err)
	}

	conn, err := pgx.Connect(ctx, srv.URL("activity"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	insert := `INSERT INTO activity.event_outbox
		(event_id, aggregate_id, aggregate_type, aggregate_version, event_type, payload, metadata)
		VALUES ($1, '7c9e6679-7425-40de-944b-e07fc1f90ae7', 'user', $2, 'UserCreated', $3::jsonb,
		        '{"correlation_id":"c1","causation_id":null,"schema_version":1}')`
	if _, err := conn.Exec(ctx, insert, "0f8fad5b-d9cb-469f-a165-70867728950e", 1, `{"user_id":"x"}`); err != nil {
		t.Fatalf("valid row refused: %v", err)
	}
	for name, args := range map[string][]any{
		"same aggregate version twice": {"1f8fad5b-d9cb-469f-a165-70867728950e", 1, `{}`},
		"version zero":                 {"2f8fad5b-d9cb-469f-a165-70867728950e", 0, `{}`},
		"payload not an object":        {"3f8fad5b-d9cb-469f-a165-70867728950e", 2, `[1,2]`},
	} {
		if _, err := conn.Exec(ctx, insert, args...); err == nil {
			t.Errorf("%s: accepted, want a constraint violation", name)
		}
	}

	// The event size limit: payload and metadata as text, 1 MiB together.
	// metadata is '{"correlation_id":"c1","causation_id":null,"schema_version":1}'
	// as jsonb text.
	var metaLen int
	if err := conn.QueryRow(ctx, `SELECT octet_length('{"correlation_id":"c1","causation_id":null,"schema_version":1}'::jsonb::text)`).Scan(&metaLen); err != nil {
		t.Fatal(err)
	}
	const limit = 1 << 20
	fill := func(total int) string { // a payload of total bytes as jsonb text
		const frame = len(`{"bio": ""}`)
		return `{"bio": "` + strings.Repeat("x", total-frame) + `"}`
	}
	if _, err := conn.Exec(ctx, insert, "4f8fad5b-d9cb-469f-a165-70867728950e", 2, fill(limit-metaLen)); err != nil {
		t.Errorf("an event of exactly 1 MiB refused: %v", err)
	}
	_, err = conn.Exec(ctx, insert, "5f8fad5b-d9cb-469f-a165-70867728950e", 3, fill(limit-metaLen+1))
	if err == nil || !strings.Contains(err.Error(), "event_outbox_payload_and_metadata_max_1048576_bytes") {
		t.Errorf("an event one byte over 1 MiB: err = %v, want the check constraint that names the limit", err)
	}
	if _, err := conn.Exec(ctx, `UPDATE activity.event_outbox SET payload = $1::jsonb WHERE aggregate_version = 1`, fill(limit)); err == nil {
		t.Error("an update to over 1 MiB accepted")
	}
	if _, err := conn.Exec(ctx, `DELETE FROM activity.event_outbox WHERE aggregate_version = 2`); err != nil {
		t.Fatal(err)
	}

	var status string
	var createdSet bool
	if err := conn.QueryRow(ctx, `SELECT status, created_at IS NOT NULL FROM activity.event_outbox`).Scan(&status, &createdSet); err != nil {
		t.Fatal(err)
	}
	if status != "pending" || !createdSet {
		t.Errorf("defaults: status %q, created_at set %v", status, createdSet)
	}

	var tables []string
	rows, err := conn.Query(ctx, `SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = 'outbox_publication'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 1 || tables[0] != "activity.event_outbox" {
		t.Errorf("publication covers %v, want only activity.event_outbox", tables)
	}

	var replication, login bool
	if err := conn.QueryRow(ctx, `SELECT rolreplication, rolcanlogin FROM pg_roles WHERE rolname = 'debezium'`).Scan(&replication, &login); err != nil {
		t.Fatalf("debezium role: %v", err)
	}
	if !replication || !login {
		t.Errorf("debezium role: replication %v, login %v", replication, login)
	}
	var canSelect bool
	if err := conn.QueryRow(ctx, `SELECT has_table_privilege('debezium', 'activity.event_outbox', 'SELECT')`).Scan(&canSelect); err != nil || !canSelect {
		t.Errorf("debezium cannot read the outbox (err %v)", err)
	}
	var identity string
	if err := conn.QueryRow(ctx, `SELECT relreplident::text FROM pg_class WHERE oid = 'activity.event_outbox'::regclass`).Scan(&identity); err != nil || identity != "f" {
		t.Errorf("replica identity %q, want f (full); err %v", identity, err)
	}
}
