#!/usr/bin/env bash
# Runs a test program and fails it on a LeakSanitizer report, unless every leak in it is
# one that a library leaves by design (tests/sanitizers/lsan_by_design.txt, by its exact
# size and stack), and on any GStreamer element still alive when the program shuts
# GStreamer down (GStreamer's leaks tracer; the programs call gst_deinit at exit,
# tests/media/gst_deinit_at_exit.cpp). Without ASan in the program it just runs it.
#
#   bash tests/lib/lsan_run.sh PROGRAM [ARGS...]
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
program=$1
if ! ldd "$program" 2>/dev/null | grep -q libasan; then
  exec "$@"
fi
reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
# Reports to files of their own (log_path.PID); a leak leaves the exit status alone
# (exitcode=0), so the program's own verdict is kept and the reports are judged here.
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}exitcode=0:log_path=$reports/asan"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$reports/asan"
# GStreamer's own leak check: every GstElement alive at gst_deinit, as "object-alive"
# records in its debug log (which goes to a file here, warnings included, shown on failure).
export GST_TRACERS="leaks(filters=GstElement)"
export GST_DEBUG="${GST_DEBUG:-2},GST_TRACER:7" GST_DEBUG_FILE=$reports/gst.log GST_DEBUG_NO_COLOR=1
"$@"
rc=$?
alive='object-alive, type-name=\(string\)[A-Za-z]'  # a record, not its format string
if grep -qE "$alive" "$reports/gst.log" 2>/dev/null; then
  echo "lsan_run: GStreamer elements still alive at gst_deinit (not freed):" >&2
  grep -E "$alive" "$reports/gst.log" | sed 's/.*object-alive, /  /' | head -n 20 >&2
  rc=1
fi
shopt -s nullglob
logs=("$reports"/asan.*)
((${#logs[@]} == 0)) && exit "$rc"
if grep -qE 'ERROR: AddressSanitizer|runtime error:' "${logs[@]}"; then
  cat "${logs[@]}" >&2
  exit "${rc/#0/1}"
fi
if gawk -v known="$repo/tests/sanitizers/lsan_by_design.txt" -f "$repo/tests/lib/lsan_check.awk" \
  "${logs[@]}" >&2; then
  exit "$rc"  # no leak, or only ones left by design: the program's verdict stands
fi
echo "lsan_run: LeakSanitizer found leaks that are not left by design (above)" >&2
exit 1
