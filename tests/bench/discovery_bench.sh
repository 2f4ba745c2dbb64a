#!/usr/bin/env bash
# Discovery benchmark in the namespace lab (tests/integration/discovery_lab_lib.sh): two
# hosts on a bridge, each with its own avahi-daemon; an observer node on host 1.
#  1. A node started on host 2 until it appears in the observer's `peers` (peer.added on
#     its event stream), and until it is shown reachable; median of ROUNDS (default 10).
#     Reference, in the same run: a plain `avahi-publish` on host 2 until `avahi-browse`
#     on host 1 sees it (mDNS probing and announcing alone, ~0.75 s). Goal: < 1.2 s.
#  2. 100 services published at once on host 2 (avahi-publish processes, Ekiga-style)
#     until all are listed in the observer's `peers`. Goal: < 3 s.
# Usage: discovery_bench.sh LANLINE_BIN [ROUNDS] [--check]  (root)
set -uo pipefail
LAB_BIN=$(readlink -f "$1")
rounds=${2:-10}
check=${3:-}
source "$(dirname "$(readlink -f "$0")")/../integration/discovery_lab_lib.sh"
lab_require
# Only the script itself cleans up: a subshell killed before it has reset its traps (a
# watchdog ended early) would otherwise run this EXIT trap too, and end the nodes and
# delete the work directory under the running test.
trap '[ "$BASHPID" = "$$" ] && lab_cleanup' EXIT

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
stamp() { while IFS= read -r line; do echo "${EPOCHREALTIME/./} $line"; done; }  # microseconds
ms_now() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
# wait_line FILE PATTERN SECONDS: the millisecond stamp of the first line matching PATTERN.
wait_line() {
  local deadline=$(($(ms_now) + $3 * 1000)) line
  while [ "$(ms_now)" -lt $deadline ]; do
    line=$(grep -m1 -- "$2" "$1") && { echo $((${line%% *} / 1000)); return 0; }
    sleep 0.01
  done
  return 1
}

lab_bridge
lab_host 1
lab_host 2
lab_avahi_start 1 && lab_avahi_start 2 || exit 1
lab_node 1 observer --name Observer --user observer || exit 1

# ---- 1. Start to appearance, against avahi-publish / avahi-browse ------------------------
events=$lab_work/events
lab_ctl --profile observer events 2>/dev/null | stamp >"$events" &
lab_pids+=($!)
browse=$lab_work/browse
lab_in 1 avahi-browse -p _sipuri._udp 2>/dev/null | stamp >"$browse" &
lab_pids+=($!)
sleep 0.5

node_added=() node_reachable=() reference=()
for i in $(seq "$rounds"); do
  # Reference: a plain service, published and withdrawn.
  : >"$browse.round"
  start=$(ms_now)
  lab_exec 2 avahi-publish -s "reference-$i" _sipuri._udp 7000 txtvers=1 >/dev/null 2>&1 &
  publisher=$!
  seen=$(wait_line "$browse" "+;.*;IPv4;reference-$i;" 5) && reference+=($((seen - start)))
  kill "$publisher"; wait "$publisher" 2>/dev/null
  wait_line "$browse" "-;.*;IPv4;reference-$i;" 5 >/dev/null

  # A node: started, seen, reachable, quit.
  start=$(ms_now)
  lab_spawn 2 subject --name "Subject $i" --user subject
  added=$(wait_line "$events" "\"event\":\"peer.added\".*\"name\":\"Subject $i\"" 5) &&
    node_added+=($((added - start)))
  reachable=$(wait_line "$events" "\"name\":\"Subject $i\".*\"reachable\":true" 5) &&
    node_reachable+=($((reachable - start)))
  lab_ready subject >/dev/null
  lab_ctl --profile subject quit >/dev/null
  wait "${lab_node[subject]}" 2>/dev/null
  unset "lab_node[subject]"
  wait_line "$events" "\"event\":\"peer.removed\".*\"name\":\"Subject $i\"" 5 >/dev/null
  echo "round $i: node seen ${node_added[-1]:-?} ms, reachable ${node_reachable[-1]:-?} ms; avahi-publish seen ${reference[-1]:-?} ms"
done
med_added=$(printf '%s\n' "${node_added[@]}" | median)
med_reach=$(printf '%s\n' "${node_reachable[@]}" | median)
med_ref=$(printf '%s\n' "${reference[@]}" | median)
echo "node start -> in peers: median ${med_added} ms over ${#node_added[@]} (goal < 1200)"
echo "node start -> reachable: median ${med_reach} ms over ${#node_reachable[@]}"
echo "reference avahi-publish -> avahi-browse: median ${med_ref} ms over ${#reference[@]}"

# ---- 2. 100 services at once ------------------------------------------------------------
bulk=100
base=$(lab_peers observer | wc -l)
start=$(ms_now)
for i in $(seq "$bulk"); do
  lab_exec 2 avahi-publish -s "Bulk $i" _sip._udp $((8000 + i)) presence=online software=bench \
    >/dev/null 2>&1 &
  lab_pids+=($!)
done
listed=0
while [ $(($(ms_now) - start)) -lt 15000 ]; do
  listed=$(lab_ctl --profile observer peers | jq '[.peers[] | select(.name | startswith("Bulk "))] | length')
  [ "$listed" -ge "$bulk" ] && break
  sleep 0.05
done
bulk_ms=$(($(ms_now) - start))
echo "$bulk services published at once -> $listed listed in ${bulk_ms} ms (goal < 3000)"

if [ "$check" = --check ]; then
  [ "$med_added" -lt 1200 ] && [ "$listed" -ge "$bulk" ] && [ "$bulk_ms" -lt 3000 ] || exit 1
fi
