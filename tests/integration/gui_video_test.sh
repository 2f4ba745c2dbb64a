#!/usr/bin/env bash
# The desktop app in a video call, under Xvfb: a GUI node sending SMPTE bars
# (--video-source test) and a headless node sending plain red (test:red); the GUI calls.
# What the window shows is read back from the X server (xwd) where the app says it drew
# each picture (its LANLINE_GUI_LAYOUT test hook): the peer's picture red throughout, the
# self view the seven bars across the top, left to right white, yellow, cyan, green,
# magenta, red, blue, each within 60 of 255/0 per channel (two different pictures: a
# swap or a loop back fails). Then the call ends, the app still runs, and no picture is
# drawn any more (the peer's initial again). In the call, a click on "Share screen"
# shares the GUI's screen (this Xvfb): the peer decodes it (its `snapshot screen` against
# a capture of the screen), the window shows the "you are sharing" bar, and its
# "Stop sharing" ends the share at the peer. With two monitors, Share screen asks which
# and shares only the one clicked. GUI_SHOT=FILE.png saves the sharing window.
#   gui_video_test.sh LANLINE_BIN FRAME_CHECK
set -uo pipefail
bin=$(readlink -f "$1")
frame_check=$(readlink -f "$2")
here=$(dirname "$(readlink -f "$0")")
source "$here/../lib/harness.sh"
source "$here/../lib/xvfb.sh"
source "$here/../lib/gui_driver.sh"
for tool in Xvfb xdotool xrandr xwd xwdtopnm python3; do
  command -v $tool > /dev/null || { echo "FAIL: $tool is missing (scripts/packages.txt)"; exit 1; }
done
harness_start /tmp/lanline-gui-video.XXXXXX
xvfb_pid=""
harness_cleanup_hook() { [[ -n $xvfb_pid ]] && kill "$xvfb_pid" 2> /dev/null; }

start_xvfb "$work" || { fail "Xvfb did not start"; harness_summary; exit 1; }

gp=$(free_port) hp=$(free_port)
LANLINE_GUI_LAYOUT=$work/layout.json "$bin" --profile gv --sip-port "$gp" --user alice \
  --no-discovery --video-source test --audio-source test:440 --audio-sink null \
  > "$work/gui.log" 2>&1 &
pids+=($!)
"$bin" --headless --profile hv --sip-port "$hp" --user bob --no-discovery --auto-answer \
  --video-source test:red --audio-source test:620 --audio-sink null > "$work/headless.log" 2>&1 &
pids+=($!)
# Ended after the nodes (harness_summary ends $pids in order): a window whose X server
# went first would not stop cleanly.
pids+=("$xvfb_pid")
wait_for 10 "$bin" ctl --profile gv status > /dev/null 2>&1 || fail "the GUI node did not start"
wait_for 10 "$bin" ctl --profile hv status > /dev/null 2>&1 || fail "the headless node did not start"
window=""
for _ in $(seq 50); do
  window=$(xdotool search --name '^Lanline' 2> /dev/null | head -1)
  [[ -n $window ]] && break
  sleep 0.1
done
[[ -n $window ]] || { fail "no window"; harness_summary; exit 1; }

# bars NAME [red]: checks the top row of SMPTE bars (or seven red samples) inside the
# layout rectangle NAME, from a capture of the screen; prints what it found.
bars() {
  # The whole screen (a capture of the window alone comes out garbled under Xvfb), and
  # where the window is on it.
  xwd -root -silent | xwdtopnm 2> /dev/null > "$work/screen.ppm"
  local X=0 Y=0
  eval "$(xdotool getwindowgeometry --shell "$window" | grep -E '^[XY]=')"
  python3 - "$work/screen.ppm" "$work/layout.json" "$1" "$X" "$Y" "${2:-bars}" << 'PY'
import json, sys
data = open(sys.argv[1], "rb").read()
# Binary PPM: "P6\n<w> <h>\n<max>\n" then RGB bytes.
parts = data.split(b"\n", 3)
if parts[0] != b"P6": sys.exit("not a PPM")
w, h = map(int, parts[1].split())
pixels = parts[3]
r = json.load(open(sys.argv[2])).get(sys.argv[3])
if not r: sys.exit("no '%s' in the layout: nothing drawn there" % sys.argv[3])
x0, y0, rw, rh = r
x0 += int(sys.argv[4])
y0 += int(sys.argv[5])
want = [(255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0), (255, 0, 255),
        (255, 0, 0), (0, 0, 255)]
names = ["white", "yellow", "cyan", "green", "magenta", "red", "blue"]
if sys.argv[6] == "red":
    want, names = [(255, 0, 0)] * 7, ["red"] * 7
found, ok = [], True
for i, colour in enumerate(want):
    x = int(x0 + rw * (i + 0.5) / 7)
    y = int(y0 + rh * 0.3)
    at = (y * w + x) * 3
    got = tuple(pixels[at:at + 3])
    close = all(abs(a - b) <= 60 for a, b in zip(got, colour))
    ok = ok and close
    found.append("%s %s%s" % (names[i], got, "" if close else " (wrong)"))
print("%dx%d at (%d,%d): %s" % (rw, rh, x0, y0, ", ".join(found)))
sys.exit(0 if ok else 1)
PY
}

"$bin" ctl --profile gv call "sip:bob@127.0.0.1:$hp" > /dev/null
if wait_for 10 bash -c "'$bin' ctl --profile gv calls 2>/dev/null | grep -q '\"width\":1280'"; then
  sleep 1
  if out=$(bars "remote video" red); then pass "the window shows the peer's red picture: $out"
  else fail "the peer's picture in the window: $out"; fi
  if out=$(bars "self view"); then pass "the self view shows our bars: $out"
  else fail "the self view in the window: $out"; fi
else
  fail "no video reached the GUI node"
fi
# peer_screen EXPRESSION: python on the headless peer's media.screen (s), True or not.
peer_screen() {
  [[ $("$bin" ctl --profile hv calls 2> /dev/null | python3 -c "
import json, sys
s = json.load(sys.stdin)['calls'][0]['media']['screen']
print($1)" 2> /dev/null) == True ]]
}
if click "share screen" > /dev/null &&
  wait_for 10 peer_screen "bool(s and s['receiving'] and s['frames_received'] > 5)"; then
  pass "a click on Share screen: the peer receives the GUI's screen"
  sleep 1.5
  xwd -root -silent | xwdtopnm 2> /dev/null | pnmtopng > "$work/screen.png" 2> /dev/null
  [[ -n ${GUI_SHOT:-} ]] && cp "$work/screen.png" "$GUI_SHOT"
  if "$bin" ctl --profile hv snapshot screen "$work/peer-screen.png" > /dev/null &&
    r=$("$frame_check" "$work/peer-screen.png" --against "$work/screen.png" --max-mean-error 12 \
      --min-close 0.9); then
    pass "the peer's decoded screen is the GUI's screen: ${r#*: }"
  else
    fail "the peer's screen against the capture: ${r:-no snapshot}"
  fi
  if rect "stop sharing" > /dev/null; then pass "the window shows the sharing bar"
  else fail "no sharing bar in the window while sharing"; fi
  if click "stop sharing" > /dev/null && wait_for 5 peer_screen "s is None"; then
    pass "Stop sharing in the bar: the share ends at the peer"
  else
    fail "the share did not end after Stop sharing"
  fi
else
  fail "a click on Share screen: no screen at the peer"
fi
# Two monitors (RandR 1.5 on this Xvfb, 1100x720): Share screen asks which, and shares
# only the one clicked.
# The window must know the share ended (the bar gone) before Share screen means start.
bar_gone() { python3 -c 'import json,sys; sys.exit("stop sharing" in json.load(open(sys.argv[1])))' "$work/layout.json" 2> /dev/null; }
wait_for 5 bar_gone || fail "the sharing bar stays after the share ended"
if xrandr --setmonitor lanline-left 700/185x720/190+0+0 none > /dev/null 2>&1 &&
  xrandr --setmonitor lanline-right 400/105x720/190+700+0 none > /dev/null 2>&1; then
  if click "share screen" > /dev/null && click "monitor lanline-right" > /dev/null &&
    wait_for 10 peer_screen "bool(s and s['width'] == 400 and s['height'] == 720 and s['frames_received'] > 5)"; then
    pass "with two monitors Share screen asks which; the peer receives the one clicked (400x720)"
  else
    fail "two monitors: no 400x720 screen at the peer after choosing lanline-right"
  fi
  click "stop sharing" > /dev/null
  wait_for 5 peer_screen "s is None" || fail "two monitors: the share did not end"
  xrandr --delmonitor lanline-left > /dev/null 2>&1
  xrandr --delmonitor lanline-right > /dev/null 2>&1
else
  fail "xrandr --setmonitor did not take"
fi
"$bin" ctl --profile gv hangup > /dev/null
sleep 1
gui_alive() { kill -0 "${pids[0]}" 2> /dev/null && xdotool search --name '^Lanline' > /dev/null; }
if ! gui_alive; then
  fail "the GUI is gone after the call ended"
elif wait_for 5 python3 -c '
import json, sys
sys.exit(0 if "remote video" not in json.load(open(sys.argv[1])) else 1)' "$work/layout.json"; then
  pass "after the call the app runs and draws no picture"
else
  fail "the picture stayed after the call ended"
fi
"$bin" ctl --profile gv quit > /dev/null 2>&1
"$bin" ctl --profile hv quit > /dev/null 2>&1
harness_summary
