#!/usr/bin/env bash
# SIP load benchmark: SIPp's built-in uac at rising call rates against an
# auto-answering Lanline node and, in the same run, an auto-answering baresip.
#
#   bash tests/bench/load_bench.sh [LANLINE_BIN] [--quick]
#
# LANLINE_BIN defaults to $LANLINE_BIN, else build/src/app/lanline of this checkout.
# For each target it reports the highest offered rate (calls/s) at which every call of
# the run, and of every lower rate, succeeded; the median and 99th percentile
# INVITE-to-200 time at that rate (SIPp response time 1); and the resident memory
# (VmRSS) before a MEM_CALLS-call run, right after it, and after SETTLE seconds more
# (Lanline keeps a finished call 32 s for late retransmissions).
# --quick: a short version for CI (3 rates, 2,000-call memory run, no warm-up, no
# sustained run, a short pause between rates).
#
# Media: each answered call gets its media set up, as baresip's does (baresip sends an
# aufile tone, PCMU, as SIPp's uac offers): Lanline runs with LANLINE_MEDIA_ARGS, by
# default "--audio-source test:440 --audio-sink null" (a tone out, nothing played);
# LANLINE_MEDIA_ARGS=" " runs Lanline with its defaults.
#
# Environment overrides: LANLINE_BIN, RATES ("50 100 ..."), MEM_CALLS, MEM_RATE,
# SETTLE (s), RATE_GAP (s between rates), PAUSE_MS (SIPp -d), SUSTAIN_S (0: skip),
# LANLINE_LOG_LEVEL (default: the node's default), KEEP=1 (keep the work directory),
# TARGETS ("lanline baresip").
# Needs: sipp (Debian sip-tester), baresip (baresip-core), sox, awk.
# Exit: 0 when the benchmark ran (whatever the figures); 1 when Lanline could not
# be measured; 2 on a usage or setup error.
set -uo pipefail

quick=0
bin_arg=""
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    -*) echo "load_bench: unknown option $a" >&2; exit 2 ;;
    *) if [[ -n $bin_arg ]]; then echo "usage: $0 [LANLINE_BIN] [--quick]" >&2; exit 2; fi
       bin_arg=$a ;;
  esac
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
lanline=${bin_arg:-${LANLINE_BIN:-$repo/build/src/app/lanline}}
if [[ ! -x $lanline ]]; then
  echo "load_bench: no lanline binary at $lanline (pass LANLINE_BIN)" >&2
  exit 2
fi
lanline=$(cd "$(dirname "$lanline")" && pwd)/$(basename "$lanline")
for tool in sipp baresip sox awk sort ss; do
  if ! command -v "$tool" >/dev/null; then
    echo "load_bench: $tool not found" >&2
    exit 2
  fi
done

if (( quick )); then
  rates=(${RATES:-100 200 400})
  mem_calls=${MEM_CALLS:-2000}
  warmup_calls=0
  rate_gap=${RATE_GAP:-5}
  sustain_s=${SUSTAIN_S:-0}
  wire=${WIRE:-0}
else
  rates=(${RATES:-50 100 200 300 400 600 800 1000 1500 2000})
  mem_calls=${MEM_CALLS:-10000}
  warmup_calls=2000
  # Lanline keeps a finished call 32 s: each rate starts with none left from the last.
  rate_gap=${RATE_GAP:-35}
  sustain_s=${SUSTAIN_S:-60}
  wire=${WIRE:-1}
fi
mem_rate=${MEM_RATE:-100}
settle=${SETTLE:-40}
pause_ms=${PAUSE_MS:-100}
targets=(${TARGETS:-lanline baresip})

work=$(mktemp -d /tmp/lanline-load.XXXXXX)
chmod 700 "$work"
lanline_pid=""
baresip_pid=""
sipp_pid=""
capture_pid=""

stop_pid() {  # PID: TERM, then KILL after 5 s
  local pid=$1 i
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for (( i = 0; i < 50; i++ )); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}
cleanup() {
  stop_pid "$sipp_pid"
  stop_pid "$capture_pid"
  stop_pid "$lanline_pid"
  stop_pid "$baresip_pid"
  exec 3>&- 2>/dev/null
  if [[ ${KEEP:-0} == 1 ]]; then
    echo "load_bench: work directory kept: $work" >&2
  else
    rm -rf "$work"
  fi
}
# Only the script itself cleans up: a subshell killed before it has reset its traps (a
# watchdog ended early) would otherwise run this EXIT trap too, and end the nodes and
# delete the work directory under the running test.
trap '[ "$BASHPID" = "$$" ] && cleanup' EXIT
trap 'exit 130' INT TERM

log() { echo "[$(date +%H:%M:%S)] $*"; }

# A port free for UDP and TCP on every address, outside the ephemeral range.
free_port() {
  local p n
  for (( n = 0; n < 200; n++ )); do
    p=$(( 20000 + RANDOM % 10000 ))
    if [[ -z $(ss -Hlun "sport = :$p") && -z $(ss -Hltn "sport = :$p") ]]; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

cpu_ticks() { [[ -n $1 ]] && awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo "?"; }

# --- the machine ----------------------------------------------------------------
buildtype="?"
if [[ -r $(dirname "$lanline")/../../meson-info/intro-buildoptions.json ]]; then
  buildtype=$(grep -o '"name": "buildtype", "value": "[a-z]*"' \
    "$(dirname "$lanline")/../../meson-info/intro-buildoptions.json" | awk -F'"' '{print $8}')
fi
log "lanline: $lanline (meson buildtype $buildtype)"
log "$(sipp -v 2>&1 | grep -o 'SIPp v[^ ]*' | head -1), $(baresip -h 2>&1 | head -1 | cut -d' ' -f1-2)"
log "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), Linux $(uname -r)"
read -r load1 _ < /proc/loadavg
log "load average before the runs: $load1"
if awk -v l="$load1" 'BEGIN { exit !(l >= 1.0) }'; then
  echo "warning: the machine is busy (load $load1); rates will be low and noisy" >&2
fi
log "lanline media: ${LANLINE_MEDIA_ARGS:---audio-source test:440 --audio-sink null}"
log "mode: $( ((quick)) && echo quick || echo full); rates: ${rates[*]}; SIPp -d $pause_ms ms;" \
    "memory: $mem_calls calls at $mem_rate/s, settle $settle s; work: $work"

# --- the targets ----------------------------------------------------------------
declare -A port=() pid_of=() broken=()

start_lanline() {
  local p
  p=$(free_port) || { broken[lanline]="no free port"; return 1; }
  mkdir -p "$work/lanline/run" "$work/lanline/config" "$work/lanline/data"
  chmod 700 "$work/lanline/run"
  export XDG_RUNTIME_DIR=$work/lanline/run XDG_CONFIG_HOME=$work/lanline/config \
         XDG_DATA_HOME=$work/lanline/data
  local extra=()
  [[ -n ${LANLINE_LOG_LEVEL:-} ]] && extra+=(--log-level "$LANLINE_LOG_LEVEL")
  # shellcheck disable=SC2206
  extra+=(${LANLINE_MEDIA_ARGS:---audio-source test:440 --audio-sink null})
  "$lanline" --headless --profile load --sip-port "$p" --user service --auto-answer \
    --no-discovery "${extra[@]}" > "$work/lanline/node.log" 2>&1 &
  lanline_pid=$!
  local status="" i
  for (( i = 0; i < 50; i++ )); do
    sleep 0.1
    kill -0 "$lanline_pid" 2>/dev/null || break
    status=$("$lanline" ctl --profile load status 2>/dev/null) && break
  done
  if [[ -z $status ]]; then
    broken[lanline]="the node did not start: $(tail -n 3 "$work/lanline/node.log" | tr '\n' ' ')"
    return 1
  fi
  # The node takes the next free port if ours was taken meanwhile: believe its status.
  port[lanline]=$(grep -o '"sip_port":[0-9]*' <<<"$status" | cut -d: -f2)
  pid_of[lanline]=$lanline_pid
  log "lanline: pid $lanline_pid on 127.0.0.1:${port[lanline]}"
}

start_baresip() {
  local p d=$work/baresip
  p=$(free_port) || { broken[baresip]="no free port"; return 1; }
  mkdir -p "$d/config"
  # aufile reads 16-bit PCM only: sox's default for -n synth is 32-bit.
  sox -n -r 8000 -c 1 -b 16 "$d/tone.wav" synth 2 sine 440
  # LAB.md's recipe, plus call_max_calls: the config template's default of 4
  # simultaneous calls would turn this into a test of that setting.
  cat > "$d/config/config" <<EOF
poll_method		epoll
sip_listen		127.0.0.1:$p
call_local_timeout	120
call_max_calls		100000
audio_player		aufile,/dev/null
audio_source		aufile,$d/tone.wav
audio_alert		aufile,/dev/null
module_path		/usr/lib/baresip/modules
module			g711.so
module			opus.so
module			aufile.so
module_app		account.so
module_app		menu.so
EOF
  # The user part matches SIPp's -s service, so one command serves both targets.
  echo '<sip:service@127.0.0.1>;regint=0;answermode=auto;audio_codecs=PCMU' > "$d/config/accounts"
  # baresip polls stdin: /dev/null cannot be polled (EPERM), so give it a FIFO we
  # hold open read-write (no writer process needed).
  mkfifo "$d/stdin"
  exec 3<>"$d/stdin"
  baresip -f "$d/config" <&3 > "$d/baresip.log" 2>&1 &
  baresip_pid=$!
  local i
  for (( i = 0; i < 50; i++ )); do
    sleep 0.1
    kill -0 "$baresip_pid" 2>/dev/null || break
    grep -q 'baresip is ready' "$d/baresip.log" && break
  done
  if ! grep -q 'baresip is ready' "$d/baresip.log"; then
    broken[baresip]="baresip did not start: $(tail -n 3 "$d/baresip.log" | tr '\n' ' ')"
    return 1
  fi
  port[baresip]=$p
  pid_of[baresip]=$baresip_pid
  log "baresip: pid $baresip_pid on 127.0.0.1:$p"
}

# --- one SIPp run -----------------------------------------------------------------
# run_sipp TARGET NAME RATE CALLS: leaves in $work/runs/TARGET-NAME stat.csv, rtt.csv,
# errors.log, and sets: r_rc r_ok r_failed r_retrans r_median r_p99 r_reasons r_secs r_cpu
run_sipp() {
  local target=$1 name=$2 rate=$3 calls=$4
  local dir=$work/runs/$target-$name sport limit timeout t0 t1
  mkdir -p "$dir"
  sport=$(free_port)
  limit=$(( rate * 4 ))
  (( limit < 200 )) && limit=200
  timeout=$(( calls / rate + 30 ))
  (( timeout < 60 )) && timeout=60
  local cpu0
  cpu0=$(cpu_ticks "${pid_of[$target]:-}")
  if (( ${with_capture:-0} )); then
    dumpcap -q -i lo -f "udp port ${port[$target]}" -B 64 -w "$dir/wire.pcapng" \
      > "$dir/dumpcap.out" 2>&1 &
    capture_pid=$!
    local n
    for (( n = 0; n < 30; n++ )); do [[ -s $dir/wire.pcapng ]] && break; sleep 0.1; done
  fi
  t0=$(date +%s.%N)
  ( cd "$dir" && exec sipp -sn uac -s service "127.0.0.1:${port[$target]}" \
      -i 127.0.0.1 -p "$sport" -r "$rate" -m "$calls" -l "$limit" -d "$pause_ms" \
      -timeout "${timeout}s" -timeout_error -nostdin \
      -trace_stat -stf stat.csv -fd 1 -trace_counts \
      -trace_rtt -rtt_freq 1 -trace_err -error_file errors.log \
      -trace_screen -screen_file screen.log > sipp.out 2>&1 ) &
  sipp_pid=$!
  wait "$sipp_pid"
  r_rc=$?
  sipp_pid=""
  t1=$(date +%s.%N)
  if [[ -n $capture_pid ]]; then
    sleep 0.5
    stop_pid "$capture_pid"
    capture_pid=""
  fi
  r_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  # CPU the target used during the run, in % of one core.
  r_cpu=$(awk -v a="$cpu0" -v b="$(cpu_ticks "${pid_of[$target]:-}")" -v s="$r_secs" \
    -v hz="$(getconf CLK_TCK)" 'BEGIN { if (s > 0) printf "%.0f", 100 * (b - a) / hz / s; else print "?" }')
  # The final row of the statistics, by column name.
  local stats
  stats=$(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    { last = $0 }
    END {
      n = split(last, v, ";")
      printf "%d %d %d %d ", v[col["SuccessfulCall(C)"]], v[col["FailedCall(C)"]],
        v[col["Retransmissions(C)"]], v[col["TotalCallCreated"]]
      split("FailedMaxUDPRetrans FailedUnexpectedMessage FailedCannotSendMessage FailedCallRejected FailedOutboundCongestion FailedTimeoutOnRecv FailedTimeoutOnSend FailedTcpConnect FailedTcpClosed", k, " ")
      s = ""
      for (j in k) { c = col[k[j] "(C)"]; if (c && v[c] > 0) s = s k[j] "=" v[c] "," }
      print (s == "" ? "-" : s)
    }' "$dir/stat.csv" 2>/dev/null)
  local created
  read -r r_ok r_failed r_retrans created r_reasons <<<"${stats:-0 0 0 0 -}"
  # At -timeout SIPp quits: calls still under way, and calls it never placed (its -l
  # cap on calls under way held them back), are counted by neither SIPp counter.
  local hanging=$(( created - r_ok - r_failed )) unplaced=$(( calls - created ))
  if (( hanging > 0 )); then
    r_reasons="${r_reasons%-}unfinished-at-timeout=$hanging,"
    r_failed=$(( r_failed + hanging ))
  fi
  if (( unplaced > 0 )); then
    r_reasons="${r_reasons%-}never-placed=$unplaced,"
    r_failed=$(( r_failed + unplaced ))
  fi
  if (( r_rc != 0 && r_failed == 0 )); then
    r_failed=$(( calls - r_ok ))
    (( r_failed == 0 )) && r_failed=1
    r_reasons="${r_reasons%-}sipp-exit-$r_rc,"
  fi
  # SIPp response time 1: from the start of the call (the first INVITE sent) to the
  # 200 (the built-in uac's rtd="true"), in ms; nearest-rank percentiles.
  local rtt
  rtt=$(ls "$dir"/*_rtt.csv 2>/dev/null | head -1)
  if [[ -n $rtt ]]; then
    read -r r_median r_p99 < <(awk -F';' 'NR > 1 && $3 == 1 { print $2 }' "$rtt" | sort -g |
      awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "- -"; exit }
        m = int(NR * 0.50); if (m < NR * 0.50) m++
        p = int(NR * 0.99); if (p < NR * 0.99) p++
        printf "%g %g\n", v[m], v[p] }')
  else
    r_median=-; r_p99=-
  fi
}

# wire_times TARGET NAME: INVITE-to-200 as seen on the loopback interface, from the
# capture of run NAME (first INVITE of a Call-ID to the first 200 for CSeq INVITE);
# sets w_n w_median w_p99 (ms, microsecond resolution) and w_note.
wire_times() {
  local dir=$work/runs/$1-$2
  w_n=0; w_median=-; w_p99=-
  w_note=$(grep -io 'packets dropped[^.]*' "$dir/dumpcap.out" 2>/dev/null | head -1)
  read -r w_n w_median w_p99 < <(tshark -r "$dir/wire.pcapng" -d "udp.port==${port[$1]},sip" \
      -Y 'sip.CSeq.method == "INVITE"' -T fields -E separator=';' \
      -e frame.time_epoch -e sip.Call-ID -e sip.Method -e sip.Status-Code 2>/dev/null |
    awk -F';' '$3 == "INVITE" && !($2 in t0) { t0[$2] = $1 }
      $4 == "200" && ($2 in t0) && !($2 in done) { done[$2] = 1; printf "%.3f\n", ($1 - t0[$2]) * 1000 }' |
    sort -g | awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "0 - -"; exit }
      m = int(NR * 0.50); if (m < NR * 0.50) m++
      p = int(NR * 0.99); if (p < NR * 0.99) p++
      printf "%d %.3f %.3f\n", NR, v[m], v[p] }')
}

# --- check that each target answers --------------------------------------------------
check_target() {
  local t=$1
  run_sipp "$t" check 1 1
  if (( r_rc != 0 || r_ok != 1 )); then
    local why
    why=$(grep -v '^The following' "$work/runs/$t-check/errors.log" 2>/dev/null | head -c 400 | tr '\n\r' '  ')
    broken[$t]="a single SIPp call failed (sipp exit $r_rc): ${why:-no SIPp error text}"
    [[ $t == baresip ]] && broken[$t]+="; baresip log: $(tail -n 5 "$work/baresip/baresip.log" | tr '\n' ' ')"
    return 1
  fi
  log "$t: answers (INVITE to 200 in ${r_median} ms)"
}

for t in "${targets[@]}"; do
  if "start_$t" && check_target "$t"; then :; else
    log "$t: NOT MEASURED: ${broken[$t]}"
  fi
done

alive() { kill -0 "${pid_of[$1]}" 2>/dev/null; }

# --- memory ---------------------------------------------------------------------------
declare -A rss_idle=() rss_before=() rss_after=() rss_settled=() mem_note=()
for t in "${targets[@]}"; do
  [[ -z ${broken[$t]:-} ]] || continue
  pid=${pid_of[$t]}
  rss_idle[$t]=$(rss_kb "$pid")
  if (( warmup_calls > 0 )); then
    log "$t: warm-up, $warmup_calls calls at $mem_rate/s, then $settle s"
    run_sipp "$t" warmup "$mem_rate" "$warmup_calls"
    sleep "$settle"
  fi
  rss_before[$t]=$(rss_kb "$pid")
  log "$t: memory run, $mem_calls calls at $mem_rate/s (RSS ${rss_before[$t]} kB)"
  run_sipp "$t" memory "$mem_rate" "$mem_calls"
  rss_after[$t]=$(rss_kb "$pid")
  mem_note[$t]="memory run: $r_ok ok, $r_failed failed, $r_retrans retransmissions, median $r_median ms, p99 $r_p99 ms"
  log "$t: ${mem_note[$t]}; RSS ${rss_after[$t]} kB; waiting $settle s"
  sleep "$settle"
  rss_settled[$t]=$(rss_kb "$pid")
  if [[ $t == lanline ]]; then
    mem_note[$t]+="; calls still listed after settling: $("$lanline" ctl --profile load status 2>/dev/null | grep -o '"calls":[0-9]*' | cut -d: -f2)"
  fi
  log "$t: RSS idle ${rss_idle[$t]} kB, before ${rss_before[$t]}, after ${rss_after[$t]}, settled ${rss_settled[$t]}"
  if ! alive "$t"; then broken[$t]="died during the memory run"; log "$t: DIED"; fi
done

# --- rising rates ---------------------------------------------------------------------
declare -A best=() best_median=() best_p99=() best_retrans=() passed=() ladder=()
declare -A sustained=() sus_median=() sus_p99=() sus_notes=() wired=() capped=()
declare -A last_end=() consecutive=() clean=() active=()
# Waits until the target has been idle RATE_GAP seconds.
rest() {
  local t=$1 now wait_s
  [[ -n ${last_end[$t]:-} ]] || return 0
  now=$(date +%s)
  wait_s=$(( last_end[$t] + rate_gap - now ))
  (( wait_s > 0 )) && sleep "$wait_s"
  return 0
}
for t in "${targets[@]}"; do
  [[ -z ${broken[$t]:-} ]] || continue
  best[$t]=0; consecutive[$t]=0; clean[$t]=1; active[$t]=1; capped[$t]=1
done
# The targets take turns at each rate, so a change in the machine's other load
# falls on both.
for rate in "${rates[@]}"; do
  for t in "${targets[@]}"; do
    (( ${active[$t]:-0} )) || continue
    rest "$t"
    calls=$(( rate * 10 ))
    (( calls < 2000 )) && calls=2000
    run_sipp "$t" "r$rate" "$rate" "$calls"
    last_end[$t]=$(date +%s)
    line=$(printf '%-8s %5d/s %6d calls: %6d ok %5d failed %6d retrans  median %4s ms  p99 %5s ms  %5ss  cpu %3s%%  rss %6s kB  %s' \
      "$t" "$rate" "$calls" "$r_ok" "$r_failed" "$r_retrans" "$r_median" "$r_p99" "$r_secs" \
      "$r_cpu" "$(rss_kb "${pid_of[$t]}")" "$([[ $r_reasons == - ]] || echo "$r_reasons")")
    log "$line"
    ladder[$t]+="$line"$'\n'
    if ! alive "$t"; then
      broken[$t]="died at $rate calls/s"
      log "$t: DIED at $rate calls/s"
      active[$t]=0
      continue
    fi
    if (( r_failed == 0 )); then
      consecutive[$t]=0
      if (( clean[$t] )); then
        best[$t]=$rate; best_median[$t]=$r_median; best_p99[$t]=$r_p99; best_retrans[$t]=$r_retrans
        passed[$t]="$rate ${passed[$t]:-}"
      fi
    else
      clean[$t]=0; capped[$t]=0
      consecutive[$t]=$(( consecutive[$t] + 1 ))
      if (( quick || consecutive[$t] >= 2 )); then active[$t]=0; fi
    fi
  done
done
for t in "${targets[@]}"; do
  [[ -n ${best[$t]+x} ]] || continue
  # A 10 s step is shorter than the 32 s a finished call is kept, so it never meets the
  # steady number of kept calls. Hold the passed rates, highest first, for SUSTAIN_S s
  # until one has no failed call.
  sustained[$t]=0
  if (( sustain_s > 0 )) && alive "$t"; then
    for rate in ${passed[$t]:-}; do
      rest "$t"
      run_sipp "$t" "sustain$rate" "$rate" $(( rate * sustain_s ))
      last_end[$t]=$(date +%s)
      note="$rate/s for $sustain_s s: $r_ok ok, $r_failed failed, $r_retrans retrans, median $r_median ms, p99 $r_p99 ms $([[ $r_reasons == - ]] || echo "$r_reasons")"
      log "$t: held $note"
      sus_notes[$t]+="  held $note"$'\n'
      if (( r_failed == 0 )); then
        sustained[$t]=$rate; sus_median[$t]=$r_median; sus_p99[$t]=$r_p99
        break
      fi
      alive "$t" || break
    done
  fi
  # SIPp's clock (CLOCK_MONOTONIC_COARSE) moves in ticks (4 ms at 250 Hz): one more
  # run, captured with dumpcap, times INVITE to 200 to the microsecond on the wire.
  rate=${sustained[$t]}
  (( rate > 0 )) || rate=${best[$t]}
  if (( wire && rate > 0 )) && alive "$t"; then
    rest "$t"
    calls=$(( rate * 10 ))
    (( calls < 2000 )) && calls=2000
    with_capture=1
    run_sipp "$t" "wire$rate" "$rate" "$calls"
    with_capture=0
    wire_times "$t" "wire$rate"
    wired[$t]="$rate/s, $calls calls: $r_ok ok, $r_failed failed; on the wire ($w_n calls): median $w_median ms, p99 $w_p99 ms; SIPp: median $r_median ms, p99 $r_p99 ms${w_note:+; $w_note}"
    log "$t: captured run ${wired[$t]}"
  fi
done

# --- the table ------------------------------------------------------------------------
echo
echo "SIP load: SIPp uac (-d $pause_ms ms) against auto-answering targets on 127.0.0.1"
echo "max rate: highest offered rate with no failed call in its 10 s step nor any lower one;"
echo "median, p99: SIPp response time 1 (INVITE sent to 200 received) at that rate, 4 ms clock;"
echo "retrans: SIPp retransmissions in that step; held ${sustain_s} s: highest of those rates"
echo "with no failed call over $sustain_s s (0: none; -: not run). >=: no tested rate failed."
hdr=$(printf '%-8s | %9s | %7s | %8s | %7s | %10s | %10s | %11s | %11s' target "max rate" median p99 \
  retrans "held ${sustain_s} s" "RSS before" "after $mem_calls" "after $settle s")
echo "$hdr"
echo "${hdr//[^|]/-}" | sed 's/|/+/g'
fmt_rate() { (( $1 > 0 )) && echo "$1/s" || echo "0"; }
for t in "${targets[@]}"; do
  if [[ -z ${best[$t]+x} ]]; then
    printf '%-8s | not measured: %s\n' "$t" "${broken[$t]:-?}"
    continue
  fi
  held=$( (( sustain_s > 0 )) && fmt_rate "${sustained[$t]}" || echo -)
  if (( best[$t] > 0 )); then
    printf '%-8s | %9s | %4s ms | %5s ms | %7s | %10s | %7s kB | %8s kB | %8s kB\n' "$t" \
      "$( ((capped[$t])) && echo ">=")${best[$t]}/s" "${best_median[$t]}" "${best_p99[$t]}" "${best_retrans[$t]}" "$held" \
      "${rss_before[$t]:-?}" "${rss_after[$t]:-?}" "${rss_settled[$t]:-?}"
  else
    printf '%-8s | %9s | %7s | %8s | %7s | %10s | %7s kB | %8s kB | %8s kB\n' "$t" \
      "<${rates[0]}/s" - - - "$held" "${rss_before[$t]:-?}" "${rss_after[$t]:-?}" "${rss_settled[$t]:-?}"
  fi
done
echo
for t in "${targets[@]}"; do
  [[ -n ${ladder[$t]:-} ]] || continue
  echo "$t, every rate (offered; calls = 10 x rate, at least 2000):"
  printf '%s' "${ladder[$t]}" | sed 's/^/  /'
  printf '%s' "${sus_notes[$t]:-}"
  [[ -n ${wired[$t]:-} ]] && echo "  captured: ${wired[$t]}"
  echo "  RSS idle (after one call) ${rss_idle[$t]:-?} kB; ${mem_note[$t]:-}"
  [[ -n ${broken[$t]:-} ]] && echo "  note: ${broken[$t]}"
done
echo
ratio_line() {  # LABEL LANLINE_RATE BARESIP_RATE
  if [[ -n $2 && -n $3 ]] && (( $3 > 0 )); then
    local r verdict
    r=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", a / b }')
    # The verdict is taken on the number, before any words are put around it.
    verdict=$(awk -v r="$r" 'BEGIN { print (r + 0 >= 2 ? "met" : "NOT met") }')
    if (( ${capped[lanline]:-0} )) && [[ $1 == highest\ zero* ]]; then
      r=">= $r (lanline failed at no tested rate)"
      # A lower bound under 2 shows nothing either way: higher rates must be tried.
      [[ $verdict == "NOT met" ]] && verdict="not shown: add rates above ${2}/s to RATES"
    fi
    echo "ratio lanline/baresip, $1: $r (goal >= 2: $verdict)"
  else
    echo "ratio lanline/baresip, $1: n/a (baresip: ${broken[baresip]:-no zero-failure rate})"
  fi
}
if [[ -n ${best[lanline]+x} ]]; then
  ratio_line "highest zero-failure rate (10 s steps)" "${best[lanline]}" "${best[baresip]:-}"
  (( sustain_s > 0 )) &&
    ratio_line "highest rate held $sustain_s s" "${sustained[lanline]}" "${sustained[baresip]:-}"
fi
read -r load1 _ < /proc/loadavg
echo "load average after the runs: $load1"

[[ -n ${best[lanline]+x} ]] || exit 1
exit 0
