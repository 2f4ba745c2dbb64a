#!/usr/bin/env bash
# Call set-up time on a LAN with ICE (issue 12's benchmark), Lanline against baresip with
# its `ice` module, in the same run: two hosts in network namespaces on one link, CALLS
# calls (default 20) from one to the other, each answered at once and hung up once media
# flows. Per call, from a capture on the callee's link (tshark):
#   invite->media   the caller's first INVITE to the first media datagram (not SIP, not
#                   STUN) reaching the callee: what the issue measures;
#   action->media   the dial command (ctl call / baresip's /dial) to the same datagram:
#                   what a user waits, gathering included.
# Median and p95 of each, with no STUN server, and with a STUN server configured that
# never answers (an address on the link where nothing listens). Goal: invite->media
# under 100 ms in both cases (docs/PERFORMANCE.md).
#
#   ice_setup_bench.sh LANLINE_BIN
# Needs root, iproute2, tshark, baresip.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$(readlink -f "${1:?usage: ice_setup_bench.sh LANLINE_BIN}")
calls=${CALLS:-20}
for tool in ip tshark baresip sox python3; do
  command -v "$tool" > /dev/null || { echo "needs $tool"; exit 1; }
done
[[ $(id -u) == 0 ]] || { echo "needs root (network namespaces)"; exit 1; }
source "$repo/tests/lib/harness.sh"
source "$repo/tests/lib/netns_pair.sh"
source "$repo/tests/lib/baresip_lab.sh"
harness_start /tmp/lanline-ice-bench.XXXXXX
tag=$$
a=iceb$tag-a b=iceb$tag-b
A=198.18.60.1 B=198.18.60.2 DEAD=198.18.60.99
harness_cleanup_hook() { netns_cleanup $a $b; }
netns_pair $a ia$tag $A/24 $b ib$tag $B/24 || exit 1
# Media may take IPv6 link-local pairs (RFC 8421 prefers IPv6): what reaches the callee
# is told by its MAC address, not its IPv4 one.
mac_b=$(ip -n $b -o link show ib$tag | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
sox -n -r 48000 -c 2 -b 16 "$work/tone.wav" synth 600 sine 440 vol 0.5
ms_now() { date +%s%3N; }

# capture_start NAME / capture_stop: tshark on the callee's link.
capture_start() {
  ip netns exec $b tshark -i ib$tag -w "$work/$1.pcap" -q > /dev/null 2>&1 &
  capture_pid=$!
  pids+=($capture_pid)
  sleep 1.5  # tshark takes a moment before it captures
}
capture_stop() {
  sleep 0.5
  kill -INT "$capture_pid" 2> /dev/null
  wait "$capture_pid" 2> /dev/null
}
# figures NAME LABEL: median/p95 of both spans from NAME's capture and dial times.
figures() {
  ip netns exec $b tshark -r "$work/$1.pcap" -T fields -e frame.time_epoch -e ip.src \
    -e udp.srcport -e udp.dstport -e sip.Method -e stun.type \
    -Y "udp && eth.dst == $mac_b" 2> /dev/null > "$work/$1.tsv"
  python3 - "$work/$1.tsv" "$work/$1.actions" "$2" << 'PY'
import sys, statistics
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
actions = [int(x) / 1000 for x in open(sys.argv[2]).read().split()]
inv, act = [], []
for i, t0 in enumerate(actions):
    end = actions[i + 1] if i + 1 < len(actions) else float("inf")
    invite = media = None
    for r in rows:
        t = float(r[0])
        if t < t0 or t >= end: continue
        method, stun = r[4], r[5]
        if invite is None and method == "INVITE": invite = t
        elif invite is not None and not method and not stun and r[2] != "5060" and r[3] != "5060":
            media = t; break
    if invite is not None and media is not None:
        inv.append((media - invite) * 1000); act.append((media - t0) * 1000)
def q(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(round(p * (len(v) - 1))))]
name = sys.argv[3]
if not inv:
    print(f"{name:28s} no call of {len(actions)} had media within 10 s of its dial"); sys.exit()
print(f"{name:28s} calls {len(inv):2d}/{len(actions):2d}  invite->media median {statistics.median(inv):6.1f} "
      f"p95 {q(inv, .95):6.1f} max {max(inv):6.1f} ms   action->media median {statistics.median(act):6.1f} "
      f"p95 {q(act, .95):6.1f} max {max(act):6.1f} ms")
PY
}

lanline_run() {  # NAME [OPTIONS...]
  local name=$1
  shift
  ip netns exec $b "$bin" --headless --profile $name-b --user callee --sip-port 5060 \
    --no-discovery --auto-answer --audio-source test:620 --audio-sink null "$@" \
    > "$work/$name-b.log" 2>&1 &
  pids+=($!)
  ip netns exec $a "$bin" --headless --profile $name-a --user caller --sip-port 5060 \
    --no-discovery --audio-source test:440 --audio-sink null "$@" > "$work/$name-a.log" 2>&1 &
  pids+=($!)
  wait_for 10 "$bin" ctl --profile $name-a status > /dev/null 2>&1
  wait_for 10 "$bin" ctl --profile $name-b status > /dev/null 2>&1
  capture_start $name
  : > "$work/$name.actions"
  for ((i = 0; i < calls; i++)); do
    ms_now >> "$work/$name.actions"
    "$bin" ctl --profile $name-a call sip:callee@$B > /dev/null
    wait_for 5 bash -c "'$bin' ctl --profile $name-a calls | grep -q '\"packets_received\":[1-9]'"
    "$bin" ctl --profile $name-a hangup > /dev/null 2>&1
    wait_for 5 bash -c "! '$bin' ctl --profile $name-b calls | grep -q '\"state\"'"
    sleep 0.2
  done
  capture_stop
  "$bin" ctl --profile $name-a quit > /dev/null 2>&1
  "$bin" ctl --profile $name-b quit > /dev/null 2>&1
  figures $name "Lanline, $name"
}

# baresip_command COMMAND [PARAMS]: to the caller's ctrl_tcp, a JSON netstring.
baresip_command() {
  ip netns exec $a python3 - "$@" << 'PY'
import json, socket, sys
body = json.dumps({"command": sys.argv[1], "params": " ".join(sys.argv[2:]), "token": "1"})
s = socket.create_connection(("127.0.0.1", 4444), timeout=2)
s.sendall(f"{len(body)}:{body},".encode())
try: s.recv(4096)
except OSError: pass
PY
}

baresip_run() {  # NAME [STUN_URI]
  local name=$1 stun=${2:-} d=$work/$1
  baresip_lab_config "$d/b" $B 5060 callee opus/48000/2 "aufile,$work/tone.wav"
  baresip_lab_config "$d/a" $A 5060 caller opus/48000/2 "aufile,$work/tone.wav"
  for side in a b; do
    printf 'module\t\t\tice.so\nmodule_app\t\tctrl_tcp.so\nctrl_tcp_listen\t\t127.0.0.1:4444\n' \
      >> "$d/$side/config"
    sed -i "s|;regint=0;|;regint=0;medianat=ice;${stun:+stunserver=$stun;}|" "$d/$side/accounts"
  done
  ip netns exec $b bash -c "source '$repo/tests/lib/baresip_lab.sh'; baresip_lab_start '$d/b'; echo \$BARESIP_PID > '$d/b/pid'; wait" &
  pids+=($!)
  ip netns exec $a bash -c "source '$repo/tests/lib/baresip_lab.sh'; baresip_lab_start '$d/a'; echo \$BARESIP_PID > '$d/a/pid'; wait" &
  pids+=($!)
  wait_for 10 test -s "$d/a/pid"
  wait_for 10 test -s "$d/b/pid"
  capture_start $name
  : > "$work/$name.actions"
  for ((i = 0; i < calls; i++)); do
    local before
    before=$(grep -c 'Call established' "$d/a/baresip.log")
    ms_now >> "$work/$name.actions"
    baresip_command dial sip:callee@$B
    wait_for 10 bash -c "(( \$(grep -c 'Call established' '$d/a/baresip.log') > $before ))"
    sleep 0.3  # media follows within the checks; the capture says when
    baresip_command hangup
    sleep 0.5
  done
  capture_stop
  baresip_lab_stop "$(cat "$d/a/pid")"
  baresip_lab_stop "$(cat "$d/b/pid")"
  figures $name "baresip ice, ${name%-bs}"
}

echo "ICE call set-up on one link, $calls calls each (median, p95):"
lanline_run no-stun
lanline_run dead-stun --stun $DEAD:3478
baresip_run no-stun-bs
baresip_run dead-stun-bs "stun:$DEAD:3478"
harness_summary > /dev/null
