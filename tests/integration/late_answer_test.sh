#!/usr/bin/env bash
# A caller that gets the callee's 2xx late (every copy of it dropped for 9 s, an iptables
# string match in the caller's namespace): the callee's ICE checks find nothing meanwhile
# (the caller checks only once it has the answer), and the call must still come up when
# the 2xx gets through: the callee waits for the peer's checks before it calls the path
# lost (RFC 3261 15: nor does it BYE before the ACK). Audio then flows both ways on a
# connected pair. Two hosts in namespaces (../shared/LAB.md); needs root.
#   late_answer_test.sh LANLINE_BIN
set -uo pipefail
bin=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
source "$here/../lib/harness.sh"
source "$here/../lib/netns_pair.sh"
for tool in ip iptables; do
  command -v $tool > /dev/null || { echo "FAIL: $tool is missing (scripts/packages.txt)"; exit 1; }
done
[[ $(id -u) == 0 ]] || { echo "FAIL: needs root (network namespaces)"; exit 1; }
harness_start /tmp/lanline-late.XXXXXX
ns_a=late$$a ns_b=late$$b
harness_cleanup_hook() { netns_cleanup "$ns_a" "$ns_b"; }
netns_pair "$ns_a" "la$$" 198.18.61.1/24 "$ns_b" "lb$$" 198.18.61.2/24 ||
  { fail "cannot build the namespaces"; harness_summary; exit 1; }
ip netns exec "$ns_a" "$bin" --headless --profile la --user alice --no-discovery \
  --audio-source test:440 --audio-sink null > "$work/a.log" 2>&1 &
pids+=($!)
ip netns exec "$ns_b" "$bin" --headless --profile lb --user bob --no-discovery --auto-answer \
  --audio-source test:620 --audio-sink null > "$work/b.log" 2>&1 &
pids+=($!)
wait_for 10 "$bin" ctl --profile la status > /dev/null 2>&1 &&
  wait_for 10 "$bin" ctl --profile lb status > /dev/null 2>&1 || fail "the nodes did not start"
drop=(INPUT -p udp -m string --string "SIP/2.0 200" --algo bm -j DROP)
ip netns exec "$ns_a" iptables -A "${drop[@]}" || fail "cannot add the iptables rule"
"$bin" ctl --profile la call sip:bob@198.18.61.2 > /dev/null
sleep 9
if grep -q "no ICE pair works yet" "$work/b.log"; then
  pass "the callee's checks found nothing while the caller lacked the answer, and it waits"
else fail "the callee did not wait for the peer's checks"; fi
ip netns exec "$ns_a" iptables -D "${drop[@]}"
received() { "$bin" ctl --profile "$1" calls | python3 -c '
import json, sys
c = json.load(sys.stdin)["calls"]
print(c[0]["media"]["packets_received"] if c and c[0].get("media") else 0)' 2> /dev/null; }
connected() {
  "$bin" ctl --profile "$1" calls 2> /dev/null | grep -q '"state":"connected"'
}
if wait_for 15 connected la && wait_for 5 connected lb; then
  pass "once the 2xx got through, ICE connected on both sides"
else fail "no connected pair after the 2xx got through"; fi
a1=$(received la) b1=$(received lb)
sleep 2
a2=$(received la) b2=$(received lb)
if ((a2 > a1 + 50 && b2 > b1 + 50)); then
  pass "audio both ways: the caller received $((a2 - a1)), the callee $((b2 - b1)) packets in 2 s"
else fail "audio: caller $a1 -> $a2, callee $b1 -> $b2 packets"; fi
if grep -q "terminated" "$work/a.log" "$work/b.log"; then fail "the call ended"
else pass "the call is still up"; fi
harness_summary
