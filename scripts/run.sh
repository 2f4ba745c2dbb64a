#!/usr/bin/env bash
# Sets Lanline up (packages, release build) and starts it.
#
#   bash scripts/run.sh [ARGS...]    (as root, or as a user with sudo for the packages)
#
# Extra arguments are passed to lanline, e.g. `scripts/run.sh --profile bob` or
# `scripts/run.sh parse msg.sip`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
builddir=${LANLINE_BUILDDIR:-build}

bash scripts/setup.sh

# With no arguments: the desktop app. On a machine with no display it says so in one line
# and runs the same node headless (stop it with Ctrl-C or `lanline ctl quit`).
exec "$builddir/src/app/lanline" "$@"
