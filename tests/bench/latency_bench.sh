#!/usr/bin/env bash
# Mouth-to-ear latency over loopback: Lanline and baresip in the same run.
#
#   bash tests/bench/latency_bench.sh [LANLINE_BIN] [--clicks N] [--only baresip|lanline]
#
# A private PulseAudio server (tests/lib/pulse_lab.sh) holds four null sinks:
#   mouth  the sender's microphone: the sender records mouth.monitor;
#   ear    the receiver's speaker: the receiver plays into it;
#   hush   the receiver's microphone (silence), spare  the sender's speaker.
# Each UA gets its devices through PULSE_SOURCE / PULSE_SINK: Lanline with
# `--audio-source device --audio-sink device` (autoaudiosrc/autoaudiosink -> pulse),
# baresip with its alsa module on ALSA's "pulse" device (Debian's baresip 1.0 has no
# PulseAudio module). tests/bench/latency_probe.c writes a 10 ms 1 kHz burst into mouth
# every 400 ms and dates its onset on mouth.monitor and on ear.monitor (CLOCK_MONOTONIC,
# corrected by PulseAudio's latency figure for each record stream): the difference is
# the time from the click entering the sender's source to it leaving the receiver's
# sink. Before the calls, two runs without a call check the harness:
#   self-check  ear = mouth.monitor: the probe's own error (should be ~0);
#   reference   a module-loopback of 40 ms from mouth.monitor to ear: should read ~40.
# Each call: UA B auto-answers, UA A calls it over 127.0.0.1, SETTLE seconds (default 4)
# to settle, then the probe. Needs pulseaudio, pactl, libpulse-dev (to build the probe), baresip.
# Exit 0 when the run completed (whatever the figures), 1 when Lanline could not be
# measured, 2 on a usage or setup error.
set -uo pipefail

clicks=25
# An idle null sink runs with PulseAudio's longest latency, so a monitor source that a
# call starts recording delivers its first audio ~1.4 s late, in one burst (both UAs'
# logs: nothing from pulsesrc for 1.4 s after it uncorks). Measure after that has passed.
settle=${SETTLE:-4}
only=""
bin_arg=""
while (( $# )); do
  case "$1" in
    --clicks) clicks=$2; shift ;;
    --only) only=$2; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    -*) echo "latency_bench: unknown option $1" >&2; exit 2 ;;
    *) bin_arg=$1 ;;
  esac
  shift
done
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
lanline=${bin_arg:-${LANLINE_BIN:-$repo/build/src/app/lanline}}
[[ $only == baresip || -x $lanline ]] || { echo "latency_bench: no lanline at $lanline" >&2; exit 2; }
[[ $only == baresip ]] || lanline=$(readlink -f "$lanline")
for tool in pulseaudio pactl baresip cc pkg-config; do
  command -v "$tool" >/dev/null || { echo "latency_bench: $tool not found" >&2; exit 2; }
done
source "$repo/tests/lib/pulse_lab.sh"
source "$repo/tests/lib/baresip_lab.sh"

work=$(mktemp -d /tmp/lanline-latency.XXXXXX)
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

probe=${LATENCY_PROBE:-$work/latency_probe}
if [[ ! -x $probe ]]; then
  # shellcheck disable=SC2046
  cc -O2 -o "$probe" "$here/latency_probe.c" $(pkg-config --cflags --libs libpulse-simple) -lm -lpthread ||
    { echo "latency_bench: cannot build the probe (libpulse-dev?)" >&2; exit 2; }
fi
pulse_lab_start "$work/pulse" spare mouth ear hush || exit 2

free_port() {  # a UDP+TCP port free on loopback, and the one after it (baresip's TLS)
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

declare -a rows=()
lanline_opus=""
# measure LABEL: runs the probe, appends a row; prints the per-click lines to the log.
measure() {
  local label=$1 out summary
  out=$("$probe" mouth ear.monitor "$clicks" 400 2>&1)
  summary=$(grep '^summary' <<<"$out")
  grep -v '^summary' <<<"$out" | sed "s/^/  [$label] /" >&2
  [[ -n $summary ]] || summary="summary (probe failed: $(tail -n 1 <<<"$out"))"
  rows+=("$(printf '%-34s %s' "$label" "${summary#summary }")")
  log "$label: ${summary#summary }"
  LAST_MEDIAN=$(sed -n 's/.*median_ms=\([-0-9.]*\).*/\1/p' <<<"$summary")
}
# The PulseAudio buffering of each client's streams, for the log: where the time goes.
stream_latencies() {
  local kind
  for kind in sink-inputs source-outputs; do
    pactl list "$kind" | awk -v k="$kind" '
      /Buffer Latency/ { b = $3 / 1000 }
      /(Sink|Source) Latency/ { d = $3 / 1000 }
      /application.process.id/ { gsub(/"/, "", $3); p = $3 }
      /application.name/ { sub(/.*= /, ""); gsub(/"/, ""); n = $0 }
      /^$/ && n != "" { printf "  %s of %s (pid %s): buffer %.1f ms, device %.1f ms\n", k, n, p, b, d; n = "" }
      END { if (n != "") printf "  %s of %s (pid %s): buffer %.1f ms, device %.1f ms\n", k, n, p, b, d }' >&2
  done
}

# --- the harness alone --------------------------------------------------------------
"$probe" mouth mouth.monitor 10 300 > "$work/self.txt" 2>&1
rows+=("$(printf '%-34s %s' "self-check (ear = mouth)" "$(grep '^summary' "$work/self.txt" | cut -d' ' -f2-)")")
m=$(pactl load-module module-loopback source=mouth.monitor sink=ear latency_msec=40)
sleep 2
measure "reference: pulse loopback of 40 ms"
pactl unload-module "$m"

# --- baresip -> baresip -------------------------------------------------------------
baresip_call() {  # CODEC_LABEL BARESIP_CODEC
  local label=$1 codec=$2 pa pb d=$work/baresip-$1
  pa=$(free_port) && pb=$(free_port) || return 1
  [[ $pa == "$pb" ]] && pb=$(( pa + 10 ))
  baresip_lab_config "$d/b" 127.0.0.1 "$pb" callee "$codec" alsa,pulse alsa,pulse
  baresip_lab_config "$d/a" 127.0.0.1 "$pa" caller "$codec" alsa,pulse alsa,pulse
  PULSE_SOURCE=hush.monitor PULSE_SINK=ear baresip_lab_start "$d/b" || return 1
  local pid_b=$BARESIP_PID
  pids+=("$pid_b")
  PULSE_SOURCE=mouth.monitor PULSE_SINK=spare baresip_lab_start "$d/a" -e "/dial sip:callee@127.0.0.1:$pb" || return 1
  local pid_a=$BARESIP_PID i
  pids+=("$pid_a")
  for (( i = 0; i < 50; i++ )); do
    grep -q 'Call established' "$d/a/baresip.log" && break
    sleep 0.1
  done
  if grep -q 'Call established' "$d/a/baresip.log"; then
    sleep "$settle"
    stream_latencies
    measure "baresip -> baresip, $label"
  else
    rows+=("$(printf '%-34s %s' "baresip -> baresip, $label" "call not established")")
  fi
  baresip_lab_stop "$pid_a"
  baresip_lab_stop "$pid_b"
}

# --- lanline -> lanline -------------------------------------------------------------
lanline_pids=()
lanline_node() {  # PROFILE PORT SOURCE SINK [OPTIONS...]: sets NODE_PID
  local profile=$1 port=$2 src=$3 sink=$4
  shift 4
  PULSE_SOURCE=$src PULSE_SINK=$sink "$lanline" --headless --profile "$profile" --user "$profile" \
    --sip-port "$port" --no-discovery --audio-source device --audio-sink device "$@" \
    > "$work/lanline-$profile-$call_label.log" 2>&1 &
  NODE_PID=$!
  pids+=("$NODE_PID")
  local i
  for (( i = 0; i < 50; i++ )); do
    "$lanline" ctl --profile "$profile" status >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "lanline node $profile did not start: $(tail -n 3 "$work/lanline-$profile-$call_label.log")" >&2
  return 1
}
lanline_call() {  # LABEL [OPTIONS FOR BOTH NODES...]
  local label=$1 pa pb
  call_label=$label  # names the nodes' logs (kept with KEEP=1)
  shift
  export XDG_RUNTIME_DIR=$work/xdg/run XDG_CONFIG_HOME=$work/xdg/config XDG_DATA_HOME=$work/xdg/data
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
  pa=$(free_port) && pb=$(free_port) || return 1
  [[ $pa == "$pb" ]] && pb=$(( pa + 10 ))
  lanline_node callee "$pb" hush.monitor ear --auto-answer "$@" || return 1
  local pid_b=$NODE_PID
  lanline_node caller "$pa" mouth.monitor spare "$@" || return 1
  local pid_a=$NODE_PID i
  "$lanline" ctl --profile caller call "sip:callee@127.0.0.1:$pb" >/dev/null
  for (( i = 0; i < 50; i++ )); do
    "$lanline" ctl --profile caller calls 2>/dev/null | grep -q '"state":"established"' && break
    sleep 0.1
  done
  if "$lanline" ctl --profile caller calls 2>/dev/null | grep -q '"state":"established"'; then
    sleep "$settle"
    stream_latencies
    "$lanline" ctl --profile caller calls >&2
    measure "lanline -> lanline, $label"
    [[ $label == opus* ]] && lanline_opus=$LAST_MEDIAN
  else
    rows+=("$(printf '%-34s %s' "lanline -> lanline, $label" "call not established")")
  fi
  "$lanline" ctl --profile caller hangup >/dev/null 2>&1
  baresip_lab_stop "$pid_a"
  baresip_lab_stop "$pid_b"
}

if [[ $only != lanline ]]; then
  baresip_call opus opus/48000/2
  baresip_call PCMU PCMU
fi
if [[ $only != baresip ]]; then
  lanline_call opus ${LANLINE_OPUS_ARGS:-}
  lanline_call PCMU --audio-codecs pcmu
fi

echo
echo "Mouth-to-ear latency over 127.0.0.1 (ms; $clicks clicks, one every 400 ms; PulseAudio null sinks)"
printf '%-34s %s\n' "path" "figures"
for r in "${rows[@]}"; do echo "$r"; done
read -r load1 _ < /proc/loadavg
echo "load average: $load1"
if [[ $only != baresip ]]; then
  if [[ -n $lanline_opus ]]; then
    awk -v m="$lanline_opus" 'BEGIN { printf "Lanline with Opus: median %.1f ms; goal < 40 ms: %s\n", m, (m < 40 ? "met" : "NOT met") }'
  else
    echo "Lanline with Opus: not measured"
    exit 1
  fi
fi
exit 0
