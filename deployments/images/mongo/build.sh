#!/usr/bin/env bash
# Builds event-processor/mongo:7, the MongoDB stand-in: FerretDB (compiled
# here on the host, static) + Debian's PostgreSQL 15 as its backend +
# mongo-healthcheck (./healthcheck). Cached on the hash of the files here,
# the shared install-postgres.sh, the FerretDB version/tags, the Go version
# and the base image id; FORCE=1 rebuilds this image, FORCE_BASE=1 the base.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
cd "$here"

image=event-processor/mongo:7
ferretdb_module=github.com/FerretDB/FerretDB
ferretdb_version=v1.24.2
# Only the PostgreSQL backend is used: leaving SQLite out drops modernc.org/*
# (and its libc version pinning) from the binary.
ferretdb_tags=ferretdb_no_sqlite

FORCE=${FORCE_BASE:-0} "$here/../base/build.sh"
# The `_id` index FerretDB's lookups can use; the test harness applies the
# same file.
id_index_sql=../../../testkit/mongotest/ferretdb_id_index.sql
hash=$(inputs_hash Dockerfile docker-entrypoint.sh build.sh healthcheck ../postgres/install-postgres.sh "$id_index_sql" -- \
  "$ferretdb_module@$ferretdb_version" "$ferretdb_tags" "$(go env GOVERSION)" "$(image_id "$IMAGES_BASE")")
if up_to_date "$image" "$hash"; then
  echo "$image: up to date"
  exit 0
fi

start=$(date +%s)
work=$(mktemp -d /tmp/ep-mongo-build.XXXXXX)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
ctx=$work/context
mkdir -p "$ctx"
cp Dockerfile docker-entrypoint.sh ../postgres/install-postgres.sh "$id_index_sql" "$ctx/"

# Static binaries, no workspace (the repo's go.work doesn't list these), no
# toolchain download, no VCS stamping (the copies below aren't checkouts).
export CGO_ENABLED=0 GOWORK=off GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

# FerretDB is built inside a writable copy of its own module, so its go.mod /
# go.sum pin every dependency exactly as released (a wrapper module would
# re-resolve them), and build/version/version.txt can say which release this
# is (a wrapper-module build reports "unknown").
src=$(go mod download -json "$ferretdb_module@$ferretdb_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$src" ] || { echo "$image: cannot download $ferretdb_module@$ferretdb_version" >&2; exit 1; }
cp -r "$src" "$work/ferretdb"
chmod -R u+w "$work/ferretdb"
echo "$ferretdb_version" >"$work/ferretdb/build/version/version.txt"
echo docker >"$work/ferretdb/build/version/package.txt"
(cd "$work/ferretdb" && go build -trimpath -ldflags='-s -w' -tags="$ferretdb_tags" -o "$ctx/ferretdb" ./cmd/ferretdb)

(cd healthcheck && go build -trimpath -ldflags='-s -w' -o "$ctx/mongo-healthcheck" .)

docker_build "$image" "$hash" "$ctx" --build-arg "BASE=$IMAGES_BASE"
echo "$image: built in $(( $(date +%s) - start ))s ($(image_size_mb "$image"))"
