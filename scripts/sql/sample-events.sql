-- Inserts :n users (UserCreated), each in its own transaction as the
-- application would, then one activity per ten users with the first user
-- of each ten joining it. For trying the stack by hand:
--   psql -h localhost -U postgres -d activity -v n=1000 -f scripts/sql/sample-events.sql
\set ON_ERROR_STOP on
\if :{?n}
\else
\set n 10
\endif

SELECT gen_random_uuid() AS run \gset

-- psql variables do not reach PL/pgSQL; pass them through settings.
SELECT set_config('sample.n', :'n', false), set_config('sample.run', :'run', false) \gset

CREATE OR REPLACE PROCEDURE pg_temp.insert_sample_events()
LANGUAGE plpgsql AS $$
DECLARE
    n   int  := current_setting('sample.n')::int;
    run text := current_setting('sample.run');
    u   uuid;
    a   uuid;
    first_user uuid;
BEGIN
    FOR i IN 1..n LOOP
        u := gen_random_uuid();
        INSERT INTO activity.event_outbox
            (event_id, aggregate_id, aggregate_type, aggregate_version, event_type, payload, metadata)
        VALUES (gen_random_uuid(), u, 'user', 1, 'UserCreated',
                jsonb_build_object('user_id', u, 'email', 'user' || i || '-' || left(run, 8) || '@example.com',
                                   'username', 'user' || i, 'full_name', 'User ' || i, 'city', 'Berlin'),
                jsonb_build_object('correlation_id', run, 'schema_version', 1));
        IF i % 10 = 1 THEN
            first_user := u;
        END IF;
        IF i % 10 = 0 THEN
            a := gen_random_uuid();
            INSERT INTO activity.event_outbox
                (event_id, aggregate_id, aggregate_type, aggregate_version, event_type, payload, metadata)
            VALUES (gen_random_uuid(), a, 'activity', 1, 'ActivityCreated',
                    jsonb_build_object('activity_id', a, 'creator_id', u, 'title', 'Run ' || i,
                                       'category', 'running', 'starts_at', now() + interval '1 day'),
                    jsonb_build_object('correlation_id', run, 'schema_version', 1)),
                   (gen_random_uuid(), a, 'activity', 2, 'ParticipantJoined',
                    jsonb_build_object('activity_id', a, 'user_id', first_user),
                    jsonb_build_object('correlation_id', run, 'schema_version', 1));
        END IF;
        COMMIT;
    END LOOP;
END
$$;

CALL pg_temp.insert_sample_events();
SELECT :'run' AS correlation_id, :n AS users_inserted;
