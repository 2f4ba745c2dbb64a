#!/usr/bin/env bash
# Screenshots of the desktop app's main states, for docs/screenshots/: the peer list,
# an incoming call, a call in progress, a chat, the settings and the call log. A GUI node
# under Xvfb (screen sized to the window) and two headless nodes that write and call it;
# clicks are real X events (xdotool) at the controls the app's LANLINE_GUI_LAYOUT hook
# names. PNGs via xwd | xwdtopnm | pnmtopng (netpbm).
# Test tones stand in for the microphones (no sound card under Xvfb), so the call's level
# meters move.
# Usage: tests/gui/screenshots.sh [LANLINE_BIN] [OUT_DIR]
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$here/tests/lib/xvfb.sh"
source "$here/tests/lib/gui_driver.sh"
bin=${1:-$here/build/src/app/lanline}
out=${2:-$here/docs/screenshots}
for tool in Xvfb xdotool xwd xwdtopnm pnmtopng python3; do
  command -v $tool >/dev/null || { echo "$tool is missing (see scripts/packages.txt)"; exit 1; }
done
mkdir -p "$out"
work=$(mktemp -d /tmp/gui-shots.XXXXXX)
pids=()
cleanup() {
  for file in "$work"/*.pid; do [ -f "$file" ] && pids+=("$(cat "$file")"); done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  done
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

start_node() {
  local profile=$1 user=$2 name=$3
  shift 3
  LANLINE_GUI_LAYOUT=$work/layout.json "$bin" "$@" --profile "$profile" --sip-port 0 \
    --user "$user" --name "$name" --no-discovery \
    --audio-source "test:${tone:-440}" --audio-sink null >"$work/$profile.log" 2>&1 &
  # Called as $(start_node ...), a subshell: the PID goes through a file to the cleanup.
  echo $! >"$work/$profile.pid"
  for _ in $(seq 100); do
    if ctl --profile "$profile" status >"$work/$profile.status" 2>/dev/null; then
      python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sip_port"])' "$work/$profile.status"
      return 0
    fi
    sleep 0.1
  done
  cat "$work/$profile.log" >&2
  return 1
}
# click NAME, then a moment for the window to follow.
press() {
  click "$1" || echo "no control '$1'" >&2
  sleep 0.4
}
park_mouse() { xdotool mousemove --window "$window" 760 520; sleep 0.3; }  # an empty spot of the stage
shot() {
  park_mouse
  xwd -root -silent | xwdtopnm 2>/dev/null | pnmtopng >"$out/$1.png"
  echo "wrote $out/$1.png"
}

alice=$(start_node shots-alice alice "Alice Martin") || exit 1
bob=$(start_node shots-bob bob "Bob Nakamura" --headless) || exit 1
carol=$(start_node shots-carol carol "Carol Diaz" --headless) || exit 1
dan=$(start_node shots-dan dan "Dan Okafor" --headless) || exit 1
for _ in $(seq 50); do
  window=$(xdotool search --name '^Lanline' 2>/dev/null | head -1)
  [ -n "$window" ] && break
  sleep 0.1
done
A=sip:alice@127.0.0.1:$alice

# Some life: messages both ways, a missed call, an answered one.
ctl --profile shots-bob message "$A" "Are we still on for the design review at 3?" >/dev/null
sleep 0.3
ctl --profile shots-alice message "sip:bob@127.0.0.1:$bob" "Yes! Room 2 or a call?" >/dev/null
sleep 0.3
ctl --profile shots-bob message "$A" "Call is easier, I'm working from home today" >/dev/null
ctl --profile shots-carol call "$A" >/dev/null
sleep 1
ctl --profile shots-carol hangup >/dev/null
ctl --profile shots-dan call "$A" >/dev/null
sleep 0.5
ctl --profile shots-alice answer >/dev/null
sleep 2
ctl --profile shots-dan hangup >/dev/null
ctl --profile shots-dan message "$A" "Thanks, sending the slides now" >/dev/null
sleep 1
shot peer-list

# Incoming call.
ctl --profile shots-bob call "$A" >/dev/null
rect accept >/dev/null
sleep 0.5
shot incoming-call

# In a call (answered with a click), a few seconds in, keypad open.
press accept
sleep 0.5
press keypad
sleep 3
shot in-call
# Sharing our screen from the call panel: the bar that says so, with Stop sharing.
press "share screen"
rect "stop sharing" >/dev/null && sleep 2
shot screen-sharing
press "stop sharing"
sleep 1
press hangup
sleep 0.5

# Chat with Bob.
press chat.0
sleep 0.5
shot chat
press tab.recent
sleep 0.5
shot call-history
press tab.people

# Settings.
press settings
sleep 0.8
shot settings
for p in shots-bob shots-carol shots-dan shots-alice; do ctl --profile $p quit >/dev/null 2>&1; done
