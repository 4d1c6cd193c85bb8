package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/activityapp/event-processor/shared/events"
)

// producer names this tool in every event's metadata.
const producer = "loadgen"

// insertTimeout bounds one event's transaction. Transactions do not end on
// the run's context (a cancelled run finishes the one in flight, so every
// commit is known), only on this.
const insertTimeout = 30 * time.Second

const insertSQL = `INSERT INTO activity.event_outbox
	(event_id, aggregate_id, aggregate_type, aggregate_version, event_type, payload, metadata)
	VALUES ($1, $2, $3, $4, $5, $6, $7)`

// metadata is the outbox row's metadata column.
type metadata struct {
	CorrelationID string `json:"correlation_id"`
	SchemaVersion int    `json:"schema_version"`
	Producer      string `json:"producer"`
	RunID         string `json:"run_id"`
}

// writer inserts each event in its own transaction, as the application
// does: BEGIN; INSERT INTO activity.event_outbox ...; COMMIT.
type writer struct {
	pool  *pgxpool.Pool
	runID string
}

// write commits ev and returns the client time right after COMMIT returned.
func (w writer) write(ctx context.Context, ev Event) (time.Time, error) {
	payload, err := json.Marshal(ev.Payload)
	if err != nil {
		return time.Time{}, w.fail(ev, fmt.Errorf("marshalling payload: %w", err))
	}
	meta, err := json.Marshal(metadata{
		CorrelationID: ev.CorrelationID,
		SchemaVersion: events.CurrentSchemaVersion,
		Producer:      producer,
		RunID:         w.runID,
	})
	if err != nil {
		return time.Time{}, w.fail(ev, fmt.Errorf("marshalling metadata: %w", err))
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), insertTimeout)
	defer cancel()
	// One round trip: the three statements go as one pipeline. If the
	// insert fails the COMMIT is skipped, and the pool closes the
	// connection left in the aborted transaction rather than reuse it.
	batch := &pgx.Batch{}
	batch.Queue("BEGIN")
	batch.Queue(insertSQL, ev.EventID, ev.AggregateID, ev.AggregateType, ev.Version,
		ev.EventType, json.RawMessage(payload), json.RawMessage(meta))
	batch.Queue("COMMIT")
	err = w.pool.SendBatch(ctx, batch).Close()
	if err != nil {
		return time.Time{}, w.fail(ev, err)
	}
	return time.Now(), nil
}

// fail says which event failed, so nothing is lost silently.
func (w writer) fail(ev Event, err error) error {
	return fmt.Errorf("loadgen: writing event #%d (%s, version %d of %s %s, event_id %s): %w",
		ev.Seq+1, ev.EventType, ev.Version, ev.AggregateType, ev.AggregateID, ev.EventID, err)
}
