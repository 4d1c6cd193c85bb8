#!/usr/bin/env bash
# Waits until the pipeline is ready: the connector runs, every projector
# container is healthy, and Prometheus answers /-/ready on the host.
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

# Prometheus has no healthcheck in compose (the local stand-in has no wget):
# ask its readiness endpoint from the host (curl, else bash's /dev/tcp).
prom_port=${PROMETHEUS_PORT:-9090}
prom_ready() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -o /dev/null --max-time 2 "http://localhost:$prom_port/-/ready" 2>/dev/null
  else
    timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" &&
      printf "GET /-/ready HTTP/1.0\r\n\r\n" >&3 && head -n1 <&3 | grep -q " 200 "' _ "$prom_port" 2>/dev/null
  fi
}
until prom_ready; do
  ((SECONDS < deadline)) || { "${compose[@]}" ps -a prometheus >&2; "${compose[@]}" logs prometheus | tail -30 >&2
    log "prometheus not ready in time on localhost:$prom_port"; exit 1; }
  sleep 2
done
log "prometheus ready"
