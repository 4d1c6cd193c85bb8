#!/usr/bin/env bash
# Makes sure a Docker engine runs and `docker compose` (v2) is available.
#
# On machines without an engine (CI here, fresh VMs) it installs Debian's
# docker.io and starts dockerd in the background. Debian only packages
# docker-compose v1, so the v2 plugin is built from its Go module once and
# cached in ~/.docker/cli-plugins (a few minutes the first time).
set -euo pipefail

COMPOSE_VERSION=v2.40.3
# Where this script notes the dockerd it started, so whoever started the
# setup (.ci/run) can stop it again by PID.
PIDFILE=${DOCKERD_PIDFILE:-/run/event-processor-dockerd.pid}
log() { printf '== %s\n' "$*" >&2; }

# The offline image builds need debootstrap (deployments/images/base).
if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  if ! command -v dockerd >/dev/null 2>&1; then
    log "installing docker.io"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
  fi
  log "starting dockerd"
  mkdir -p /var/log
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { tail -20 /var/log/dockerd.log >&2; log "dockerd did not start"; exit 1; }
fi

if ! docker compose version >/dev/null 2>&1; then
  log "building the docker compose ${COMPOSE_VERSION} plugin (cached in ~/.docker/cli-plugins)"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (
    cd "$work"
    go mod init compose-build >/dev/null 2>&1
    # `go install ...@version` refuses modules with exclude directives.
    go get "github.com/docker/compose/v2/cmd@${COMPOSE_VERSION}" >/dev/null 2>&1
    mkdir -p "$HOME/.docker/cli-plugins"
    CGO_ENABLED=0 go build -o "$HOME/.docker/cli-plugins/docker-compose" github.com/docker/compose/v2/cmd
  )
fi
docker compose version >&2
