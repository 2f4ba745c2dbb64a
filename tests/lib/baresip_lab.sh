# Headless baresip for tests and benchmarks: configs generated into a directory,
# started with a held-open FIFO on stdin, stopped by PID. Source this file.
#
#   baresip_lab_config DIR ADDR PORT USER CODECS SOURCE [PLAYER] [RECORD_DIR]
#     Writes DIR/config and DIR/accounts for a UA listening on ADDR:PORT (UDP and TCP
#     on PORT; baresip's TLS takes PORT+1, so keep two baresips 10 ports apart),
#     answering automatically as sip:USER@ADDR, offering/accepting CODECS (baresip's
#     audio_codecs syntax: "PCMU", "opus/48000/2"). SOURCE: "aufile,/x.wav" (16-bit WAV at
#     the codec's rate) or "alsa,pulse" (PulseAudio through ALSA; pick the device with
#     PULSE_SOURCE/PULSE_SINK). PLAYER: default "aufile,/dev/null" (baresip 1.0's aufile
#     has no player: this means "no player"). RECORD_DIR: the sndfile filter writes the
#     decoded audio of each call to RECORD_DIR/dump-*-dec.wav (what the peer sent,
#     as received) and the encoded side to *-enc.wav.
#   baresip_lab_start DIR [BARESIP ARGS...]      sets BARESIP_PID; waits until ready
#   baresip_lab_stop PID                         TERM (baresip hangs up), KILL after 5 s
#   baresip_lab_decoded DIR                      path of the newest *-dec.wav, or nothing
#
# baresip is 1.0.0 here (Debian 12): no `sip_transports`, no aufile player.

baresip_lab_config() {
  local dir=$1 addr=$2 port=$3 user=$4 codecs=$5 source=$6
  local player=${7:-aufile,/dev/null} record=${8:-}
  mkdir -p "$dir"
  local host=$addr
  [[ $addr == *:* ]] && host="[$addr]"
  {
    printf 'poll_method\t\tepoll\n'
    printf 'sip_listen\t\t%s:%s\n' "$host" "$port"
    printf 'call_local_timeout\t120\n'
    printf 'call_max_calls\t\t100000\n'
    printf 'audio_player\t\t%s\n' "$player"
    printf 'audio_source\t\t%s\n' "$source"
    printf 'audio_alert\t\taufile,/dev/null\n'
    printf 'module_path\t\t/usr/lib/baresip/modules\n'
    printf 'module\t\t\tg711.so\n'
    printf 'module\t\t\topus.so\n'
    printf 'module\t\t\taufile.so\n'
    [[ $source == alsa,* || $player == alsa,* ]] && printf 'module\t\t\talsa.so\n'
    if [[ -n $record ]]; then
      mkdir -p "$record"
      printf 'module\t\t\tsndfile.so\n'
      printf 'snd_path\t\t%s\n' "$record"
    fi
    printf 'module_app\t\taccount.so\n'
    printf 'module_app\t\tmenu.so\n'
  } > "$dir/config"
  echo "<sip:$user@$host>;regint=0;answermode=auto;audio_codecs=$codecs" > "$dir/accounts"
}

baresip_lab_start() {
  local dir=$1
  shift
  # baresip polls stdin: /dev/null cannot be polled (EPERM). A FIFO opened read-write
  # as its stdin never reaches EOF and needs no writer process.
  [[ -p $dir/stdin ]] || mkfifo "$dir/stdin"
  baresip -f "$dir" "$@" 0<>"$dir/stdin" > "$dir/baresip.log" 2>&1 &
  BARESIP_PID=$!
  local i
  for (( i = 0; i < 100; i++ )); do
    grep -q 'baresip is ready' "$dir/baresip.log" 2>/dev/null && return 0
    kill -0 "$BARESIP_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "baresip ($dir) did not start: $(tail -n 5 "$dir/baresip.log" | tr '\n' ' ')" >&2
  return 1
}

baresip_lab_stop() {
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

baresip_lab_decoded() {
  ls -t "$1"/dump-*-dec.wav 2>/dev/null | head -1
}
