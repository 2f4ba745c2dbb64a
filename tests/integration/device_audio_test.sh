#!/usr/bin/env bash
# `--audio-source device --audio-sink device` end to end, on a private PulseAudio server
# (tests/lib/pulse_lab.sh) as in tests/bench/latency_bench.sh: the caller's microphone is
# the monitor of the null sink `mouth`, the callee's speaker the null sink `ear`, and
# tests/bench/latency_probe clicks into `mouth` and listens on `ear.monitor`. For Opus and
# for PCMU, 12 clicks: at least 8 must come through, with a median under 300 ms (a sanity
# bound: a busy machine delays a click now and then; the latency itself is the
# benchmark's business). Both ends use devices, so the echo
# canceller is in the path. Clicks, not a steady tone: the canceller's noise suppression
# treats a steady sine as noise and fades it out. This path lost most audio with
# GStreamer's default device buffers, and with PCMU had none at all (the canceller ran
# at 8 kHz against a 48 kHz echo probe).
# Usage: device_audio_test.sh LANLINE_BIN LATENCY_PROBE. Exit 0 passed, 1 failed, 77 skipped.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$(readlink -f "$1")
probe=$(readlink -f "$2")
for tool in pulseaudio pactl ss; do
  command -v "$tool" >/dev/null || { echo "$tool not found: skipped"; exit 77; }
done
source "$repo/tests/lib/pulse_lab.sh"
source "$repo/tests/lib/sanitizer_check.sh"

work=$(mktemp -d /tmp/lanline-device.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  pulse_lab_stop
  if [[ ${KEEP:-0} == 1 ]]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
# Only the script itself cleans up: a subshell killed before it has reset its traps (a
# watchdog ended early) would otherwise run this EXIT trap too, and end the nodes and
# delete the work directory under the running test.
trap '[ "$BASHPID" = "$$" ] && cleanup' EXIT
export XDG_RUNTIME_DIR=$work/xdg/run XDG_CONFIG_HOME=$work/xdg/config XDG_DATA_HOME=$work/xdg/data
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
pulse_lab_start "$work/pulse" spare mouth ear hush || { echo "no PulseAudio: skipped"; exit 77; }

free_port() {
  local p n
  for (( n = 0; n < 200; n++ )); do
    p=$(( 20000 + RANDOM % 10000 ))
    [[ -z $(ss -Hlun "sport = :$p") && -z $(ss -Hltn "sport = :$p") ]] && { echo "$p"; return 0; }
  done
  return 1
}
node() {  # PROFILE PORT SOURCE SINK [OPTIONS...]: sets NODE_PID
  local profile=$1 port=$2 src=$3 sink=$4 i
  shift 4
  PULSE_SOURCE=$src PULSE_SINK=$sink "$bin" --headless --profile "$profile" --user "$profile" \
    --sip-port "$port" --no-discovery --audio-source device --audio-sink device "$@" \
    > "$work/$profile.log" 2>&1 &
  NODE_PID=$!
  pids+=("$NODE_PID")
  for (( i = 0; i < 50; i++ )); do
    "$bin" ctl --profile "$profile" status >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "node $profile did not start: $(tail -n 3 "$work/$profile.log")"
  return 1
}

passed=0
failed=0
for codec in opus pcmu; do
  pa=$(free_port) && pb=$(free_port) || { echo "no free port"; exit 1; }
  [[ $pa == "$pb" ]] && pb=$(( pa + 1 ))
  node "$codec-b" "$pb" hush.monitor ear --auto-answer --audio-codecs "$codec" ||
    { failed=$((failed + 1)); continue; }
  pid_b=$NODE_PID
  node "$codec-a" "$pa" mouth.monitor spare --audio-codecs "$codec" ||
    { failed=$((failed + 1)); continue; }
  pid_a=$NODE_PID
  "$bin" ctl --profile "$codec-a" call "sip:$codec-b@127.0.0.1:$pb" >/dev/null
  for (( i = 0; i < 50; i++ )); do
    "$bin" ctl --profile "$codec-a" calls 2>/dev/null | grep -q '"state":"established"' && break
    sleep 0.1
  done
  sleep 2  # the pipelines start and the echo canceller settles
  summary=$("$probe" mouth ear.monitor 12 400 | grep "^summary")
  "$bin" ctl --profile "$codec-a" hangup >/dev/null 2>&1
  kill "$pid_a" "$pid_b"
  wait "$pid_a" "$pid_b" 2>/dev/null
  heard=$(sed -n 's/.*heard=\([0-9]*\).*/\1/p' <<<"$summary")
  median=$(sed -n 's/.*median_ms=\([-0-9.]*\).*/\1/p' <<<"$summary")
  if [[ -n $heard ]] && (( heard >= 8 )) && awk -v m="$median" 'BEGIN { exit !(m < 300) }'; then
    echo "ok   $codec: clicks through both devices: ${summary#summary }"
    passed=$((passed + 1))
  else
    echo "FAIL $codec: clicks through both devices: ${summary:-probe failed} (want >= 8 heard, median < 300 ms)"
    grep -h ' error ' "$work/$codec-a.log" "$work/$codec-b.log" | head -n 3
    failed=$((failed + 1))
  fi
done
if sanitizer_check "$work"/*.log; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
