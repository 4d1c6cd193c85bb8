package pgtest_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/activityapp/event-processor/testkit/pgtest"
)

// initSQLDir holds the project's init SQL, run in file name order.
const initSQLDir = "../../deployments/postgres"

// activityDatabase starts a PostgreSQL with the database activity set up
// by the init SQL, stopped when t ends.
func activityDatabase(t *testing.T, ctx context.Context) *pgtest.Server {
	t.Helper()
	srv, err := pgtest.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	if err := srv.CreateDatabase(ctx, "activity"); err != nil {
		t.Fatal(err)
	}
	if err := srv.ApplyFiles(ctx, "activity", initSQLDir); err != nil {
		t.Fatal(err)
	}
	return srv
}

// The project's init SQL (deployments/postgres) sets up what the
// application and Debezium rely on; this runs it on a real PostgreSQL.
func TestDeploymentInitSQL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := activityDatabase(t, ctx)
	// Idempotent: a second run (a restarted init job) changes nothing.
	if err := srv.ApplyFiles(ctx, "activity", initSQLDir); err != nil {
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

// The prototype's insert (no aggregate_version, 'User' capitalised) works:
// the database assigns versions, under concurrent writers of one aggregate
// without gaps or duplicates, and stores one spelling of the type.
func TestOutboxDefaults(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := activityDatabase(t, ctx)
	pool, err := pgxpool.New(ctx, srv.URL("activity"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)

	// The statement exactly as the prototype documents it.
	const prototype = `INSERT INTO activity.event_outbox (
    event_id, aggregate_id, aggregate_type, event_type, payload, status
) VALUES (
    gen_random_uuid(), gen_random_uuid(), 'User', 'UserCreated',
    '{"email": "test@example.com", "username": "testuser"}'::jsonb,
    'pending'
)`
	if _, err := pool.Exec(ctx, prototype); err != nil {
		t.Fatalf("the prototype's insert: %v", err)
	}
	var typ string
	var version int64
	if err := pool.QueryRow(ctx, `SELECT aggregate_type, aggregate_version FROM activity.event_outbox`).Scan(&typ, &version); err != nil {
		t.Fatal(err)
	}
	if typ != "user" || version != 1 {
		t.Errorf("stored aggregate_type %q version %d, want user 1", typ, version)
	}

	// Many writers of one aggregate, each row in its own transaction.
	const writers, each = 8, 25
	agg := "9c9e6679-7425-40de-944b-e07fc1f90ae7"
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				_, err := pool.Exec(ctx, `INSERT INTO activity.event_outbox (event_id, aggregate_id, aggregate_type, event_type, payload)
					VALUES (gen_random_uuid(), $1, $2, 'UserUpdated', '{}')`, agg, []string{"user", "User", "USER"}[(w+i)%3])
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent insert: %v", err)
	}
	rows, err := pool.Query(ctx, `SELECT aggregate_version FROM activity.event_outbox WHERE aggregate_id = $1 ORDER BY aggregate_version`, agg)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != writers*each {
		t.Fatalf("%d rows, want %d", len(versions), writers*each)
	}
	for i, v := range versions {
		if v != int64(i+1) {
			t.Fatalf("versions %v: want 1..%d without gaps or duplicates", versions, writers*each)
		}
	}
	// Versions follow commit order: xmin grows with the version.
	var outOfOrder int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM (
		SELECT aggregate_version, xmin::text::bigint AS tx, lag(xmin::text::bigint) OVER (ORDER BY aggregate_version) AS prev
		FROM activity.event_outbox WHERE aggregate_id = $1) s WHERE tx < prev`, agg).Scan(&outOfOrder); err != nil {
		t.Fatal(err)
	}
	if outOfOrder != 0 {
		t.Errorf("%d versions given out of transaction order", outOfOrder)
	}

	// An explicit version is kept; spelling does not dodge the constraint.
	if _, err := pool.Exec(ctx, `INSERT INTO activity.event_outbox (event_id, aggregate_id, aggregate_type, aggregate_version, event_type, payload)
		VALUES (gen_random_uuid(), $1, 'USER', 7, 'UserUpdated', '{}')`, agg); err == nil || !strings.Contains(err.Error(), "event_outbox_aggregate_version_key") {
		t.Errorf("version 7 again as 'USER': err = %v, want the unique constraint", err)
	}
}
