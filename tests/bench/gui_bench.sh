#!/usr/bin/env bash
# The desktop app's costs, under Xvfb: time to the first frame, CPU while idle (20 s) and
# in a call (10 s), resident memory idle and in a call (total RSS, and the part that is the
# app's own: anonymous memory, not shared library pages). Compared in the same run against
# the goals of issue 6 and against the same node run headless (what the window itself
# adds). The window picks its renderer as it would anywhere (no GPU here: SDL's software
# renderer); LANLINE_RENDERER=gl in the environment measures the OpenGL path instead
# (Mesa's llvmpipe). Not run by `meson test`.
# Usage: [LANLINE_RENDERER=gl|software] tests/bench/gui_bench.sh [LANLINE_BIN] [IDLE_SECONDS]
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$here/tests/lib/xvfb.sh"
bin=${1:-$here/build/src/app/lanline}
idle_seconds=${2:-20}
work=$(mktemp -d /tmp/gui-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  [ -n "${xvfb_pid:-}" ] && kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null
  rm -rf "$work"
}
# Only the script itself cleans up: a subshell killed before it has reset its traps (a
# watchdog ended early) would otherwise run this EXIT trap too, and end the nodes and
# delete the work directory under the running test.
trap '[ "$BASHPID" = "$$" ] && cleanup' EXIT
export XDG_RUNTIME_DIR=$work/run XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
ctl() { "$bin" ctl "$@"; }

start_xvfb "$work" || exit 1

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
kb() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
# cpu_percent PID SECONDS: the process's CPU (all threads) over SECONDS, in % of one core.
cpu_percent() {
  local before after
  before=$(cpu_ticks "$1")
  sleep "$2"
  after=$(cpu_ticks "$1")
  awk -v a="$after" -v b="$before" -v t="$ticks" -v s="$2" 'BEGIN {printf "%.2f", (a - b) / t / s * 100}'
}
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# start PROFILE USER [ARGS...]: prints the PID once `ctl status` answers.
start() {
  local profile=$1 user=$2
  shift 2
  LANLINE_GUI_LAYOUT=$work/$profile.layout "$bin" "$@" --profile "$profile" --sip-port 0 \
    --user "$user" --name "$user" --no-discovery --audio-source test --audio-sink null \
    >"$work/$profile.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 200); do
    ctl --profile "$profile" status >/dev/null 2>&1 && { echo "$pid"; return 0; }
    sleep 0.05
  done
  cat "$work/$profile.log" >&2
  return 1
}

# First frame: the app's own figure (from main() to the first SwapWindow) and the
# wall-clock one from the fork to the layout file the first frame writes.
first_internal=()
first_wall=()
for run in 1 2 3; do
  t0=$(date +%s%N)
  LANLINE_GUI_LAYOUT=$work/ff$run.layout "$bin" --profile ff$run --sip-port 0 --no-discovery \
    >"$work/ff$run.log" 2>&1 &
  pid=$!
  for _ in $(seq 400); do [ -f "$work/ff$run.layout" ] && break; sleep 0.005; done
  t1=$(date +%s%N)
  first_wall+=($(((t1 - t0) / 1000000)))
  sleep 0.3
  first_internal+=($(sed -n 's/.*first frame drawn \([0-9]*\) ms.*/\1/p' "$work/ff$run.log"))
  ctl --profile ff$run quit >/dev/null 2>&1
  wait "$pid" 2>/dev/null
done

gui=$(start bench-gui alice) || exit 1
headless=$(start bench-headless bob --headless) || exit 1
sleep 2
gui_idle_cpu=$(cpu_percent "$gui" "$idle_seconds")
headless_idle_cpu=$(cpu_percent "$headless" 5)
gui_idle_rss=$(kb "$gui" VmRSS)
gui_idle_anon=$(kb "$gui" RssAnon)
headless_idle_rss=$(kb "$headless" VmRSS)

# In a call: the headless node calls, the window answers (ctl on the GUI node's socket).
gui_port=$(ctl --profile bench-gui status | sed -n 's/.*"sip_port":\([0-9]*\).*/\1/p')
ctl --profile bench-headless call "sip:alice@127.0.0.1:$gui_port" >/dev/null
for _ in $(seq 50); do ctl --profile bench-gui calls | grep -q '"incoming"' && break; sleep 0.1; done
ctl --profile bench-gui answer >/dev/null
sleep 3
state=$(ctl --profile bench-gui calls | grep -o '"state":"[a-z]*"' | head -1)
gui_call_cpu=$(cpu_percent "$gui" 10)
headless_call_cpu=$(cpu_percent "$headless" 10)
gui_call_rss=$(kb "$gui" VmRSS)
gui_call_anon=$(kb "$gui" RssAnon)
headless_call_rss=$(kb "$headless" VmRSS)
ctl --profile bench-headless hangup >/dev/null

renderer=$(sed -n 's/.*window drawn with the \(.*\)/\1/p' "$work/bench-gui.log" | head -1)
echo "Desktop app under Xvfb, drawn with the ${renderer:-?}, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "first frame, app's own (main() to first swap): ${first_internal[*]} ms   goal < 300 ms"
echo "first frame, wall clock (fork to first frame):  ${first_wall[*]} ms"
echo "idle CPU over ${idle_seconds} s: GUI ${gui_idle_cpu}% of a core   goal < 1%   (headless node: ${headless_idle_cpu}%)"
echo "idle RSS: GUI $(mb "$gui_idle_rss") MB (own anonymous $(mb "$gui_idle_anon") MB)   goal < 80 MB   (headless node: $(mb "$headless_idle_rss") MB)"
echo "in a call ($state): GUI $(mb "$gui_call_rss") MB (own anonymous $(mb "$gui_call_anon") MB)   goal < 120 MB   (headless node: $(mb "$headless_call_rss") MB); CPU ${gui_call_cpu}% of a core with the 1 Hz tick (headless node in the same call: ${headless_call_cpu}%)"
echo "reference: Linphone desktop reported at 260 MB at start, 420 MB after one call (issue 6)"
