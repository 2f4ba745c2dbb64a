#!/usr/bin/env bash
# Voice interop with baresip, both ways: for PCMU and for Opus, baresip calls a headless
# Lanline node and Lanline calls baresip (4 calls on 127.0.0.1); then Opus both ways
# with baresip's `ice` module (medianat=ice), where Lanline's `calls` must show the
# call on a connected ICE pair, while without it the same call is plain RTP. In each call both sides
# send a tone at once, the caller 440 Hz and the callee 620 Hz (different, so a side
# that records itself or a crossed stream fails), for about 5 s; then each side's
# recording is checked: Lanline's (`--audio-sink record:`) and baresip's (its sndfile
# filter's decoded-audio dump; baresip 1.0's aufile module has no player). Check: the
# expected frequency within 2 Hz, no gap over 60 ms, a steady level (tests/lib/
# audio_check.sh, or tests/media/wav_check when built). Then SDES-SRTP (RFC 4568) with
# baresip's srtp module: baresip calls with RTP/SAVP (mandatory) and with RTP/AVP plus
# a=crypto (optional), and Lanline must show the call as "sdes"; Lanline calls the
# optional one, plainly. Then DTLS-SRTP (RFC 5763/5764) with baresip's dtls_srtp module
# (rtcp_mux on): baresip calls Lanline, and Lanline calls baresip at a sips: address (SIP
# over TLS to baresip's TLS port, RFC 5630), both shown "dtls". For the G.711 calls
# tshark captures the loopback: the tones must be readable from a plain call's RTP, and
# from an SRTP call's must not.
#
#   baresip_interop.sh LANLINE_BIN [WAV_CHECK]   the 4 calls with Lanline
#   baresip_interop.sh --baresip-only     the same calls baresip <-> baresip (checks the
#                                         lab itself)
# Exit 0 all passed, 1 some failed, 77 skipped (no baresip or sox).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
mode=lanline
bin=""
case "${1:-}" in
  --baresip-only) mode=baresip ;;
  "") echo "usage: $0 LANLINE_BIN | --baresip-only" >&2; exit 2 ;;
  *) bin=$(readlink -f "$1") ;;
esac
[[ -n ${2:-} ]] && export WAV_CHECK=$(readlink -f "$2")
for tool in baresip sox gawk ss tshark; do
  command -v "$tool" >/dev/null || { echo "$tool not found: skipped"; exit 77; }
done
source "$repo/tests/lib/baresip_lab.sh"
source "$repo/tests/lib/audio_check.sh"
source "$repo/tests/lib/sanitizer_check.sh"

work=$(mktemp -d /tmp/lanline-interop.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do baresip_lab_stop "$p"; done
  if [[ ${KEEP:-0} == 1 ]]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
# Only the script itself cleans up: a subshell killed before it has reset its traps (a
# watchdog ended early) would otherwise run this EXIT trap too, and end the nodes and
# delete the work directory under the running test.
trap '[ "$BASHPID" = "$$" ] && cleanup' EXIT
export XDG_RUNTIME_DIR=$work/xdg/run XDG_CONFIG_HOME=$work/xdg/config XDG_DATA_HOME=$work/xdg/data
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

caller_hz=440
callee_hz=620
talk_s=${TALK_S:-5}
# Tones for baresip's aufile source, at each codec's rate and channel count.
sox -n -r 8000 -c 1 -b 16 "$work/caller-PCMU.wav" synth 30 sine $caller_hz vol 0.5
sox -n -r 8000 -c 1 -b 16 "$work/callee-PCMU.wav" synth 30 sine $callee_hz vol 0.5
sox -n -r 48000 -c 2 -b 16 "$work/caller-opus.wav" synth 30 sine $caller_hz vol 0.5
sox -n -r 48000 -c 2 -b 16 "$work/callee-opus.wav" synth 30 sine $callee_hz vol 0.5

free_port() {  # a port free on loopback for UDP and TCP, with the next one (baresip's TLS)
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
# One side of a call. start_side ROLE KIND CODEC PORT [DIAL]: ROLE caller|callee, KIND
# lanline|baresip; a baresip caller dials DIAL. Sets SIDE_PID and SIDE_REC (the
# recording's path, or baresip's recording directory).
start_side() {
  local role=$1 kind=$2 codec=$3 port=$4 dial=${5:-} hz d
  d=$work/$case_name/$role-$kind
  mkdir -p "$d"
  [[ $role == caller ]] && hz=$caller_hz || hz=$callee_hz
  if [[ $kind == baresip ]]; then
    local codecs=PCMU
    [[ $codec == opus ]] && codecs=opus/48000/2
    baresip_lab_config "$d" 127.0.0.1 "$port" "$role" "$codecs" "aufile,$work/$role-$codec.wav" \
      "" "$d/rec" || return 1
    if [[ $case_ice == ice ]]; then  # RFC 8445 ICE through baresip's own module
      printf 'module\t\t\tice.so\n' >> "$d/config"
      sed -i 's/;regint=0;/;regint=0;medianat=ice;/' "$d/accounts"
    elif [[ $case_ice == srtp* ]]; then  # SDES-SRTP (RFC 4568) through its srtp module
      printf 'module\t\t\tsrtp.so\n' >> "$d/config"
      sed -i "s/;regint=0;/;regint=0;mediaenc=$case_ice;/" "$d/accounts"
    elif [[ $case_ice == dtls_srtp ]]; then  # DTLS-SRTP (RFC 5763/5764): its dtls_srtp module
      # With rtcp-mux (RFC 5761), which Lanline's DTLS-SRTP needs: one handshake a stream.
      printf 'module\t\t\tdtls_srtp.so\n' >> "$d/config"
      sed -i 's/^rtcp_mux.*/rtcp_mux\t\tyes/' "$d/config"
      grep -q '^rtcp_mux' "$d/config" || printf 'rtcp_mux\t\tyes\n' >> "$d/config"
      # Called by Lanline at a sips: address (RFC 5630): SIP over TLS on PORT+1, with a
      # certificate of its own.
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj /CN=baresip -keyout "$d/tls.key" -out "$d/tls.crt" 2>/dev/null
      cat "$d/tls.key" "$d/tls.crt" > "$d/tls.pem"
      printf 'sip_certificate\t\t%s\n' "$d/tls.pem" >> "$d/config"
      sed -i "s/;regint=0;/;regint=0;mediaenc=dtls_srtp;/" "$d/accounts"
    fi
    if [[ -n $dial ]]; then baresip_lab_start "$d" -e "/dial $dial" || return 1
    else baresip_lab_start "$d" || return 1; fi
    SIDE_PID=$BARESIP_PID
    SIDE_REC=$d/rec
  else
    "$bin" --headless --profile "$case_name-$role" --user "$role" --sip-port "$port" \
      --no-discovery --audio-source "test:$hz" --audio-sink "record:$d/rec.wav" \
      $([[ $role == callee ]] && echo --auto-answer) > "$d/node.log" 2>&1 &
    SIDE_PID=$!
    SIDE_REC=$d/rec.wav
    local i
    for (( i = 0; i < 50; i++ )); do
      "$bin" ctl --profile "$case_name-$role" status >/dev/null 2>&1 && break
      sleep 0.1
    done
  fi
  pids+=("$SIDE_PID")
}
established() {  # KIND ROLE DIR
  if [[ $1 == baresip ]]; then
    grep -q 'Call established' "$work/$case_name/$2-baresip/baresip.log"
  else
    "$bin" ctl --profile "$case_name-$2" calls 2>/dev/null | grep -q '"state":"established"'
  fi
}

passed=0
failed=0
check() {  # LABEL WAV HZ
  local r
  if [[ -z $2 || ! -s $2 ]]; then
    echo "FAIL $1: no recording"; failed=$((failed + 1)); return
  fi
  if r=$(audio_verdict "$2" "$3" 60); then
    echo "ok   $1: $r"; passed=$((passed + 1))
  else
    echo "FAIL $1: $r"; failed=$((failed + 1))
  fi
}

run_case() {  # CODEC CALLER_KIND CALLEE_KIND [ice]
  local codec=$1 a=$2 b=$3 pa pb
  case_ice=${4:-plain}
  case_name=$codec-$a-$b-$case_ice
  pa=$(free_port) && pb=$(free_port) || { echo "no free port"; failed=$((failed + 1)); return; }
  [[ $pa == "$pb" ]] && pb=$(( pa + 10 ))
  start_side callee "$b" "$codec" "$pb" || { failed=$((failed + 1)); return; }
  local callee_pid=$SIDE_PID callee_rec=$SIDE_REC
  # A baresip caller dials as soon as it is up (-e): the callee is listening already.
  start_side caller "$a" "$codec" "$pa" "sip:callee@127.0.0.1:$pb" || { failed=$((failed + 1)); return; }
  local caller_pid=$SIDE_PID caller_rec=$SIDE_REC i
  if [[ $a == lanline && $case_ice == dtls_srtp ]]; then
    # sips: (RFC 5630): TLS to baresip's TLS port, and DTLS-SRTP offered.
    "$bin" ctl --profile "$case_name-caller" call "sips:callee@127.0.0.1:$((pb + 1))" >/dev/null
  elif [[ $a == lanline ]]; then
    "$bin" ctl --profile "$case_name-caller" call "sip:callee@127.0.0.1:$pb" >/dev/null
  fi
  for (( i = 0; i < 100; i++ )); do
    established "$a" caller && break
    sleep 0.1
  done
  if ! established "$a" caller; then
    echo "FAIL $case_name: the call did not set up"
    failed=$((failed + 1))
  else
    [[ $codec == PCMU ]] && start_capture
    sleep "$talk_s"
    [[ $codec == PCMU ]] && stop_capture
    local side want seen
    for side in caller callee; do
      [[ $side == caller && $a == lanline || $side == callee && $b == lanline ]] || continue
      seen=$("$bin" ctl --profile "$case_name-$side" calls)
      echo "     Lanline $side: $seen"
      want='"transport":"plain"'
      [[ $case_ice == ice ]] && want='"state":"connected","transport":"ice"'
      # baresip's SRTP offers are keyed back (SDES); Lanline's own offers are plain RTP,
      # which baresip's optional SRTP takes as it is.
      [[ $case_ice == srtp* && $a == baresip ]] && want='"protection":"sdes"'
      [[ $case_ice == srtp* && $a == lanline ]] && want='"protection":"none"'
      [[ $case_ice == dtls_srtp ]] && want='"protection":"dtls"'
      if [[ $seen == *"$want"* ]]; then
        echo "ok   $case_name: Lanline's path says $want"; passed=$((passed + 1))
      else
        echo "FAIL $case_name: Lanline's path does not say $want"; failed=$((failed + 1))
      fi
    done
  fi
  # Hang up from the caller, then stop both (a stopped node closes its recording).
  if [[ $a == lanline ]]; then "$bin" ctl --profile "$case_name-caller" hangup >/dev/null 2>&1; fi
  baresip_lab_stop "$caller_pid"
  sleep 0.3
  baresip_lab_stop "$callee_pid"
  [[ $a == baresip ]] && caller_rec=$(baresip_lab_decoded "$caller_rec")
  [[ $b == baresip ]] && callee_rec=$(baresip_lab_decoded "$callee_rec")
  check "$codec, $a (caller) hears $b: $callee_hz Hz" "$caller_rec" "$callee_hz"
  check "$codec, $b (callee) hears $a: $caller_hz Hz" "$callee_rec" "$caller_hz"
  [[ $codec == PCMU ]] && check_capture
}

# The wire, for the G.711 calls: tshark on the loopback while they talk. In a plain call
# both tones can be read from the RTP in the capture (which shows the check works); in
# one protected by SRTP neither can.
start_capture() {
  capture=$work/$case_name.pcapng
  tshark -q -i lo -f "udp and not port $pa and not port $pb" -w "$capture" \
    > "$work/$case_name.tshark.log" 2>&1 &
  capture_pid=$!
  local i
  for (( i = 0; i < 50; i++ )); do
    grep -q "Capturing on" "$work/$case_name.tshark.log" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "     tshark did not start capturing: $(tr '\n' ' ' < "$work/$case_name.tshark.log")"
}
stop_capture() {
  kill -INT "$capture_pid" 2>/dev/null
  wait "$capture_pid" 2>/dev/null
}
check_capture() {
  local hz r expect=heard
  [[ $case_ice == srtp* && $a == baresip ]] && expect=hidden
  [[ $case_ice == dtls_srtp ]] && expect=hidden
  for hz in $caller_hz $callee_hz; do
    r=$(python3 "$repo/tests/lib/tone_in_capture.py" "$capture" "$hz" | tr '\n' ';')
    case "$? $expect" in
      "0 heard" | "1 hidden")
        echo "ok   $case_name: the $hz Hz tone is $expect in the capture: $r"
        passed=$((passed + 1)) ;;
      *)
        echo "FAIL $case_name: the $hz Hz tone should be $expect in the capture: $r"
        failed=$((failed + 1)) ;;
    esac
  done
}

for codec in PCMU opus; do
  if [[ $mode == baresip ]]; then
    run_case "$codec" baresip baresip
  else
    run_case "$codec" baresip lanline
    run_case "$codec" lanline baresip
  fi
done
if [[ $mode == lanline ]]; then
  run_case opus baresip lanline ice
  run_case opus lanline baresip ice
  # SDES-SRTP: baresip's srtp module, mandatory (RTP/SAVP) and optional (RTP/AVP with
  # a=crypto); Lanline calling it offers plain RTP, which the optional mode takes.
  run_case opus baresip lanline srtp-mand
  run_case PCMU baresip lanline srtp
  run_case PCMU lanline baresip srtp
  run_case PCMU baresip lanline dtls_srtp
  run_case PCMU lanline baresip dtls_srtp
fi
if [[ $mode == lanline ]]; then
  if sanitizer_check "$work"/*/*-lanline/node.log; then passed=$((passed + 1))
  else failed=$((failed + 1)); fi
fi
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
