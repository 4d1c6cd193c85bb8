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
exec bin/demo "$@"
