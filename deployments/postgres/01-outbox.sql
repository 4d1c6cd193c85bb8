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

-- The event size limit: payload and metadata together, as text, at most
-- 1 MiB. Checked where the event is made, so an oversized event fails the
-- application's transaction instead of the Debezium task (whose Kafka
-- record, with the payload escaped into a JSON string and, for an update,
-- the before image too, stays under the 8 MiB the connector, the topics
-- and the projectors allow). The name states the limit: it is what the
-- application sees in the error.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'event_outbox_payload_and_metadata_max_1048576_bytes') THEN
    ALTER TABLE activity.event_outbox ADD CONSTRAINT event_outbox_payload_and_metadata_max_1048576_bytes
      CHECK (octet_length(payload::text) + octet_length(metadata::text) <= 1048576);
  END IF;
END $$;

-- Rows as the application may write them (docs/events.md, "Accepted
-- rows"): aggregate_type in any case is stored lowercase, so the unique
-- constraint cannot be dodged by spelling ('User' is 'user'); a row without
-- aggregate_version gets the aggregate's next one. The next version is read
-- under a per-aggregate lock held until the transaction ends, so concurrent
-- writers of one aggregate take turns: versions follow commit order, with
-- no gaps and no duplicates (in READ COMMITTED, PostgreSQL's default; under
-- REPEATABLE READ a writer that waited sees no newer version and fails on
-- the unique constraint, to be retried like any serialization failure).
CREATE OR REPLACE FUNCTION activity.event_outbox_defaults() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.aggregate_type := lower(NEW.aggregate_type);
  IF NEW.aggregate_version IS NULL THEN
    PERFORM pg_advisory_xact_lock(hashtextextended('activity.event_outbox:' || NEW.aggregate_type || ':' || NEW.aggregate_id, 0));
    SELECT coalesce(max(aggregate_version), 0) + 1 INTO NEW.aggregate_version
    FROM activity.event_outbox
    WHERE aggregate_type = NEW.aggregate_type AND aggregate_id = NEW.aggregate_id;
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS event_outbox_defaults ON activity.event_outbox;
CREATE TRIGGER event_outbox_defaults BEFORE INSERT OR UPDATE OF aggregate_type, aggregate_version
  ON activity.event_outbox FOR EACH ROW EXECUTE FUNCTION activity.event_outbox_defaults();

CREATE INDEX IF NOT EXISTS event_outbox_created_at_idx ON activity.event_outbox (created_at);
CREATE INDEX IF NOT EXISTS event_outbox_status_idx ON activity.event_outbox (status) WHERE status <> 'published';

-- The whole row in the WAL for updates and deletes, so Debezium's before
-- image is complete when a cleanup job touches old rows.
ALTER TABLE activity.event_outbox REPLICA IDENTITY FULL;
