#!/usr/bin/env bash
# Runs the demo (scripts/cmd/demo) against the running stack (`make up`):
# load events into the outbox, wait until every projector has handled
# them, verify the read models against the outbox, report. Flags pass
# through; `scripts/demo/run.sh -h` lists them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
mkdir -p bin
(cd scripts && CGO_ENABLED=0 go build -trimpath -o ../bin/demo ./cmd/demo)
# The projectors' /metrics, for the store operations per event, unless
# PROJECTOR_METRICS names them: every instance of the running stack.
if [[ -z ${PROJECTOR_METRICS:-} ]] && docker info >/dev/null 2>&1; then
  compose=(docker compose)
  docker compose version >/dev/null 2>&1 || compose=(docker-compose)
  env_file=deployments/.images.env
  [[ -f $env_file ]] && compose+=(--env-file "$env_file")
  urls=()
  for svc in user-projector activity-projector statistics-projector; do
    n=$("${compose[@]}" ps -q "$svc" 2>/dev/null | wc -l)
    for ((i = 1; i <= n; i++)); do
      if addr=$("${compose[@]}" port --index "$i" "$svc" 8080 2>/dev/null) && [[ -n $addr ]]; then
        urls+=("http://$addr/metrics")
      fi
    done
  done
  PROJECTOR_METRICS=$(IFS=,; echo "${urls[*]}")
  export PROJECTOR_METRICS
fi
exec bin/demo "$@"
