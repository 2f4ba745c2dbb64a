# After a test's nodes have quit: their logs must hold no AddressSanitizer error and no
# UndefinedBehaviorSanitizer "runtime error". Source this file.
#
#   sanitizer_check LOG...   prints what it found; returns 1 on an error report
#
# LeakSanitizer reports are printed but do not fail the check: every node that has run a
# GStreamer pipeline reports one 16 KiB block that libglib allocates in its own ELF
# constructor (_dl_init) and never frees, which is not ours to fix.
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
      echo "note: $(basename "$log"): $(grep -m1 'SUMMARY: AddressSanitizer' "$log")"
    fi
  done
  return $bad
}
