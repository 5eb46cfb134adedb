#!/usr/bin/env bash
# Makes sure this machine can run the database tests (called by `make test`).
#
# The tests start their own private PostgreSQL cluster (tests/conftest.py); they
# need the server binaries of some major version plus the matching pg_cron
# package (`postgresql-<major>-cron`) and pgcrypto (shipped with the server
# package's contrib modules on Debian). Nothing here touches a running cluster.
#
# - The major version is the one of the installed server(s) under
#   /usr/lib/postgresql/<major>/bin/postgres (or, failing that, `pg_config`);
#   it is never hard-coded. With no server at all, the distribution's default
#   server (the `postgresql` meta package's dependency) is installed.
# - pg_cron is installed for every installed server major that lacks it.
# - Quick and silent (no apt calls) when everything is already there.
# - Installs need root: as a normal user `sudo` is used when available.
#
# Environment: TRACKGEN_PG_MAJOR=<n> restricts the check/install to that major.
set -euo pipefail

PGROOT=/usr/lib/postgresql

log() { printf 'ensure-postgres: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Runs a command as root: directly, or through sudo (non-interactive when there
# is no terminal, so CI fails fast instead of hanging on a password prompt).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    if [ -t 0 ]; then sudo "$@"; else sudo -n "$@"; fi
  else
    die "need root to install ${WANTED:-packages} (not root and sudo is not installed): run 'apt-get install ${WANTED:-...}' as root, or run 'make test' as root"
  fi
}

apt_updated=0
WANTED=""
apt_install() {
  WANTED="$*"
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install $* by hand (this script supports Debian/Ubuntu)"
  if [ "$apt_updated" -eq 0 ]; then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq
    apt_updated=1
  fi
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
    install -y -qq --no-install-recommends "$@" >/dev/null
}

pkg_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]
}

# Installed server majors, highest first.
installed_majors() {
  local d major
  for d in "$PGROOT"/*/bin/postgres; do
    [ -x "$d" ] || continue
    major=${d#"$PGROOT"/}; major=${major%%/*}
    printf '%s\n' "$major"
  done | sort -rn
}

majors=$(installed_majors)
if [ -z "$majors" ] && command -v pg_config >/dev/null 2>&1; then
  # e.g. a server installed elsewhere; pg_config --version prints "PostgreSQL 15.20 (...)".
  v=$(pg_config --version | awk '{print $2}')
  bindir=$(pg_config --bindir)
  if [ -x "$bindir/postgres" ]; then majors=${v%%.*}; fi
fi

if [ -z "$majors" ]; then
  # No server yet: take the distribution's default major from the registry.
  command -v apt-get >/dev/null 2>&1 || die "no PostgreSQL server found under $PGROOT and no apt-get to install one"
  WANTED="a PostgreSQL server (package postgresql-<major>)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt_updated=1
  server_pkg=$(apt-cache depends postgresql 2>/dev/null | sed -n 's/^ *Depends: \(postgresql-[0-9][0-9]*\)$/\1/p' | head -n1)
  [ -n "$server_pkg" ] || die "no PostgreSQL server installed and apt offers no 'postgresql' package to derive the major from"
  log "no PostgreSQL server installed; installing $server_pkg"
  apt_install "$server_pkg"
  majors=$(installed_majors)
  [ -n "$majors" ] || die "installed $server_pkg but found no $PGROOT/*/bin/postgres"
fi

if [ -n "${TRACKGEN_PG_MAJOR:-}" ]; then
  printf '%s\n' "$majors" | grep -qx "$TRACKGEN_PG_MAJOR" \
    || die "TRACKGEN_PG_MAJOR=$TRACKGEN_PG_MAJOR but the installed server majors are: $(echo $majors)"
  majors=$TRACKGEN_PG_MAJOR
fi

missing=()
for major in $majors; do
  if ! pkg_installed "postgresql-$major-cron" || [ ! -e "$PGROOT/$major/lib/pg_cron.so" ]; then
    missing+=("postgresql-$major-cron")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    die "missing ${missing[*]} and apt-get is not available"
  fi
  apt_install "${missing[@]}" || die "could not install ${missing[*]} (is it offered for this Debian release? see 'apt-cache policy ${missing[*]}')"
fi

for major in $majors; do
  [ -e "$PGROOT/$major/lib/pg_cron.so" ] || die "$PGROOT/$major/lib/pg_cron.so is missing after installing postgresql-$major-cron"
  [ -e "/usr/share/postgresql/$major/extension/pgcrypto.control" ] \
    || die "pgcrypto is missing for PostgreSQL $major (it ships with postgresql-$major); reinstall that package"
done

if [ "${#missing[@]}" -gt 0 ]; then
  log "ready: PostgreSQL $(echo $majors) with pg_cron and pgcrypto"
fi
