#!/usr/bin/env bash
# Video repairs loss (RFC 4585 generic NACK with RFC 4588 rtx, then PLI): two nodes in
# network namespaces in a 1280x720 VP8 call (tests/lib/video_loss_lab.sh).
#   1. 5 s with no loss, then 6 s with 10 % of the UDP datagrams into both namespaces
#      dropped: the callee decodes at least 80 % of the frames per second it decoded
#      without loss (before NACK it decoded 0.6 of 30: each lost packet cost a key frame
#      that was itself lost), it sent NACKs, and at least half the packets lost came back
#      through the resends.
#   2. At 10 % loss, three bursts of 300 ms with everything dropped: each time a new
#      frame is decoded within 2 s (the 1 s goal is measured, on a quiet machine, by
#      tests/bench/video_loss_bench.sh; the sanitizer build runs this too).
#   3. At 30 % loss the send rate goes down, and back up (within 15 s) once the loss is gone.
# Needs root.
#   video_loss_test.sh LANLINE_BIN
set -uo pipefail
bin=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
source "$here/../lib/harness.sh"
source "$here/../lib/netns_pair.sh"
source "$here/../lib/video_loss_lab.sh"
for tool in ip iptables; do
  command -v $tool > /dev/null || { echo "FAIL: $tool is missing (scripts/packages.txt)"; exit 1; }
done
[[ $(id -u) == 0 ]] || { echo "FAIL: needs root (network namespaces)"; exit 1; }
harness_start /tmp/lanline-vloss.XXXXXX
ns_a=vlt$$a ns_b=vlt$$b
harness_cleanup_hook() { netns_cleanup "$ns_a" "$ns_b"; }
if ! video_loss_lab_start "$bin" "$ns_a" "$ns_b" 198.18.63; then
  fail "the call between the namespaces has no video"
  harness_summary
  exit 1
fi
figures="frames_received packets_lost nacks_sent packets_recovered"
sleep 2
read -r f0 _ < <(video_figures "$ns_b" $figures)
sleep 5
read -r f1 l1 n1 r1 < <(video_figures "$ns_b" $figures)
udp_loss on 10
sleep 6
read -r f2 l2 n2 r2 < <(video_figures "$ns_b" $figures)
clean=$(((f1 - f0) / 5)) lossy=$(((f2 - f1) / 6)) lost=$((l2 - l1))
if ((clean > 0 && lossy * 10 >= clean * 8)); then
  pass "at 10 % loss the callee decodes $lossy frames/s (without loss: $clean)"
else fail "at 10 % loss the callee decodes $lossy frames/s, without loss $clean"; fi
if ((n2 > n1)); then pass "the callee sent $((n2 - n1)) NACKs"
else fail "the callee sent no NACK for $lost packets lost"; fi
if ((lost > 0 && (r2 - r1) * 2 >= lost)); then
  pass "$((r2 - r1)) of $lost packets lost came back through the resends (rtx)"
else fail "$((r2 - r1)) of $lost packets lost came back through the resends (rtx)"; fi
for i in 1 2 3; do
  read -r first ten < <(burst_recovery "$ns_b")
  if ((first >= 0 && first <= 2000)); then
    pass "burst $i: a new frame $first ms after it (10 new frames: $ten ms)"
  else fail "burst $i: no new frame within 2 s (first: $first, 10: $ten)"; fi
  sleep 2
done
udp_loss off 10
# 3. The send rate follows the receiver reports (media/send_rate.hpp): at 30 % loss the
#    caller's encoder aims lower than the 1500 kbit/s it started at; once the loss is
#    gone it climbs again.
udp_loss on 30
sleep 5
read -r lossy_rate < <(video_figures "$ns_a" target_kbps)
udp_loss off 30
# The first reports after the loss still count it (each covers the interval before it),
# and 30 % loss may have cost the path its consent (libnice gives up after 10 s without
# an answer; the ICE restart's gap is loss too): the rate climbs once those are past, 8 %
# a report. Up to 15 s for that.
clean_rate=0
for _ in $(seq 15); do
  sleep 1
  read -r clean_rate < <(video_figures "$ns_a" target_kbps)
  ((clean_rate > lossy_rate)) && break
done
if ((lossy_rate > 0 && lossy_rate < 900)); then
  pass "at 30 % loss the caller aims at $lossy_rate kbit/s"
else fail "at 30 % loss the caller still aims at $lossy_rate kbit/s"; fi
if ((clean_rate > lossy_rate)); then pass "without loss it climbs back: $clean_rate kbit/s"
else fail "without loss it stays at $clean_rate kbit/s"; fi
"$bin" ctl --profile "p$ns_a" hangup > /dev/null
harness_summary
