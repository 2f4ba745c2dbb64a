#!/usr/bin/env bash
# Sets Lanline up (scripts/setup.sh) and runs every test:
#   1. release build ($B):          meson test (unit, corpus, ...)
#   2. sanitizer build ($B-asan):   debug, ASan + UBSan, meson test
#   3. fuzz build ($B-fuzz):        clang, libFuzzer + ASan + UBSan, meson test --suite fuzz
# In CI ($CI set) every build is configured with --werror. benchmark() targets (tests/bench)
# are not run here: `meson test -C build --benchmark` runs them (docs/PERFORMANCE.md).
# The sanitizer and fuzz builds leave out the sofia-sip benchmark reference.
# Ends with one line `N passed, N failed, N skipped` and exits non-zero if anything failed
# (a build that does not configure or compile counts as one failure; in CI, a skipped
# test counts as failed too, named in the lines before).
#
#   bash scripts/test.sh      (as root, or as a user with sudo: the tests need root for
#                              network namespaces, so it runs itself again under sudo)
#
# Environment: LANLINE_BUILDDIR (default: build) names the release build directory;
# the others are "$LANLINE_BUILDDIR-asan" and "$LANLINE_BUILDDIR-fuzz".
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "[test] the tests need root (network namespaces, iptables): run this as root" >&2
    exit 1
  fi
  echo "[test] the tests need root (network namespaces, iptables): running under sudo"
  exec sudo --preserve-env=CI,LANLINE_BUILDDIR,FUZZ_EXTRA_ARGS bash "$0" "$@"
fi
# Run through sudo by a user: give the build directories back to that user at the end,
# so that `bash scripts/run.sh` as the user can rebuild in them.
give_back() {
  [[ -n ${SUDO_UID:-} && -n ${SUDO_GID:-} ]] || return 0
  chown -R "$SUDO_UID:$SUDO_GID" "$release_dir" "$asan_dir" "$fuzz_dir" 2>/dev/null || true
}
trap give_back EXIT
# ccache (meson uses it when installed): paths taken relative to the repository, so a
# fresh clone elsewhere still hits what an earlier run compiled.
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=true
export LANLINE_BUILDDIR=${LANLINE_BUILDDIR:-build}
release_dir=$LANLINE_BUILDDIR
asan_dir=$LANLINE_BUILDDIR-asan
fuzz_dir=$LANLINE_BUILDDIR-fuzz

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

if [[ -n ${CI:-} ]]; then
  werror=(--werror)
else
  werror=(-Dwerror=false)
fi
jobs=2  # the test machines have 2 cores

total_passed=0
total_failed=0
total_skipped=0
failed_stages=()
skipped_tests=()
failed_tests=()
start_time=$SECONDS

# Each line says how long the run has taken so far, so that a slow stage shows.
log() { printf '\n[test] %dm%02ds %s\n' $(((SECONDS - start_time) / 60)) $(((SECONDS - start_time) % 60)) "$*"; }

record_failure() {  # STAGE — a build/configure step that failed counts as one failure
  total_failed=$((total_failed + 1))
  failed_stages+=("$1")
}

# configure DIR MESON-SETUP-ARGS... : meson setup, or reconfigure if DIR exists.
configure() {
  local dir=$1
  shift
  if [[ -f $dir/meson-private/coredata.dat ]]; then
    meson setup --reconfigure "$dir" "$@" || meson setup --wipe "$dir" "$@"
  else
    meson setup "$dir" "$@"
  fi
}

# run_tests NAME DIR MESON-TEST-ARGS... : runs meson test, adds its counts to the totals.
run_tests() {
  local name=$1 dir=$2
  shift 2
  local logfile rc=0
  logfile=$(mktemp)
  log "$name: meson test -C $dir $*"
  meson test -C "$dir" --print-errorlogs --num-processes "$jobs" "$@" 2>&1 | tee "$logfile" ||
    rc=${PIPESTATUS[0]}

  local counts ok xfail fail upass timeout skipped
  # meson's summary block: "Ok: N", "Expected Fail: N", "Fail: N", "Unexpected Pass: N",
  # "Skipped: N", "Timeout: N". The last block wins.
  counts=$(awk '
    /^Ok:/              { ok = $2 }
    /^Expected Fail:/   { xf = $3 }
    /^Fail:/            { f = $2 }
    /^Unexpected Pass:/ { up = $3 }
    /^Timeout:/         { to = $2 }
    /^Skipped:/         { sk = $2 }
    END { printf "%d %d %d %d %d %d\n", ok, xf, f, up, to, sk }' "$logfile")
  read -r ok xfail fail upass timeout skipped <<<"$counts"
  # The tests meson counted as skipped (exit 77), by name: " 3/25 lanline / name  SKIP  0.01s".
  local name_skipped
  while IFS= read -r name_skipped; do
    skipped_tests+=("$name: $name_skipped")
  done < <(sed -n 's/^ *[0-9]*\/[0-9]* \(.*[^ ]\) *SKIP .*/\1/p' "$logfile")
  # And the ones that failed, so that the end of a long CI log says which.
  local name_failed
  while IFS= read -r name_failed; do
    failed_tests+=("$name: $name_failed")
  done < <(sed -n 's/^ *[0-9]*\/[0-9]* \(.*[^ ]\) *\(FAIL\|TIMEOUT\|UNEXPECTEDPASS\) .*/\1/p' "$logfile")
  rm -f "$logfile"

  local passed=$((ok + xfail)) failed=$((fail + upass + timeout))
  if ((rc != 0 && failed == 0)); then
    # meson test failed without reporting a failing test (e.g. the rebuild failed).
    failed=1
  fi
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  total_skipped=$((total_skipped + skipped))
  ((failed == 0)) || failed_stages+=("$name")
  log "$name: $passed passed, $failed failed, $skipped skipped (meson test exit $rc)"
}

# --- 1. release build ---------------------------------------------------------------
log "release: scripts/setup.sh"
if bash scripts/setup.sh; then
  run_tests release "$release_dir"
else
  log "release: setup/build failed"
  record_failure "release build"
fi

# --- 2. sanitizer build (gcc, ASan + UBSan) -----------------------------------------
log "asan: configuring $asan_dir"
if configure "$asan_dir" --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
  -Dsofia_bench=disabled "${werror[@]}" && ninja -C "$asan_dir"; then
  run_tests asan "$asan_dir" --timeout-multiplier 3
else
  log "asan: configure/build failed"
  record_failure "asan build"
fi

# --- 3. fuzz build (clang, libFuzzer + ASan + UBSan) --------------------------------
log "fuzz: configuring $fuzz_dir"
if CC=clang CXX=clang++ configure "$fuzz_dir" -Dfuzzers=true -Db_sanitize=address,undefined \
  -Db_lundef=false -Dsofia_bench=disabled "${werror[@]}" &&
  ninja -C "$fuzz_dir" tests/fuzz/fuzz_message tests/fuzz/fuzz_framer tests/fuzz/fuzz_uri \
    tests/fuzz/fuzz_sdp tests/fuzz/fuzz_ice_candidate tests/fuzz/fuzz_discovery; then
  # Only the fuzz targets are built here: the rest of the tree is covered by the two
  # builds above, and compiling it a third time would double the run.
  # The fuzz targets (tests/fuzz/meson.build, suite 'fuzz') run for a bounded time.
  # libFuzzer exits with 77 on a crash by default, which meson reads as "skipped":
  # make a crash a failure.
  FUZZ_EXTRA_ARGS="-error_exitcode=1 ${FUZZ_EXTRA_ARGS:-}" run_tests fuzz "$fuzz_dir" --no-rebuild --suite fuzz
else
  log "fuzz: configure/build failed"
  record_failure "fuzz build"
fi

# --- summary ------------------------------------------------------------------------
elapsed=$((SECONDS - start_time))
log "finished in $((elapsed / 60))m$((elapsed % 60))s${failed_stages[*]:+; failures in: ${failed_stages[*]}}"
for failed_test in "${failed_tests[@]}"; do
  log "failed: $failed_test (its output is above, and in meson-logs/testlog.txt)"
done
for skipped_test in "${skipped_tests[@]}"; do
  log "skipped: $skipped_test (see its log in meson-logs/testlog.txt for what it was missing)"
done
if [[ -n ${CI:-} ]] && ((total_skipped > 0)); then
  # In CI every test must run: a skip is a missing package, daemon or privilege.
  log "CI: $total_skipped tests were skipped; each must run here"
  total_failed=$((total_failed + total_skipped))
fi
echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
((total_failed == 0))
