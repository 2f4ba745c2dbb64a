#!/usr/bin/env bash
# Video interop with baresip 1.0 (its vp8 module, fakevideo as its camera, snapshot to
# save frames), both ways on 127.0.0.1: Lanline (--video-source test) calls baresip, then
# baresip calls Lanline. In each call, after a few seconds:
#   - baresip's newest received frame (/snapshot_recv) must show the SMPTE bars Lanline
#     sends (frame_check against the pattern);
#   - Lanline's newest received frame (`ctl snapshot remote`) must show what baresip
#     sends, its own /snapshot_send (frame_check --against);
#   - `ctl calls` shows the stream at baresip's size, 640x480, at 15 frames/s or more.
# baresip's PNG writer turns YUV into RGB its own way (white comes out at 236), so the
# mean error allowed is 25 of 255, with 95 % of pixels within 40 on each channel: a
# wrong, shifted or black picture is far outside that.
#   baresip_video.sh LANLINE_BIN FRAME_CHECK
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$(readlink -f "$1")
frame_check=$(readlink -f "$2")
source "$repo/tests/lib/harness.sh"
source "$repo/tests/lib/baresip_lab.sh"
for tool in baresip sox python3; do
  command -v "$tool" > /dev/null || { echo "FAIL: $tool is missing"; exit 1; }
done
harness_start /tmp/lanline-baresip-video.XXXXXX
baresip_pids=()
harness_cleanup_hook() {
  local p
  for p in "${baresip_pids[@]}"; do baresip_lab_stop "$p"; done
}
sox -n -r 48000 -c 2 -b 16 "$work/tone.wav" synth 60 sine 620 vol 0.5

# A baresip with video: vp8, fakevideo (a test picture) as camera and display, snapshot.
video_baresip() {  # DIR PORT
  baresip_lab_config "$1" 127.0.0.1 "$2" bob "opus/48000/2" "aufile,$work/tone.wav"
  printf 'module\t\t\t%s\n' vp8.so fakevideo.so snapshot.so stdio.so >> "$1/config"
  printf 'video_source\t\tfakevideo,nil\nvideo_display\t\tfakevideo,nil\n' >> "$1/config"
  printf 'video_size\t\t640x480\nvideo_bitrate\t\t800000\nvideo_fps\t\t25\n' >> "$1/config"
  sed -i 's/$/;video_codecs=VP8/' "$1/accounts"
}
bsay() { printf '%s\n' "$2" > "$1/stdin"; }  # a command to baresip's console
video_field() {                              # PROFILE KEY
  "$bin" ctl --profile "$1" calls 2> /dev/null | python3 -c "
import json, sys
print(json.load(sys.stdin)['calls'][0]['media']['video']['$2'])" 2> /dev/null
}

check_call() {  # LABEL DIR PROFILE
  local label=$1 dir=$2 profile=$3 r
  wait_for 10 bash -c "[[ \$('$bin' ctl --profile $profile calls 2>/dev/null) == *'\"width\":640'* ]]"
  sleep 2
  rm -f "$dir/recv.png" "$dir/send.png"
  bsay "$dir" "/snapshot_recv $dir/recv.png"
  bsay "$dir" "/snapshot_send $dir/send.png"
  wait_for 5 test -s "$dir/recv.png" -a -s "$dir/send.png"
  "$bin" ctl --profile "$profile" snapshot remote "$work/$label-lanline.png" > /dev/null
  if r=$("$frame_check" "$dir/recv.png" --pattern smpte --max-mean-error 25); then
    pass "$label: baresip decodes Lanline's video: ${r#*: }"
  else
    fail "$label: baresip's received frame: ${r:-none}"
  fi
  if r=$("$frame_check" "$work/$label-lanline.png" --against "$dir/send.png" --max-mean-error 25); then
    pass "$label: Lanline decodes baresip's video: ${r#*: }"
  else
    fail "$label: Lanline's received frame: ${r:-none}"
  fi
  local w h fps
  w=$(video_field "$profile" width) h=$(video_field "$profile" height) fps=$(video_field "$profile" fps)
  if [[ $w == 640 && $h == 480 ]] && python3 -c "import sys; sys.exit(0 if float('$fps') >= 15 else 1)"; then
    pass "$label: Lanline's calls shows baresip's video at ${w}x${h}, $fps frames/s"
  else
    fail "$label: Lanline's calls shows ${w}x${h} at $fps frames/s (want 640x480, 15 or more)"
  fi
}

port=$(free_port)
"$bin" --headless --profile lanline --sip-port "$port" --user alice --no-discovery --auto-answer \
  --video-source test --audio-source test:440 --audio-sink null > "$work/lanline.log" 2>&1 &
pids+=($!)
wait_for 10 "$bin" ctl --profile lanline status > /dev/null 2>&1 || fail "Lanline did not start"

echo "--- Lanline calls baresip"
bport=$(free_port)
video_baresip "$work/b1" "$bport"
if baresip_lab_start "$work/b1"; then
  baresip_pids+=("$BARESIP_PID")
  "$bin" ctl --profile lanline call "sip:bob@127.0.0.1:$bport" > /dev/null
  check_call lanline-calls "$work/b1" lanline
  "$bin" ctl --profile lanline hangup > /dev/null
  baresip_lab_stop "$BARESIP_PID"
  wait_for 5 bash -c "[[ \$('$bin' ctl --profile lanline calls 2>/dev/null) == *'\"calls\":[]'* ]]"
else
  fail "baresip did not start"
fi

echo "--- baresip calls Lanline"
bport=$(free_port)
video_baresip "$work/b2" "$bport"
if baresip_lab_start "$work/b2" -e "/dial sip:alice@127.0.0.1:$port"; then
  baresip_pids+=("$BARESIP_PID")
  check_call baresip-calls "$work/b2" lanline
  baresip_lab_stop "$BARESIP_PID"
else
  fail "baresip did not start"
fi

harness_summary
