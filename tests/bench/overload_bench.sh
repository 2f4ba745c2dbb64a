#!/usr/bin/env bash
# Overload control: SIPp offers calls with media faster than a node can set them up, and
# every INVITE must still get a prompt final answer: a call (200) or a refusal (503 with
# Retry-After, RFC 3261 21.5.4), never silence that SIPp has to retransmit into.
#
#   bash tests/bench/overload_bench.sh [LANLINE_BIN] [--rate N] [--calls N]
#
# The node: headless, auto-answering, media as in load_bench.sh (a test tone out, nothing
# played). SIPp: tests/bench/sipp/uac_or_503.xml (the built-in uac, plus a 503 as a good
# end) at RATE calls/s (default 600: twice the ~300/s a node holds here with media,
# docs/PERFORMANCE.md) for CALLS calls (default 20 s worth), each held 100 ms. In the same
# run, the same offer to baresip (auto-answering, PCMU from a WAV), which has no overload
# control: the reference.
# Prints per target: calls set up, refused with 503, failed (no final answer, a timeout,
# anything else), INVITE-to-final-answer median and 99th percentile, SIPp's
# retransmissions, and resident memory before, at the peak, and SETTLE s after (default
# 40). Goal for Lanline: 0 failed, p99 under 500 ms (SIPp's first retransmission).
# Needs sipp, baresip, sox. Exit 0 when Lanline was measured, 1 when not, 2 on a usage error.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
lanline=""
rate=600
calls=""
while (($#)); do
  case $1 in
    --rate) rate=$2; shift ;;
    --calls) calls=$2; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) lanline=$1 ;;
  esac
  shift
done
lanline=$(readlink -f "${lanline:-${LANLINE_BIN:-$repo/build/src/app/lanline}}")
calls=${calls:-$((rate * 20))}
settle=${SETTLE:-40}
scenario=$repo/tests/bench/sipp/uac_or_503.xml
[[ -x $lanline ]] || { echo "overload_bench: no lanline at $lanline" >&2; exit 2; }
for tool in sipp baresip sox ss; do
  command -v "$tool" >/dev/null || { echo "overload_bench: $tool is missing" >&2; exit 2; }
done

work=$(mktemp -d /tmp/lanline-overload.XXXXXX)
node_pid=""
cleanup() {
  [[ -n $node_pid ]] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null
  if [[ ${KEEP:-0} == 1 ]]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
}
trap '[ "$BASHPID" = "$$" ] && cleanup' EXIT
log() { echo "[$(date +%H:%M:%S)] $*"; }
free_port() {
  local p n
  for ((n = 0; n < 200; n++)); do
    p=$((20000 + RANDOM % 10000))
    [[ -z $(ss -Hlun "sport = :$p") && -z $(ss -Hltn "sport = :$p") ]] && { echo "$p"; return 0; }
  done
  return 1
}
rss_mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"; }

start_lanline() {
  local port=$1
  mkdir -p "$work/xdg/run" && chmod 700 "$work/xdg/run"
  XDG_RUNTIME_DIR=$work/xdg/run XDG_CONFIG_HOME=$work/xdg/config XDG_DATA_HOME=$work/xdg/data \
    "$lanline" --headless --profile overload --sip-port "$port" --user service --auto-answer \
    --no-discovery --audio-source test:440 --audio-sink null >"$work/lanline.log" 2>&1 &
  node_pid=$!
  for _ in $(seq 50); do
    XDG_RUNTIME_DIR=$work/xdg/run "$lanline" ctl --profile overload status >/dev/null 2>&1 &&
      return 0
    sleep 0.1
  done
  return 1
}
start_baresip() {
  local port=$1 d=$work/baresip
  mkdir -p "$d"
  sox -n -r 8000 -c 1 -b 16 "$d/tone.wav" synth 2 sine 440
  cat >"$d/config" <<CONF
poll_method		epoll
sip_listen		127.0.0.1:$port
call_local_timeout	120
call_max_calls		100000
audio_player		aufile,/dev/null
audio_source		aufile,$d/tone.wav
audio_alert		aufile,/dev/null
module_path		/usr/lib/baresip/modules
module			g711.so
module			aufile.so
module_app		account.so
module_app		menu.so
CONF
  echo '<sip:service@127.0.0.1>;regint=0;answermode=auto;audio_codecs=PCMU' >"$d/accounts"
  # baresip polls stdin: /dev/null cannot be polled (EPERM), so give it a FIFO held
  # open read-write (load_bench.sh does the same).
  mkfifo "$d/stdin"
  exec 3<>"$d/stdin"
  baresip -f "$d" <&3 >"$work/baresip.log" 2>&1 &
  node_pid=$!
  for _ in $(seq 50); do
    grep -q 'baresip is ready' "$work/baresip.log" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# measure TARGET: start it, offer the calls, print its line of figures.
measure() {
  local target=$1 port dir=$work/$1
  mkdir -p "$dir"
  port=$(free_port)
  if ! "start_$target" "$port"; then
    echo "$target: did not start"
    return 1
  fi
  local before peak=0 r
  before=$(rss_mb "$node_pid")
  (cd "$dir" && exec sipp -sf "$scenario" -s service "127.0.0.1:$port" -i 127.0.0.1 \
    -p "$(free_port)" -r "$rate" -m "$calls" -l $((rate * 4)) -d 100 \
    -timeout "$((calls / rate + 60))s" -timeout_error -nostdin -trace_stat -stf stat.csv \
    -fd 1 -trace_counts -trace_rtt -rtt_freq 1 >sipp.out 2>&1) &
  local sipp_pid=$!
  while kill -0 "$sipp_pid" 2>/dev/null; do
    r=$(rss_mb "$node_pid")
    [[ $r != "?" ]] && ((r > peak)) && peak=$r
    sleep 0.5
  done
  wait "$sipp_pid"
  sleep "$settle"
  local after
  after=$(rss_mb "$node_pid")
  kill "$node_pid" 2>/dev/null
  wait "$node_pid" 2>/dev/null
  node_pid=""
  # SIPp's last statistics row, and the count of 503s received (its counts file).
  local ok failed retrans refused median p99
  read -r ok failed retrans < <(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { last = $0 } END { split(last, v, ";")
      print v[c["SuccessfulCall(C)"]] + 0, v[c["FailedCall(C)"]] + 0, v[c["Retransmissions(C)"]] + 0 }' \
    "$dir/stat.csv")
  refused=$(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /_503_Recv$/) col = i; next }
    { last = $0 } END { split(last, v, ";"); print (col ? v[col] : 0) + 0 }' "$dir"/*_counts.csv)
  read -r median p99 < <(awk -F';' 'NR > 1 { print $2 }' "$dir"/*_rtt.csv | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) { print "- -"; exit }
      m = v[int((NR + 1) / 2)]; p = v[int(NR * 0.99 + 0.999)]; printf "%.0f %.0f\n", m, p }')
  local unfinished=$((calls - ok - failed))
  ((unfinished > 0)) && failed=$((failed + unfinished))
  printf '%-8s offered %d at %d/s: set up %d, refused 503 %d, failed %d; final answer median %s ms, p99 %s ms; retransmissions %d; RSS %s -> peak %s -> %s MB (%s s after)\n' \
    "$target" "$calls" "$rate" "$((ok - refused))" "$refused" "$failed" "$median" "$p99" \
    "$retrans" "$before" "$peak" "$after" "$settle"
  [[ $target == lanline ]] && lanline_line=(failed=$failed p99=$p99)
  return 0
}

log "lanline: $lanline; $(nproc) CPUs; load average $(cut -d' ' -f1 /proc/loadavg)"
lanline_line=()
measure lanline || exit 1
measure baresip || true
failed=${lanline_line[0]#failed=}
p99=${lanline_line[1]#p99=}
if [[ $failed == 0 && $p99 != "-" ]] && ((p99 < 500)); then
  echo "Lanline offered ${rate}/s: every INVITE answered (a call or a 503), p99 ${p99} ms; goal met"
else
  echo "Lanline offered ${rate}/s: $failed calls failed, p99 ${p99} ms; goal (0 failed, p99 < 500 ms) not met"
fi
