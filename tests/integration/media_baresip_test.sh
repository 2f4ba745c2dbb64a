#!/usr/bin/env bash
# Audio with a real softphone: baresip (Debian baresip-core) on loopback, with PCMU and
# with Opus, both ways. baresip plays a 440 Hz tone (aufile/ausine) and its sndfile module
# dumps what it decodes to a WAV (baresip 1.0 has no aufile player; aubridge plays into
# nothing at the real-time pace); Lanline sends 660 Hz and records. Each call runs
# ~4 s, then wav_check listens to both recordings.
#  1. Lanline calls an auto-answering baresip.  2. baresip calls an auto-answering Lanline.
# Usage: media_baresip_test.sh LANLINE_BIN WAV_CHECK
set -uo pipefail
bin=$(readlink -f "$1")
wav_check=$(readlink -f "$2")
command -v baresip >/dev/null || { echo "baresip is not installed (Debian baresip-core)"; exit 77; }
command -v sox >/dev/null || { echo "sox is not installed"; exit 77; }
modules=/usr/lib/baresip/modules
for m in opus g711 aufile ausine aubridge sndfile; do
  [ -f $modules/$m.so ] || { echo "baresip's $m module is missing"; exit 77; }
done

work=$(mktemp -d /tmp/lanline-media-baresip-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
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
free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for SECONDS COMMAND...
  local tries=$(($1 * 10))
  shift
  for _ in $(seq "$tries"); do "$@" && return 0; sleep 0.1; done
  return 1
}
check() {  # check DESCRIPTION wav_check-ARGS...
  local what=$1
  shift
  if "$wav_check" "$@" >"$work/check.out" 2>&1; then
    sed 's/^/    /' "$work/check.out" | grep -v ': ok$'
    pass "$what"
  else
    sed 's/^/    /' "$work/check.out"
    fail "$what"
  fi
}

# 8 kHz for PCMU (baresip's aufile source plays the file's own rate; ausine is 48 kHz only).
sox -q -n -r 8000 -c 1 -b 16 "$work/tone8k.wav" synth 30 sine 440 vol 0.3

run() {  # run CODEC DIRECTION(out|in)
  local codec=$1 direction=$2 name="$1-$2"
  local node_port bs_port source rtpmap
  node_port=$(free_port)
  bs_port=$(free_port)
  if [ "$codec" = pcmu ]; then source="aufile,$work/tone8k.wav"; rtpmap="PCMU/8000/1"
  else source="ausine,440"; rtpmap="opus/48000/2"; fi
  mkdir -p "$work/bs-$name"
  cat >"$work/bs-$name/config" <<CONF
sip_listen 127.0.0.1:$bs_port
audio_source $source
audio_player aubridge,lanline
audio_alert aubridge,lanline
snd_path $work/bs-$name
module_path $modules
module aubridge.so
module sndfile.so
module g711.so
module opus.so
module aufile.so
module ausine.so
module_app account.so
module_app menu.so
CONF
  echo "<sip:bs@127.0.0.1>;regint=0;answermode=auto;audio_codecs=$rtpmap" >"$work/bs-$name/accounts"
  local answer=()
  [ "$direction" = in ] && answer=(--auto-answer)
  "$bin" --headless --profile "$name" --sip-port "$node_port" --user svc --no-discovery \
    --audio-source test:660 --audio-sink "record:$work/lanline-$name.wav" --audio-codecs "$codec" \
    "${answer[@]}" >"$work/$name.log" 2>&1 &
  local node_pid=$!
  pids+=("$node_pid")
  wait_for 10 "$bin" ctl --profile "$name" status >/dev/null || { fail "$name: node start"; return; }
  if [ "$direction" = out ]; then
    baresip -f "$work/bs-$name" -t 8 >"$work/baresip-$name.log" 2>&1 &
    local bs_pid=$!
    pids+=("$bs_pid")
    sleep 1
    "$bin" ctl --profile "$name" call "sip:bs@127.0.0.1:$bs_port" >/dev/null
  else
    baresip -f "$work/bs-$name" -t 8 -e "/dial sip:svc@127.0.0.1:$node_port" \
      >"$work/baresip-$name.log" 2>&1 &
    local bs_pid=$!
    pids+=("$bs_pid")
  fi
  if ! wait_for 5 sh -c "'$bin' ctl --profile '$name' calls | grep -q established"; then
    fail "$name: no established call"
    return
  fi
  sleep 4
  "$bin" ctl --profile "$name" calls | python3 -c '
import json, sys
print("    lanline media:", json.dumps(json.load(sys.stdin)["calls"][0]["media"]))'
  "$bin" ctl --profile "$name" hangup >/dev/null
  wait_for 5 sh -c "'$bin' ctl --profile '$name' calls | grep -q '\"calls\":\[\]'"
  "$bin" ctl --profile "$name" quit >/dev/null
  wait "$bs_pid" 2>/dev/null
  wait "$node_pid" 2>/dev/null
  check "$name: Lanline records baresip's 440 Hz" "$work/lanline-$name.wav" --expect-hz 440
  local dump
  dump=$(ls "$work/bs-$name"/dump-*-dec.wav 2>/dev/null | head -n 1)
  check "$name: baresip decodes Lanline's 660 Hz" "${dump:-$work/bs-$name/no-dump.wav}" \
    --expect-hz 660
}

run pcmu out
run pcmu in
run opus out
run opus in

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
