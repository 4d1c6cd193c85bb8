// Package debeziumtest writes outbox events the way the Debezium 3.6
// PostgreSQL connector does (JsonConverter, schemas off), for tests that feed
// a projector through Kafka without running Debezium.
package debeziumtest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/activityapp/event-processor/shared/outbox"
)

// Envelope returns the change-event value of an INSERT of ev into
// activity.event_outbox. jsonb columns are JSON text in a string, and
// created_at a ZonedTimestamp, as the connector sends them.
func Envelope(ev outbox.Event) []byte {
	meta := map[string]any{"schema_version": ev.SchemaVersion}
	if ev.SchemaVersion == 0 {
		meta["schema_version"] = 1
	}
	if ev.Metadata.CorrelationID != "" {
		meta["correlation_id"] = ev.Metadata.CorrelationID
	}
	if ev.Metadata.CausationID != "" {
		meta["causation_id"] = ev.Metadata.CausationID
	}
	for k, v := range ev.Metadata.Extra {
		meta[k] = v
	}
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		panic(fmt.Sprintf("debeziumtest: metadata: %v", err))
	}
	commit := ev.Source.CommitTime
	if commit.IsZero() {
		commit = ev.CreatedAt
	}
	value := map[string]any{
		"before": nil,
		"after": map[string]any{
			"event_id":          ev.EventID,
			"aggregate_id":      ev.AggregateID,
			"aggregate_type":    ev.AggregateType,
			"aggregate_version": ev.AggregateVersion,
			"event_type":        ev.EventType,
			"payload":           string(ev.Payload),
			"metadata":          string(metaJSON),
			"status":            "pending",
			"created_at":        ev.CreatedAt.UTC().Format("2006-01-02T15:04:05.000000Z"),
		},
		"source": map[string]any{
			"version":    "3.6.1.Final",
			"connector":  "postgresql",
			"name":       "postgres",
			"ts_ms":      commit.UnixMilli(),
			"snapshot":   "false",
			"db":         "activity",
			"sequence":   fmt.Sprintf(`["%d","%d"]`, ev.Source.LSN, ev.Source.LSN),
			"ts_us":      commit.UnixMicro(),
			"ts_ns":      commit.UnixNano(),
			"schema":     "activity",
			"table":      "event_outbox",
			"txId":       ev.Source.TxID,
			"lsn":        ev.Source.LSN,
			"xmin":       nil,
			"origin":     nil,
			"origin_lsn": nil,
		},
		"transaction": nil,
		"op":          "c",
		"ts_ms":       commit.Add(time.Millisecond).UnixMilli(),
		"ts_us":       commit.Add(time.Millisecond).UnixMicro(),
		"ts_ns":       commit.Add(time.Millisecond).UnixNano(),
	}
	out, err := json.Marshal(value)
	if err != nil {
		panic(fmt.Sprintf("debeziumtest: envelope: %v", err))
	}
	return out
}

// Key returns the record key the connector writes with message.key.columns
// set to the aggregate id (schemas off).
func Key(ev outbox.Event) []byte {
	return []byte(fmt.Sprintf(`{"aggregate_id":%q}`, ev.AggregateID))
}
