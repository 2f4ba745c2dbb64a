#!/usr/bin/env bash
# Sets Lanline up (packages, release build) and starts it.
#
#   sudo bash scripts/run.sh [ARGS...]
#
# Extra arguments are passed to lanline, e.g. `scripts/run.sh parse msg.sip`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
builddir=${LANLINE_BUILDDIR:-build}

bash scripts/setup.sh

# TODO: switch to plain `lanline` (the desktop app) once the app lands; until then
# only `lanline parse` exists, so with no arguments this shows the help.
if (($# == 0)); then
  set -- --help
fi
exec "$builddir/src/app/lanline" "$@"
