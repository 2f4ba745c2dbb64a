# A private PulseAudio server with null sinks, for audio measurements without a sound
# card. Source this file.
#
#   pulse_lab_start DIR SINK...   starts pulseaudio (no default config) on a socket in
#                                 DIR, with one mono 48 kHz null sink per SINK name (each
#                                 with its SINK.monitor source; SINK is also its
#                                 description, the name device lists show), exports PULSE_SERVER;
#                                 sets PULSE_LAB_PID. The first sink and its monitor are
#                                 the defaults.
#   pulse_lab_stop                ends it by PID.
#
# Clients pick devices with PULSE_SINK / PULSE_SOURCE (libpulse reads them), so every
# process can have its own "microphone" and "speaker".

pulse_lab_start() {
  local dir=$1
  shift
  mkdir -p "$dir/run" "$dir/home"
  chmod 700 "$dir/run"
  {
    echo "load-module module-native-protocol-unix socket=$dir/run/native auth-anonymous=1"
    local s
    for s in "$@"; do
      echo "load-module module-null-sink sink_name=$s sink_properties=device.description=$s rate=48000 channels=1"
    done
    echo "set-default-sink $1"
    echo "set-default-source $1.monitor"
  } > "$dir/default.pa"
  # As root, pulseaudio warns that it is meant for --system; a per-test user daemon
  # with its own socket is what we want, and it runs.
  HOME=$dir/home XDG_RUNTIME_DIR=$dir/run XDG_CONFIG_HOME=$dir/home \
    pulseaudio -n -F "$dir/default.pa" --daemonize=no --exit-idle-time=-1 \
    --disallow-exit --disallow-module-loading=no --use-pid-file=no --log-target=stderr \
    > "$dir/pulseaudio.log" 2>&1 &
  PULSE_LAB_PID=$!
  export PULSE_SERVER=unix:$dir/run/native
  local i
  for (( i = 0; i < 50; i++ )); do
    pactl info >/dev/null 2>&1 && return 0
    kill -0 "$PULSE_LAB_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "pulseaudio did not start: $(tail -n 5 "$dir/pulseaudio.log" | tr '\n' ' ')" >&2
  return 1
}

pulse_lab_stop() {
  [[ -n ${PULSE_LAB_PID:-} ]] || return 0
  kill -TERM "$PULSE_LAB_PID" 2>/dev/null
  local i
  for (( i = 0; i < 30; i++ )); do
    kill -0 "$PULSE_LAB_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$PULSE_LAB_PID" 2>/dev/null
  wait "$PULSE_LAB_PID" 2>/dev/null
  PULSE_LAB_PID=""
}
