#!/bin/sh
# Installs Debian's PostgreSQL 15 server into an image. Shared by the postgres
# and mongo (FerretDB backend) images: both Dockerfiles COPY and RUN this same
# file as their first steps, so Docker's build cache shares the layer.
set -eu

# uid/gid 999 like the public postgres image, so existing volumes keep their owner.
groupadd -r -g 999 postgres
useradd -r -g postgres -u 999 -d /var/lib/postgresql -s /bin/bash postgres
mkdir -p /var/lib/postgresql
chown postgres:postgres /var/lib/postgresql

# Debian's postgresql-common would create a "main" cluster on install; the
# entrypoints own initdb instead.
mkdir -p /etc/postgresql-common/createcluster.d
echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/no-main-cluster.conf

# postgresql-15 hard-depends on LLVM (+ z3) for JIT: ~130 MB of the image.
# Keep the packages (dpkg stays consistent) but not their files; JIT is then
# unavailable and switched off below. Nothing here benefits from JIT
# (short OLTP queries stay below jit_above_cost anyway).
cat >/etc/dpkg/dpkg.cfg.d/no-llvm <<'EOT'
path-exclude /usr/lib/*/libLLVM*
path-exclude /usr/lib/*/libz3.so*
path-exclude /usr/lib/postgresql/*/lib/llvmjit*
path-exclude /usr/lib/postgresql/*/lib/bitcode/*
EOT

apt-get update
apt-get install -y --no-install-recommends postgresql-15
rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log /usr/share/postgresql/15/man

# Defaults for every cluster initdb makes (the public image does the same
# for listen_addresses).
sample=/usr/share/postgresql/15/postgresql.conf.sample
sed -ri "s/^#?(listen_addresses)\s*=\s*\S+/\1 = '*'/; s/^#?(jit)\s*=\s*\S+/\1 = off/" "$sample"
grep -q "^listen_addresses = '\*'" "$sample"
grep -q '^jit = off' "$sample"

mkdir -p /var/run/postgresql
chown postgres:postgres /var/run/postgresql
chmod 3777 /var/run/postgresql
