#!/usr/bin/env bash
# Installs what Lanline needs (scripts/packages.txt) and builds it in release mode.
#
#   bash scripts/setup.sh     (as root, or as a user with sudo: only apt-get runs under it)
#
# Idempotent: installs only missing packages (apt-get update only when something is
# missing), configures the build directory once and reconfigures it afterwards.
# Environment:
#   LANLINE_BUILDDIR  build directory (default: build, relative to the repo root)
#   CI                when set, the build is configured with --werror
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root=$(pwd)
builddir=${LANLINE_BUILDDIR:-build}

log() { printf '[setup] %s\n' "$*"; }

# --- packages -----------------------------------------------------------------------
mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' scripts/packages.txt | grep -v '^$')

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ $status != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  log "all ${#packages[@]} packages from scripts/packages.txt are installed"
else
  log "missing packages (${#missing[@]}): ${missing[*]}"
  as_root=()
  if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null; then
      log "installing packages needs root, and this machine has no sudo. As root, run:"
      printf '  apt-get update && apt-get install -y %s\n' "${missing[*]}"
      exit 1
    fi
    as_root=(sudo DEBIAN_FRONTEND=noninteractive)
    log "installing them with sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  log "apt-get update"
  "${as_root[@]}" apt-get update -q
  log "apt-get install ${missing[*]}"
  "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- configure and build ------------------------------------------------------------
setup_args=(--buildtype=release)
if [[ -n ${CI:-} ]]; then
  setup_args+=(--werror)
else
  setup_args+=(-Dwerror=false)
fi

if [[ -f $builddir/meson-private/coredata.dat ]]; then
  log "reconfiguring $repo_root/$builddir (${setup_args[*]})"
  if ! meson setup --reconfigure "$builddir" "${setup_args[@]}"; then
    log "reconfigure failed; wiping $builddir and configuring afresh"
    meson setup --wipe "$builddir" "${setup_args[@]}"
  fi
else
  log "configuring $repo_root/$builddir (${setup_args[*]})"
  meson setup "$builddir" "${setup_args[@]}"
fi

log "building ($builddir)"
ninja -C "$builddir"
log "done: $builddir/src/app/lanline"
