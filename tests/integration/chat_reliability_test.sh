#!/usr/bin/env bash
# Chat that loses nothing (issue 15): two headless nodes in their own network namespaces,
# 30 % of UDP datagrams dropped on the way into each (iptables statistic match, as
# loss_test.sh), chatting by address:
#   1. MESSAGES each way at once (default 1000): every one is delivered, and each side's
#      history holds the other's exactly once and in the sender's order (seq 1..N);
#   2. the sender is killed (SIGKILL) in the middle of a burst and started again: every
#      message it had accepted arrives, once, in order;
#   3. the receiver is killed in the middle of a burst and started again: likewise;
#   4. offline: 50 messages to a node that is not running, the sender restarted in
#      between, the node started 10 s later: they arrive, once, in order.
# Usage: chat_reliability_test.sh LANLINE_BIN [MESSAGES]
set -uo pipefail
bin=$(readlink -f "$1")
messages=${2:-1000}
# The bursts of the later phases: up to 300 and 200 (fewer when MESSAGES is small).
kill_burst=$((messages < 300 ? messages : 300)) recv_burst=$((messages < 200 ? messages : 200))
if [ "$(id -u)" != 0 ] || ! command -v iptables >/dev/null || ! ip netns list >/dev/null 2>&1; then
  echo "FAIL: needs root, iproute2 and iptables for network namespaces"; exit 1
fi
command -v jq >/dev/null || { echo "FAIL: needs jq"; exit 1; }
here=$(dirname "$(readlink -f "$0")")
source "$here/../lib/harness.sh"
source "$here/../lib/sanitizer_check.sh"
source "$here/../lib/netns_pair.sh"
harness_start /tmp/lanline-chat.XXXXXX
tag=$$
ns_a=lnc-a-$tag ns_b=lnc-b-$tag
harness_cleanup_hook() { netns_cleanup "$ns_a" "$ns_b"; }
netns_pair "$ns_a" "ca$tag" 198.18.7.1/24 "$ns_b" "cb$tag" 198.18.7.2/24 ||
  { echo "FAIL: cannot create namespaces"; exit 1; }
for ns in "$ns_a" "$ns_b"; do
  ip netns exec "$ns" iptables -A INPUT -p udp -m statistic --mode random --probability 0.3 -j DROP
done
A=sip:alice@198.18.7.1 B=sip:bob@198.18.7.2

ctl() { "$bin" ctl "$@"; }
declare -A node_pid node_ns=([alice]=$ns_a [bob]=$ns_b)
start_node() {  # PROFILE
  local profile=$1
  ip netns exec "${node_ns[$profile]}" "$bin" --headless --profile "$profile" --user "$profile" \
    --name "$profile" --sip-port 5060 --no-discovery >>"$work/$profile.log" 2>&1 &
  node_pid[$profile]=$!
  pids+=($!)
  for _ in $(seq 200); do
    ctl --profile "$profile" status >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "node $profile did not start"; tail -20 "$work/$profile.log"; exit 1
}
stop_node() {  # PROFILE: quits cleanly, its sanitizer report judged
  ctl --profile "$1" quit >/dev/null 2>&1
  wait "${node_pid[$1]}" 2>/dev/null
  sanitizer_check "$work/$1.log" || fail "$1 ended with a sanitizer report"
}
kill_node() {  # PROFILE: SIGKILL, as a crash or a power cut of the process
  kill -9 "${node_pid[$1]}" 2>/dev/null
  wait "${node_pid[$1]}" 2>/dev/null
}
until_true() {  # SECONDS COMMAND...
  local deadline=$((SECONDS + $1))
  shift
  while [ $SECONDS -lt $deadline ]; do "$@" && return 0; sleep 0.5; done
  return 1
}
# history PROFILE PEER: its messages with PEER, one JSON object a line.
history() { ctl --profile "$1" history "$2" 10000 | jq -c '.messages[]'; }
# burst PROFILE TARGET PREFIX FIRST LAST: sends PREFIX-FIRST..PREFIX-LAST over one
# control connection (a `message` command each, as `ctl message` sends it, without a
# process each); the numbers the node accepted (ok) go to $work/PREFIX.accepted as they
# come, so a node killed mid-burst leaves the list of what it had taken.
burst() {
  python3 - "$XDG_RUNTIME_DIR/lanline/$1.sock" "$2" "$3" "$4" "$5" "$work/$3.accepted" <<'PY'
import json, socket, sys
path, target, prefix, first, last, accepted = sys.argv[1:7]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
lines = s.makefile("r")
with open(accepted, "a") as out:
    for i in range(int(first), int(last) + 1):
        try:
            s.sendall((json.dumps({"id": i, "cmd": "message", "target": target,
                                   "text": f"{prefix}-{i}"}) + "\n").encode())
            reply = lines.readline()
        except OSError:
            break
        if not reply:
            break  # the node is gone
        if json.loads(reply).get("ok"):
            out.write(f"{i}\n")
            out.flush()
PY
}
# all_delivered PROFILE PEER PREFIX: every message PREFIX-* it sent is delivered.
all_delivered() {
  history "$1" "$2" | jq -s -e --arg p "$3-" \
    '[.[] | select(.direction == "out" and (.text | startswith($p)))] | length > 0 and all(.state == "delivered")' \
    >/dev/null
}
# received_once_in_order PROFILE PEER PREFIX WANT: the incoming PREFIX-* messages are
# exactly the numbers in file WANT (or 1..WANT), each once, in the sender's order.
received_once_in_order() {
  local got want
  got=$(history "$1" "$2" | jq -r --arg p "$3-" \
    'select(.direction == "in" and (.text | startswith($p))) | .text | ltrimstr($p)' | tr '\n' ' ')
  if [ -f "$4" ]; then want=$(sort -n "$4" | tr '\n' ' '); else want=$(seq "$4" | tr '\n' ' '); fi
  if [ "$got" = "$want" ]; then return 0; fi
  echo "     expected: $(echo "$want" | cut -c1-200)..."
  echo "     got:      $(echo "$got" | cut -c1-200)..."
  local n_got n_unique
  n_got=$(echo "$got" | wc -w) n_unique=$(echo "$got" | tr ' ' '\n' | sed '/^$/d' | sort -u | wc -l)
  echo "     ($n_got received, $n_unique distinct, $(echo "$want" | wc -w) expected)"
  return 1
}
contains_accepted() {  # PROFILE PEER PREFIX: every accepted one arrived once, in order
  local got
  got=$(history "$1" "$2" | jq -r --arg p "$3-" \
    'select(.direction == "in" and (.text | startswith($p))) | .text | ltrimstr($p)')
  # Each at most once, ascending; and every accepted one among them.
  [ "$(echo "$got" | sort -n | uniq -d | wc -l)" = 0 ] || { echo "     duplicates"; return 1; }
  [ "$(echo "$got" | tr '\n' ' ')" = "$(echo "$got" | sort -n | tr '\n' ' ')" ] ||
    { echo "     out of order"; return 1; }
  local missing
  missing=$(comm -23 <(sort "$work/$3.accepted") <(echo "$got" | sort))
  [ -z "$missing" ] || { echo "     accepted but not received: $(echo "$missing" | head -5 | tr '\n' ' ')"; return 1; }
}

start_node alice
start_node bob

echo "--- $messages messages each way at 30 % loss each way"
start=$SECONDS
burst alice "$B" a2b 1 "$messages" &
burst_a=$!
burst bob "$A" b2a 1 "$messages" &
burst_b=$!
wait $burst_a $burst_b
echo "     all handed to the nodes in $((SECONDS - start)) s"
if until_true 600 all_delivered alice "$B" a2b && until_true 120 all_delivered bob "$A" b2a; then
  pass "every message was delivered, both ways ($((SECONDS - start)) s)"
else
  fail "every message was delivered, both ways"
fi
received_once_in_order bob "$A" a2b "$messages" &&
  pass "bob holds alice's $messages messages exactly once, in her order" ||
  fail "bob holds alice's $messages messages exactly once, in her order"
received_once_in_order alice "$B" b2a "$messages" &&
  pass "alice holds bob's $messages messages exactly once, in his order" ||
  fail "alice holds bob's $messages messages exactly once, in his order"
dropped=$(ip netns exec "$ns_b" iptables -L INPUT -v -x -n | awk '/statistic/ {print $1}')
echo "     (bob's side dropped $dropped datagrams)"

echo "--- the sender killed in the middle of a burst"
burst alice "$B" killsend 1 "$kill_burst"
# Killed while the burst is on its way: some delivered, some in flight, most waiting.
until_true 20 sh -c "[ \$('$bin' ctl --profile bob history '$A' 10000 | grep -o killsend- | wc -l) -ge $((kill_burst / 10)) ]"
kill_node alice
echo "     alice had accepted $(wc -l <"$work/killsend.accepted"); bob had $(ctl --profile bob history "$A" 10000 | grep -o killsend- | wc -l) when she was killed"
start_node alice
if until_true 300 all_delivered alice "$B" killsend; then
  pass "after her restart, every message she had stored was delivered"
else
  fail "after her restart, every message she had stored was delivered"
fi
contains_accepted bob "$A" killsend &&
  pass "bob holds every one she accepted, once, in order" ||
  fail "bob holds every one she accepted, once, in order"

echo "--- the receiver killed in the middle of a burst"
burst alice "$B" killrecv 1 "$recv_burst" &
burst_a=$!
until_true 20 sh -c "[ \$('$bin' ctl --profile bob history '$A' 10000 | grep -o killrecv- | wc -l) -ge $((recv_burst / 4)) ]"
kill_node bob
sleep 2
start_node bob
wait $burst_a
if until_true 300 all_delivered alice "$B" killrecv; then
  pass "after bob's restart, every message was delivered"
else
  fail "after bob's restart, every message was delivered"
fi
received_once_in_order bob "$A" killrecv "$recv_burst" &&
  pass "bob holds all $recv_burst, once, in order" || fail "bob holds all $recv_burst, once, in order"

echo "--- offline: 50 messages to a node that is not running"
stop_node bob
burst alice "$B" offline 1 50
stop_node alice
start_node alice  # the sender restarted in between
sleep 10
start_node bob
if until_true 300 all_delivered alice "$B" offline; then
  pass "once bob is up, every message waiting for him was delivered"
else
  fail "once bob is up, every message waiting for him was delivered"
fi
received_once_in_order bob "$A" offline 50 &&
  pass "bob holds the 50, once, in order" || fail "bob holds the 50, once, in order"

stop_node alice
stop_node bob
if [ "$failed" != 0 ]; then
  for f in "$work"/*.log; do echo "== $f"; grep -v '^\s*$' "$f" | tail -15; done
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
