# CPU and memory of running processes, for the benches (sourced, bash):
#   ticks PID          user + system CPU time so far, in clock ticks (/proc/PID/stat)
#   rss_mb PID         resident memory in MB (/proc/PID/status)
#   measure PID...     "% of one core" of each over $seconds seconds, space-separated
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2> /dev/null || echo 0; }
rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2> /dev/null; }
measure() {
  local before=() p i hz
  hz=$(getconf CLK_TCK)
  for p in "$@"; do before+=("$(ticks "$p")"); done
  sleep "$seconds"
  i=0
  for p in "$@"; do
    awk -v a="${before[$i]}" -v b="$(ticks "$p")" -v hz="$hz" -v s="$seconds" \
      'BEGIN { printf "%.1f ", (b - a) * 100 / hz / s }'
    i=$((i + 1))
  done
}
