-- The transactional outbox the projectors read through Debezium.
--
-- The application inserts one row per domain event in the same transaction
-- as the business change. aggregate_version numbers the events of one
-- aggregate (1, 2, 3, ...); the unique constraint turns two concurrent
-- writers of one aggregate into an optimistic-concurrency error in the
-- application, and the projectors use the version to stay idempotent and
-- order-safe (docs/events.md).

CREATE SCHEMA IF NOT EXISTS activity;

CREATE TABLE IF NOT EXISTS activity.event_outbox (
    event_id          uuid        PRIMARY KEY,
    aggregate_id      uuid        NOT NULL,
    aggregate_type    text        NOT NULL,
    aggregate_version bigint      NOT NULL CHECK (aggregate_version > 0),
    event_type        text        NOT NULL,
    payload           jsonb       NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    -- correlation_id, causation_id, schema_version, and whatever else
    -- travels with the event.
    metadata          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    status            text        NOT NULL DEFAULT 'pending',
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT event_outbox_aggregate_version_key UNIQUE (aggregate_type, aggregate_id, aggregate_version)
);

CREATE INDEX IF NOT EXISTS event_outbox_created_at_idx ON activity.event_outbox (created_at);
CREATE INDEX IF NOT EXISTS event_outbox_status_idx ON activity.event_outbox (status) WHERE status <> 'published';

-- The whole row in the WAL for updates and deletes, so Debezium's before
-- image is complete when a cleanup job touches old rows.
ALTER TABLE activity.event_outbox REPLICA IDENTITY FULL;
