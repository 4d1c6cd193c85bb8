# Shared helpers for deployments/images/*/build.sh. Source it, don't run it:
#   . "$(dirname "$0")/../lib.sh"
#
# Cache convention (other image scripts rely on it): every image carries the
# label event-processor.inputs=<sha256 of its build inputs>; a build is
# skipped when the target image already carries the hash of the current
# inputs. FORCE=1 rebuilds regardless. This file itself is not hashed: it
# changes how images are built, not what is in them.

IMAGES_LABEL=event-processor.inputs
IMAGES_BASE=event-processor/debian:bookworm

# The Debian mirror the host uses (first URIs: / deb line of
# /etc/apt/sources.list{,.d}); deb.debian.org when none is configured.
debian_mirror() {
  local m
  m=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list 2>/dev/null |
      grep -E '/debian/?( |$)' | head -n1 | sed -E 's/^URIs:[[:space:]]*//; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//; s/[[:space:]].*$//')
  printf '%s\n' "${m:-http://deb.debian.org/debian}"
}

# inputs_hash FILE_OR_DIR... [-- EXTRA_STRING...]
# sha256 over the relative names and contents of the given files (dirs are
# walked, sorted), plus extra strings (versions, base image id). Names are
# relative to the current directory, so call it from the image's directory.
inputs_hash() {
  local files=() extra=() seen_sep=0 a
  for a in "$@"; do
    if [ "$a" = -- ]; then seen_sep=1; continue; fi
    if [ "$seen_sep" = 1 ]; then extra+=("$a"); else files+=("$a"); fi
  done
  {
    find "${files[@]}" -type f ! -name '*~' -print0 | LC_ALL=C sort -z |
      xargs -0 sha256sum
    printf '%s\n' "${extra[@]+"${extra[@]}"}"
  } | sha256sum | cut -c1-64
}

# image_inputs IMAGE: the inputs label of IMAGE, empty when it doesn't exist.
image_inputs() {
  docker image inspect -f "{{ index .Config.Labels \"$IMAGES_LABEL\" }}" "$1" 2>/dev/null || true
}

# image_id IMAGE: the image id, empty when it doesn't exist.
image_id() {
  docker image inspect -f '{{ .Id }}' "$1" 2>/dev/null || true
}

# up_to_date IMAGE HASH: true when IMAGE exists with HASH and FORCE isn't set.
up_to_date() {
  [ "${FORCE:-0}" != 1 ] && [ "$(image_inputs "$1")" = "$2" ]
}

# image_size_mb IMAGE: the image size in MB.
image_size_mb() {
  docker image inspect -f '{{ .Size }}' "$1" | awk '{ printf "%.0f MB", $1 / 1000000 }'
}

# docker_build IMAGE HASH CONTEXT [docker build args...]: build with the
# inputs label and host network (apt inside the build); output only on failure.
# FORCE=1 also bypasses Docker's layer cache, so apt really runs again (new
# Debian point releases); otherwise a forced build would only relabel.
docker_build() {
  local image=$1 hash=$2 ctx=$3 log
  shift 3
  if [ "${FORCE:-0}" = 1 ]; then set -- --no-cache "$@"; fi
  log=$(mktemp /tmp/ep-docker-build.XXXXXX.log)
  # Classic builder: what the kafka/connect scripts use too, so base layers
  # and the shared install-postgres.sh layer come from one build cache.
  if ! DOCKER_BUILDKIT=0 docker build --network=host --label "$IMAGES_LABEL=$hash" -t "$image" "$@" "$ctx" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "$image: build failed (full log: $log)" >&2
    return 1
  fi
  rm -f "$log"
}
