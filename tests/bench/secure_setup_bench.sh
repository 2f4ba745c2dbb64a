#!/usr/bin/env bash
# What encryption costs a call between two Lanline nodes (issue 14's benchmark), in one
# run: two hosts in namespaces on one LAN, each with its own avahi-daemon, the callee
# auto-answering. Calls alternate between
#   secure  bob calls "Alice" by name: SIP over TLS (the connection the probes opened,
#           reused), DTLS-SRTP on the media;
#   plain   bob calls sip:alice@198.18.4.1 by address: SIP over UDP, plain RTP;
# CALLS of each (default 20). Per call, set-up = from `ctl call` returning to bob's side
# counting media from alice (decrypted, for the secure call), polled every 5 ms.
# Median and p90 of each, and the median difference (goal: under 50 ms). Then CPU of each
# side over SECONDS (default 10) of one established call of each kind.
#
#   secure_setup_bench.sh LANLINE_BIN
# Needs root, iproute2, avahi-daemon, jq.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_BIN=$(readlink -f "${1:?usage: secure_setup_bench.sh LANLINE_BIN}")
calls=${CALLS:-20}
seconds=${SECONDS_PER_CPU:-10}
source "$here/../integration/discovery_lab_lib.sh"
source "$here/../lib/proc_cpu.sh"
lab_require
trap '[ "$BASHPID" = "$$" ] && lab_cleanup' EXIT

lab_bridge
lab_host 1
lab_host 2
lab_avahi_start 1 || exit 1
lab_avahi_start 2 || exit 1
media=(--audio-codecs opus --audio-sink null)
lab_spawn 1 alice --name Alice --user alice --auto-answer "${media[@]}" --audio-source test:440
lab_spawn 2 bob --name Bob --user bob "${media[@]}" --audio-source test:620
lab_ready alice && lab_ready bob || exit 1
until_true 15 sh -c "'$LAB_BIN' ctl --profile bob peers |
  jq -e '.peers | any(.name == \"Alice\" and .reachable)' >/dev/null" ||
  { echo "bob never saw Alice reachable"; exit 1; }

receiving() {  # bob counts media from alice
  lab_ctl --profile bob calls | jq -e '.calls[0].media.packets_received > 0' >/dev/null 2>&1
}
no_calls() { lab_ctl --profile "$1" calls | jq -e '.calls | length == 0' >/dev/null 2>&1; }
# one_call TARGET: ms from the call command to media at bob, or "fail".
one_call() {
  local start end
  start=$(date +%s%N)
  lab_ctl --profile bob call "$1" >/dev/null || { echo fail; return; }
  local deadline=$((start + 10000000000))
  until receiving; do
    [ "$(date +%s%N)" -gt $deadline ] && { echo fail; return; }
    sleep 0.005
  done
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}
hang_up() {
  lab_ctl --profile bob hangup >/dev/null 2>&1
  until_true 5 no_calls alice
  until_true 5 no_calls bob
}
stats() {  # median p90 of the numbers on stdin
  sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "- -"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    p = v[int(NR * 0.9 + 0.999)]; printf "%s %s\n", m, p }'
}

secure=() plain=() failed=0
for i in $(seq "$calls"); do
  for mode in secure plain; do
    target=Alice
    [ $mode = plain ] && target=sip:alice@198.18.4.1
    ms=$(one_call $target)
    hang_up
    if [ "$ms" = fail ]; then failed=$((failed + 1)); continue; fi
    if [ $mode = secure ]; then secure+=("$ms"); else plain+=("$ms"); fi
  done
done
read -r secure_median secure_p90 < <(printf '%s\n' "${secure[@]}" | stats)
read -r plain_median plain_p90 < <(printf '%s\n' "${plain[@]}" | stats)
echo "call set-up, ctl call to media at the caller (ms), $calls calls each, $failed failed:"
printf '  %-44s median %6s  p90 %6s\n' "secure (TLS signalling, DTLS-SRTP media)" \
  "$secure_median" "$secure_p90" "plain (UDP signalling, RTP media)" "$plain_median" "$plain_p90"
extra=$(awk -v a="$secure_median" -v b="$plain_median" 'BEGIN { printf "%.1f", a - b }')
verdict=$(awk -v d="$extra" 'BEGIN { print (d < 50) ? "met" : "NOT met" }')
echo "  encryption adds $extra ms to the median set-up (goal under 50 ms: $verdict)"

alice_pid=${lab_node[alice]} bob_pid=${lab_node[bob]}  # the nodes themselves (exec all the way)
echo "CPU of one established Opus call, % of one core over $seconds s (bob caller, alice callee):"
for mode in secure plain; do
  target=Alice
  [ $mode = plain ] && target=sip:alice@198.18.4.1
  lab_ctl --profile bob call $target >/dev/null
  until_true 10 receiving
  sleep 2
  read -r cpu_bob cpu_alice < <(measure "$bob_pid" "$alice_pid")
  protection=$(lab_ctl --profile bob calls | jq -r '.calls[0].protection')
  printf '  %-8s (%s)  bob %5s  alice %5s\n' $mode "$protection" "$cpu_bob" "$cpu_alice"
  hang_up
done
[ "$failed" = 0 ]
