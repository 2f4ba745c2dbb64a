# After a test's nodes have quit: their logs must hold no AddressSanitizer error, no
# UndefinedBehaviorSanitizer "runtime error" and no LeakSanitizer report of a leak that
# is not one a library leaves by design (tests/sanitizers/lsan_by_design.txt, matched by
# exact size and stack by tests/lib/lsan_check.awk). Source this file.
#
#   sanitizer_check LOG...   prints what it found; returns 1 on any such report
# Sourcing it also sets LSAN_OPTIONS exitcode=0 for the processes the test starts: their
# leaks are judged from their logs here, so a leak does not change their exit status.
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}exitcode=0"
_sanitizer_check_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
sanitizer_check() {
  local bad=0 log
  for log in "$@"; do
    [[ -f $log ]] || continue
    if grep -qE 'ERROR: AddressSanitizer|runtime error:' "$log"; then
      echo "sanitizer report in $log:"
      grep -m 5 -A 12 -E 'ERROR: AddressSanitizer|runtime error:' "$log"
      bad=1
    fi
    if grep -q 'ERROR: LeakSanitizer' "$log"; then
      if ! gawk -v known="$_sanitizer_check_repo/tests/sanitizers/lsan_by_design.txt" \
        -f "$_sanitizer_check_repo/tests/lib/lsan_check.awk" "$log"; then
        echo "LeakSanitizer: leaks in $log (above) that no library leaves by design"
        bad=1
      fi
    fi
  done
  return $bad
}
