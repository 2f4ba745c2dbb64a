#!/usr/bin/env bash
# CPU and bandwidth of a 1920x1080 screen share: two headless Lanline nodes on an Xvfb of
# 1920x1080, one sharing it (`ctl screen start`) to the other in an audio call.
#
#   bash tests/bench/screen_share_bench.sh [LANLINE_BIN] [--seconds N]
#
# The screen: a page of text over the whole screen (textoverlay, Sans 12, as people
# share documents) and, in one corner, a 320x240 window of videotestsrc's moving ball
# (something that changes all the time, as a cursor or a video would). Once the share
# has run 3 s, the user + system CPU time of each node is read from /proc/PID/stat
# before and after N seconds (default 15): % of one core, the resident memory, the
# frames per second the viewer decodes and the share's bitrate as the sharer sends it.
# The same nodes in the same call before the share give the audio-only baseline. No
# reference runs beside it: Debian's baresip 1.0 has no screen source (no x11grab
# module), so there is no like-for-like figure to set against it.
set -uo pipefail
seconds=15
bin_arg=""
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
    *) bin_arg=$1 ;;
  esac
  shift
done
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$(readlink -f "${bin_arg:-$repo/build/src/app/lanline}")
[[ -x $bin ]] || { echo "screen_share_bench: no lanline at $bin" >&2; exit 1; }
source "$repo/tests/lib/harness.sh"
source "$repo/tests/lib/proc_cpu.sh"
source "$repo/tests/lib/xvfb.sh"
harness_start /tmp/lanline-screenbench.XXXXXX
xvfb_pid=""
picture_pids=()
harness_cleanup_hook() {
  local pid
  for pid in "${picture_pids[@]}"; do kill "$pid" 2> /dev/null; done
  [[ -n $xvfb_pid ]] && kill "$xvfb_pid" 2> /dev/null
}
start_xvfb "$work" 1920x1080 || exit 1

page=$(python3 -c '
import textwrap
words = ("Lanline shares this document with the other end of the call; every line of it "
         "must stay readable there, small as it is. ") * 60
print("\n".join(textwrap.wrap(words, 150)[:48]))')
show_picture 20 "$work/page.out" - - videotestsrc pattern=white is-live=true \
  ! video/x-raw,width=1920,height=1080,framerate=5/1 \
  ! textoverlay "text=\"$page\"" font-desc="Sans 12" color=0xff000000 shaded-background=false \
  halignment=left valignment=top xpad=30 ypad=30 ||
  { echo "the page's window did not open"; cat "$work/page.out"; exit 1; }
show_picture 10 "$work/ball.out" 1560 800 videotestsrc pattern=ball is-live=true \
  ! video/x-raw,width=320,height=240,framerate=30/1

pa=$(free_port) pb=$(free_port)
start_node sa "$pa" --audio-source test:440 --audio-sink null || exit 1
sa_pid=$node_pid
start_node sb "$pb" --auto-answer --audio-source test:620 --audio-sink null || exit 1
sb_pid=$node_pid
"$bin" ctl --profile sa call "sip:service@127.0.0.1:$pb" > /dev/null
wait_for 10 bash -c "'$bin' ctl --profile sb calls 2>/dev/null | grep -q established" ||
  { echo "no call"; exit 1; }
sleep 3
read -r audio_a audio_b < <(measure "$sa_pid" "$sb_pid")
"$bin" ctl --profile sa screen start > /dev/null
screen_of() {  # PROFILE: the share as that node's `calls` shows it
  "$bin" ctl --profile "$1" calls | python3 -c '
import json, sys
s = json.load(sys.stdin)["calls"][0]["media"]["screen"] or {}
print(s.get("width", 0), s.get("height", 0), s.get("fps", 0), s.get("send_kbps", 0),
      s.get("receive_kbps", 0), s.get("frames_received", 0), s.get("packets_lost", 0),
      s.get("plis_sent", 0), s.get("plis_received", 0))'
}
wait_for 10 bash -c "[[ \$('$bin' ctl --profile sb calls 2>/dev/null | grep -c '\"width\":1920') -ge 1 ]]" ||
  { echo "the viewer shows no 1920-wide screen: $(screen_of sb)"; exit 1; }
sleep 3
read -r share_a share_b < <(measure "$sa_pid" "$sb_pid")
read -r _ _ _ send_kbps _ _ _ _ plis_in < <(screen_of sa)
read -r width height fps _ receive_kbps frames lost plis_out _ < <(screen_of sb)
rss_a=$(rss_mb "$sa_pid") rss_b=$(rss_mb "$sb_pid")

echo "A ${width}x${height} screen share (text page + moving 320x240 ball), $seconds s, % of one core ($(nproc) CPUs)"
printf 'audio call only        sharer %5.1f %%  viewer %5.1f %%\n' "$audio_a" "$audio_b"
printf 'with the screen shared sharer %5.1f %%  viewer %5.1f %%  (RSS %s / %s MB)\n' \
  "$share_a" "$share_b" "$rss_a" "$rss_b"
printf 'the share: %.0f kbit/s sent, %.0f kbit/s received, the viewer decodes %s fps (%s frames)\n' \
  "$send_kbps" "$receive_kbps" "$fps" "$frames"
printf '           %s packets lost, %s key frames asked for (the sharer counts %s)\n' \
  "$lost" "$plis_out" "$plis_in"
echo "reference: none in this run (Debian's baresip 1.0 has no screen source)"
"$bin" ctl --profile sa hangup > /dev/null
harness_summary > /dev/null
