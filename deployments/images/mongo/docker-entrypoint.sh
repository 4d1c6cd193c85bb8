#!/usr/bin/env bash
# Entrypoint of event-processor/mongo:7: PostgreSQL 15 (127.0.0.1 only, data in
# /data/db/pg) + FerretDB on 0.0.0.0:27017, no auth - like mongo:7 without
# MONGO_INITDB_ROOT_USERNAME. This script stays PID 1 as a small supervisor:
# on SIGTERM/SIGINT it stops FerretDB first, then PostgreSQL (fast shutdown),
# and exits 0; if either process dies, it stops the other and exits non-zero.
#
#   docker run IMAGE                      ferretdb with the defaults below
#   docker run IMAGE --log-level=debug    extra ferretdb flags
#   docker run IMAGE mongod ...           accepted for compose parity; mongod flags are ignored
#   docker run IMAGE bash                 anything else runs as is
# FERRETDB_* env vars override the defaults (kong reads them); POSTGRES_ARGS
# adds postgres settings (word-split, e.g. "-c synchronous_commit=off").
set -Eeuo pipefail

log() { echo "entrypoint: $*" >&2; }

case "${1:-ferretdb}" in
  -*) set -- ferretdb "$@" ;;
  mongod)
    [ $# -gt 1 ] && log "ignoring mongod flags (not FerretDB's): ${*:2}"
    set -- ferretdb ;;
esac
if [ "${1:-ferretdb}" != ferretdb ]; then
  exec "$@"
fi
case " ${*:2} " in
  *" --version "*|*" --help "*|*" -h "*) exec "$@" ;;  # no need for a backend
esac

DATA=${MONGO_DATA_DIR:-/data/db}
PGDATA=$DATA/pg
PGPORT=5432
export PGDATA

if [ "$(id -u)" = 0 ]; then
  # A fresh volume or bind mount may be owned by root: hand it over, then
  # run everything as the postgres user (initdb/postgres refuse root).
  mkdir -p "$DATA"
  find "$DATA" \! -user postgres -exec chown postgres:postgres '{}' +
  mkdir -p /var/run/postgresql; chown postgres:postgres /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi
shift # "ferretdb"; what is left are extra ferretdb flags

if [ -n "${MONGO_INITDB_ROOT_USERNAME:-}" ]; then
  log "MONGO_INITDB_ROOT_USERNAME is set but this stand-in has no auth; ignoring it"
fi

pg_pid= fdb_pid=
stopping=0
shutdown() {
  stopping=1
  log "stopping ferretdb, then postgresql"
  if [ -n "$fdb_pid" ]; then kill -TERM "$fdb_pid" 2>/dev/null || :; wait "$fdb_pid" 2>/dev/null || :; fi
  if [ -n "$pg_pid" ]; then kill -INT "$pg_pid" 2>/dev/null || :; wait "$pg_pid" 2>/dev/null || :; fi
  log "stopped"
  exit 0
}
# Installed before anything starts: PID 1 ignores signals it has no handler for.
trap shutdown TERM INT

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  log "initializing the PostgreSQL cluster in $PGDATA"
  # initdb removes what it created when it fails.
  initdb -D "$PGDATA" --username=postgres --auth=trust --encoding=UTF8 >/dev/null
fi

# Loopback only: FerretDB is the only client. Checkpoint chatter off.
# Connections: FerretDB holds one pooled connection per document an update
# command matches until the command ends, and every client hangs for good
# once its pool (50 by default) runs dry. The projectors bound what they
# send (at most 16 documents of bulk writes in flight per process), so
# the default stack needs at most 48; the larger pool below leaves room for
# scaled-out instances.
# shellcheck disable=SC2086 # POSTGRES_ARGS is word-split on purpose.
postgres -D "$PGDATA" -p "$PGPORT" \
  -c listen_addresses=127.0.0.1 -c unix_socket_directories=/var/run/postgresql \
  -c max_connections=250 -c log_checkpoints=off ${POSTGRES_ARGS:-} &
pg_pid=$!

until pg_isready -q -h 127.0.0.1 -p "$PGPORT" -U postgres; do
  if ! kill -0 "$pg_pid" 2>/dev/null; then
    wait "$pg_pid" && rc=0 || rc=$?
    log "postgresql exited during startup ($rc)"; exit "$(( rc == 0 ? 1 : rc ))"
  fi
  sleep 0.2
done

psql -qAt -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres <<'EOSQL'
SELECT 'CREATE DATABASE ferretdb' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'ferretdb') \gexec
EOSQL
# FerretDB's own `_id` index cannot serve its `_id` filters, so without this
# every lookup by `_id` scans the collection (the file says more). At every
# start: it is idempotent and indexes collections of an older volume too.
psql -qAt -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres -d ferretdb \
  -f /usr/local/share/event-processor/ferretdb_id_index.sql >/dev/null

mkdir -p "$DATA/ferretdb-state"
# Defaults as env vars, so FERRETDB_* from `docker run -e` win.
export FERRETDB_LISTEN_ADDR=${FERRETDB_LISTEN_ADDR:-0.0.0.0:27017}
export FERRETDB_HANDLER=${FERRETDB_HANDLER:-postgresql}
export FERRETDB_POSTGRESQL_URL=${FERRETDB_POSTGRESQL_URL:-postgres://postgres@127.0.0.1:$PGPORT/ferretdb?pool_max_conns=200}
export FERRETDB_TELEMETRY=${FERRETDB_TELEMETRY:-disable}
export FERRETDB_LOG_LEVEL=${FERRETDB_LOG_LEVEL:-info}
export FERRETDB_STATE_DIR=${FERRETDB_STATE_DIR:-$DATA/ferretdb-state}
ferretdb "$@" &
fdb_pid=$!

# Returns when either process exits, or early when a trapped signal arrives
# (the trap then exits the script).
wait -n "$pg_pid" "$fdb_pid" && rc=0 || rc=$?
[ "$stopping" = 1 ] && exit 0
if kill -0 "$fdb_pid" 2>/dev/null; then what=postgresql; else what=ferretdb; fi
log "$what exited unexpectedly ($rc); stopping the rest"
kill -TERM "$fdb_pid" 2>/dev/null || :; wait "$fdb_pid" 2>/dev/null || :
kill -INT "$pg_pid" 2>/dev/null || :; wait "$pg_pid" 2>/dev/null || :
exit "$(( rc == 0 ? 1 : rc ))"
