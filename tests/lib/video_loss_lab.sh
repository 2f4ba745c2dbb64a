# A VP8 call between two headless nodes in network namespaces (../shared/LAB.md), and
# loss put on its path with iptables' statistic match (tc netem is not in the lab), for
# tests/integration/video_loss_test.sh and tests/bench/video_loss_bench.sh. Sourced
# after harness.sh and netns_pair.sh; needs root.
#   video_loss_lab_start BIN NS_A NS_B PREFIX   nodes "NS_A" calling "NS_B" at PREFIX.1
#                                               and PREFIX.2 (e.g. 198.18.62), 1280x720
#                                               test pictures both ways; 1 when the
#                                               call has no video (VL_EXTRA: more node
#                                               options, e.g. "--log-level debug")
#   video_figures NS FIELD...                   NS's figures of its call's video, from
#                                               `ctl calls` (0 for each when none)
#   udp_loss on|off PERCENT                     PERCENT of the UDP datagrams into both
#                                               namespaces dropped (SIP's 5060 aside,
#                                               so that signalling is alike every run)
#   burst_recovery NS                           everything into NS dropped for 300 ms,
#                                               then the ms until NS decoded a new frame
#                                               and 10 new frames ("FIRST TEN", -1 for
#                                               not within 5 s)
video_loss_lab_start() {
  vl_bin=$1 vl_a=$2 vl_b=$3
  local prefix=$4 ns
  netns_pair "$vl_a" "${vl_a: -6}v" "$prefix.1/24" "$vl_b" "${vl_b: -6}v" "$prefix.2/24" ||
    return 1
  for ns in "$vl_a" "$vl_b"; do
    ip netns exec "$ns" "$vl_bin" --headless --profile "p$ns" --user "$ns" --no-discovery \
      --auto-answer --video-source test --audio-source test --audio-sink null ${VL_EXTRA:-} \
      > "$work/$ns.log" 2>&1 &
    pids+=($!)
  done
  for ns in "$vl_a" "$vl_b"; do
    wait_for 10 "$vl_bin" ctl --profile "p$ns" status > /dev/null 2>&1 || return 1
  done
  "$vl_bin" ctl --profile "p$vl_a" call "sip:$vl_b@$prefix.2" > /dev/null || return 1
  wait_for 15 bash -c "'$vl_bin' ctl --profile p$vl_b calls 2>/dev/null | grep -q '\"width\":1280'"
}

video_figures() {
  "$vl_bin" ctl --profile "p$1" calls 2> /dev/null | python3 -c '
import json, sys
c = json.load(sys.stdin)["calls"]
v = (c[0]["media"] or {}).get("video") if c else None
print(" ".join(str(v.get(k, 0)) if v else "0" for k in sys.argv[1:]))' "${@:2}"
}

udp_loss() {
  local ns action=-A
  [[ $1 == off ]] && action=-D
  for ns in "$vl_a" "$vl_b"; do
    ip netns exec "$ns" iptables "$action" INPUT -p udp ! --dport 5060 -m statistic \
      --mode random --probability "$(awk -v p="$2" 'BEGIN { print p / 100 }')" -j DROP
  done
}

burst_recovery() {
  local ns=$1 start before frames first=-1 ten=-1
  ip netns exec "$ns" iptables -I INPUT -p udp ! --dport 5060 -j DROP
  sleep 0.3
  ip netns exec "$ns" iptables -D INPUT -p udp ! --dport 5060 -j DROP
  start=$(date +%s%3N)
  read -r before < <(video_figures "$ns" frames_received)
  while (($(date +%s%3N) - start < 5000)); do
    read -r frames < <(video_figures "$ns" frames_received)
    ((first < 0 && frames > before)) && first=$(($(date +%s%3N) - start))
    if ((frames >= before + 10)); then ten=$(($(date +%s%3N) - start)); break; fi
    sleep 0.05
  done
  echo "$first $ten"
}
