#!/usr/bin/env bash
# Builds event-processor/connect:3.6.1 offline: Kafka Connect 4.1.1 jars and
# the Debezium PostgreSQL connector plugin 3.6.1.Final from Maven Central
# (pom.xml, `mvn package`, resolved once into .cache/maven-images/connect),
# the JRE from Debian, FROM event-processor/debian. kafka-run-class.sh is
# shared with ../kafka. Cached: skipped when the image carries the hash of the
# inputs (Dockerfile, scripts, config, pom, base image id). FORCE=1 rebuilds,
# with Docker's layer cache so the JRE layer stays shared with ../kafka.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
cd "$here"

image=event-processor/connect:3.6.1
root=$(cd "$here/../../.." && pwd)
cache=$root/.cache/maven-images/connect

# The base (cached itself; one line of output). FORCE=1 means this image
# only; FORCE_BASE=1 rebuilds the base too, as in the other build.sh files.
FORCE=${FORCE_BASE:-0} "$here/../base/build.sh"

hash=$(inputs_hash Dockerfile build.sh pom.xml bin config docker ../kafka/bin/kafka-run-class.sh \
       -- "base=$(image_id "$IMAGES_BASE")")
if up_to_date "$image" "$hash"; then
  echo "$image: up to date"
  exit 0
fi
start=$(date +%s)

# Maven resolution, cached by the hash of the pom: only when it changed.
pom_hash=$(sha256sum pom.xml | cut -c1-64)
mkdir -p "$cache"
if [ "$(cat "$cache/out.pom-sha256" 2>/dev/null)" != "$pom_hash" ] || [ ! -d "$cache/out" ]; then
  rm -rf "$cache/out" "$cache/out.tmp" "$cache/pom"
  mkdir -p "$cache/pom"
  cp pom.xml "$cache/pom/pom.xml"
  mvn -B -q -f "$cache/pom/pom.xml" -Dmaven.repo.local="$cache/repository" package \
      -Dlibs.dir="$cache/out.tmp/libs" -Dplugins.dir="$cache/out.tmp/connect" \
      >"$cache/mvn.log" 2>&1 || { tail -n 40 "$cache/mvn.log" >&2; exit 1; }
  rm -rf "$cache/pom/target"
  mv "$cache/out.tmp" "$cache/out"
  echo "$pom_hash" >"$cache/out.pom-sha256"
fi

# Build context: the sources plus libs/ and connect/ (hard links into the cache).
ctx=$cache/context
rm -rf "$ctx"
mkdir -p "$ctx/bin"
cp -a Dockerfile config docker "$ctx/"
cp -a bin/. ../kafka/bin/kafka-run-class.sh "$ctx/bin/"
for d in libs connect; do
  cp -al "$cache/out/$d" "$ctx/$d" 2>/dev/null || cp -a "$cache/out/$d" "$ctx/$d"
done

# kafka and connect share the JRE layer only when they don't build it at the
# same time (e.g. make -j): serialise their docker builds.
exec 9>"$root/.cache/maven-images/.jvm-images.lock"
flock 9
DOCKER_BUILDKIT=0 docker build --network=host --label "$IMAGES_LABEL=$hash" -t "$image" "$ctx" \
  >"$cache/build.log" 2>&1 || { tail -n 40 "$cache/build.log" >&2; exit 1; }
rm -rf "$ctx"

echo "$image: built in $(( $(date +%s) - start ))s ($(image_size_mb "$image"))"
