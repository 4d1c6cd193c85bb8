package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/activityapp/event-processor/shared/readmodel"
)

// Event is one outbox row as the application writes it.
type Event struct {
	ID            string
	AggregateID   string
	AggregateType string
	Version       int64
	Type          string
	Payload       map[string]any
	CorrelationID string
	// SchemaVersion goes into the metadata; 0 means 1.
	SchemaVersion int
	// CreatedAt is what the database stored (default now()), read back.
	CreatedAt time.Time
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Insert writes each event in its own transaction, as the application
// does, and records the created_at the database gave it.
func Insert(t *testing.T, ctx context.Context, events ...*Event) {
	t.Helper()
	for _, e := range events {
		require.NoError(t, insertEvent(ctx, e))
	}
}

// insertEvent is Insert of one event, returning the error.
func insertEvent(ctx context.Context, e *Event) error {
	payload, meta, err := eventJSON(e)
	if err != nil {
		return err
	}
	tx, err := pg.Begin(ctx)
	if err != nil {
		return err
	}
	err = tx.QueryRow(ctx, `INSERT INTO activity.event_outbox
		(event_id, aggregate_id, aggregate_type, aggregate_version, event_type, payload, metadata)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at`,
		e.ID, e.AggregateID, e.AggregateType, e.Version, e.Type, payload, meta).Scan(&e.CreatedAt)
	if err != nil {
		_ = tx.Rollback(ctx)
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	// Read models keep UTC milliseconds.
	e.CreatedAt = e.CreatedAt.UTC().Truncate(time.Millisecond)
	return nil
}

// eventJSON is the payload and metadata Insert writes for e.
func eventJSON(e *Event) (payload, meta []byte, err error) {
	if payload, err = json.Marshal(e.Payload); err != nil {
		return nil, nil, err
	}
	meta, err = json.Marshal(map[string]any{"correlation_id": e.CorrelationID, "causation_id": e.ID, "schema_version": max(e.SchemaVersion, 1)})
	return payload, meta, err
}

// Collections every scenario reads.
var readModels = []string{"users", "activities", "user_statistics", "daily_statistics"}

// Documents reads a collection by _id, normalised (see normalize), keeping
// only the given fields (all when none).
func Documents(t *testing.T, ctx context.Context, coll string, fields ...string) map[string]any {
	t.Helper()
	cur, err := readModel(t, ctx, coll).Find(ctx, bson.D{})
	require.NoError(t, err)
	var docs []bson.M
	require.NoError(t, cur.All(ctx, &docs))
	out := map[string]any{}
	for _, d := range docs {
		n := normalize(d).(map[string]any)
		if len(fields) > 0 {
			kept := map[string]any{}
			for _, f := range fields {
				if v, ok := n[f]; ok {
					kept[f] = v
				}
			}
			n = kept
		}
		out[fmt.Sprint(d["_id"])] = n
	}
	return out
}

// normalize turns a decoded BSON value into plain Go values that compare
// with expectations: dates become UTC time.Time, every integer int64,
// documents map[string]any, arrays []any.
func normalize(v any) any {
	switch x := v.(type) {
	case bson.M:
		m := map[string]any{}
		for k, e := range x {
			m[k] = normalize(e)
		}
		return m
	case bson.D:
		m := map[string]any{}
		for _, e := range x {
			m[e.Key] = normalize(e.Value)
		}
		return m
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			m[k] = normalize(e)
		}
		return m
	case bson.A:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = normalize(e)
		}
		return a
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = normalize(e)
		}
		return a
	case bson.DateTime:
		return x.Time().UTC()
	case time.Time:
		return x.UTC().Truncate(time.Millisecond)
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
		return x
	default:
		return v
	}
}

// Eventually polls read until it equals want, and fails with the last
// difference at the deadline. No fixed sleeps: it returns as soon as the
// read models match.
func Eventually(t *testing.T, ctx context.Context, timeout time.Duration, want any, read func() any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var got any
	for {
		got = read()
		if reflect.DeepEqual(normalize(want), got) {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	assert.Equal(t, normalize(want), got, "read models did not converge within %v", timeout)
	t.FailNow()
}

// HandledCorrelationIDs returns the correlation ids of the "message
// handled" lines (JSON, debug level) in a projector's logs.
func HandledCorrelationIDs(service string) map[string]bool {
	ids := map[string]bool{}
	for _, id := range handledLines(stack.Logs(service)) {
		ids[id] = true
	}
	return ids
}

// handledCounts counts a projector's "event handled" lines by
// correlation id.
func handledCounts(service string) map[string]int {
	counts := map[string]int{}
	for _, id := range handledLines(stack.Logs(service)) {
		counts[id]++
	}
	return counts
}

func handledLines(logs string) []string {
	var ids []string
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			Msg           string `json:"msg"`
			CorrelationID string `json:"correlation_id"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "event handled" {
			ids = append(ids, line.CorrelationID)
		}
	}
	return ids
}

// readModel is the collection serving a read model, as readers resolve it
// (a rebuilt one lives under another name).
func readModel(t *testing.T, ctx context.Context, name string) *mongo.Collection {
	t.Helper()
	coll, err := readmodel.Resolve(ctx, mdb, name)
	require.NoError(t, err)
	return mdb.Collection(coll)
}

// removeInstance removes an extra instance at the end of a test.
func removeInstance(t *testing.T, instance string) {
	t.Helper()
	if err := stack.RemoveInstance(instance); err != nil {
		t.Error(err)
	}
}
