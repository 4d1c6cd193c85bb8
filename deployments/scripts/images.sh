#!/usr/bin/env bash
# Chooses the image of every infrastructure service and builds what is
# needed, then writes the choice to deployments/.images.env for
# `docker compose --env-file`.
#
# A variable already set (POSTGRES_IMAGE=... make up) is kept. Otherwise the
# public image is used if it is present or can be pulled; where no registry
# is reachable, the local stand-in from deployments/images is built
# (cached: a second run with nothing changed takes seconds).
# The projectors and the connector tool are always built from this
# repository.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=deployments/.images.env
log() { printf '== %s\n' "$*" >&2; }

# name  variable  public image  local image  builder
images=(
  "postgres POSTGRES_IMAGE postgres:15 event-processor/postgres:15"
  "kafka KAFKA_IMAGE apache/kafka:4.1.1 event-processor/kafka:4.1.1"
  "connect CONNECT_IMAGE quay.io/debezium/connect:3.6.1.Final event-processor/connect:3.6.1"
  "mongo MONGO_IMAGE mongo:7 event-processor/mongo:7"
  "prometheus PROMETHEUS_IMAGE prom/prometheus:v2.42.0 event-processor/prometheus:2.42"
)

: >"$out.tmp"
for entry in "${images[@]}"; do
  read -r name var public local <<<"$entry"
  chosen=${!var:-}
  if [[ -z $chosen ]]; then
    if docker image inspect "$public" >/dev/null 2>&1 || timeout 60 docker pull -q "$public" >/dev/null 2>&1; then
      chosen=$public
    else
      log "$public cannot be pulled: using the local $local"
      deployments/images/"$name"/build.sh
      chosen=$local
    fi
  fi
  echo "$var=$chosen" >>"$out.tmp"
done

log "building the projector and connector images"
make --no-print-directory build >/dev/null
for bin in user-projector activity-projector statistics-projector connector; do
  # The client's "legacy builder is deprecated" notice is noise here.
  docker build -q --network=host -f deployments/images/gobin/Dockerfile --build-arg BIN="$bin" \
    -t "event-processor/$bin:latest" . 2>&1 >/dev/null | { grep -vE 'DEPRECATED|buildx|BuildKit|^\s*$' || true; } >&2
done
# The e2e suite's upgrade scenario deploys this first: the user-projector
# as it was before UserCreated schema version 2 (built without its reader).
(cd services/user-projector && CGO_ENABLED=0 go build -tags events_schema_v1only -trimpath \
  -o ../../bin/user-projector-schema-v1 ./cmd/user-projector)
docker build -q --network=host -f deployments/images/gobin/Dockerfile --build-arg BIN=user-projector-schema-v1 \
  -t event-processor/user-projector:schema-v1 . 2>&1 >/dev/null | { grep -vE 'DEPRECATED|buildx|BuildKit|^\s*$' || true; } >&2
mv "$out.tmp" "$out"
cat "$out" >&2
