#!/usr/bin/env bash
# The demo with 1000 events (default mix: 40 % user, 30 % activity, 30 %
# participant events); more flags pass through, e.g. -mix user=100.
exec "$(dirname "${BASH_SOURCE[0]}")/run.sh" -n 1000 "$@"
