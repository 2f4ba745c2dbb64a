#!/usr/bin/env bash
# The desktop app under Xvfb, driven by real X input (xdotool): a GUI node and a headless
# node on loopback.
#  1. The GUI calls the headless node: a click into the address field, the address typed,
#     a click on Call; the headless node sees the call ring, answers; both show it
#     established; a click on Hang up ends it on both.
#  2. The headless node calls the GUI: the incoming prompt appears, a click on Accept
#     answers; both show it established; Esc hangs up. Then Enter answers another.
#  3. Chat: the headless node writes; the GUI's Chat button opens the conversation, a
#     reply typed there and sent with Enter reaches the headless node, and both histories
#     (SQLite) hold both lines.
# Where to click comes from the app's test hook LANLINE_GUI_LAYOUT (a JSON file of the
# named controls' rectangles, in window coordinates, rewritten when the layout changes);
# the clicks and keys themselves are ordinary X events from xdotool.
# Usage: gui_test.sh LANLINE_BIN
set -uo pipefail
bin=$1
for tool in Xvfb xdotool python3; do
  command -v $tool >/dev/null || { echo "$tool is not installed (see scripts/packages.txt)"; exit 77; }
done

work=$(mktemp -d /tmp/gui-test.XXXXXX)
pids=()
cleanup() {
  for file in "$work"/*.pid; do [ -f "$file" ] && pids+=("$(cat "$file")"); done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  done
  [ -n "${xvfb_pid:-}" ] && kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null
  declare -F pulse_lab_stop >/dev/null && pulse_lab_stop
  [ -n "${GUI_TEST_KEEP:-}" ] && cp -r "$work" "$GUI_TEST_KEEP"
  rm -rf "$work"
}
# Only the script itself cleans up: a subshell killed before it has reset its traps (a
# watchdog ended early) would otherwise run this EXIT trap too, and end the nodes and
# delete the work directory under the running test.
trap '[ "$BASHPID" = "$$" ] && cleanup' EXIT
# Under ASan (the sanitizer build of scripts/test.sh) the nodes' leaks are judged from
# their logs at the end (sanitizer_check: only leaks libraries leave by design may be
# there, tests/sanitizers/lsan_by_design.txt); sourcing it sets LSAN_OPTIONS exitcode=0,
# so that a node's exit status says whether it stopped cleanly.
source "$(dirname "$(readlink -f "$0")")/../lib/sanitizer_check.sh"
source "$(dirname "$(readlink -f "$0")")/../lib/xvfb.sh"
source "$(dirname "$(readlink -f "$0")")/../lib/gui_driver.sh"
export XDG_RUNTIME_DIR=$work/run XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

passed=0
failed=0
pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() {
  echo "FAIL: $1"
  failed=$((failed + 1))
  for log in "$work"/*.log; do [ -f "$log" ] && { echo "--- $log"; tail -n 20 "$log"; }; done
  [ -f "$work/layout.json" ] && { echo "--- layout"; cat "$work/layout.json"; }
  [ -n "${GUI_TEST_SHOTS:-}" ] && xwd -root -silent | xwdtopnm 2>/dev/null | pnmtopng >"$GUI_TEST_SHOTS/fail-$failed.png"
}
ctl() { "$bin" ctl "$@"; }

start_xvfb "$work" || exit 1

# A sound server of our own with one null sink, so that the app has devices to list (and
# the ringtone somewhere to play) on a machine without a sound card.
source "$(dirname "$(readlink -f "$0")")/../lib/pulse_lab.sh"
pulse_lab_start "$work/pulse" gui_speaker || { echo "PulseAudio did not start"; exit 1; }

# start_node PROFILE USER NAME [--headless]: sets $port to the node's SIP port once
# `ctl status` answers. (Not called in $(...): the node must stay this shell's child, so
# that its exit status can be waited for.)
start_node() {
  local profile=$1 user=$2 name=$3
  shift 3
  LANLINE_GUI_LAYOUT=$work/layout.json "$bin" "$@" --profile "$profile" --sip-port 0 \
    --user "$user" --name "$name" --no-discovery >"$work/$profile.log" 2>&1 &
  echo $! >"$work/$profile.pid"
  for _ in $(seq 100); do
    if ctl --profile "$profile" status >"$work/$profile.status" 2>/dev/null; then
      port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sip_port"])' \
        "$work/$profile.status")
      return 0
    fi
    sleep 0.1
  done
  echo "node $profile did not start" >&2; cat "$work/$profile.log" >&2; return 1
}

start_node guitest-gui alice "Alice GUI" || exit 1
gui_port=$port
start_node guitest-headless bob "Bob Headless" --headless || exit 1
headless_port=$port
window=""
for _ in $(seq 50); do
  window=$(xdotool search --name '^Lanline' 2>/dev/null | head -1)
  [ -n "$window" ] && [ -f "$work/layout.json" ] && break
  sleep 0.1
done
[ -n "$window" ] || { fail "the GUI opened a window"; exit 1; }
pass "the GUI opened a window on $DISPLAY"
# Without a GPU (no DRI render node) the window draws in software and never maps Mesa's
# llvmpipe or libLLVM (64 MB); with one it keeps OpenGL. (gui_discovery_test.sh forces GL.)
gui_pid=$(cat "$work/guitest-gui.pid")
if compgen -G "/dev/dri/renderD*" >/dev/null; then
  want="OpenGL 3"
else
  want="SDL software renderer"
fi
if grep -q "window drawn with the $want" "$work/guitest-gui.log" &&
  { [ "$want" != "SDL software renderer" ] || ! grep -qiE 'libLLVM|_dri\.so' "/proc/$gui_pid/maps"; }; then
  pass "the window is drawn with the $want"
else
  fail "the window is drawn with the $want (and without LLVM if in software)"
fi

# gone NAME: until the named control has left the window (5 s at most).
gone() {
  for _ in $(seq 50); do
    python3 -c 'import json, sys; sys.exit(sys.argv[2] in json.load(open(sys.argv[1])))' \
      "$work/layout.json" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
# wait_call PROFILE STATE: until `ctl calls` shows a call in STATE (5 s at most).
wait_call() {
  for _ in $(seq 50); do
    ctl --profile "$1" calls 2>/dev/null | grep -q "\"state\":\"$2\"" && return 0
    sleep 0.1
  done
  return 1
}
no_calls() {
  for _ in $(seq 50); do
    ctl --profile "$1" calls 2>/dev/null | grep -q '"calls":\[\]' && return 0
    sleep 0.1
  done
  return 1
}

# 1. The GUI calls by clicking.
click address && sleep 0.2 && xdotool type --delay 10 "sip:bob@127.0.0.1:$headless_port" &&
  sleep 0.2 && click call_address
if wait_call guitest-headless incoming && ctl --profile guitest-headless calls | grep -q 'Alice GUI'; then
  pass "a click on Call rang the headless node (from Alice GUI)"
else
  fail "a click on Call rang the headless node"
fi
ctl --profile guitest-headless answer >/dev/null
if wait_call guitest-gui established && wait_call guitest-headless established; then
  pass "answered: established on both nodes"
else
  fail "answered: established on both nodes"
fi
if click hangup && no_calls guitest-headless && no_calls guitest-gui; then
  pass "a click on Hang up ended the call on both"
else
  fail "a click on Hang up ended the call on both"
fi

# 2. The headless node calls; the GUI answers with a click.
ctl --profile guitest-headless call "sip:alice@127.0.0.1:$gui_port" >/dev/null
if wait_call guitest-gui incoming && rect accept >/dev/null; then
  pass "the GUI shows the incoming call prompt"
else
  fail "the GUI shows the incoming call prompt"
fi
if click accept && wait_call guitest-gui established && wait_call guitest-headless established; then
  pass "a click on Accept answered: established on both nodes"
else
  fail "a click on Accept answered: established on both nodes"
fi
xdotool key Escape
if no_calls guitest-headless && no_calls guitest-gui; then
  pass "Esc hung up"
else
  fail "Esc hung up"
fi

# 2b. The keyboard: Enter answers a ringing call.
ctl --profile guitest-headless call "sip:alice@127.0.0.1:$gui_port" >/dev/null
if wait_call guitest-gui incoming && rect accept >/dev/null && xdotool key Return &&
  wait_call guitest-gui established && wait_call guitest-headless established; then
  pass "Enter answered a ringing call"
else
  fail "Enter answered a ringing call"
fi
ctl --profile guitest-headless hangup >/dev/null
no_calls guitest-gui
gone hangup  # the window has left the call view: the chat pane takes the whole stage

# 3. Chat both ways, and the history on both sides.
ctl --profile guitest-headless message "sip:alice@127.0.0.1:$gui_port" "hello from bob" >/dev/null
# Until the GUI node has filed it (its window draws the conversation from the same event).
for _ in $(seq 50); do
  ctl --profile guitest-gui history "sip:bob@127.0.0.1" 2>/dev/null | grep -q 'hello from bob' && break
  sleep 0.1
done
if click chat.0 && sleep 0.3 && click chat_input && sleep 0.2 &&
  xdotool type --delay 10 "hi bob, alice here" && xdotool key Return; then
  :
fi
got=""
for _ in $(seq 50); do
  got=$(ctl --profile guitest-headless history "sip:alice@127.0.0.1" 2>/dev/null)
  echo "$got" | grep -q 'hi bob, alice here' && break
  sleep 0.1
done
if echo "$got" | grep -q '"text":"hi bob, alice here"' && echo "$got" | grep -q '"text":"hello from bob"'; then
  pass "a reply typed in the GUI's chat reached the headless node; its history holds both"
else
  fail "a reply typed in the GUI's chat reached the headless node (history: $got)"
fi
gui_history=$(ctl --profile guitest-gui history "sip:bob@127.0.0.1" 2>/dev/null)
if echo "$gui_history" | grep -q '"state":"delivered"' && echo "$gui_history" | grep -q 'hello from bob'; then
  pass "the GUI node's history holds both lines, its own marked delivered"
else
  fail "the GUI node's history holds both lines ($gui_history)"
fi
calls=$(ctl --profile guitest-gui history 2>/dev/null)
if [ "$(echo "$calls" | grep -o '"result":"answered"' | wc -l)" -ge 3 ]; then
  pass "the GUI node's call log holds the three calls as answered"
else
  fail "the GUI node's call log holds both calls ($calls)"
fi

# The GUI node serves the same control socket: devices from GStreamer's device monitor,
# which must find the test's sound server: its null sink, and that sink's monitor source.
devices=$(ctl --profile guitest-gui devices)
if echo "$devices" | python3 -c '
import json, sys
d = json.load(sys.stdin)
sinks = [s.get("name", "") for s in d.get("sinks", [])]
sources = [s.get("name", "") for s in d.get("sources", [])]
sys.exit(0 if d.get("ok") and "gui_speaker" in sinks and any("gui_speaker" in s for s in sources) else 1)'; then
  pass "ctl devices on the GUI node lists the sound server's sink and its monitor source"
else
  fail "ctl devices on the GUI node lists the sound server's sink and its monitor source ($devices)"
fi

# Both stop on `quit`, cleanly: exit status 0; under ASan, no error and no leak but those
# libraries leave by design in their logs.
for profile in guitest-headless guitest-gui; do
  ctl --profile $profile quit >/dev/null
  pid=$(cat "$work/$profile.pid")
  (sleep 15 && kill "$pid" 2>/dev/null) &  # a watchdog, should it hang
  watchdog=$!
  wait "$pid" 2>/dev/null
  status=$?
  kill "$watchdog" 2>/dev/null
  wait "$watchdog" 2>/dev/null
  rm -f "$work/$profile.pid"
  if [ "$status" -eq 0 ]; then
    pass "$profile stopped on quit, exit status 0"
  else
    fail "$profile stopped on quit, exit status 0 (got $status)"
  fi
done
if ldd "$bin" 2>/dev/null | grep -q libasan; then
  if sanitizer_check "$work"/guitest-*.log; then
    pass "sanitizers: no error, and no leak but those left by design, in the nodes' logs"
  else
    fail "sanitizers: reports in the nodes' logs (above)"
  fi
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
