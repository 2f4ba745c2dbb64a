#!/usr/bin/env bash
# CPU at each end of an established 1280x720, 30 frames/s VP8 video call (with its Opus
# audio), Lanline <-> Lanline and baresip <-> baresip in the same run, over 127.0.0.1.
#
#   bash tests/bench/video_cpu_bench.sh [LANLINE_BIN] [--seconds N] [--codec vp8|h264]
#
# --codec h264: Lanline's call in H.264 (x264enc, avdec_h264) in place of VP8; baresip's
# stays VP8, the only video codec of its Debian package here.
#
# Lanline: `--video-source test` (videotestsrc's SMPTE bars, drawn each frame), frames
# decoded into its frame slots (what the window would draw; headless, nobody draws).
# baresip 1.0: its vp8 module at video_size 1280x720, video_fps 30, video_bitrate
# 1500000 (Lanline's target), fakevideo as camera (a cheaper picture to make than the
# bars) and as display. Audio is a test tone into a null sink on both. Once the call is up
# and 3 s have passed, the user + system CPU time of each process is read from
# /proc/PID/stat before and after N seconds (default 15): % of one core, with the
# resident memory, the frames per second each side decodes and the bitrates where the UA
# tells them. Exit 0 when the run completed, 1 when Lanline could not be measured.
set -uo pipefail
seconds=15
codec=vp8
bin_arg=""
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift ;;
    --codec) codec=$2; shift ;;
    -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
    *) bin_arg=$1 ;;
  esac
  shift
done
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
lanline=$(readlink -f "${bin_arg:-$repo/build/src/app/lanline}")
[[ -x $lanline ]] || { echo "video_cpu_bench: no lanline at $lanline" >&2; exit 1; }
source "$repo/tests/lib/harness.sh"
source "$repo/tests/lib/proc_cpu.sh"
source "$repo/tests/lib/baresip_lab.sh"
harness_start /tmp/lanline-videocpu.XXXXXX
baresip_pids=()
harness_cleanup_hook() {
  local p
  for p in "${baresip_pids[@]}"; do baresip_lab_stop "$p"; done
}

# --- Lanline <-> Lanline ---------------------------------------------------------------
pa=$(free_port) pb=$(free_port)
"$lanline" --headless --profile va --sip-port "$pa" --user a --no-discovery --video-source test \
  --video-codecs "$codec" --audio-source test:440 --audio-sink null > "$work/va.log" 2>&1 &
la=$!
pids+=($la)
"$lanline" --headless --profile vb --sip-port "$pb" --user b --no-discovery --auto-answer \
  --video-codecs "$codec" --video-source test --audio-source test:620 --audio-sink null > "$work/vb.log" 2>&1 &
lb=$!
pids+=($lb)
wait_for 10 "$lanline" ctl --profile va status > /dev/null 2>&1 &&
  wait_for 10 "$lanline" ctl --profile vb status > /dev/null 2>&1 || { echo "Lanline did not start"; exit 1; }
"$lanline" ctl --profile va call "sip:b@127.0.0.1:$pb" > /dev/null
wait_for 10 bash -c "'$lanline' ctl --profile vb calls 2>/dev/null | grep -q '\"width\":1280'" ||
  { echo "no video between the Lanline nodes"; exit 1; }
sleep 3
read -r cpu_la cpu_lb < <(measure "$la" "$lb")
video() {
  "$lanline" ctl --profile "$1" calls | python3 -c '
import json, sys
v = json.load(sys.stdin)["calls"][0]["media"]["video"]
print("%sx%s %.1f fps, send %.0f kbit/s" % (v["width"], v["height"], v["fps"], v["send_kbps"]))'
}
lv_a=$(video va) lv_b=$(video vb)
rss_la=$(rss_mb "$la") rss_lb=$(rss_mb "$lb")
"$lanline" ctl --profile va hangup > /dev/null
"$lanline" ctl --profile va quit > /dev/null
"$lanline" ctl --profile vb quit > /dev/null

# --- baresip <-> baresip ---------------------------------------------------------------
sox -n -r 48000 -c 2 -b 16 "$work/tone.wav" synth 60 sine 440 vol 0.5
video_baresip() {  # DIR PORT USER
  baresip_lab_config "$1" 127.0.0.1 "$2" "$3" "opus/48000/2" "aufile,$work/tone.wav"
  printf 'module\t\t\t%s\n' vp8.so fakevideo.so >> "$1/config"
  printf 'video_source\t\tfakevideo,nil\nvideo_display\t\tfakevideo,nil\n' >> "$1/config"
  printf 'video_size\t\t1280x720\nvideo_bitrate\t\t1500000\nvideo_fps\t\t30\n' >> "$1/config"
  sed -i 's/$/;video_codecs=VP8/' "$1/accounts"
}
ba=$(free_port)
bb=$((ba + 10))
video_baresip "$work/ba" "$ba" alice
video_baresip "$work/bb" "$bb" bob
baresip_lab_start "$work/bb" || exit 1
pbb=$BARESIP_PID
baresip_pids+=("$pbb")
baresip_lab_start "$work/ba" -e "/dial sip:bob@127.0.0.1:$bb" || exit 1
pba=$BARESIP_PID
baresip_pids+=("$pba")
wait_for 10 grep -q "Call established" "$work/ba/baresip.log" ||
  echo "(baresip's log shows no established call)"
sleep 3
read -r cpu_ba cpu_bb < <(measure "$pba" "$pbb")
rss_ba=$(rss_mb "$pba") rss_bb=$(rss_mb "$pbb")
bv=$(grep -ciE "vp8|video" "$work/bb/baresip.log")

echo "CPU of an established 720p30 video call with Opus audio (Lanline: $codec; baresip: vp8), $seconds s, % of one core ($(nproc) CPUs)"
printf '%-28s caller %5.1f %%  callee %5.1f %%  (RSS %s / %s MB)  caller decodes %s; callee %s\n' \
  "Lanline <-> Lanline" "$cpu_la" "$cpu_lb" "$rss_la" "$rss_lb" "$lv_a" "$lv_b"
printf '%-28s caller %5.1f %%  callee %5.1f %%  (RSS %s / %s MB)  (%s video lines in its log)\n' \
  "baresip <-> baresip" "$cpu_ba" "$cpu_bb" "$rss_ba" "$rss_bb" "$bv"
awk -v a="$cpu_la" -v b="$cpu_lb" -v c="$cpu_ba" -v d="$cpu_bb" \
  'BEGIN { if (c + d > 0) printf "Lanline / baresip, both ends: %.2fx\n", (a + b) / (c + d) }'
