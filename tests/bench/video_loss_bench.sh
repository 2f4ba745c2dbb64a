#!/usr/bin/env bash
# Video under 10 % random loss, and a burst on top: two headless nodes in network
# namespaces (../shared/LAB.md; tc netem is not there, so iptables' statistic match) in a
# 1280x720 VP8 call with --video-source test. Each namespace drops 10 % of the UDP
# datagrams coming in, SIP's port 5060 aside (so that the call sets up alike every run).
#   1. 15 s at 10 % loss: the frames per second the callee decodes (30 sent), the key
#      frames it asks for (PLI) and the packets lost, from `lanline ctl calls`.
#   2. Then everything dropped for 300 ms (a burst), and back to 10 %: how long after the
#      burst until the callee has decoded 10 more frames (polled every 100 ms; the
#      issue's goal: within 1 s). Five bursts, 5 s apart.
#   3. The same burst without the background loss, for comparison.
# No reference runs beside it: baresip's vp8 module has no loss repair to compare with
# in Debian's 1.0 (no NACK, no PLI handling on its send side). Needs root.
#   sudo bash tests/bench/video_loss_bench.sh [LANLINE_BIN]
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$(readlink -f "${1:-$repo/build/src/app/lanline}")
[[ -x $bin ]] || { echo "video_loss_bench: no lanline at $bin" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "video_loss_bench: needs root (namespaces)" >&2; exit 1; }
source "$repo/tests/lib/harness.sh"
source "$repo/tests/lib/netns_pair.sh"
harness_start /tmp/lanline-videoloss.XXXXXX
ns_a=vloss$$a ns_b=vloss$$b
harness_cleanup_hook() { netns_cleanup "$ns_a" "$ns_b"; }
netns_pair "$ns_a" "va$$" 198.18.62.1/24 "$ns_b" "vb$$" 198.18.62.2/24 || exit 1
for ns in "$ns_a" "$ns_b"; do
  ip netns exec "$ns" "$bin" --headless --profile "p$ns" --user "$ns" --no-discovery \
    --auto-answer --video-source test --audio-source test --audio-sink null \
    > "$work/$ns.log" 2>&1 &
  pids+=($!)
done
for ns in "$ns_a" "$ns_b"; do
  wait_for 10 "$bin" ctl --profile "p$ns" status > /dev/null 2>&1 || { echo "no node"; exit 1; }
done
video() {  # NS FIELD...: the callee's video figures
  "$bin" ctl --profile "p$1" calls 2> /dev/null | python3 -c '
import json, sys
c = json.load(sys.stdin)["calls"]
v = (c[0]["media"] or {}).get("video") if c else None
print(" ".join(str(v.get(k, 0)) if v else "0" for k in sys.argv[1:]))' "${@:2}"
}
"$bin" ctl --profile "p$ns_a" call "sip:$ns_b@198.18.62.2" > /dev/null
wait_for 15 bash -c "'$bin' ctl --profile p$ns_b calls 2>/dev/null | grep -q '\"width\":1280'" ||
  { echo "no video in the call"; exit 1; }
sleep 2
loss() {  # on|off: 10 % of incoming UDP (not SIP) dropped in both namespaces
  local ns action=-A
  [[ $1 == off ]] && action=-D
  for ns in "$ns_a" "$ns_b"; do
    ip netns exec "$ns" iptables "$action" INPUT -p udp ! --dport 5060 -m statistic \
      --mode random --probability 0.1 -j DROP
  done
}
burst() {  # everything into the callee dropped for 300 ms
  ip netns exec "$ns_b" iptables -I INPUT -p udp ! --dport 5060 -j DROP
  sleep 0.3
  ip netns exec "$ns_b" iptables -D INPUT -p udp ! --dport 5060 -j DROP
}
now_ms() { date +%s%3N; }
recoveries() {  # LABEL: five bursts, the recovery time of each
  local i out=() start frames target
  for i in 1 2 3 4 5; do
    burst
    start=$(now_ms)
    read -r frames < <(video "$ns_b" frames_received)
    target=$((frames + 10))
    local got=-1
    while (($(now_ms) - start < 5000)); do
      read -r frames < <(video "$ns_b" frames_received)
      if ((frames >= target)); then got=$(($(now_ms) - start)); break; fi
      sleep 0.1
    done
    out+=("$got")
    sleep 5
  done
  echo "$1: 10 frames decoded again after a 300 ms burst, in ms: ${out[*]} (-1: not within 5 s)"
}

read -r f0 p0 l0 < <(video "$ns_b" frames_received plis_sent packets_lost)
loss on
sleep 15
read -r f1 p1 l1 < <(video "$ns_b" frames_received plis_sent packets_lost)
echo "VP8 1280x720 at 30 fps sent; the callee over 15 s at 10 % random loss each way:"
awk -v f="$((f1 - f0))" -v p="$((p1 - p0))" -v l="$((l1 - l0))" \
  'BEGIN { printf "  %.1f frames/s decoded, %d key frames asked for (PLI/FIR), %d packets lost\n", f / 15, p, l }'
recoveries "  at 10 % loss"
loss off
sleep 3
recoveries "  without background loss"
"$bin" ctl --profile "p$ns_a" hangup > /dev/null
harness_summary > /dev/null
