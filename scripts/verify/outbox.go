package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Row is one row of activity.event_outbox, as stored.
type Row struct {
	EventID          string
	AggregateID      string
	AggregateType    string
	AggregateVersion int64
	EventType        string
	Payload          json.RawMessage
	// Metadata is the metadata column's JSON text.
	Metadata  json.RawMessage
	CreatedAt time.Time
}

// Querier runs a query: *pgx.Conn, *pgxpool.Pool and pgx.Tx all are one.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// The ids and JSON columns are read as text: that is what the projectors
// see through Debezium, and it needs no type mapping.
const outboxQuery = `SELECT event_id::text, aggregate_id::text, aggregate_type, aggregate_version,
       event_type, payload::text, metadata::text, created_at
FROM activity.event_outbox
ORDER BY aggregate_id, aggregate_version, event_id`

// ReadOutbox returns every outbox row, ordered by aggregate and version.
func ReadOutbox(ctx context.Context, q Querier) ([]Row, error) {
	rows, err := q.Query(ctx, outboxQuery)
	if err != nil {
		return nil, fmt.Errorf("verify: read outbox: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Row, error) {
		var (
			row               Row
			payload, metadata string
		)
		err := r.Scan(&row.EventID, &row.AggregateID, &row.AggregateType, &row.AggregateVersion,
			&row.EventType, &payload, &metadata, &row.CreatedAt)
		row.Payload, row.Metadata = json.RawMessage(payload), json.RawMessage(metadata)
		return row, err
	})
	if err != nil {
		return nil, fmt.Errorf("verify: read outbox: %w", err)
	}
	return out, nil
}

// Expected recomputes the read models from the outbox q reads. Fold's
// statistics (events skipped and why) are dropped: Run keeps them.
func Expected(ctx context.Context, q Querier) (Model, error) {
	rows, err := ReadOutbox(ctx, q)
	if err != nil {
		return Model{}, err
	}
	model, _ := Fold(rows)
	return model, nil
}
