#!/usr/bin/env bash
# CPU of an established Opus call at each end: Lanline <-> Lanline and baresip <->
# baresip in the same run, over 127.0.0.1.
#
#   bash tests/bench/media_cpu_bench.sh [LANLINE_BIN] [--seconds N] [--only baresip|lanline]
#
# Both UAs use real audio devices: a private PulseAudio server (tests/lib/pulse_lab.sh)
# where each end's microphone is the monitor of a null sink that module-sine plays into
# (440 Hz at the caller, 620 Hz at the callee: the encoder gets a signal, not silence)
# and its speaker another null sink.
# Lanline runs with `--audio-source device --audio-sink device`, baresip with its alsa
# module on ALSA's "pulse" device. Once the call is up and 3 s have passed, the user +
# system CPU time of each process is read from /proc/PID/stat before and after N
# seconds (default 20) and reported as % of one core, with the resident memory, and
# the PulseAudio daemon's share (the same server serves both runs).
# Exit 0 when the run completed, 1 when Lanline could not be measured, 2 on a setup error.
set -uo pipefail
seconds=20
only=""
bin_arg=""
while (( $# )); do
  case "$1" in
    --seconds) seconds=$2; shift ;;
    --only) only=$2; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "media_cpu_bench: unknown option $1" >&2; exit 2 ;;
    *) bin_arg=$1 ;;
  esac
  shift
done
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
lanline=${bin_arg:-${LANLINE_BIN:-$repo/build/src/app/lanline}}
[[ $only == baresip || -x $lanline ]] || { echo "media_cpu_bench: no lanline at $lanline" >&2; exit 2; }
[[ $only == baresip ]] || lanline=$(readlink -f "$lanline")
for tool in pulseaudio pactl baresip; do
  command -v "$tool" >/dev/null || { echo "media_cpu_bench: $tool not found" >&2; exit 2; }
done
source "$repo/tests/lib/pulse_lab.sh"
source "$repo/tests/lib/baresip_lab.sh"

work=$(mktemp -d /tmp/lanline-mediacpu.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do baresip_lab_stop "$p"; done
  pulse_lab_stop
  if [[ ${KEEP:-0} == 1 ]]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
}
# Only the script itself cleans up: a subshell killed before it has reset its traps (a
# watchdog ended early) would otherwise run this EXIT trap too, and end the nodes and
# delete the work directory under the running test.
trap '[ "$BASHPID" = "$$" ] && cleanup' EXIT
trap 'exit 130' INT TERM
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

pulse_lab_start "$work/pulse" spk_a spk_b mic_a mic_b || exit 2
# A sine played into each "microphone" null sink; the UAs record its monitor. (Lanline's
# pulsesrc got nothing from a module-sine-source, baresip's ALSA path did; the monitor
# of a null sink works for both, as in latency_bench.sh.)
pactl load-module module-sine sink=mic_a frequency=440 >/dev/null
pactl load-module module-sine sink=mic_b frequency=620 >/dev/null

free_port() {
  local p n
  for (( n = 0; n < 200; n++ )); do
    p=$(( 20000 + RANDOM % 10000 ))
    if [[ -z $(ss -Hlun "sport = :$p or sport = :$((p + 1))") &&
          -z $(ss -Hltn "sport = :$p or sport = :$((p + 1))") ]]; then
      echo "$p"; return 0
    fi
  done
  return 1
}
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo "?"; }
hz=$(getconf CLK_TCK)
declare -a rows=()
# sample LABEL PID_A PID_B: CPU of each over $seconds, as % of one core.
sample() {
  local label=$1 a=$2 b=$3 ta tb tp t0 t1 ra rb
  ta=$(ticks "$a"); tb=$(ticks "$b"); tp=$(ticks "$PULSE_LAB_PID"); t0=$(date +%s.%N)
  sleep "$seconds"
  t1=$(date +%s.%N)
  ra=$(rss_kb "$a"); rb=$(rss_kb "$b")
  rows+=("$(awk -v l="$label" -v a0="$ta" -v a1="$(ticks "$a")" -v b0="$tb" -v b1="$(ticks "$b")" \
    -v p0="$tp" -v p1="$(ticks "$PULSE_LAB_PID")" -v s0="$t0" -v s1="$t1" -v hz="$hz" \
    -v ra="$ra" -v rb="$rb" 'BEGIN { s = s1 - s0
      printf "%-24s | %6.1f%% | %6.1f%% | %8s kB | %8s kB | %6.1f%%", l,
        100 * (a1 - a0) / hz / s, 100 * (b1 - b0) / hz / s, ra, rb, 100 * (p1 - p0) / hz / s }')")
  log "${rows[-1]}"
}

baresip_run() {
  local d=$work/baresip pa pb i
  pa=$(free_port) && pb=$(free_port) || return 1
  [[ $pa == "$pb" ]] && pb=$(( pa + 10 ))
  baresip_lab_config "$d/b" 127.0.0.1 "$pb" callee opus/48000/2 alsa,pulse alsa,pulse
  baresip_lab_config "$d/a" 127.0.0.1 "$pa" caller opus/48000/2 alsa,pulse alsa,pulse
  PULSE_SOURCE=mic_b.monitor PULSE_SINK=spk_b baresip_lab_start "$d/b" || return 1
  local pid_b=$BARESIP_PID
  pids+=("$pid_b")
  PULSE_SOURCE=mic_a.monitor PULSE_SINK=spk_a baresip_lab_start "$d/a" -e "/dial sip:callee@127.0.0.1:$pb" || return 1
  local pid_a=$BARESIP_PID
  pids+=("$pid_a")
  for (( i = 0; i < 50; i++ )); do grep -q 'Call established' "$d/a/baresip.log" && break; sleep 0.1; done
  if grep -q 'Call established' "$d/a/baresip.log"; then
    sleep 3
    sample "baresip <-> baresip" "$pid_a" "$pid_b"
  else
    rows+=("baresip <-> baresip     | call not established")
  fi
  baresip_lab_stop "$pid_a"
  baresip_lab_stop "$pid_b"
}

lanline_run() {
  local pa pb i
  export XDG_RUNTIME_DIR=$work/xdg/run XDG_CONFIG_HOME=$work/xdg/config XDG_DATA_HOME=$work/xdg/data
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
  pa=$(free_port) && pb=$(free_port) || return 1
  [[ $pa == "$pb" ]] && pb=$(( pa + 10 ))
  PULSE_SOURCE=mic_b.monitor PULSE_SINK=spk_b "$lanline" --headless --profile cpu-b --user callee \
    --sip-port "$pb" --no-discovery --auto-answer --audio-source device --audio-sink device \
    > "$work/lanline-b.log" 2>&1 &
  local pid_b=$!
  pids+=("$pid_b")
  PULSE_SOURCE=mic_a.monitor PULSE_SINK=spk_a "$lanline" --headless --profile cpu-a --user caller \
    --sip-port "$pa" --no-discovery --audio-source device --audio-sink device \
    > "$work/lanline-a.log" 2>&1 &
  local pid_a=$!
  pids+=("$pid_a")
  for p in cpu-a cpu-b; do
    for (( i = 0; i < 50; i++ )); do "$lanline" ctl --profile $p status >/dev/null 2>&1 && break; sleep 0.1; done
  done
  "$lanline" ctl --profile cpu-a call "sip:callee@127.0.0.1:$pb" >/dev/null
  for (( i = 0; i < 50; i++ )); do
    "$lanline" ctl --profile cpu-a calls 2>/dev/null | grep -q '"state":"established"' && break
    sleep 0.1
  done
  if "$lanline" ctl --profile cpu-a calls 2>/dev/null | grep -q '"state":"established"'; then
    sleep 3
    sample "lanline <-> lanline" "$pid_a" "$pid_b"
    # Proof that media flowed: the caller's RTP counters.
    rows[-1]+=" | caller: $("$lanline" ctl --profile cpu-a calls | grep -o '"packets_received":[0-9]*,"packets_sent":[0-9]*' | tr -d '"')"
    LANLINE_DONE=1
  else
    rows+=("lanline <-> lanline     | call not established: $(tail -n 2 "$work/lanline-a.log" | tr '\n' ' ')")
  fi
  "$lanline" ctl --profile cpu-a hangup >/dev/null 2>&1
  baresip_lab_stop "$pid_a"
  baresip_lab_stop "$pid_b"
}

LANLINE_DONE=0
[[ $only == lanline ]] || baresip_run
[[ $only == baresip ]] || lanline_run

echo
echo "CPU of an established Opus call, $seconds s, % of one core ($(nproc) CPUs: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo))"
echo "devices: PulseAudio null sinks (sines of 440 / 620 Hz into the microphones); pulse: the sound server's own share"
printf '%-24s | %7s | %7s | %11s | %11s | %7s\n' "call" caller callee "caller RSS" "callee RSS" pulse
for r in "${rows[@]}"; do echo "$r"; done
read -r load1 _ < /proc/loadavg
echo "load average: $load1"
[[ $only == baresip ]] || (( LANLINE_DONE )) || exit 1
exit 0
