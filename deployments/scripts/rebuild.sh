#!/usr/bin/env bash
# Rebuilds one projector's read models while readers keep reading them:
#   deployments/scripts/rebuild.sh SERVICE COMPOSE...   (make rebuild SERVICE=user-projector)
#
# 1. A rebuild instance of SERVICE (docker compose run: the same image and
#    settings) reads the outbox topic from offset 0 in a group of its own
#    into new collections (READ_MODEL_REBUILD_SUFFIX); the live instances
#    keep serving and updating the current ones.
# 2. Once it is close (at most REBUILD_MAX_LAG, default 500, records
#    behind), the live instances stop (readers still see the current
#    collections, complete), the rebuild goes past where they stopped, and
#    stops.
# 3. bin/rebuild switch points the read models at the new collections (one
#    pointer document each) and hands the rebuild's offsets to the live
#    group; the live instances start on the new ones where the rebuild
#    stopped. After DROP_GRACE (default 30 s: readers that resolved a read
#    model just before the switch finish their queries) bin/rebuild drop
#    drops the old collections.
# Needs bin/rebuild (make build) and the stack's ports on localhost.
set -euo pipefail
svc=${1:?usage: rebuild.sh SERVICE COMPOSE...}
shift
compose=("$@")
log() { printf '== %s\n' "$*" >&2; }
cd "$(dirname "$0")/../.."

suffix=$(bin/rebuild plan -service "$svc")
mapfile -t env < <(bin/rebuild env -service "$svc" -suffix "$suffix")
args=()
for e in "${env[@]}"; do args+=(-e "$e"); done
instances=$("${compose[@]}" ps -q "$svc" | wc -l)

log "rebuild $suffix of $svc: starting the rebuild instance"
name="$svc-rebuild$suffix"
"${compose[@]}" run -d --no-deps --name "$name" "${args[@]}" "$svc" >/dev/null
id=$(docker inspect -f '{{.Id}}' "$name")
cleanup() {
  # On failure the live instances run again on the current collections.
  docker rm -f "$id" >/dev/null 2>&1 || true
  if [[ ${live_stopped:-0} == 1 ]]; then "${compose[@]}" up -d --no-deps --scale "$svc=$instances" "$svc" >/dev/null; fi
}
trap cleanup ERR INT TERM

bin/rebuild wait -service "$svc" -suffix "$suffix" -max-lag "${REBUILD_MAX_LAG:-500}"
log "close: stopping the live $svc ($instances instances); readers keep the current read models"
live_stopped=1
"${compose[@]}" stop "$svc" >/dev/null
bin/rebuild wait-past -service "$svc" -suffix "$suffix"
docker stop "$id" >/dev/null
bin/rebuild switch -service "$svc" -suffix "$suffix"
docker rm "$id" >/dev/null
trap - ERR INT TERM
"${compose[@]}" up -d --no-deps --scale "$svc=$instances" "$svc" >/dev/null
log "$svc runs again on the rebuilt read models; dropping the old ones in ${DROP_GRACE:-30}s"
sleep "${DROP_GRACE:-30}"
bin/rebuild drop -service "$svc"
