#!/usr/bin/env bash
# The desktop app finds a peer by itself and calls it with one click: two hosts in
# network namespaces on a bridge (../shared/LAB.md), each with its own dbus-daemon and
# avahi-daemon; the GUI node in host 1 draws on an Xvfb of ours, a headless node in host 2.
# The peer appears in the window's list (name, presence), a presence change there reaches
# the window's model, and a click on it rings the headless node. GUI_SHOT=FILE.png saves
# the window with the peer listed. Then an impostor announces the peer's instance id with
# another certificate: the window marks it and asks before calling (GUI_IDENTITY_SHOT=
# FILE.png saves that question). The window draws with OpenGL (LANLINE_RENDERER=gl:
# Mesa's llvmpipe here), so the GL path stays tested where gui_test.sh draws in software.
# Every name made here starts with "gui" and this shell's PID; everything started is
# ended by PID and the namespaces are deleted on exit. Needs root.
# Usage: gui_discovery_test.sh LANLINE_BIN
set -uo pipefail
bin=$(readlink -f "$1")
source "$(dirname "$(readlink -f "$0")")/../lib/xvfb.sh"
if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then echo "needs root"; exit 77; fi
for tool in Xvfb xdotool avahi-daemon dbus-daemon avahi-browse nsenter unshare python3; do
  command -v $tool >/dev/null || { echo "needs $tool"; exit 77; }
done

tag=$$
work=$(mktemp -d /tmp/gui-disc.XXXXXX)
declare -A holder dbus avahi
pids=()
namespaces=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${avahi[@]}" "${dbus[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${holder[@]}"; do kill "$pid" 2>/dev/null; done
  [ -n "${xvfb_pid:-}" ] && kill "$xvfb_pid" 2>/dev/null
  # One that ignores TERM (an avahi-daemon was once seen spinning) must not hold the
  # wait below: KILL what is left after a moment.
  sleep 0.5
  for pid in "${pids[@]}" "${avahi[@]}" "${dbus[@]}" "${holder[@]}" ${xvfb_pid:-}; do
    kill -9 "$pid" 2>/dev/null
  done
  wait 2>/dev/null
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$work"
}
# Only the script itself cleans up: a subshell killed before it has reset its traps (a
# watchdog ended early) would otherwise run this EXIT trap too, and end the nodes and
# delete the work directory under the running test.
trap '[ "$BASHPID" = "$$" ] && cleanup' EXIT
export XDG_RUNTIME_DIR=$work/run XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

passed=0
failed=0
pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() {
  echo "FAIL: $1"
  failed=$((failed + 1))
  for log in "$work"/*.log; do [ -f "$log" ] && { echo "--- $log"; tail -n 15 "$log"; }; done
}
ctl() { "$bin" ctl "$@"; }
until_true() {
  local deadline=$(($(date +%s%N) + $1 * 1000000000))
  shift
  while [ "$(date +%s%N)" -lt $deadline ]; do "$@" && return 0; sleep 0.1; done
  return 1
}

# The LAN: a bridge namespace and two hosts at 198.18.6.1 and .2.
bridge=guibr-$tag
ip netns add "$bridge" || { echo "cannot create namespaces"; exit 77; }
namespaces+=("$bridge")
ip -n "$bridge" link add br0 type bridge
ip -n "$bridge" link set br0 up
host() {
  local n=$1 ns=guih$1-$tag
  namespaces+=("$ns")
  ip netns add "$ns"
  ip link add "gui$n-$tag" type veth peer name "guib$n-$tag"
  ip link set "gui$n-$tag" netns "$ns"
  ip link set "guib$n-$tag" netns "$bridge"
  ip -n "$bridge" link set "guib$n-$tag" master br0
  ip -n "$bridge" link set "guib$n-$tag" up
  ip -n "$ns" link set "gui$n-$tag" name eth0
  ip -n "$ns" addr add "198.18.6.$n/24" dev eth0
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  ip netns exec "$ns" unshare -m --propagation private sh -c \
    'mount -t tmpfs tmpfs /run && mkdir -p /run/dbus /run/avahi-daemon && exec sleep 100000' &
  holder[$n]=$!
  for _ in $(seq 100); do
    nsenter -t "${holder[$n]}" -m test -d /run/avahi-daemon 2>/dev/null && break
    sleep 0.02
  done
  printf '[server]\nhost-name=gui-host%s\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=eth0\n[wide-area]\nenable-wide-area=no\n[publish]\npublish-hinfo=no\npublish-workstation=no\n' \
    "$n" >"$work/avahi-$n.conf"
  nsenter -t "${holder[$n]}" -m -n dbus-daemon --system --nofork --nopidfile >"$work/dbus-$n.log" 2>&1 &
  dbus[$n]=$!
  for _ in $(seq 100); do
    nsenter -t "${holder[$n]}" -m test -S /run/dbus/system_bus_socket && break
    sleep 0.02
  done
  (exec nsenter -t "${holder[$n]}" -m -n avahi-daemon -f "$work/avahi-$n.conf" --no-drop-root \
    --no-rlimits --no-chroot >"$work/avahi-$n.log" 2>&1) &
  avahi[$n]=$!
  for _ in $(seq 200); do
    nsenter -t "${holder[$n]}" -m -n avahi-browse -t _gui-none._udp >/dev/null 2>&1 && return 0
    sleep 0.02
  done
  echo "avahi-daemon on host $n did not start"
  return 1
}
host 1 || exit 1
host 2 || exit 1

# Our X server (in the root namespace; clients in the hosts reach its socket file).
start_xvfb "$work" || exit 1

# node N PROFILE ARGS...: a node in host N (its network, its /run: its avahi-daemon).
node() {
  local n=$1 profile=$2
  shift 2
  (exec nsenter -t "${holder[$n]}" -m -n env LANLINE_GUI_LAYOUT="$work/layout.json" \
    LANLINE_RENDERER=gl \
    "$bin" "$@" --profile "$profile" --sip-port 5060 >"$work/$profile.log" 2>&1) &
  pids+=($!)
  until_true 10 ctl --profile "$profile" status >/dev/null 2>&1
}
node 1 guidisc-gui --user alice --name "Alice GUI" --audio-source test --audio-sink null || { fail "GUI node started"; exit 1; }
node 2 guidisc-bob --headless --user bob --name "Bob Headless" --audio-source test --audio-sink null || { fail "headless node started"; exit 1; }
window=""
until_true 10 sh -c "xdotool search --name '^Lanline' >/dev/null 2>&1" &&
  window=$(xdotool search --name '^Lanline' | head -1)
[ -n "$window" ] || { fail "the GUI opened a window"; exit 1; }
if grep -q "window drawn with the OpenGL 3" "$work/guidisc-gui.log"; then
  pass "LANLINE_RENDERER=gl: the window is drawn with OpenGL 3"
else
  fail "LANLINE_RENDERER=gl: the window is drawn with OpenGL 3"
fi

# The peer shows in the window's list: its row is the first one, its name in the model.
peer_row() { python3 -c 'import json,sys; sys.exit("peer.0" not in json.load(open(sys.argv[1])))' "$work/layout.json" 2>/dev/null; }
reachable() { ctl --profile guidisc-gui peers | grep -q '"name":"Bob Headless".*"reachable":true\|"reachable":true.*"name":"Bob Headless"'; }
if until_true 10 reachable && until_true 5 peer_row; then
  pass "the headless node appears in the window's peer list by itself"
else
  fail "the headless node appears in the window's peer list"
fi
ctl --profile guidisc-bob presence away "back at 3" >/dev/null
away() { ctl --profile guidisc-gui peers | grep -q '"presence":"away"'; }
if until_true 5 away; then
  pass "a presence change on the peer reaches the GUI node"
else
  fail "a presence change on the peer reaches the GUI node"
fi
if [ -n "${GUI_SHOT:-}" ]; then  # for docs/screenshots
  sleep 0.5
  xwd -root -silent | xwdtopnm 2>/dev/null | pnmtopng >"$GUI_SHOT"
fi

# layout_has NAME: the window drew that control in its last frame.
layout_has() { python3 -c 'import json,sys; sys.exit(sys.argv[2] not in json.load(open(sys.argv[1])))' "$work/layout.json" "$1" 2>/dev/null; }
click_at() {
  local at
  at=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))[sys.argv[2]]; print(int(r[0]+r[2]/3), int(r[1]+r[3]/2))' "$work/layout.json" "$1") || return 1
  # shellcheck disable=SC2086
  xdotool mousemove --window "$window" $at && sleep 0.2 && xdotool click 1
}
click_at peer.0
incoming() { ctl --profile guidisc-bob calls | grep -q '"state":"incoming".*Alice GUI\|Alice GUI.*"state":"incoming"'; }
if until_true 5 incoming; then
  pass "one click on the peer rang it"
else
  fail "one click on the peer rang it"
fi
ctl --profile guidisc-bob answer >/dev/null
established() { ctl --profile "$1" calls | grep -q '"state":"established"'; }
if until_true 5 established guidisc-gui && until_true 5 established guidisc-bob; then
  pass "answered: established on both hosts"
else
  fail "answered: established on both hosts"
fi
# A call by name between Lanline nodes is DTLS-SRTP: the call panel shows the short
# authentication string and "Codes match", which verifies the peer.
if until_true 10 layout_has "codes match" && ctl --profile guidisc-gui calls | grep -q '"protection":"dtls"'; then
  pass "the call panel shows the DTLS-SRTP code and \"Codes match\""
else
  fail "the call panel shows the DTLS-SRTP code and \"Codes match\""
fi
if [ -n "${GUI_DTLS_SHOT:-}" ]; then  # for docs/screenshots
  sleep 0.5
  xwd -root -silent | xwdtopnm 2>/dev/null | pnmtopng >"$GUI_DTLS_SHOT"
fi
click_at "codes match"
if until_true 5 sh -c "'$bin' ctl --profile guidisc-gui calls | grep -q '\"protection\":\"verified\"'"; then
  pass "\"Codes match\" verifies the peer"
else
  fail "\"Codes match\" verifies the peer"
fi
ctl --profile guidisc-bob hangup >/dev/null
until_true 5 sh -c "! '$bin' ctl --profile guidisc-gui calls | grep -q '\"state\"'"

# An impostor: bob quits, and a node on his host announces his name and instance id with
# a certificate of its own. The window marks the peer, and a click on it asks first; the
# call goes only after "Trust the new identity and call".
bob_dir=$XDG_DATA_HOME/lanline/guidisc-bob
ctl --profile guidisc-bob quit >/dev/null
until_true 5 sh -c "! '$bin' ctl --profile guidisc-gui peers | grep -q 'Bob Headless'"
mkdir -p "$XDG_DATA_HOME/lanline/guidisc-mallory/identity"
cp "$bob_dir/identity/instance_id" "$XDG_DATA_HOME/lanline/guidisc-mallory/identity/"
node 2 guidisc-mallory --headless --user bob --name "Bob Headless" ||
  { fail "the impostor node started"; exit 1; }
changed() { ctl --profile guidisc-gui peers | grep -q '"identity":"changed"'; }
if until_true 10 changed && until_true 5 layout_has "identity warning.0"; then
  pass "the window marks the peer whose identity changed"
else
  fail "the window marks the peer whose identity changed"
fi
click_at peer.0
if until_true 5 layout_has "trust and call"; then
  pass "a click on it asks first, showing both fingerprints"
else
  fail "a click on the changed peer asks first"
fi
if [ -n "${GUI_IDENTITY_SHOT:-}" ]; then  # for docs/screenshots
  sleep 0.5
  xwd -root -silent | xwdtopnm 2>/dev/null | pnmtopng >"$GUI_IDENTITY_SHOT"
fi
ringing() { ctl --profile guidisc-mallory calls | grep -q '"state":"incoming"'; }
if ! ringing; then pass "no call went before the user chose"
else fail "a call went to the changed peer before the user chose"; fi
click_at "trust and call"
if until_true 5 ringing && ctl --profile guidisc-gui peers | grep -q '"identity":"pinned"'; then
  pass "Trust the new identity and call: pinned, and it rings"
else
  fail "Trust the new identity and call: pinned, and it rings"
fi
ctl --profile guidisc-mallory decline >/dev/null
ctl --profile guidisc-mallory quit >/dev/null
ctl --profile guidisc-gui quit >/dev/null
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
