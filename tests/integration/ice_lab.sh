#!/usr/bin/env bash
# ICE in network namespaces (../shared/LAB.md): two Lanline nodes call each other across
# the topologies a user meets, and each call must carry a tone each way (440 Hz from the
# caller, 620 Hz from the callee, checked in the other side's recording) over the pair
# type expected, as `lanline ctl calls` shows it:
#   lan      one LAN                                  host -> host on both sides
#   routed   two subnets through a router             host -> host
#   nat      caller behind a NAT, callee outside,     each learns the other side of the
#            no STUN server at all                    NAT as peer-reflexive
#   relay    both behind their own symmetric NATs     relay on both sides (coturn as
#            (a new mapping per destination)          STUN and TURN server outside)
#   deadif   the callee has two interfaces, one of    the live one, set up as fast as
#            which passes nothing                     with one interface
#   restart  two media links through a switch and a  after the callee's link under
#            link for SIP alone; the link the call's  the pair goes down, ICE restarts
#            pair is on goes down at the callee       (re-INVITE) onto the other link;
#                                                     the longest gap in either
#                                                     recording is at most 2 s
#   rejoin   the callee's only address goes, and     the call comes back on the new
#            another comes 2 s later                  address: no gap over 3 s
#   flood    during a call, STUN Binding requests     the call goes on: no gap over
#            with unknown credentials and garbage     120 ms in either recording
#            flood the callee's media port (5,000/s
#            for 3 s)
#   vanish   the callee stops (SIGSTOP: no BYE, no    the caller ends the call within
#            ICMP, as a peer that left the network)   30 s, with a reason naming
#                                                     consent (RFC 7675)
#   sites    two sites, each behind its own symmetric   relay on both sides; the call
#            NAT, Kamailio (registrar and proxy, with  goes by address of record
#            nathelper) and coturn on the outer        through Kamailio, where
#            network; each node has an account there   nothing else reaches (issue 16;
#            and no port forward: the only way in is   not in the default list: its
#            through the proxy                         own meson test)
#   ipv6ll   IPv6 only, link-local addresses only     host -> host, fe80:: (the Contact
#            (each veth has its own fe80:: besides    names no interface: the node must
#            the one dialled)                         keep the one the call came by)
#
#   ice_lab.sh LANLINE_BIN [WAV_CHECK] [SCENARIO...]   (default: all of them)
# Needs root (namespaces, iptables) and coturn's turnserver for `relay`; in CI a missing
# part fails the test, naming it. Exit 0 passed, 1 failed.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$(readlink -f "${1:?usage: ice_lab.sh LANLINE_BIN [WAV_CHECK] [SCENARIO...]}")
shift
if [[ -n ${1:-} && -x ${1:-} ]]; then
  export WAV_CHECK=$(readlink -f "$1")
  shift
fi
scenarios=("$@")
((${#scenarios[@]})) || scenarios=(lan routed nat relay deadif ipv6ll restart rejoin flood vanish)
source "$repo/tests/lib/harness.sh"
source "$repo/tests/lib/audio_check.sh"

missing=()
[[ $(id -u) == 0 ]] || missing+=("root")
for tool in ip iptables sox python3; do command -v "$tool" >/dev/null || missing+=("$tool"); done
command -v turnserver >/dev/null || missing+=("turnserver (Debian coturn)")
if ((${#missing[@]})); then
  echo "FAIL: the ICE lab cannot run here: missing ${missing[*]}"
  exit 1
fi

harness_start /tmp/lanline-ice-lab.XXXXXX
tag=$$
namespaces=()
harness_cleanup_hook() {
  local ns
  for ns in "${namespaces[@]}"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
}

talk_s=${TALK_S:-4}

# --- topology ------------------------------------------------------------------------
ns() {  # NAME: a namespace with loopback up
  local name=ice$tag-$1
  ip netns add "$name" || return 1
  ip -n "$name" link set lo up
  namespaces+=("$name")
}
nsname() { echo "ice$tag-$1"; }
# wire A IF_A ADDR_A B IF_B ADDR_B: a veth between two namespaces (ADDR with /prefix, or
# "" for none), both ends up.
wire() {
  local a b
  a=$(nsname "$1") b=$(nsname "$4")
  ip link add "$2$tag" type veth peer name "$5$tag" || return 1
  ip link set "$2$tag" netns "$a"
  ip link set "$5$tag" netns "$b"
  [[ -n $3 ]] && ip -n "$a" addr add "$3" dev "$2$tag"
  [[ -n $6 ]] && ip -n "$b" addr add "$6" dev "$5$tag"
  ip -n "$a" link set "$2$tag" up
  ip -n "$b" link set "$5$tag" up
}
route() { ip -n "$(nsname "$1")" route add default via "$2"; }
router() { ip netns exec "$(nsname "$1")" sysctl -qw net.ipv4.ip_forward=1; }
# masquerade NS OUT_IF [random]: source NAT of everything leaving OUT_IF; `random` makes a
# new port mapping per destination (a symmetric NAT, RFC 4787's worst kind).
masquerade() {
  ip netns exec "$(nsname "$1")" iptables -t nat -A POSTROUTING -o "$2$tag" -j MASQUERADE \
    ${3:+--random-fully}
}
clear_topology() {
  harness_cleanup_hook
  namespaces=()
}

# --- two nodes and a call ------------------------------------------------------------
# node NS PROFILE USER HZ [OPTIONS...]
node() {
  local ns=$1 profile=$2 user=$3 hz=$4
  shift 4
  if declare -F node_options > /dev/null; then
    local extra
    mapfile -t extra < <(node_options "$user")
    set -- "$@" "${extra[@]}"
  fi
  ip netns exec "$(nsname "$ns")" "$bin" --headless --profile "$profile" --user "$user" \
    --sip-port 5060 --no-discovery --auto-answer --audio-source "test:$hz" \
    --audio-sink "record:$work/$profile.wav" "$@" > "$work/$profile.log" 2>&1 &
  pids+=($!)
  wait_for 10 "$bin" ctl --profile "$profile" status > /dev/null 2>&1
}
ctl() { "$bin" ctl --profile "$@" 2> /dev/null; }
established() { ctl "$1" calls | grep -q '"state":"established"'; }
# path PROFILE: "route local-type remote-type remote-address" of its one call, from
# `lanline ctl calls`.
path() {
  ctl "$1" calls | python3 -c '
import json, sys
calls = json.load(sys.stdin).get("calls", [])
p = ((calls[0].get("media") or {}).get("path") or {}) if calls else {}
if p.get("transport") != "ice": print("plain", p.get("transport", "none")); sys.exit()
if "local" not in p: print("none", p.get("state")); sys.exit()
print(p["route"], p["local"]["type"], p["remote"]["type"], p["remote"]["address"])'
}
ms_now() { date +%s%3N; }

# call LABEL TARGET WANT_CALLER WANT_CALLEE [OPTIONS...]: caller in ns `a`, callee in `b`.
# WANT_*: an extended regular expression the path line must match.
call() {
  local label=$1 target=$2 want_a=$3 want_b=$4
  shift 4
  local pa=$label-caller pb=$label-callee
  node b "$pb" callee 620 "$@" || { fail "$label: the callee did not start"; return; }
  node a "$pa" caller 440 "$@" || { fail "$label: the caller did not start"; return; }
  if declare -F before_call > /dev/null; then before_call "$pa" "$pb" || return; fi
  local start
  start=$(ms_now)
  ctl "$pa" call "$target" > /dev/null
  if ! wait_for 10 established "$pa" || ! wait_for 5 established "$pb"; then
    fail "$label: the call was not established"
    return
  fi
  echo "     $label: established on both sides after $(($(ms_now) - start)) ms"
  if declare -F during_call > /dev/null; then during_call "$pa" "$pb"; else sleep "$talk_s"; fi
  local seen_a seen_b
  seen_a=$(path "$pa") seen_b=$(path "$pb")
  ctl "$pa" hangup > /dev/null
  wait_for 5 bash -c "! '$bin' ctl --profile '$pb' calls 2>/dev/null | grep -q established"
  ctl "$pa" quit > /dev/null
  ctl "$pb" quit > /dev/null
  sleep 0.5
  if [[ $seen_a =~ $want_a ]]; then pass "$label: caller's path: $seen_a"
  else fail "$label: caller's path is '$seen_a', want /$want_a/"; fi
  if [[ $seen_b =~ $want_b ]]; then pass "$label: callee's path: $seen_b"
  else fail "$label: callee's path is '$seen_b', want /$want_b/"; fi
  local r gap=${MAX_GAP_MS:-120} steady=()
  # Where a long gap is allowed, the decoder's concealment fades out before it: a few
  # 20 ms windows at its edge (1 %) may be below the band.
  [[ -n ${MAX_GAP_MS:-} ]] && steady=(--level-band-share 0.99)
  if r=$(audio_verdict "$work/$pb.wav" 440 "$gap" 10 "${steady[@]}"); then
    pass "$label: callee hears 440 Hz: $r"
  else fail "$label: callee's recording: $r"; fi
  if r=$(audio_verdict "$work/$pa.wav" 620 "$gap" 10 "${steady[@]}"); then
    pass "$label: caller hears 620 Hz: $r"
  else fail "$label: caller's recording: $r"; fi
}

# --- the scenarios -------------------------------------------------------------------
lan() {
  ns a && ns b && wire a la 198.18.40.1/24 b lb 198.18.40.2/24 || return 1
  call lan sip:callee@198.18.40.2 '^direct host host 198\.18\.40\.2$' \
    '^direct host host 198\.18\.40\.1$'
}

routed() {
  ns a && ns r && ns b || return 1
  wire a la 198.18.41.2/24 r ra 198.18.41.1/24 && wire r rb 198.18.42.1/24 b lb 198.18.42.2/24 ||
    return 1
  router r && route a 198.18.41.1 && route b 198.18.42.1
  call routed sip:callee@198.18.42.2 '^direct host host 198\.18\.42\.2$' \
    '^direct host host 198\.18\.41\.2$'
}

nat() {
  ns a && ns n && ns b || return 1
  wire a la 198.18.43.2/24 n ni 198.18.43.1/24 && wire n no 198.18.44.1/24 b lb 198.18.44.2/24 ||
    return 1
  router n && route a 198.18.43.1 && masquerade n no
  # The callee sees the caller only at the NAT's address, a candidate no SDP named.
  call nat sip:callee@198.18.44.2 '^nat prflx host 198\.18\.44\.2$' \
    '^nat host prflx 198\.18\.44\.1$'
}

# two_nats: the outer network (a bridge in `o`, 198.18.50.3, coturn's place) and a and b,
# each behind a symmetric NAT on it (na 198.18.50.11, nb 198.18.50.12).
two_nats() {
  ns o && ns na && ns nb && ns a && ns b || return 1
  local o
  o=$(nsname o)
  ip -n "$o" link add br$tag type bridge && ip -n "$o" addr add 198.18.50.3/24 dev br$tag &&
    ip -n "$o" link set br$tag up || return 1
  wire na nao 198.18.50.11/24 o ona "" && wire nb nbo 198.18.50.12/24 o onb "" || return 1
  ip -n "$o" link set ona$tag master br$tag && ip -n "$o" link set onb$tag master br$tag
  wire a la 198.18.51.2/24 na nai 198.18.51.1/24 && wire b lb 198.18.52.2/24 nb nbi 198.18.52.1/24 ||
    return 1
  router na && router nb && route a 198.18.51.1 && route b 198.18.52.1
  # Upstream, as on the Internet: the NATs' default route is the outer network, whose own
  # default route leads nowhere (a veth to a neighbour that is not there: this kernel has
  # no dummy links), so a packet for someone's private address vanishes instead of
  # failing at once (coturn closes an allocation whose send fails).
  route na 198.18.50.3 && route nb 198.18.50.3
  ip -n "$o" link add voida$tag type veth peer name voidb$tag &&
    ip -n "$o" addr add 198.18.59.1/30 dev voida$tag && ip -n "$o" link set voida$tag up &&
    ip -n "$o" link set voidb$tag up &&
    ip -n "$o" neigh add 198.18.59.2 lladdr 02:00:00:00:00:01 dev voida$tag &&
    ip -n "$o" route add default via 198.18.59.2 || return 1
  masquerade na nao random && masquerade nb nbo random
}

start_turnserver() {
  ip netns exec "$(nsname o)" turnserver -n --no-cli --no-tls --no-dtls --listening-ip=198.18.50.3 \
    --relay-ip=198.18.50.3 --listening-port=3478 --min-port=49152 --max-port=49999 \
    --lt-cred-mech --user=alice:secret --realm=lanline.test --fingerprint \
    --pidfile="$work/turnserver.pid" --db="$work/turndb" --log-file=stdout --simple-log \
    > "$work/turnserver.out" 2>&1 &
  pids+=($!)
  wait_for 5 ip netns exec "$(nsname o)" ss -lun sport = :3478 | grep -q 3478
}

relay() {
  # SIP to the callee through a port forward on its NAT (what an office router does).
  two_nats || return 1
  # TCP too: an INVITE with server-reflexive and relayed candidates is over 1300 bytes,
  # and goes by TCP (RFC 3261 18.1.1).
  local proto
  for proto in udp tcp; do
    ip netns exec "$(nsname nb)" iptables -t nat -A PREROUTING -i nbo$tag -p $proto \
      --dport 5060 -j DNAT --to-destination 198.18.52.2:5060
  done
  start_turnserver
  call relay sip:callee@198.18.50.12 '^relay ' '^relay ' --stun 198.18.50.3:3478 \
    --turn 'turn:alice:secret@198.18.50.3:3478?transport=udp'
}

sites() {
  command -v kamailio > /dev/null || { fail "sites: needs kamailio (Debian package kamailio)"; return 0; }
  two_nats || return 1
  start_turnserver
  # Kamailio beside coturn: the domain lanline.test, a user per node.
  local db=$work/kamailio-db
  mkdir -p "$db" "$work/kamailio-run"
  printf 'id(int,auto) table_name(string) table_version(int) \n0:subscriber:7\n' > "$db/version"
  printf '%s\n' 'id(int,auto) username(string) domain(string) password(string) ha1(string,null) ha1b(string,null) ' \
    '1:caller:lanline.test:caller-secret::' '2:callee:lanline.test:callee-secret::' > "$db/subscriber"
  sed -e "s|LISTEN_ADDRESS|198.18.50.3|g" -e "s|DB_DIR|$db|g" -e "s|DOMAIN|lanline.test|g" \
    -e "s|AUTH_ALGORITHM|MD5|g" -e "s|TLS_CONFIG|none|g" "$repo/tests/kamailio/kamailio.cfg" \
    > "$work/kamailio.cfg"
  ip netns exec "$(nsname o)" kamailio -f "$work/kamailio.cfg" -A WITH_NAT -DD -E \
    -Y "$work/kamailio-run" > "$work/kamailio.out" 2>&1 &
  pids+=($!)
  wait_for 10 sh -c "ip netns exec $(nsname o) ss -Hlun 'sport = :5060' | grep -q 5060" ||
    { fail "sites: kamailio did not start"; return 0; }
  for user in caller callee; do
    printf '%s-secret\n' "$user" > "$work/$user.password"
    chmod 600 "$work/$user.password"
  done
  # Each node's account (node() adds what this prints for its user).
  node_options() {
    printf '%s\n' --account "sip:$1@lanline.test" --registrar 198.18.50.3 \
      --password-file "$work/$1.password" --account-expires 20
  }
  registered() { ctl "$1" accounts | grep -q '"state":"registered"'; }
  before_call() {
    if wait_for 10 registered "$1" && wait_for 10 registered "$2"; then
      pass "sites: both nodes registered from behind their NATs"
    else
      fail "sites: the nodes did not register"
      return 1
    fi
  }
  call sites sip:callee@lanline.test '^relay ' '^relay ' --stun 198.18.50.3:3478 \
    --turn 'turn:alice:secret@198.18.50.3:3478?transport=udp'
  unset -f before_call
  if grep -q "INVITE from sip:caller@lanline.test relayed to sip:callee@" "$work/kamailio.out"; then
    pass "sites: the INVITE went through Kamailio, by address of record"
  else fail "sites: Kamailio did not relay the INVITE"; fi
  unset -f node_options
}

deadif() {
  ns a && ns b || return 1
  wire a la 198.18.45.1/24 b lb 198.18.45.2/24 && wire a ld 198.18.46.1/24 b lbd 198.18.46.2/24 ||
    return 1
  # The second link is up with its addresses, and passes nothing.
  ip netns exec "$(nsname b)" iptables -A INPUT -i lbd$tag -j DROP
  ip netns exec "$(nsname b)" iptables -A OUTPUT -o lbd$tag -j DROP
  call deadif sip:callee@198.18.45.2 '^direct host host 198\.18\.45\.2$' \
    '^direct host host 198\.18\.45\.1$'
}

ipv6ll() {
  ns a && ns b || return 1
  sysctl_off() { ip netns exec "$(nsname "$1")" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
    net.ipv6.conf.default.accept_dad=0; }
  sysctl_off a && sysctl_off b
  wire a la "" b lb "" || return 1
  ip -n "$(nsname a)" addr add fe80::a/64 dev la$tag nodad
  ip -n "$(nsname b)" addr add fe80::b/64 dev lb$tag nodad
  ip -n "$(nsname a)" -4 addr flush dev la$tag
  ip -n "$(nsname b)" -4 addr flush dev lb$tag
  sleep 0.5
  call ipv6ll "sip:callee@[fe80::b%25la$tag]" '^direct host host fe80::' '^direct host host fe80::'
}

restart() {
  # SIP on a link of its own that drops every other datagram (so no pair can be there);
  # media on two links, each through a switch, so the caller's end keeps its carrier
  # when the callee's goes down, as on a real LAN. IPv4 only, to know the links apart.
  ns a && ns b && ns sw || return 1
  local swn
  swn=$(nsname sw)
  wire a ls 198.18.47.1/24 b lbs 198.18.47.2/24 || return 1
  local n
  for n in 1 2; do
    ip -n "$swn" link add br$n$tag type bridge && ip -n "$swn" link set br$n$tag up || return 1
    wire a lm$n 198.18.4$((7 + n)).1/24 sw sa$n "" && wire b bm$n 198.18.4$((7 + n)).2/24 sw sb$n "" ||
      return 1
    ip -n "$swn" link set sa$n$tag master br$n$tag && ip -n "$swn" link set sb$n$tag master br$n$tag
  done
  for n in a b; do
    ip netns exec "$(nsname $n)" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    local s_if=ls$tag
    [[ $n == b ]] && s_if=lbs$tag
    ip netns exec "$(nsname $n)" iptables -A INPUT -i $s_if -p udp ! --dport 5060 -j DROP
  done
  during_call() {  # CALLER_PROFILE CALLEE_PROFILE
    sleep 2
    local seen link
    seen=$(path "$2")
    case $seen in
      *198.18.48.1) link=bm1$tag ;;
      *198.18.49.1) link=bm2$tag ;;
      *) fail "restart: the callee's pair is on neither media link: $seen"; sleep 4; return ;;
    esac
    echo "     restart: the pair before: $seen; taking $link down at the callee"
    ip -n "$(nsname b)" link set "$link" down
    sleep 5
  }
  MAX_GAP_MS=2000 call restart sip:callee@198.18.47.2 '^direct host host 198\.18\.4[89]\.2$' \
    '^direct host host 198\.18\.4[89]\.1$' --sip-trace
  unset -f during_call
  # The pair is not on the default candidate (the SIP link's): the controlling caller
  # offers it again once nominated (RFC 8839 4.4.1.2.2), as the callee's trace shows.
  if grep -q '^a=remote-candidates:1 198\.18\.4[89]\.2 ' "$work/restart-callee.log"; then
    pass "restart: the callee received a re-offer with a=remote-candidates for the pair"
  else
    fail "restart: no re-offer with a=remote-candidates reached the callee"
  fi
}

rejoin() {
  # One link; the callee's address goes away for 2 s and a new one comes (a laptop whose
  # Wi-Fi dropped and got another lease): nothing is left to restart onto until the new
  # address appears, and then the call must come back on it.
  ns a && ns b && wire a la 198.18.56.1/24 b lb 198.18.56.2/24 || return 1
  for n in a b; do ip netns exec "$(nsname $n)" sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done
  during_call() {  # CALLER_PROFILE CALLEE_PROFILE
    sleep 2
    echo "     rejoin: the callee's 198.18.56.2 goes; 198.18.56.3 comes 2 s later"
    ip -n "$(nsname b)" addr del 198.18.56.2/24 dev lb$tag
    sleep 2
    ip -n "$(nsname b)" addr add 198.18.56.3/24 dev lb$tag
    sleep 5
  }
  MAX_GAP_MS=3000 call rejoin sip:callee@198.18.56.2 '^direct host host 198\.18\.56\.3$' \
    '^direct host host 198\.18\.56\.1$'
  unset -f during_call
}

flood() {
  ns a && ns b && wire a la 198.18.54.1/24 b lb 198.18.54.2/24 || return 1
  during_call() {  # CALLER_PROFILE CALLEE_PROFILE
    sleep 1
    local port
    port=$(ctl "$2" calls | python3 -c '
import json, sys
print(json.load(sys.stdin)["calls"][0]["media"]["path"]["local"]["port"])' 2> /dev/null)
    [[ -n $port ]] || { fail "flood: no media port to flood"; sleep 4; return; }
    echo "     flood: 15,000 datagrams at the callee's media port $port"
    ip netns exec "$(nsname a)" python3 - 198.18.54.2 "$port" << 'PY'
import os, socket, struct, sys, time
host, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def binding(username):
    # RFC 5389 Binding request with a USERNAME no agent gave out, and no integrity.
    attr = struct.pack("!HH", 0x0006, len(username)) + username + b"\0" * (-len(username) % 4)
    return struct.pack("!HHI", 0x0001, len(attr), 0x2112A442) + os.urandom(12) + attr
start = time.monotonic()
for i in range(15000):
    kind = i % 3
    if kind == 0: data = binding(b"evil:" + os.urandom(4).hex().encode())
    elif kind == 1: data = binding(b"")[:20]  # header only, length says 0
    else: data = os.urandom(1 + i % 300)      # garbage, some of it RTP-looking
    s.sendto(data, (host, port))
    while time.monotonic() - start < i / 5000: time.sleep(0.0005)
PY
    sleep 2
  }
  call flood sip:callee@198.18.54.2 '^direct host host 198\.18\.54\.2$' \
    '^direct host host 198\.18\.54\.1$'
  unset -f during_call
  if ctl flood-callee status > /dev/null 2>&1 || grep -q "stopping: a client asked" "$work/flood-callee.log"; then
    pass "flood: the callee came through the flood"
  else
    fail "flood: the callee did not survive the flood"
  fi
}

vanish() {
  ns a && ns b && wire a la 198.18.53.1/24 b lb 198.18.53.2/24 || return 1
  node b vanish-callee callee 620 && node a vanish-caller caller 440 || {
    fail "vanish: the nodes did not start"
    return
  }
  ctl vanish-caller call sip:callee@198.18.53.2 > /dev/null
  if ! wait_for 10 established vanish-caller; then
    fail "vanish: the call was not established"
    return
  fi
  sleep 2
  local callee_pid stopped ended=""
  callee_pid=$(ip netns pids "$(nsname b)" | head -1)
  kill -STOP "$callee_pid"
  stopped=$(ms_now)
  for _ in $(seq 400); do
    ctl vanish-caller calls | grep -q '"state"' || { ended=$(ms_now); break; }
    sleep 0.1
  done
  kill -CONT "$callee_pid"
  if [[ -z $ended ]]; then
    fail "vanish: the caller's call was still up 40 s after the callee vanished"
    return
  fi
  local reason
  reason=$(grep -o 'call 1 terminated [^(]*(\(.*\))' "$work/vanish-caller.log" | tail -1)
  if ((ended - stopped <= 31000)) && [[ $reason == *consent* ]]; then
    pass "vanish: the caller ended the call $((ended - stopped)) ms after the callee vanished: $reason"
  else
    fail "vanish: ended after $((ended - stopped)) ms (want <= 31000), log says: $reason"
  fi
}

for scenario in "${scenarios[@]}"; do
  echo "--- $scenario"
  if ! "$scenario"; then fail "$scenario: could not build its topology"; fi
  clear_topology
done
harness_summary
