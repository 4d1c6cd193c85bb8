-- What Debezium needs: a role that may replicate and read the outbox, and a
-- publication on the outbox table only (the connector runs with
-- publication.autocreate.mode=disabled, so it never needs to own tables).
--
-- The password is for the local stack; production sets its own.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'debezium') THEN
        CREATE ROLE debezium WITH LOGIN REPLICATION PASSWORD 'debezium';
    END IF;
END
$$;

GRANT USAGE ON SCHEMA activity TO debezium;
GRANT SELECT ON activity.event_outbox TO debezium;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'outbox_publication') THEN
        CREATE PUBLICATION outbox_publication FOR TABLE activity.event_outbox;
    END IF;
END
$$;
