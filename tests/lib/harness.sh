# The common frame of the integration tests (sourced, bash):
#   harness_start [TEMPLATE]  makes $work (mktemp -d), points Lanline's XDG directories
#                             into it, and on exit ends every PID in $pids (and calls
#                             harness_cleanup_hook if the script defines one), then
#                             deletes $work (kept when KEEP=1).
#   pass TEXT / fail TEXT     count checks; fail prints the tail of every $work/*.log and
#                             *.out ($FAIL_LOG_LINES lines, 20 by default).
#   wait_for SECONDS CMD...   polls CMD every 0.1 s until it succeeds.
#   free_port                 a port of 127.0.0.1 free for both UDP and TCP.
#   start_node PROFILE PORT OPTIONS...
#                             a headless node (user "service", named PROFILE, no
#                             discovery, log $work/PROFILE.log) on SIP port PORT, in $pids
#                             and $node_pid; waits until its control socket answers (10 s),
#                             else says so with its log and returns 1.
#   port_bound udp|tcp PORT   whether a socket of this host listens on PORT (to wait for
#                             a peer that was just started: wait_for 5 port_bound ...).
#   harness_summary           ends every PID in $pids (SIGTERM, then waits: a node exits
#                             cleanly and, in the sanitizer build, writes its leak
#                             report), then, when $bin is built with ASan, checks every
#                             $work/*.log with sanitizer_check (tests/lib/sanitizer_check.sh);
#                             prints "N passed, N failed"; its status is 0 only if none
#                             failed (use it as the script's last command).
# In the sanitizer build a node's leaks do not change its exit status (LSAN_OPTIONS
# exitcode=0, set by sanitizer_check.sh): they are judged from its log, against the leaks that libraries
# leave by design (tests/sanitizers/lsan_by_design.txt).
# Only the script's own shell runs the cleanup: a subshell killed before it has reset
# its traps (a watchdog ended early) would otherwise run the EXIT trap too, ending the
# nodes and deleting the work directory under the running test.

source "$(dirname "${BASH_SOURCE[0]}")/sanitizer_check.sh"  # sets LSAN_OPTIONS exitcode=0

harness_start() {
  work=$(mktemp -d "${1:-/tmp/lanline-test.XXXXXX}")
  pids=()
  passed=0
  failed=0
  export XDG_RUNTIME_DIR=$work/run XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
  trap '[ "$BASHPID" = "$$" ] && harness_cleanup' EXIT
}

harness_cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  # The hook ends what the script started besides $pids (an X server, baresip,
  # namespaces) before the wait, which waits for every child.
  declare -F harness_cleanup_hook >/dev/null && harness_cleanup_hook
  wait 2>/dev/null
  if [[ ${KEEP:-0} == 1 ]]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
}

pass() {
  echo "PASS: $1"
  passed=$((passed + 1))
}

fail() {
  echo "FAIL: $1"
  failed=$((failed + 1))
  local log
  for log in "$work"/*.log "$work"/*.out; do
    [ -f "$log" ] && { echo "--- $log"; tail -n "${FAIL_LOG_LINES:-20}" "$log"; }
  done
}

wait_for() {
  local tries=$(($1 * 10))
  shift
  for _ in $(seq "$tries"); do "$@" && return 0; sleep 0.1; done
  return 1
}

free_port() {
  python3 - <<'PY'
import socket
while True:
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    port = tcp.getsockname()[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        udp.bind(("127.0.0.1", port))
        print(port)
        break
    except OSError:
        pass
    finally:
        udp.close()
        tcp.close()
PY
}

start_node() {
  local profile=$1 port=$2
  shift 2
  "$bin" --headless --profile "$profile" --sip-port "$port" --user service --name "$profile" \
    --no-discovery "$@" >"$work/$profile.log" 2>&1 &
  node_pid=$!
  pids+=("$node_pid")
  wait_for 10 "$bin" ctl --profile "$profile" status >/dev/null 2>&1 && return 0
  echo "node $profile did not start"
  cat "$work/$profile.log"
  return 1
}

port_bound() {
  local flag=u
  [[ $1 == tcp ]] && flag=t
  [[ -n $(ss -Hln$flag "sport = :$2" 2>/dev/null) ]]
}

harness_summary() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  pids=()
  if [[ -n ${bin:-} ]] && ldd "$bin" 2>/dev/null | grep -q libasan; then
    if sanitizer_check "$work"/*.log; then
      pass "sanitizers: no error, and no leak but those left by design, in any node's log"
    else
      fail "sanitizers: reports in the nodes' logs (above)"
    fi
  fi
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
