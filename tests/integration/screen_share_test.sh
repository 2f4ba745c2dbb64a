#!/usr/bin/env bash
# Screen sharing and video turned on mid-call, between two headless nodes on an Xvfb of
# ours. The screen shows a known picture: white with lines of small black text
# (GStreamer's textoverlay, Sans 12) and a block of SMPTE bars, each in its own window.
#   share    A calls B (both without a camera: audio only); `screen start` on A adds a
#            second video stream, a=content:slides (RFC 4796), by re-INVITE. B decodes
#            it: its `snapshot screen` against a capture of the screen (xwd) is the
#            same picture within tolerance, and tesseract reads the small text back.
#            A's call says it is sending the screen, B's that it receives it, and the
#            audio goes on throughout.
#   stop     `screen stop`: the slides stream goes (port 0); the call and audio go on.
#   monitor  Two RandR monitors on the screen (xrandr --setmonitor): `screen monitors`
#            lists them, `screen start lanline-right` shares that one only (B decodes a
#            380x720 picture, the same as that part of the capture), an unknown name is
#            refused naming those there are, another monitor while sharing needs a stop.
#   video    B (started with a red test picture) turns its camera on mid-call
#            (`video on`): A, with no camera, takes the video to receive only and
#            decodes red; `video off` and B sends no more video, A still in the call.
#   screen_share_test.sh LANLINE_BIN FRAME_CHECK
set -uo pipefail
bin=$(readlink -f "$1")
frame_check=$(readlink -f "$2")
here=$(dirname "$(readlink -f "$0")")
source "$here/../lib/harness.sh"
source "$here/../lib/xvfb.sh"
for tool in Xvfb xdotool xrandr xwd xwdtopnm pnmcut pnmtopng tesseract gst-launch-1.0 python3; do
  command -v $tool > /dev/null || { echo "FAIL: $tool is missing (scripts/packages.txt)"; exit 1; }
done
FAIL_LOG_LINES=15
harness_start /tmp/lanline-screen.XXXXXX
xvfb_pid=""
picture_pids=()
harness_cleanup_hook() {
  local pid
  for pid in "${picture_pids[@]}"; do kill "$pid" 2> /dev/null; done
  [[ -n $xvfb_pid ]] && kill "$xvfb_pid" 2> /dev/null
}
start_xvfb "$work" || { fail "Xvfb did not start"; harness_summary; exit 1; }

ctl() { "$bin" ctl "$@" 2>&1; }
# json_field PROFILE EXPRESSION: a field of the first call in `ctl calls`, by Python.
json_field() {
  ctl --profile "$1" calls | python3 -c "
import json, sys
c = json.load(sys.stdin)['calls'][0]
print($2)" 2> /dev/null
}
state_is() { ctl --profile "$1" calls | grep -q "\"state\":\"$2\""; }
packets_in() { json_field "$1" "c['media']['packets_received']"; }

# The known picture: a white window over the whole screen with the text, and the bars.
text="Lanline shares this screen
The quick brown fox jumps over the lazy dog 4271
Small text must stay legible at the other end"
show_picture 15 "$work/picture.out" - - videotestsrc pattern=white is-live=true \
  ! video/x-raw,width=1100,height=720,framerate=5/1 \
  ! textoverlay "text=\"$text\"" font-desc="Sans 12" color=0xff000000 shaded-background=false \
  halignment=left valignment=top xpad=40 ypad=40 || fail "the picture's window did not open"
show_picture 5 "$work/bars.out" 720 460 videotestsrc pattern=smpte is-live=true \
  ! video/x-raw,width=320,height=200,framerate=5/1
sleep 1

pa=$(free_port) pb=$(free_port)
start_node a "$pa" --video-source none --sip-trace --audio-source test:440 --audio-sink null ||
  fail "node a did not start"
start_node b "$pb" --auto-answer --video-source test:red --sip-trace --audio-source test:660 \
  --audio-sink null || fail "node b did not start"

# --- share -----------------------------------------------------------------------------
echo "--- share"
ctl --profile a call "sip:service@127.0.0.1:$pb" > /dev/null
if wait_for 10 state_is a established && wait_for 5 state_is b established; then
  sleep 1
  out=$(ctl --profile a screen start)
  if [[ $out == *'"ok":true'* ]]; then pass "share: a's screen start answers: $out"
  else fail "share: screen start: $out"; fi
  if wait_for 10 bash -c "[[ \$('$bin' ctl --profile b calls 2>/dev/null | python3 -c \"
import json, sys
s = json.load(sys.stdin)['calls'][0]['media']['screen']
print(s and s['receiving'] and s['frames_received'] > 5)\") == True ]]"; then
    pass "share: b receives a's screen ($(json_field b "c['media']['screen']['width'], c['media']['screen']['height']"))"
  else
    fail "share: b shows no screen: $(json_field b "c['media']")"
  fi
  if [[ $(json_field a "c['media']['screen']['sending']") == True ]]; then
    pass "share: a's call says it sends the screen"
  else fail "share: a's screen: $(json_field a "c['media'].get('screen')")"; fi
  # The SIP traces: a sent an INVITE whose slides m-line has a port, b a 200 whose has too.
  slides_sent() {  # LOG START_LINE: a message of that log's "SIP out" with a live slides stream
    python3 - "$1" "$2" << 'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
for message in re.split(r"\n(?=\S+ info  SIP (?:in from|out to) )", text):
    if not message.split("\n", 1)[0].count(" SIP out to "):
        continue
    body = message.split("\n", 1)[1] if "\n" in message else ""
    if not body.startswith(sys.argv[2]):
        continue
    for section in body.split("\nm=")[1:]:
        if section.startswith("video ") and not section.startswith("video 0 ") and \
                "a=content:slides" in section:
            sys.exit(0)
sys.exit(1)
PY
  }
  if slides_sent "$work/a.log" "INVITE " && slides_sent "$work/b.log" "SIP/2.0 200"; then
    pass "share: a's re-INVITE offered a=content:slides and b's 200 took it"
  else fail "share: no a=content:slides offered and taken in the SIP traces"; fi
  sleep 2
  xwd -root -silent | xwdtopnm 2> /dev/null | pnmtopng > "$work/screen.png" 2> /dev/null
  if out=$(ctl --profile b snapshot screen "$work/b-screen.png") &&
    r=$("$frame_check" "$work/b-screen.png" --against "$work/screen.png" --max-mean-error 8 \
      --min-close 0.97); then
    pass "share: b's decoded screen is the screen: ${r#*: }"
  else
    fail "share: b's screen against the capture: $out ${r:-}"
  fi
  if words=$(tesseract "$work/b-screen.png" - 2> /dev/null | tr '\n' ' ') &&
    [[ $words == *"quick brown fox jumps over the lazy dog 4271"* &&
      $words == *"Small text must stay legible"* ]]; then
    pass "share: tesseract reads the small text in b's frame: ${words:0:120}"
  else
    fail "share: tesseract read: '${words:-}'"
  fi
  before=$(packets_in b)
  sleep 1
  after=$(packets_in b)
  if [[ -n $before && -n $after ]] && ((after > before + 20)); then
    pass "share: b still receives audio while the screen is shared ($before -> $after)"
  else fail "share: b's audio packets $before -> $after"; fi

  # --- stop ------------------------------------------------------------------------------
  echo "--- stop"
  out=$(ctl --profile a screen stop)
  if wait_for 5 bash -c "[[ \$('$bin' ctl --profile b calls 2>/dev/null | python3 -c \"
import json, sys
print(json.load(sys.stdin)['calls'][0]['media']['screen'])\") == None ]]"; then
    pass "stop: the shared screen is gone at b ($out)"
  else fail "stop: b still shows a screen after screen stop: $out"; fi
  out=$(ctl --profile b snapshot screen "$work/gone.png")
  if [[ $out == *"no shared screen"* ]]; then pass "stop: b's snapshot screen says: ${out//$'\n'/ }"
  else fail "stop: b's snapshot screen answered '$out'"; fi
  before=$(packets_in b)
  sleep 1
  after=$(packets_in b)
  if state_is a established && [[ -n $before && -n $after ]] && ((after > before + 20)); then
    pass "stop: the call and its audio go on ($before -> $after)"
  else fail "stop: call or audio gone ($before -> $after)"; fi

  # --- monitor ---------------------------------------------------------------------------
  echo "--- monitor"
  # Two monitors on the one Xvfb screen (RandR 1.5): "left" over the text, "right" over
  # the bars' column.
  xrandr --setmonitor lanline-left 720/190x720/190+0+0 none > /dev/null 2>&1 &&
    xrandr --setmonitor lanline-right 380/100x720/190+720+0 none > /dev/null 2>&1 ||
    fail "monitor: xrandr --setmonitor did not take"
  out=$(ctl --profile a screen monitors)
  if [[ $out == *'"name":"lanline-left"'* && $out == *'"name":"lanline-right"'* ]]; then
    pass "monitor: screen monitors lists both: $out"
  else fail "monitor: screen monitors: $out"; fi
  out=$(ctl --profile a screen start nowhere)
  if [[ $out == *"no monitor 'nowhere'"*lanline-left*lanline-right* ]]; then
    pass "monitor: an unknown one is refused: ${out//$'\n'/ }"
  else fail "monitor: screen start nowhere answered: $out"; fi
  out=$(ctl --profile a screen start lanline-right)
  if wait_for 10 bash -c "[[ \$('$bin' ctl --profile b calls 2>/dev/null | python3 -c \"
import json, sys
s = json.load(sys.stdin)['calls'][0]['media']['screen']
print(bool(s) and s['width'] == 380 and s['height'] == 720 and s['frames_received'] > 5)\") == True ]]"; then
    sleep 1
    xwd -root -silent | xwdtopnm 2> /dev/null | pnmcut -left 720 -top 0 -width 380 -height 720 |
      pnmtopng > "$work/right.png" 2> /dev/null
    if ctl --profile b snapshot screen "$work/b-right.png" > /dev/null &&
      r=$("$frame_check" "$work/b-right.png" --against "$work/right.png" --max-mean-error 8 \
        --min-close 0.97); then
      pass "monitor: b receives the right monitor only, as it is: ${r#*: }"
    else fail "monitor: b's screen against the right monitor: ${r:-}"; fi
  else
    fail "monitor: after screen start lanline-right ($out): $(json_field b "c['media']['screen']")"
  fi
  out=$(ctl --profile a screen start lanline-left)
  if [[ $out == *"already sharing lanline-right"* ]]; then
    pass "monitor: another monitor while sharing asks for a stop first: ${out//$'\n'/ }"
  else fail "monitor: screen start lanline-left while sharing answered: $out"; fi
  ctl --profile a screen stop > /dev/null
  wait_for 5 bash -c "[[ \$('$bin' ctl --profile b calls 2>/dev/null | python3 -c \"
import json, sys
print(json.load(sys.stdin)['calls'][0]['media']['screen'])\") == None ]]" ||
    fail "monitor: the share did not stop"
  xrandr --delmonitor lanline-left > /dev/null 2>&1
  xrandr --delmonitor lanline-right > /dev/null 2>&1

  # --- video -----------------------------------------------------------------------------
  echo "--- video"
  out=$(ctl --profile a video on)
  if [[ $out == *"no camera"* ]]; then pass "video: a, without a camera, says: ${out//$'\n'/ }"
  else fail "video: a's video on answered '$out'"; fi
  out=$(ctl --profile b video on)
  if wait_for 10 bash -c "'$bin' ctl --profile a calls 2>/dev/null | grep -q '\"width\":1280'" &&
    sleep 1 && ctl --profile a snapshot remote "$work/a-remote.png" > /dev/null &&
    r=$("$frame_check" "$work/a-remote.png" --pattern red); then
    pass "video: b's camera on mid-call, a decodes its red: ${r#*: }"
  else
    fail "video: after b's video on ($out): $(json_field a "c['media']['video']") ${r:-}"
  fi
  if [[ $(json_field a "c['media']['video']['sending']") == False ]]; then
    pass "video: a, without a camera, only receives"
  else fail "video: a's video: $(json_field a "c['media']['video']")"; fi
  out=$(ctl --profile b video off)
  if wait_for 5 bash -c "[[ \$('$bin' ctl --profile b calls 2>/dev/null | python3 -c \"
import json, sys
v = json.load(sys.stdin)['calls'][0]['media']['video']
print(bool(v and v['sending']))\") == False ]]" && state_is a established; then
    pass "video: b's video off: b sends no video, the call goes on"
  else fail "video: after video off ($out): $(json_field b "c['media']['video']")"; fi
  ctl --profile a hangup > /dev/null
  wait_for 5 bash -c "'$bin' ctl --profile b calls 2>/dev/null | grep -q '\"calls\":\[\]'"
else
  fail "share: the call was not established"
fi

harness_summary
