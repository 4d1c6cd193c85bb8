#!/usr/bin/env bash
# Builds event-processor/kafka:4.1.1 offline: the jars come from Maven Central
# (pom.xml, `mvn dependency:copy-dependencies`, resolved once into
# .cache/maven-images/kafka), the JRE from Debian, FROM event-processor/debian.
# Cached: skipped when the image carries the hash of the inputs (Dockerfile,
# scripts, config, pom, base image id). FORCE=1 rebuilds, with Docker's layer
# cache so the JRE layer stays shared with the other JVM image. One line of
# output per image.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
cd "$here"

image=event-processor/kafka:4.1.1
root=$(cd "$here/../../.." && pwd)
cache=$root/.cache/maven-images/kafka

# The base (cached itself; one line of output). FORCE=1 means this image
# only; FORCE_BASE=1 rebuilds the base too, as in the other build.sh files.
FORCE=${FORCE_BASE:-0} "$here/../base/build.sh"

hash=$(inputs_hash Dockerfile build.sh pom.xml bin config docker -- "base=$(image_id "$IMAGES_BASE")")
if up_to_date "$image" "$hash"; then
  echo "$image: up to date"
  exit 0
fi
start=$(date +%s)

# Maven resolution, cached by the hash of the pom: only when it changed.
pom_hash=$(sha256sum pom.xml | cut -c1-64)
mkdir -p "$cache"
if [ "$(cat "$cache/libs.pom-sha256" 2>/dev/null)" != "$pom_hash" ] || [ ! -d "$cache/libs" ]; then
  rm -rf "$cache/libs" "$cache/libs.tmp" "$cache/pom"
  mkdir -p "$cache/pom"
  cp pom.xml "$cache/pom/pom.xml"
  mvn -B -q -f "$cache/pom/pom.xml" -Dmaven.repo.local="$cache/repository" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$cache/libs.tmp" \
      >"$cache/mvn.log" 2>&1 || { tail -n 40 "$cache/mvn.log" >&2; exit 1; }
  mv "$cache/libs.tmp" "$cache/libs"
  echo "$pom_hash" >"$cache/libs.pom-sha256"
fi

# Build context: the sources plus libs/ (hard links into the cache).
ctx=$cache/context
rm -rf "$ctx"
mkdir -p "$ctx"
cp -a Dockerfile bin config docker "$ctx/"
cp -al "$cache/libs" "$ctx/libs" 2>/dev/null || cp -a "$cache/libs" "$ctx/libs"

# kafka and connect share the JRE layer only when they don't build it at the
# same time (e.g. make -j): serialise their docker builds.
exec 9>"$root/.cache/maven-images/.jvm-images.lock"
flock 9
DOCKER_BUILDKIT=0 docker build --network=host --label "$IMAGES_LABEL=$hash" -t "$image" "$ctx" \
  >"$cache/build.log" 2>&1 || { tail -n 40 "$cache/build.log" >&2; exit 1; }
rm -rf "$ctx"

echo "$image: built in $(( $(date +%s) - start ))s ($(image_size_mb "$image"))"
