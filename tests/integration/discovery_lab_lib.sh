# A LAN of hosts in network namespaces (../shared/LAB.md), for the discovery lab test and
# benchmark: a bridge namespace and N host namespaces, each host with its own private /run,
# dbus-daemon and avahi-daemon, so every host is one mDNS responder as on a real LAN.
# Source it; it needs root. Every name it creates starts with "disc" (the branch's prefix)
# and the shell's PID, and lab_cleanup (run it from a trap) ends every process it started,
# by PID, and deletes the namespaces.

lab_tag=$$
lab_work=$(mktemp -d /tmp/disc-lab.XXXXXX)
lab_pids=()
declare -A lab_holder lab_dbus lab_avahi lab_node lab_ns

lab_require() {
  if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
    echo "needs root and iproute2 for network namespaces"; exit 77
  fi
  for tool in avahi-daemon dbus-daemon avahi-publish avahi-browse nsenter unshare jq baresip sox; do
    command -v "$tool" >/dev/null || { echo "needs $tool"; exit 77; }
  done
}

lab_cleanup() {
  local pid
  for host in "${!lab_node[@]}"; do kill "${lab_node[$host]}" 2>/dev/null; done
  for pid in "${lab_pids[@]}"; do kill "$pid" 2>/dev/null; done
  for host in "${!lab_avahi[@]}"; do kill "${lab_avahi[$host]}" 2>/dev/null; done
  for host in "${!lab_dbus[@]}"; do kill "${lab_dbus[$host]}" 2>/dev/null; done
  for host in "${!lab_holder[@]}"; do kill "${lab_holder[$host]}" 2>/dev/null; done
  wait 2>/dev/null
  for host in "${!lab_ns[@]}"; do ip netns del "${lab_ns[$host]}" 2>/dev/null; done
  ip netns del "discbr-$lab_tag" 2>/dev/null
  ip netns del "discbr2-$lab_tag" 2>/dev/null
  if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $lab_work" >&2; else rm -rf "$lab_work"; fi
}

# lab_bridge: the switch every host plugs into.
lab_bridge() {
  ip netns add "discbr-$lab_tag" || { echo "cannot create namespaces"; exit 77; }
  ip -n "discbr-$lab_tag" link add br0 type bridge
  ip -n "discbr-$lab_tag" link set br0 up
  export XDG_RUNTIME_DIR=$lab_work/run XDG_CONFIG_HOME=$lab_work/config
  export XDG_DATA_HOME=$lab_work/data
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
}

# lab_host N: host N (1..99) at 198.18.4.N/24 on the bridge, with a private /run held by
# a sleeping process that later commands enter (lab_in N COMMAND...).
lab_host() {
  local n=$1
  local ns="disch$n-$lab_tag"
  lab_ns[$n]=$ns
  ip netns add "$ns"
  ip link add "disc$n-$lab_tag" type veth peer name "discb$n-$lab_tag"
  ip link set "disc$n-$lab_tag" netns "$ns"
  ip link set "discb$n-$lab_tag" netns "discbr-$lab_tag"
  ip -n "discbr-$lab_tag" link set "discb$n-$lab_tag" master br0
  ip -n "discbr-$lab_tag" link set "discb$n-$lab_tag" up
  ip -n "$ns" link set "disc$n-$lab_tag" name eth0
  ip -n "$ns" addr add "198.18.4.$n/24" dev eth0
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  ip netns exec "$ns" unshare -m --propagation private sh -c \
    'mount -t tmpfs tmpfs /run && mkdir -p /run/dbus /run/avahi-daemon && exec sleep 100000' &
  lab_holder[$n]=$!
  # The holder is ready once /run is its own (the mount happened).
  for _ in $(seq 100); do
    nsenter -t "${lab_holder[$n]}" -m test -d /run/avahi-daemon 2>/dev/null && break
    sleep 0.02
  done
  cat >"$lab_work/avahi-$n.conf" <<CONF
[server]
host-name=disc-host$n
use-ipv4=yes
use-ipv6=yes
allow-interfaces=eth0,eth1
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
CONF
  nsenter -t "${lab_holder[$n]}" -m -n dbus-daemon --system --nofork --nopidfile \
    >"$lab_work/dbus-$n.log" 2>&1 &
  lab_dbus[$n]=$!
  for _ in $(seq 100); do
    nsenter -t "${lab_holder[$n]}" -m test -S /run/dbus/system_bus_socket && break
    sleep 0.02
  done
}

# lab_second_link N: host N also plugs into a second LAN, 198.18.5.N/24 on eth1.
lab_second_link() {
  local n=$1
  if ! ip netns list | grep -q "^discbr2-$lab_tag"; then
    ip netns add "discbr2-$lab_tag"
    ip -n "discbr2-$lab_tag" link add br0 type bridge
    ip -n "discbr2-$lab_tag" link set br0 up
  fi
  ip link add "discx$n-$lab_tag" type veth peer name "discy$n-$lab_tag"
  ip link set "discx$n-$lab_tag" netns "${lab_ns[$n]}"
  ip link set "discy$n-$lab_tag" netns "discbr2-$lab_tag"
  ip -n "discbr2-$lab_tag" link set "discy$n-$lab_tag" master br0
  ip -n "discbr2-$lab_tag" link set "discy$n-$lab_tag" up
  ip -n "${lab_ns[$n]}" link set "discx$n-$lab_tag" name eth1
  ip -n "${lab_ns[$n]}" addr add "198.18.5.$n/24" dev eth1
  ip -n "${lab_ns[$n]}" link set eth1 up
}

# lab_in N COMMAND...: runs COMMAND in host N (its network and its /run).
lab_in() {
  local n=$1
  shift
  nsenter -t "${lab_holder[$n]}" -m -n "$@"
}

# lab_exec N COMMAND...: like lab_in, for `lab_exec N COMMAND &`: the background subshell
# becomes nsenter, which becomes COMMAND, so $! is COMMAND's own PID (to end it by).
lab_exec() {
  local n=$1
  shift
  exec nsenter -t "${lab_holder[$n]}" -m -n "$@"
}

# lab_avahi_start N: host N's avahi-daemon; waits until it serves D-Bus clients.
lab_avahi_start() {
  local n=$1
  lab_exec "$n" avahi-daemon -f "$lab_work/avahi-$n.conf" --no-drop-root --no-rlimits --no-chroot \
    >>"$lab_work/avahi-$n.log" 2>&1 &
  lab_avahi[$n]=$!
  for _ in $(seq 200); do
    lab_in "$n" avahi-browse -t _lanline-none._udp >/dev/null 2>&1 && return 0
    sleep 0.02
  done
  echo "avahi-daemon on host $n did not start"; cat "$lab_work/avahi-$n.log"; return 1
}

# lab_avahi_stop N [SIGNAL]
lab_avahi_stop() {
  local n=$1 signal=${2:-TERM}
  kill -"$signal" "${lab_avahi[$n]}" 2>/dev/null
  wait "${lab_avahi[$n]}" 2>/dev/null
  unset "lab_avahi[$n]"
  lab_in "$n" rm -f /run/avahi-daemon/pid
}

# lab_spawn N PROFILE [OPTIONS...]: starts a headless node in host N (SIP port $LAB_PORT,
# default 5060).
lab_spawn() {
  local n=$1 profile=$2
  shift 2
  lab_exec "$n" env XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" XDG_CONFIG_HOME="$XDG_CONFIG_HOME" \
    XDG_DATA_HOME="$XDG_DATA_HOME" "$LAB_BIN" --headless --profile "$profile" --sip-port "${LAB_PORT:-5060}" \
    ${LAB_DEBUG:+--log-level debug --sip-trace} "$@" \
    >>"$lab_work/$profile.log" 2>&1 &
  lab_node[$profile]=$!
}

# lab_ready PROFILE: waits for the node's control socket to answer.
lab_ready() {
  local profile=$1
  for _ in $(seq 400); do
    "$LAB_BIN" ctl --profile "$profile" status >/dev/null 2>&1 && return 0
    sleep 0.01
  done
  echo "node $profile did not start"; cat "$lab_work/$profile.log"; return 1
}

# lab_node N PROFILE [OPTIONS...]: starts a node and waits until it is ready.
lab_node() {
  lab_spawn "$@"
  lab_ready "$2"
}

lab_ctl() { "$LAB_BIN" ctl "$@"; }

# lab_peers PROFILE: the node's peers as JSON lines, one per peer.
lab_peers() { lab_ctl --profile "$1" peers | jq -c '.peers[]'; }

# until_true SECONDS COMMAND...: polls every 50 ms.
until_true() {
  local deadline=$(($(date +%s%N) + $1 * 1000000000))
  shift
  while [ "$(date +%s%N)" -lt $deadline ]; do "$@" && return 0; sleep 0.05; done
  return 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# lab_check WHAT COMMAND...: one check of a lab test, "ok:" or "FAIL:" and counted.
lab_failures=0
lab_check() {
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; lab_failures=$((lab_failures + 1)); fi
}

# lab_judge WHAT COMMAND...: a timing or memory check, judged in the release build and
# printed under a sanitizer (scripts/test.sh runs each lab test in both): under ASan the
# allocator's quarantine keeps freed memory and everything runs several times slower.
lab_judge() {
  if ldd "$LAB_BIN" 2>/dev/null | grep -q libasan; then
    echo "     (sanitizer build: not judged here, the release build judges it) $1"
  else
    lab_check "$@"
  fi
}

# quietly COMMAND...: the command without its output (for a check whose own line must
# still show; `check ... >/dev/null` would hide it).
quietly() { "$@" >/dev/null; }

# lab_finish NAME: every node still running quits cleanly (under a sanitizer build each
# one's report is judged from its log: sanitizer_check.sh must be sourced), then the
# verdict: on failures the tail of every log and status 1, else "all NAME checks passed".
lab_finish() {
  local profile log
  for profile in "${!lab_node[@]}"; do
    lab_ctl --profile "$profile" quit >/dev/null 2>&1
    wait "${lab_node[$profile]}" 2>/dev/null
    unset "lab_node[$profile]"
  done
  if ldd "$LAB_BIN" 2>/dev/null | grep -q libasan; then
    lab_check "no sanitizer error, and no leak but those left by design, in any node's log" \
      sanitizer_check "$lab_work"/*.log
  fi
  if [ "$lab_failures" -ne 0 ]; then
    echo "$lab_failures checks failed; logs:"
    for log in "$lab_work"/*.log; do echo "== $log"; tail -30 "$log"; done
    exit 1
  fi
  echo "all $1 checks passed"
}
