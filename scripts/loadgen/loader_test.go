package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/events"
	"github.com/activityapp/event-processor/shared/outbox"
	"github.com/activityapp/event-processor/testkit/pgtest"
)

// postgres is one real PostgreSQL for the package; every test gets its own
// database.
var (
	postgres  *pgtest.Server
	databases atomic.Int32
)

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	srv, err := pgtest.Start(ctx)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	postgres = srv
	code := m.Run()
	_ = srv.Stop()
	os.Exit(code)
}

// newDatabase creates a database; withOutbox applies deployments/postgres.
func newDatabase(t *testing.T, withOutbox bool) string {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("loadgen_%d", databases.Add(1))
	require.NoError(t, postgres.CreateDatabase(ctx, name))
	if withOutbox {
		require.NoError(t, postgres.ApplyFiles(ctx, name, "../../deployments/postgres"))
	}
	return postgres.URL(name)
}

func connect(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// row is an outbox row as the projectors read it.
type row struct {
	outbox.Event
	Producer, RunID string
}

func readOutbox(t *testing.T, pool *pgxpool.Pool) []row {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT event_id::text, aggregate_id::text, aggregate_type,
		aggregate_version, event_type, payload::text, metadata::text, created_at FROM activity.event_outbox`)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var (
			ev                row
			payload, metadata string
		)
		if err := r.Scan(&ev.EventID, &ev.AggregateID, &ev.AggregateType, &ev.AggregateVersion, &ev.EventType,
			&payload, &metadata, &ev.CreatedAt); err != nil {
			return ev, err
		}
		var meta struct {
			CorrelationID *string `json:"correlation_id"`
			SchemaVersion *int    `json:"schema_version"`
			Producer      string  `json:"producer"`
			RunID         string  `json:"run_id"`
		}
		if err := json.Unmarshal([]byte(metadata), &meta); err != nil {
			return ev, err
		}
		if meta.CorrelationID == nil || meta.SchemaVersion == nil {
			return ev, fmt.Errorf("event %s: metadata %s lacks correlation_id or schema_version", ev.EventID, metadata)
		}
		ev.Payload = json.RawMessage(payload)
		ev.Metadata.CorrelationID = *meta.CorrelationID
		ev.SchemaVersion = *meta.SchemaVersion
		ev.Producer, ev.RunID = meta.Producer, meta.RunID
		return ev, nil
	})
	require.NoError(t, err)
	return out
}

func eventIDs[T any](items []T, id func(T) string) []string {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = id(it)
	}
	sort.Strings(ids)
	return ids
}

func TestCountModeWritesConsistentEvents(t *testing.T) {
	t.Parallel()
	const n = 800
	url := newDatabase(t, true)
	var progress bytes.Buffer
	var onCommit atomic.Int64
	loader, err := New(Config{PostgresURL: url, Count: n, Workers: 4, Seed: 11, Progress: &progress,
		OnCommit: func(Committed) { onCommit.Add(1) }})
	require.NoError(t, err)
	defer loader.Close()

	res, err := loader.Run(context.Background())
	require.NoError(t, err)
	assert.False(t, res.Interrupted)
	assert.Equal(t, ModeCount, res.Mode)
	assert.Equal(t, uint64(11), res.Seed)
	require.Len(t, res.Events, n)
	assert.EqualValues(t, n, onCommit.Load(), "OnCommit once per event")
	sumTypes, sumCategories := 0, 0
	for typ, c := range res.ByType {
		sumTypes += c
		assert.Contains(t, EventTypes, typ)
	}
	for _, c := range res.ByCategory {
		sumCategories += c
	}
	assert.Equal(t, n, sumTypes)
	assert.Equal(t, n, sumCategories)
	assert.Contains(t, progress.String(), "loaded 800/800 events in ")

	_, err = loader.Run(context.Background())
	assert.ErrorIs(t, err, ErrAlreadyRun)

	rows := readOutbox(t, connect(t, url))
	require.Len(t, rows, n, "exactly one row per event")
	committed := map[string]Committed{}
	for _, c := range res.Events {
		committed[c.EventID] = c
	}
	byAggregate := map[string][]row{}
	userCreated := map[string]row{}
	for _, r := range rows {
		c, ok := committed[r.EventID]
		require.True(t, ok, "row %s is in Result.Events", r.EventID)
		assert.Equal(t, Committed{EventID: r.EventID, AggregateID: r.AggregateID, AggregateType: r.AggregateType,
			EventType: r.EventType, CorrelationID: r.Metadata.CorrelationID, Version: r.AggregateVersion,
			CommittedAt: c.CommittedAt}, c)
		assert.Equal(t, 1, r.SchemaVersion, "schema_version")
		assert.Equal(t, res.RunID, r.RunID, "run_id")
		assert.Equal(t, "loadgen", r.Producer)
		_, err := decode(r.Event)
		require.NoError(t, err, "the projectors accept %s %s", r.EventType, r.EventID)

		byAggregate[r.AggregateID] = append(byAggregate[r.AggregateID], r)
		if r.EventType == events.UserCreated {
			userCreated[r.AggregateID] = r
		}
	}

	for id, evs := range byAggregate {
		sort.Slice(evs, func(i, j int) bool { return evs[i].AggregateVersion < evs[j].AggregateVersion })
		for i, ev := range evs {
			require.EqualValues(t, i+1, ev.AggregateVersion, "aggregate %s: versions 1..%d", id, len(evs))
			if i > 0 {
				require.True(t, ev.CreatedAt.After(evs[i-1].CreatedAt),
					"aggregate %s: version %d began after version %d committed", id, i+1, i)
			}
		}
	}

	// A reference may only name a user whose UserCreated committed first;
	// created_at is the transaction's start, so "strictly earlier" proves it.
	// A UserDeleted comes after every event that referenced the user.
	references := 0
	lastReference := map[string]time.Time{}
	for _, r := range rows {
		var userID string
		switch r.EventType {
		case events.ActivityCreated:
			p, err := events.Decode[events.ActivityCreatedV1](r.Event)
			require.NoError(t, err)
			userID = p.CreatorID
		case events.ParticipantJoined:
			p, err := events.Decode[events.ParticipantJoinedV1](r.Event)
			require.NoError(t, err)
			userID = p.UserID
		case events.ParticipantLeft:
			p, err := events.Decode[events.ParticipantLeftV1](r.Event)
			require.NoError(t, err)
			userID = p.UserID
		default:
			continue
		}
		created, ok := userCreated[userID]
		require.True(t, ok, "%s %s references user %s, who was created", r.EventType, r.EventID, userID)
		require.True(t, created.CreatedAt.Before(r.CreatedAt), "%s %s at %v references user %s created at %v",
			r.EventType, r.EventID, r.CreatedAt, userID, created.CreatedAt)
		if r.CreatedAt.After(lastReference[userID]) {
			lastReference[userID] = r.CreatedAt
		}
		references++
	}
	assert.Greater(t, references, n/4, "the run has references to check")
	deletions := 0
	for _, r := range rows {
		if r.EventType == events.UserDeleted {
			deletions++
			require.True(t, r.CreatedAt.After(lastReference[r.AggregateID]), "user %s deleted after its last reference", r.AggregateID)
		}
	}
	assert.Positive(t, deletions)
}

// Cancelling the context stops the run; what it returns is exactly what is
// in the table.
func TestCancelStopsTheRunAndReturnsWhatCommitted(t *testing.T) {
	t.Parallel()
	url := newDatabase(t, true)
	pool := connect(t, url)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var commits atomic.Int64
	loader, err := New(Config{Pool: pool, Count: 100_000, Workers: 4, Seed: 5, OnCommit: func(Committed) {
		if commits.Add(1) == 50 {
			cancel()
		}
	}})
	require.NoError(t, err)

	res, err := loader.Run(ctx)
	require.NoError(t, err, "a cancelled run stops cleanly")
	assert.True(t, res.Interrupted)
	assert.GreaterOrEqual(t, len(res.Events), 50)
	assert.Less(t, len(res.Events), 100_000)
	assert.Equal(t, eventIDs(res.Events, func(c Committed) string { return c.EventID }),
		eventIDs(readOutbox(t, pool), func(r row) string { return r.EventID }))

	loader.Close()
	assert.NoError(t, pool.Ping(context.Background()), "a given pool stays open")
}

// A failed insert stops the run with an error naming the event; nothing
// committed is missing from the result.
func TestFailedInsertStopsTheRunAndNamesTheEvent(t *testing.T) {
	t.Parallel()
	url := newDatabase(t, true)
	pool := connect(t, url)
	_, err := pool.Exec(context.Background(),
		`ALTER TABLE activity.event_outbox ADD CONSTRAINT no_leaving CHECK (event_type <> 'ParticipantLeft')`)
	require.NoError(t, err)
	loader, err := New(Config{Pool: pool, Count: 2000, Workers: 4, Seed: 5, Mix: Mix{Participant: 100}})
	require.NoError(t, err)

	res, err := loader.Run(context.Background())
	require.Error(t, err)
	assert.ErrorContains(t, err, "ParticipantLeft")
	assert.ErrorContains(t, err, "no_leaving")
	assert.Regexp(t, `writing event #\d+ \(ParticipantLeft, version \d+ of activity [0-9a-f-]{36}, event_id [0-9a-f-]{36}\)`, err.Error())
	assert.False(t, res.Interrupted)
	assert.Less(t, len(res.Events), 2000)
	assert.Equal(t, eventIDs(res.Events, func(c Committed) string { return c.EventID }),
		eventIDs(readOutbox(t, pool), func(r row) string { return r.EventID }))
}

func TestMissingTableFailsTheFirstEvent(t *testing.T) {
	t.Parallel()
	loader, err := New(Config{PostgresURL: newDatabase(t, false), Count: 10, Workers: 1, Seed: 1})
	require.NoError(t, err)
	defer loader.Close()
	res, err := loader.Run(context.Background())
	require.Error(t, err)
	assert.ErrorContains(t, err, "writing event #1 (UserCreated, version 1 of user ")
	assert.ErrorContains(t, err, `relation "activity.event_outbox" does not exist`)
	assert.Empty(t, res.Events)
}

func TestUnreachableDatabase(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now

	loader, err := New(Config{PostgresURL: "postgres://postgres@" + addr + "/activity?sslmode=disable&connect_timeout=5", Count: 10})
	require.NoError(t, err)
	defer loader.Close()
	res, err := loader.Run(context.Background())
	require.Error(t, err)
	assert.ErrorContains(t, err, "connecting to PostgreSQL at 127.0.0.1:")
	assert.Empty(t, res.Events)
}

// A short rate-mode run: paced events, written like any others. How fast
// is not asserted (that is the machine's business), only what was written.
func TestRateModeWritesPlannedEvents(t *testing.T) {
	t.Parallel()
	url := newDatabase(t, true)
	pool := connect(t, url)
	loader, err := New(Config{Pool: pool, Rate: 200, Duration: 500 * time.Millisecond, Workers: 2, Seed: 9})
	require.NoError(t, err)

	res, err := loader.Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, ModeRate, res.Mode)
	assert.Equal(t, 100, res.Planned)
	assert.InDelta(t, 200, res.TargetRate, 0)
	assert.NotEmpty(t, res.Events)
	assert.LessOrEqual(t, len(res.Events), 100, "never more than planned")
	assert.Equal(t, len(res.Events)+res.Missing(), res.Planned)
	assert.Equal(t, eventIDs(res.Events, func(c Committed) string { return c.EventID }),
		eventIDs(readOutbox(t, pool), func(r row) string { return r.EventID }))
}
