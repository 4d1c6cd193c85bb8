#!/usr/bin/env bash
# Waits until the pipeline is ready: the connector runs and every projector
# container is healthy.
set -euo pipefail
compose=("$@")
deadline=$((SECONDS + ${READY_TIMEOUT:-300}))
log() { printf '== %s\n' "$*" >&2; }

until "${compose[@]}" ps -a --format '{{.Service}} {{.State}} {{.ExitCode}}' connector-init | grep -q 'exited 0'; do
  if "${compose[@]}" ps -a --format '{{.Service}} {{.State}} {{.ExitCode}}' connector-init | grep -Eq 'exited [1-9]'; then
    "${compose[@]}" logs connector-init connect | tail -40 >&2
    log "registering the connector failed"; exit 1
  fi
  ((SECONDS < deadline)) || { "${compose[@]}" ps -a >&2; log "connector not registered in time"; exit 1; }
  sleep 2
done
log "connector running"

for svc in user-projector activity-projector statistics-projector; do
  until [[ -n $("${compose[@]}" ps --format '{{.Health}}' "$svc") ]] &&
        ! "${compose[@]}" ps --format '{{.Health}}' "$svc" | grep -qv '^healthy$'; do
    ((SECONDS < deadline)) || { "${compose[@]}" ps -a >&2; "${compose[@]}" logs "$svc" | tail -30 >&2; log "$svc not healthy in time"; exit 1; }
    sleep 2
  done
  log "$svc healthy"
done
