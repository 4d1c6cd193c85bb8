#!/usr/bin/env bash
# Entrypoint of event-processor/postgres:15. Mirrors the public postgres
# image's docker-entrypoint.sh for what the stack uses:
#   POSTGRES_USER (default postgres), POSTGRES_PASSWORD, POSTGRES_DB (default
#   = user), POSTGRES_HOST_AUTH_METHOD (default scram-sha-256),
#   POSTGRES_INITDB_ARGS, *_FILE variants of the first three; PGDATA;
#   /docker-entrypoint-initdb.d/*.sql|*.sql.gz|*.sh run once, on an empty PGDATA.
# Starts as root, fixes ownership, re-executes itself as postgres, then
# `exec`s the command so postgres is PID 1 and gets the stop signal.
set -Eeuo pipefail

# file_env VAR [DEFAULT]: VAR or the content of the file named by VAR_FILE.
file_env() {
  local var=$1 def=${2:-} fvar="${1}_FILE" val
  if [ -n "${!var:-}" ] && [ -n "${!fvar:-}" ]; then
    echo "error: both $var and $fvar are set (but are exclusive)" >&2; exit 1
  fi
  val=$def
  if [ -n "${!var:-}" ]; then val=${!var}; elif [ -n "${!fvar:-}" ]; then val=$(<"${!fvar}"); fi
  export "$var"="$val"
  unset "$fvar"
}

log() { echo "entrypoint: $*"; }

# `docker run IMAGE -c foo=bar` means `postgres -c foo=bar` (as upstream).
if [ "${1:0:1}" = - ]; then
  set -- postgres "$@"
fi

if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
  # A fresh named volume or bind mount may be owned by root: hand it over.
  mkdir -p "$PGDATA" /var/run/postgresql
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
  chmod 700 "$PGDATA" || :
  chown postgres:postgres /var/run/postgresql; chmod 3777 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

temp_server_stop() { pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null; }

# Runs once on an empty data directory: initdb, temp socket-only server,
# create POSTGRES_DB, init scripts, stop.
init_cluster() {
  file_env POSTGRES_USER postgres
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_DB "$POSTGRES_USER"
  local auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}

  if [ -z "$POSTGRES_PASSWORD" ] && [ "$auth" != trust ]; then
    cat >&2 <<'EOF'
error: database is uninitialized and superuser password is not specified.
       Set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust to allow
       all connections without a password; not recommended).
EOF
    exit 1
  fi

  log "initializing $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is word-split on purpose.
  if [ -n "$POSTGRES_PASSWORD" ]; then
    # Password via a pipe: never in argv or on disk.
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
      --auth-local=trust --auth-host="$auth" ${POSTGRES_INITDB_ARGS:-}
  else
    initdb --username="$POSTGRES_USER" --auth-local=trust --auth-host="$auth" ${POSTGRES_INITDB_ARGS:-}
  fi

  # From here on a failure would leave a half-initialised cluster that the
  # next start mistakes for a finished one: stop and wipe what we created
  # so a restart retries the init (and shows the error again).
  trap 'rc=$?; log "init failed (exit $rc), removing the partial cluster"; temp_server_stop 2>/dev/null || :; find "$PGDATA" -mindepth 1 -delete; exit $rc' ERR

  # initdb only allows host connections from loopback; allow everyone with
  # the password (logical replication connections match "all" too).
  printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"

  # Temporary server with the command's own settings (e.g. -c wal_level=
  # logical, as upstream) but no TCP and a private socket directory: neither
  # clients nor an in-container `pg_isready` healthcheck see it, so "healthy"
  # only ever means "init scripts done".
  local sockdir opts
  sockdir=$(mktemp -d /tmp/pg-init.XXXXXX)
  opts=$(printf '%q ' "${@:2}")
  pg_ctl -D "$PGDATA" -w start \
    -o "$opts -c listen_addresses='' -c unix_socket_directories=$sockdir -p ${PGPORT:-5432}"

  export PGUSER=$POSTGRES_USER PGHOST=$sockdir
  local psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
  if [ "$POSTGRES_DB" != postgres ]; then
    "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<'EOSQL'
SELECT format('CREATE DATABASE %I', :'db') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
EOSQL
  fi
  psql+=(--dbname "$POSTGRES_DB")

  local f
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh)
        # Executable scripts run, others are sourced (as upstream).
        if [ -x "$f" ]; then log "running $f"; "$f"; else log "sourcing $f"; . "$f"; fi ;;
      *.sql)    log "running $f"; "${psql[@]}" -f "$f" ;;
      *.sql.gz) log "running $f"; gunzip -c "$f" | "${psql[@]}" ;;
      *)        log "ignoring $f" ;;
    esac
  done

  temp_server_stop
  trap - ERR
  unset PGUSER PGHOST
  rmdir "$sockdir"
  log "init done; starting the server"
}

if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  init_cluster "$@"
fi

exec "$@"
