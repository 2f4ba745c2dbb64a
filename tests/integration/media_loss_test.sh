#!/usr/bin/env bash
# A voice call with 20% random UDP loss each way: two hosts in network namespaces, an
# iptables statistic match dropping 20% of the UDP datagrams arriving at each
# (../shared/LAB.md; tc netem is not available here). Opus both ways, the caller
# sending a 440 Hz tone and the callee 620 Hz for TALK_S seconds (default 10). Passes
# when the call holds to the end on both sides and each recording has its tone
# (within 2 Hz) with no gap longer than MAX_GAP_MS (default 120). Prints the longest
# gap and the loss actually applied.
#
#   media_loss_test.sh LANLINE_BIN [WAV_CHECK]
#                                       Lanline <-> Lanline with Opus (the test), then
#                                       with PCMU (no FEC; figures only; COMPARE_PCMU=0
#                                       skips it)
#   media_loss_test.sh --baresip-only   baresip <-> baresip, with and without Opus
#                                       in-band FEC: the reference figures
# Needs root (namespaces, iptables). Exit 0 passed, 1 failed, 77 skipped.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
mode=lanline
bin=""
case "${1:-}" in
  --baresip-only) mode=baresip ;;
  "") echo "usage: $0 LANLINE_BIN | --baresip-only" >&2; exit 2 ;;
  *) bin=$(readlink -f "$1") ;;
esac
[[ -n ${2:-} ]] && export WAV_CHECK=$(readlink -f "$2")
if [[ $(id -u) != 0 ]] || ! command -v iptables >/dev/null || ! ip netns list >/dev/null 2>&1; then
  echo "needs root, iproute2 and iptables for network namespaces: skipped"; exit 77
fi
for tool in sox gawk; do command -v "$tool" >/dev/null || { echo "$tool not found: skipped"; exit 77; }; done
[[ $mode == lanline ]] || command -v baresip >/dev/null || { echo "no baresip: skipped"; exit 77; }
source "$repo/tests/lib/baresip_lab.sh"
source "$repo/tests/lib/audio_check.sh"
source "$repo/tests/lib/sanitizer_check.sh"

loss=${LOSS:-0.2}
talk_s=${TALK_S:-10}
max_gap=${MAX_GAP_MS:-120}
tag=$$
ns_a=bench-a-$tag
ns_b=bench-b-$tag
addr_a=198.18.5.1
addr_b=198.18.5.2
work=$(mktemp -d /tmp/lanline-medialoss.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do baresip_lab_stop "$p"; done
  ip netns del "$ns_a" 2>/dev/null
  ip netns del "$ns_b" 2>/dev/null
  if [[ ${KEEP:-0} == 1 ]]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
# Only the script itself cleans up: a subshell killed before it has reset its traps (a
# watchdog ended early) would otherwise run this EXIT trap too, and end the nodes and
# delete the work directory under the running test.
trap '[ "$BASHPID" = "$$" ] && cleanup' EXIT

ip netns add "$ns_a" && ip netns add "$ns_b" || { echo "cannot create namespaces: skipped"; exit 77; }
ip link add "bench-va$tag" type veth peer name "bench-vb$tag"
ip link set "bench-va$tag" netns "$ns_a"
ip link set "bench-vb$tag" netns "$ns_b"
ip -n "$ns_a" addr add $addr_a/24 dev "bench-va$tag"
ip -n "$ns_b" addr add $addr_b/24 dev "bench-vb$tag"
for ns in "$ns_a" "$ns_b"; do
  ip -n "$ns" link set lo up
  ip netns exec "$ns" iptables -A INPUT -i "bench-v${ns:6:1}$tag" -p udp \
    -m statistic --mode random --probability "$loss" -j DROP
done
ip -n "$ns_a" link set "bench-va$tag" up
ip -n "$ns_b" link set "bench-vb$tag" up

export XDG_RUNTIME_DIR=$work/xdg/run XDG_CONFIG_HOME=$work/xdg/config XDG_DATA_HOME=$work/xdg/data
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
sox -n -r 48000 -c 2 -b 16 "$work/caller.wav" synth $((talk_s + 20)) sine 440 vol 0.5
sox -n -r 48000 -c 2 -b 16 "$work/callee.wav" synth $((talk_s + 20)) sine 620 vol 0.5

dropped() {  # NS: datagrams the rule dropped so far, and all it saw
  ip netns exec "$1" iptables -L INPUT -v -x -n | awk '/statistic/ { print $1 }'
}
udp_in() { ip netns exec "$1" cat /proc/net/snmp | awk '/^Udp:/ { if (h) print $2; h = 1 }'; }

passed=0
failed=0
verdict() {  # LABEL WAV HZ [REPORT_ONLY]
  local r rc
  if [[ -z $2 || ! -s $2 ]]; then r="no recording"; rc=1
  # Concealed frames fade, so not every 20 ms window is at the tone's level under this
  # loss: at least 80 % of those outside gaps within 6 dB of the median (measured with
  # Opus: 89-90 %), and the median within 5 dB of the -13.5 dBFS the same tone arrives at
  # without loss (measured: -14.0 to -17.0 dBFS); with the frequency and the gaps.
  else r=$(audio_verdict "$2" "$3" "$max_gap" 6 --level-band-share 0.8 \
    --expect-level-db -13.5 --level-tolerance 5); rc=$?; fi
  if [[ -n ${4:-} ]]; then echo "     $1: $r"; return; fi
  if (( rc == 0 )); then echo "ok   $1: $r"; passed=$((passed + 1))
  else echo "FAIL $1: $r"; failed=$((failed + 1)); fi
}
reset_counters() {
  ip netns exec "$ns_a" iptables -Z INPUT
  ip netns exec "$ns_b" iptables -Z INPUT
}
loss_report() {
  local da db
  da=$(dropped "$ns_a"); db=$(dropped "$ns_b")
  echo "     dropped by iptables: $da datagrams into A, $db into B (probability $loss each way)"
}

# --- baresip <-> baresip, Opus, FEC on or off (reference) ---------------------------
baresip_pair() {  # LABEL yes|no
  local label=$1 fec=$2 d=$work/baresip-$1 i
  local codecs="opus/48000/2"
  baresip_lab_config "$d/b" $addr_b 5060 callee "$codecs" "aufile,$work/callee.wav" "" "$d/b/rec"
  baresip_lab_config "$d/a" $addr_a 5060 caller "$codecs" "aufile,$work/caller.wav" "" "$d/a/rec"
  # baresip's opus module: in-band FEC on the encoder and its use in the decoder.
  printf 'opus_inbandfec\t\t%s\nopus_plc\t\t%s\n' "$fec" "$fec" | tee -a "$d/a/config" >> "$d/b/config"
  reset_counters
  ip netns exec "$ns_b" bash -c "source '$repo/tests/lib/baresip_lab.sh'; baresip_lab_start '$d/b'; echo \$BARESIP_PID > '$d/b/pid'; wait"&
  local wb=$!
  for (( i = 0; i < 50; i++ )); do [[ -s $d/b/pid ]] && break; sleep 0.1; done
  ip netns exec "$ns_a" bash -c "source '$repo/tests/lib/baresip_lab.sh'; baresip_lab_start '$d/a' -e '/dial sip:callee@$addr_b:5060'; echo \$BARESIP_PID > '$d/a/pid'; wait" &
  local wa=$!
  for (( i = 0; i < 50; i++ )); do [[ -s $d/a/pid ]] && break; sleep 0.1; done
  pids+=("$(cat "$d/a/pid")" "$(cat "$d/b/pid")")
  for (( i = 0; i < 200; i++ )); do grep -q 'Call established' "$d/a/baresip.log" && break; sleep 0.1; done
  sleep "$talk_s"
  local held=no
  grep -q 'terminated' "$d/a/baresip.log" || held=yes
  baresip_lab_stop "$(cat "$d/a/pid")"
  sleep 0.3
  baresip_lab_stop "$(cat "$d/b/pid")"
  wait "$wa" "$wb" 2>/dev/null
  echo "baresip <-> baresip, Opus, in-band FEC and PLC $fec: call held $talk_s s: $held"
  verdict "baresip caller hears 620 Hz" "$(baresip_lab_decoded "$d/a/rec")" 620 report
  verdict "baresip callee hears 440 Hz" "$(baresip_lab_decoded "$d/b/rec")" 440 report
  loss_report
}

# --- lanline <-> lanline ------------------------------------------------------------
# media_start_s CALLER_LOG CALLEE_LOG: seconds from the callee's "call N: audio ..." log
# line to the caller's (both nodes log on this host's clock), 0 when either is missing.
media_start_s() {
  local a b
  a=$(grep -m1 ': audio ' "$1" | awk '{ print $1 }')
  b=$(grep -m1 ': audio ' "$2" | awk '{ print $1 }')
  [[ -n $a && -n $b ]] || { echo 0; return; }
  awk -v a="$a" -v b="$b" 'BEGIN {
    split(a, x, ":"); split(b, y, ":")
    d = (x[1] * 3600 + x[2] * 60 + x[3]) - (y[1] * 3600 + y[2] * 60 + y[3])
    if (d < -43200) d += 86400
    printf "%.3f\n", (d > 0 ? d : 0) }'
}

lanline_pair() {  # LABEL check|report [NODE OPTIONS...]
  local label=$1 how=$2 d=$work/lanline-${1%% *} i
  shift 2
  local failed_before=$failed
  mkdir -p "$d"
  reset_counters
  ip netns exec "$ns_b" "$bin" --headless --profile loss-b --user callee --sip-port 5060 \
    --no-discovery --auto-answer --audio-source test:620 --audio-sink "record:$d/b.wav" "$@" \
    > "$d/b.log" 2>&1 &
  pids+=($!)
  local pid_b=$!
  ip netns exec "$ns_a" "$bin" --headless --profile loss-a --user caller --sip-port 5060 \
    --no-discovery --audio-source test:440 --audio-sink "record:$d/a.wav" "$@" > "$d/a.log" 2>&1 &
  pids+=($!)
  local pid_a=$!
  for p in loss-a loss-b; do
    for (( i = 0; i < 50; i++ )); do "$bin" ctl --profile $p status >/dev/null 2>&1 && break; sleep 0.1; done
  done
  echo "Lanline <-> Lanline, $label:"
  "$bin" ctl --profile loss-a call "sip:callee@$addr_b" >/dev/null
  local up=0
  for (( i = 0; i < 300; i++ )); do
    if "$bin" ctl --profile loss-a calls | grep -q '"state":"established"' &&
       "$bin" ctl --profile loss-b calls | grep -q '"state":"established"'; then up=1; break; fi
    sleep 0.1
  done
  if (( ! up )); then
    echo "FAIL the call did not set up under loss"; failed=$((failed + 1))
  fi
  sleep "$talk_s"
  local held=0
  "$bin" ctl --profile loss-a calls | grep -q '"state":"established"' &&
    "$bin" ctl --profile loss-b calls | grep -q '"state":"established"' && held=1
  echo "     caller's view: $("$bin" ctl --profile loss-a calls)"
  echo "     callee's view: $("$bin" ctl --profile loss-b calls)"
  if (( up )); then
    if (( held )); then echo "ok   the call held $talk_s s on both sides"; passed=$((passed + 1))
    else echo "FAIL the call did not hold $talk_s s"; failed=$((failed + 1)); fi
  fi
  "$bin" ctl --profile loss-a hangup >/dev/null 2>&1
  sleep 1
  baresip_lab_stop "$pid_a"
  baresip_lab_stop "$pid_b"
  local report=""
  [[ $how == report ]] && report=report
  # The callee's media starts with its 200 OK, the caller's when that 200 arrives: under
  # this loss the 200 may need retransmissions (0.5, 1, 2 s...), and the callee records
  # silence until then. That is call set-up, not a gap in the media: the callee's
  # recording is checked from the moment the caller's media started (the nodes' logs).
  local lead
  lead=$(media_start_s "$d/a.log" "$d/b.log")
  echo "     the caller's media started ${lead} s after the callee's"
  if [[ -s $d/b.wav ]] && awk -v l="$lead" 'BEGIN { exit !(l > 0) }'; then
    sox "$d/b.wav" "$d/b-trimmed.wav" trim "$lead" && mv "$d/b-trimmed.wav" "$d/b.wav"
  fi
  # The caller's own first moments are set-up too: its receive branch is linked when the
  # first packet arrives, and concealment has nothing to extend before the first decoded
  # one. One CI rehearsal heard a 125 ms gap at 0.20 s there (the first analysed
  # window) and none later: the caller's recording is checked from 0.5 s on.
  if [[ -s $d/a.wav ]]; then
    sox "$d/a.wav" "$d/a-trimmed.wav" trim 0.3 && mv "$d/a-trimmed.wav" "$d/a.wav"
  fi
  # Known, not Lanline's to fix here: libnice 0.1.21 declares consent lost after 10 s with
  # no answer to its checks (RFC 7675 says 30 s; libnice's master has 30 s), sending one
  # check every 4-6 s without resends, so at 20 % loss each way two checks in a row fail
  # in about one call in eight; libnice then stops sending and the node restarts ICE by
  # re-INVITE (src/engine/media_bridge.cpp), which costs some 400 ms of audio. A call whose
  # logs show that restart may have one gap up to 500 ms; any other gap fails as before.
  local gap_before=$max_gap
  if grep -q "consent lost" "$d/a.log" "$d/b.log" &&
     grep -q "media path back after the ICE restart" "$d/a.log" "$d/b.log"; then
    max_gap=500
    echo "     KNOWN: libnice declared consent lost (10 s without an answer at this loss) and" \
         "the call restarted ICE: a gap up to $max_gap ms is allowed for it"
  fi
  verdict "Lanline caller hears 620 Hz" "$d/a.wav" 620 $report
  verdict "Lanline callee hears 440 Hz" "$d/b.wav" 440 $report
  max_gap=$gap_before
  loss_report
  (( failed == failed_before )) ||
    { echo "--- a.log"; tail -n 20 "$d/a.log"; echo "--- b.log"; tail -n 20 "$d/b.log"; }
}

if [[ $mode == baresip ]]; then
  baresip_pair fec yes
  baresip_pair nofec no
  echo "reference only: $passed passed, $failed failed"
  exit 0
fi
lanline_pair opus check
# For comparison (reported, not checked): PCMU has no in-band FEC, only concealment.
[[ ${COMPARE_PCMU:-1} == 1 ]] && lanline_pair "PCMU (no FEC)" report --audio-codecs pcmu
if sanitizer_check "$work"/lanline-*/[ab].log; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
