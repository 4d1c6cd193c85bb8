#!/usr/bin/env bash
# Builds event-processor/debian:bookworm, the local stand-in for debian:bookworm
# (no image registry is reachable here): debootstrap minbase + docker import.
# Cached: skipped when the image carries the hash of this script and the
# mirror; FORCE=1 rebuilds (the derived images then rebuild too, their hash
# includes the base image id).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
cd "$here"

image=$IMAGES_BASE
suite=bookworm
mirror=${DEBIAN_MIRROR:-$(debian_mirror)}
# Security updates matter for postgresql-15 (it gets point releases there).
security=${DEBIAN_SECURITY_MIRROR:-${mirror%/debian}/debian-security}

hash=$(inputs_hash build.sh -- "$suite" "$mirror" "$security")
if up_to_date "$image" "$hash"; then
  echo "$image: up to date"
  exit 0
fi

start=$(date +%s)
rootfs=$(mktemp -d /var/tmp/ep-debian-rootfs.XXXXXX)
cleanup() {
  # debootstrap mounts proc/sys inside the target; never rm across mounts.
  grep -o " $rootfs/[^ ]*" /proc/mounts 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf --one-file-system "$rootfs"
}
trap cleanup EXIT

# minbase = essential + apt. No ca-certificates: apt talks plain http to the
# mirror (packages are signed) and nothing in the base needs TLS; images that
# do (JVM, curl https) install it themselves.
debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
  tail -n 30 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"

# apt sources like the public image: main + updates + security.
rm -f "$rootfs/etc/apt/sources.list"
cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

# The same minimising config the public debian images carry (debuerreotype):
# no daemons started by package scripts, no recommends, no docs/man/locales,
# no apt caches left in layers.
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod 755 "$rootfs/usr/sbin/policy-rc.d"
cat >"$rootfs/etc/apt/apt.conf.d/docker-minimal" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
Acquire::GzipIndexes "true";
Acquire::CompressionTypes::Order:: "gz";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-excludes" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
# ...and drop what debootstrap already unpacked under those paths.
find "$rootfs/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$rootfs"/usr/share/{man,info,groff,lintian,linda}/*
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
       "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/debconf/*-old \
       "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/var/tmp/*
# Docker supplies these at run time; don't ship the build host's.
: >"$rootfs/etc/resolv.conf"; : >"$rootfs/etc/hostname"; : >"$rootfs/etc/machine-id"

tar -C "$rootfs" --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -c . |
  docker import \
    -c "LABEL $IMAGES_LABEL=$hash" \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV LANG=C.UTF-8' \
    -c 'CMD ["bash"]' \
    - "$image" >/dev/null

echo "$image: built in $(( $(date +%s) - start ))s ($(image_size_mb "$image"))"
