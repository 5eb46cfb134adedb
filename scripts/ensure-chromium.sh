#!/usr/bin/env bash
# Makes sure this machine can run the dashboard's browser test (called by `make test`).
#
# The test drives Debian's `chromium` package with Playwright for Python (pinned in
# pyproject.toml) through `executable_path=/usr/bin/chromium`: Playwright's own browser
# download reaches a host outside the package registries, so it is never used.
# Quick and silent (no apt calls) when chromium is already installed. Installs need
# root: as a normal user `sudo` is used when available.
#
# Environment: TRACKGEN_CHROMIUM=<path> names another Chromium binary (nothing is installed).
set -euo pipefail

log() { printf 'ensure-chromium: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [ -n "${TRACKGEN_CHROMIUM:-}" ]; then
  [ -x "$TRACKGEN_CHROMIUM" ] || die "TRACKGEN_CHROMIUM=$TRACKGEN_CHROMIUM is not executable"
  exit 0
fi
[ -x /usr/bin/chromium ] && exit 0

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    if [ -t 0 ]; then sudo "$@"; else sudo -n "$@"; fi
  else
    die "need root to install chromium: run 'apt-get install chromium' as root"
  fi
}

command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install Chromium by hand and set TRACKGEN_CHROMIUM"
log "apt-get update"
as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq
log "apt-get install chromium"
as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
  install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
[ -x /usr/bin/chromium ] || die "installed chromium but /usr/bin/chromium is missing"
log "ready: $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
