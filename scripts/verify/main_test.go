package verify_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/testkit/mongotest"
	"github.com/activityapp/event-processor/testkit/pgtest"

	"github.com/activityapp/event-processor/scripts/verify"
)

// TestMain runs the tests against FerretDB (mongotest) and one PostgreSQL
// server for the outbox, started by the first test that needs it.
func TestMain(m *testing.M) {
	code := mongotest.Main(m)
	if pg.srv != nil {
		if err := pg.srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: stop:", err)
		}
	}
	os.Exit(code)
}

var pg struct {
	once      sync.Once
	srv       *pgtest.Server
	err       error
	databases atomic.Int64
}

// outboxDB is a fresh database holding activity.event_outbox, created
// from the project's own deployments/postgres scripts.
type outboxDB struct {
	url  string
	conn *pgx.Conn
}

func newOutbox(t *testing.T) *outboxDB {
	t.Helper()
	ctx := context.Background()
	pg.once.Do(func() { pg.srv, pg.err = pgtest.Start(ctx) })
	require.NoError(t, pg.err)
	name := fmt.Sprintf("activity_%d", pg.databases.Add(1))
	require.NoError(t, pg.srv.CreateDatabase(ctx, name))
	require.NoError(t, pg.srv.ApplyFiles(ctx, name, "../../deployments/postgres"))
	conn, err := pgx.Connect(ctx, pg.srv.URL(name))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return &outboxDB{url: pg.srv.URL(name), conn: conn}
}

func (o *outboxDB) insert(t *testing.T, rows ...verify.Row) {
	t.Helper()
	for _, r := range rows {
		_, err := o.conn.Exec(context.Background(), `INSERT INTO activity.event_outbox
			(event_id, aggregate_id, aggregate_type, aggregate_version, event_type, payload, metadata, created_at)
			VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8)`,
			r.EventID, r.AggregateID, r.AggregateType, r.AggregateVersion, r.EventType,
			string(r.Payload), string(r.Metadata), r.CreatedAt)
		require.NoError(t, err, "insert %s v%d %s", r.AggregateID, r.AggregateVersion, r.EventType)
	}
}

func (o *outboxDB) truncate(t *testing.T) {
	t.Helper()
	_, err := o.conn.Exec(context.Background(), "TRUNCATE activity.event_outbox")
	require.NoError(t, err)
}

// fold stores rows in the outbox and folds what ReadOutbox reads back, so
// the column types and the reading are part of every fold test.
func (o *outboxDB) fold(t *testing.T, rows ...verify.Row) (verify.Model, verify.OutboxStats) {
	t.Helper()
	o.truncate(t)
	o.insert(t, rows...)
	read, err := verify.ReadOutbox(context.Background(), o.conn)
	require.NoError(t, err)
	require.Len(t, read, len(rows))
	model, stats := verify.Fold(read)
	expected, err := verify.Expected(context.Background(), o.conn)
	require.NoError(t, err)
	require.Equal(t, model, expected, "Expected is ReadOutbox + Fold")
	return model, stats
}

// Ids: users sort before activities, so a fold in id order meets a user's
// own events before the activity events that user took part in.
const (
	user1     = "10000000-0000-4000-8000-000000000001"
	user2     = "10000000-0000-4000-8000-000000000002"
	user3     = "10000000-0000-4000-8000-000000000003"
	activity1 = "a0000000-0000-4000-8000-000000000001"
)

// The catalogue's names, as docs/events.md has them.
const (
	aggregateUser     = "user"
	aggregateActivity = "activity"

	typeUserCreated       = "UserCreated"
	typeUserUpdated       = "UserUpdated"
	typeUserDeleted       = "UserDeleted"
	typeActivityCreated   = "ActivityCreated"
	typeActivityUpdated   = "ActivityUpdated"
	typeActivityCancelled = "ActivityCancelled"
	typeParticipantJoined = "ParticipantJoined"
	typeParticipantLeft   = "ParticipantLeft"
)

// t0 is late on 1 March UTC, with microseconds the read models drop.
var t0 = time.Date(2026, 3, 1, 23, 59, 58, 123456000, time.UTC)

// at is t0 plus d; ms is a time as the read models keep it.
func at(d time.Duration) time.Time { return t0.Add(d) }
func ms(t time.Time) time.Time     { return t.UTC().Truncate(time.Millisecond) }

// row is an outbox row with metadata {} (schema version 1).
func row(aggregateID string, version int64, eventType string, createdAt time.Time, payload string) verify.Row {
	aggregateType := aggregateActivity
	switch eventType {
	case typeUserCreated, typeUserUpdated, typeUserDeleted:
		aggregateType = aggregateUser
	}
	return verify.Row{
		EventID: newUUID(), AggregateID: aggregateID, AggregateType: aggregateType, AggregateVersion: version,
		EventType: eventType, Payload: []byte(payload), Metadata: []byte(`{}`), CreatedAt: createdAt,
	}
}

func withMetadata(r verify.Row, metadata string) verify.Row {
	r.Metadata = []byte(metadata)
	return r
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Payload builders.

func userCreated(id, email, username, fullName, city string) string {
	return fmt.Sprintf(`{"user_id":%q,"email":%q,"username":%q,"full_name":%q,"city":%q}`, id, email, username, fullName, city)
}

func userPayload(id, fields string) string {
	return fmt.Sprintf(`{"user_id":%q%s}`, id, fields)
}

func activityPayload(id, fields string) string {
	return fmt.Sprintf(`{"activity_id":%q%s}`, id, fields)
}

func participant(activityID, userID string) string {
	return fmt.Sprintf(`{"activity_id":%q,"user_id":%q}`, activityID, userID)
}
