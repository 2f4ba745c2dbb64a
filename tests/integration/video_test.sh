#!/usr/bin/env bash
# Video calls between headless nodes on this host.
#   both     A and B with --video-source test call each other: each side's newest decoded
#            frame (`ctl snapshot remote`) matches the SMPTE pattern the other sends
#            (frame_check: pixel comparison with tolerance), its self view (`snapshot
#            local`) too, and `ctl calls` shows the video stream (vp8, 1280x720, frames
#            per second, bitrates) beside the audio, whose tones are checked as ever.
#   nocam    A with video calls C with --video-source none (no camera): C takes the
#            video to receive only (recvonly), decodes A's pattern and sends none; the
#            audio goes on both ways. (A peer with no video at all answers port 0: the
#            SDP and media bridge unit tests.)
#   h264     D offering only H.264 (--video-codecs h264) calls B: both send and decode
#            H.264 (packetization mode 1), each side's frame matches the pattern.
#   window   E, headless with --video-sink window under Xvfb, shows A's picture in a
#            window of its own, titled "Lanline: call N" (its pixels against the pattern).
# Usage: video_test.sh LANLINE_BIN FRAME_CHECK WAV_CHECK
set -uo pipefail
bin=$1
frame_check=$2
export WAV_CHECK=$3
here=$(dirname "$(readlink -f "$0")")
source "$here/../lib/harness.sh"
source "$here/../lib/audio_check.sh"
FAIL_LOG_LINES=15
harness_start /tmp/lanline-video-XXXXXX

ctl() { "$bin" ctl "$@" 2>&1; }

node_pid=""
state_is() { ctl --profile "$1" calls | grep -q "\"state\":\"$2\""; }
# json_field PROFILE EXPRESSION: a field of the first call in `ctl calls`, by Python.
json_field() {
  ctl --profile "$1" calls | python3 -c "
import json, sys
c = json.load(sys.stdin)['calls'][0]
print($2)" 2> /dev/null
}

pa=$(free_port) pb=$(free_port) pc=$(free_port)
start_node a "$pa" --video-source test --audio-source test:440 \
  --audio-sink "record:$work/a.wav" || fail "node a did not start"
start_node b "$pb" --auto-answer --video-source test --audio-source test:660 \
  --audio-sink "record:$work/b.wav" || fail "node b did not start"
start_node c "$pc" --auto-answer --video-source none --sip-trace --audio-source test:620 \
  --audio-sink "record:$work/c.wav" || fail "node c did not start"

# --- both sides send video -------------------------------------------------------------
echo "--- both"
ctl --profile a call "sip:service@127.0.0.1:$pb" > /dev/null
if wait_for 10 state_is a established && wait_for 5 state_is b established; then
  # Frames flowing at the other side: a decoded frame of the right size.
  wait_for 10 bash -c "'$bin' ctl --profile b calls 2>/dev/null | grep -q '\"width\":1280'"
  sleep 2
  for side in a b; do
    if out=$(ctl --profile $side snapshot remote "$work/$side-remote.png") &&
      r=$("$frame_check" "$work/$side-remote.png" --pattern smpte); then
      pass "both: $side decodes the pattern sent to it: ${r#*: }"
    else
      fail "both: $side's remote frame: $out ${r:-}"
    fi
    if out=$(ctl --profile $side snapshot local "$work/$side-local.png") &&
      r=$("$frame_check" "$work/$side-local.png" --pattern smpte --scaled-from 1280x720 \
        --max-mean-error 2); then
      pass "both: $side's self view is what it sends: ${r#*: }"
    else
      fail "both: $side's self view: $out ${r:-}"
    fi
    v=$(json_field $side "c['media']['video']")
    read -r codec width height fps < <(json_field $side \
      "' '.join(str(c['media']['video'][k]) for k in ('codec', 'width', 'height', 'fps'))")
    if [[ $codec == vp8 && $width == 1280 && $height == 720 ]] &&
      python3 -c "import sys; sys.exit(0 if float('$fps') >= 20 else 1)"; then
      pass "both: $side's calls shows the video: $v"
    else
      fail "both: $side's calls shows video $v (want vp8 1280x720 at 20 fps or more)"
    fi
  done
  ctl --profile a hangup > /dev/null
  wait_for 5 bash -c "'$bin' ctl --profile b calls 2>/dev/null | grep -q '\"calls\":\[\]'"
  sleep 0.5
  if r=$(audio_verdict "$work/b.wav" 440 120 10); then pass "both: b hears 440 Hz: $r"
  else fail "both: b's recording: $r"; fi
  if r=$(audio_verdict "$work/a.wav" 660 120 10); then pass "both: a hears 660 Hz: $r"
  else fail "both: a's recording: $r"; fi
else
  fail "both: the call was not established"
fi

# --- a peer without a camera ----------------------------------------------------------
echo "--- nocam"
ctl --profile a call "sip:service@127.0.0.1:$pc" > /dev/null
if wait_for 10 state_is a established && wait_for 5 state_is c established; then
  if wait_for 10 bash -c "'$bin' ctl --profile c calls 2>/dev/null | grep -q '\"width\":1280'" &&
    sleep 1 && out=$(ctl --profile c snapshot remote "$work/c-remote.png") &&
    r=$("$frame_check" "$work/c-remote.png" --pattern smpte); then
    pass "nocam: c decodes a's pattern: ${r#*: }"
  else
    fail "nocam: c's remote frame: ${out:-} ${r:-}"
  fi
  read -r a_send a_receive c_send < <(json_field a \
    "c['media']['video']['sending'], c['media']['video']['receiving']" | tr -d '(),')
  c_send=$(json_field c "c['media']['video']['sending']")
  if [[ $a_send == True && $a_receive == False && $c_send == False ]]; then
    pass "nocam: a sends video and receives none; c only receives"
  else fail "nocam: a sending $a_send receiving $a_receive, c sending $c_send"; fi
  if grep -q '^a=recvonly' "$work/c.log"; then pass "nocam: c answered the video recvonly"
  else fail "nocam: no a=recvonly in c's answer (its SIP trace)"; fi
  ctl --profile a hangup > /dev/null
  wait_for 5 bash -c "'$bin' ctl --profile c calls 2>/dev/null | grep -q '\"calls\":\[\]'"
  sleep 0.5
  if r=$(audio_verdict "$work/c.wav" 440 120 10); then pass "nocam: c hears 440 Hz: $r"
  else fail "nocam: c's recording: $r"; fi
else
  fail "nocam: the call was not established"
fi

# --- H.264 ---------------------------------------------------------------------------
echo "--- h264"
pd=$(free_port)
start_node d "$pd" --video-codecs h264 --video-source test --audio-source test:440 \
  --audio-sink null || fail "node d did not start"
ctl --profile d call "sip:service@127.0.0.1:$pb" > /dev/null
if wait_for 10 state_is d established && wait_for 5 state_is b established; then
  wait_for 10 bash -c "'$bin' ctl --profile b calls 2>/dev/null | grep -q '\"width\":1280'"
  wait_for 10 bash -c "'$bin' ctl --profile d calls 2>/dev/null | grep -q '\"width\":1280'"
  sleep 2
  for side in d b; do
    codec=$(json_field $side "c['media']['video']['codec']")
    if [[ $codec == h264 ]]; then pass "h264: $side's calls shows h264"
    else fail "h264: $side's calls shows $codec (d offered only H.264)"; fi
    if out=$(ctl --profile $side snapshot remote "$work/$side-h264.png") &&
      r=$("$frame_check" "$work/$side-h264.png" --pattern smpte); then
      pass "h264: $side decodes the pattern sent to it: ${r#*: }"
    else
      fail "h264: $side's remote frame: $out ${r:-}"
    fi
  done
  ctl --profile d hangup > /dev/null
else
  fail "h264: the call was not established"
fi

# --- a headless node's video window ---------------------------------------------------
echo "--- window"
source "$here/../lib/xvfb.sh"
if start_xvfb "$work" 1400x800; then
  pids+=("$xvfb_pid")
  pe=$(free_port)
  start_node e "$pe" --auto-answer --video-sink window --video-source none \
    --audio-source test:620 --audio-sink null || fail "node e did not start"
  ctl --profile a call "sip:service@127.0.0.1:$pe" > /dev/null
  if wait_for 10 state_is e established &&
    wait_for 10 bash -c "xdotool search --name 'Lanline: call' > /dev/null 2>&1"; then
    sleep 2
    window=$(xdotool search --name 'Lanline: call' | head -1)
    xwd -id "$window" -silent | xwdtopnm 2> /dev/null | pnmtopng > "$work/e-window.png"
    if r=$("$frame_check" "$work/e-window.png" --pattern smpte); then
      pass "window: e shows a's picture in a window of its own ($(xdotool getwindowname "$window")): ${r#*: }"
    else fail "window: e's window ($(xdotool getwindowname "$window")): ${r:-}"; fi
  else
    fail "window: no 'Lanline: call' window on e's display"
  fi
  ctl --profile a hangup > /dev/null
else
  fail "window: Xvfb did not start"
fi

harness_summary
