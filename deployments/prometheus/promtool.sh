#!/usr/bin/env bash
# Runs promtool with the given arguments: the one on PATH, else the one in
# Debian's prometheus package, extracted (not installed: its init script
# would start a server on :9090) into .cache/promtool/ of the repository
# once. Needs neither root nor a daemon; apt's package lists must be there
# (as root, a missing list is fetched with apt-get update).
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
  exec promtool "$@"
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=$root/.cache/promtool
bin=$cache/promtool
fail() { printf 'promtool.sh: %s\n' "$*" >&2; exit 1; }

if [[ ! -x $bin ]]; then
  command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 ||
    fail "no promtool on PATH, and no apt-get/dpkg-deb to fetch Debian's: install promtool (Prometheus 2.x)"
  candidate() { apt-cache policy prometheus 2>/dev/null | awk '/Candidate:/ { print $2 }'; }
  if [[ $(candidate) == "" || $(candidate) == "(none)" ]]; then
    if [[ $(id -u) == 0 ]]; then
      printf 'promtool.sh: no prometheus package in the apt lists: apt-get update\n' >&2
      apt-get update -qq
    fi
    [[ $(candidate) != "" && $(candidate) != "(none)" ]] ||
      fail "no prometheus package in the apt lists: run 'sudo apt-get update' (or put promtool on PATH)"
  fi
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # As root apt downloads as _apt, which cannot write here; root then.
  sandbox=()
  if [[ $(id -u) == 0 ]]; then sandbox=(-o APT::Sandbox::User=root); fi
  (cd "$tmp" && apt-get download -qq "${sandbox[@]}" prometheus) >&2 ||
    fail "apt-get download prometheus failed"
  dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/root"
  "$tmp/root/usr/bin/promtool" --version >/dev/null ||
    fail "the extracted promtool does not run"
  deb=$(basename "$tmp"/prometheus_*.deb)
  # Only the one binary is kept (about 50 MB); the rename makes a
  # concurrent run see either nothing or the whole file.
  mv "$tmp/root/usr/bin/promtool" "$bin.tmp.$$"
  mv -f "$bin.tmp.$$" "$bin"
  rm -rf "$tmp"; trap - EXIT
  printf 'promtool.sh: %s from %s in %s\n' "$("$bin" --version 2>&1 | head -n1)" "$deb" "${cache#"$root"/}" >&2
fi

exec "$bin" "$@"
