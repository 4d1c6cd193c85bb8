#!/usr/bin/env bash
# Builds event-processor/prometheus:2.42 (drop-in for the public
# prom/prometheus:v2.42.0) from Debian's prometheus package on the local
# base. Cached on the hash of the files here + the base image id; FORCE=1
# rebuilds (e.g. to pick up a new Debian point release).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
cd "$here"

image=event-processor/prometheus:2.42

# The base only rebuilds with FORCE_BASE=1 (FORCE=1 means this image only).
FORCE=${FORCE_BASE:-0} "$here/../base/build.sh"
hash=$(inputs_hash Dockerfile build.sh -- "$(image_id "$IMAGES_BASE")")
if up_to_date "$image" "$hash"; then
  echo "$image: up to date"
  exit 0
fi

start=$(date +%s)
docker_build "$image" "$hash" "$here" --build-arg "BASE=$IMAGES_BASE"
echo "$image: built in $(( $(date +%s) - start ))s ($(image_size_mb "$image"))"
