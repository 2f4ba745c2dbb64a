#!/usr/bin/env bash
# Two-way audio between two headless nodes on this host, listened to by analysis.
# For each codec (opus, g722, pcmu, pcma, forced with --audio-codecs): A sends a 440 Hz
# tone and records, B (auto-answer) sends 660 Hz and records; ~3.5 s of call, hang up,
# then wav_check: each recording holds the other's tone (±2 Hz), level steady, no gap
# over 60 ms, WAV header final. Then, with Opus: mute (silence while muted, tone again
# after), hold (no audio to the holder while held, back on resume), DTMF (telephone-event
# digits reach the peer), and `calls` showing codec, RTT, jitter, loss and bitrates.
# Usage: media_test.sh LANLINE_BIN WAV_CHECK
set -uo pipefail
bin=$1
wav_check=$2

source "$(dirname "$(readlink -f "$0")")/../lib/harness.sh"
FAIL_LOG_LINES=12
harness_start /tmp/lanline-media-XXXXXX

ctl() { "$bin" ctl "$@"; }

node_pid=""
stop_node() {  # stop_node PROFILE PID: quit, and wait until the process is gone
  ctl --profile "$1" quit >/dev/null 2>&1
  for _ in $(seq 50); do
    kill -0 "$2" 2>/dev/null || return 0
    sleep 0.1
  done
  kill "$2" 2>/dev/null
}

wait_state() {  # wait_state PROFILE STATE: until `ctl calls` shows it (5 s at most)
  for _ in $(seq 50); do
    ctl --profile "$1" calls 2>/dev/null | grep -q "\"state\":\"$2\"" && return 0
    sleep 0.1
  done
  return 1
}

wait_no_calls() {  # until the node keeps no call (its media released, recording final)
  for _ in $(seq 50); do
    ctl --profile "$1" calls 2>/dev/null | grep -q '"calls":\[\]' && return 0
    sleep 0.1
  done
  return 1
}

# call_pair NAME CODEC: nodes A (440 Hz) and B (660 Hz, auto-answer), A calls B.
a_pid="" b_pid=""
call_pair() {
  local name=$1 codec=$2
  local pa pb
  pa=$(free_port)
  pb=$(free_port)
  start_node "a-$name" "$pa" --audio-source test:440 --audio-sink "record:$work/a-$name.wav" \
    --audio-codecs "$codec" || return 1
  a_pid=$node_pid
  start_node "b-$name" "$pb" --auto-answer --audio-source test:660 \
    --audio-sink "record:$work/b-$name.wav" --audio-codecs "$codec" || return 1
  b_pid=$node_pid
  ctl --profile "a-$name" call "sip:service@127.0.0.1:$pb" >/dev/null || return 1
  wait_state "a-$name" established && wait_state "b-$name" established || return 1
}

end_pair() {  # end_pair NAME: hang up, wait for both sides to let go, stop the nodes
  local name=$1
  ctl --profile "a-$name" hangup >/dev/null
  wait_no_calls "a-$name"
  wait_no_calls "b-$name"
  stop_node "a-$name" "$a_pid"
  stop_node "b-$name" "$b_pid"
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

for codec in opus g722 pcmu pcma; do
  if ! call_pair "$codec" "$codec"; then
    fail "$codec: call set up"
    continue
  fi
  sleep 3.5
  calls=$(ctl --profile "a-$codec" calls)
  echo "    a calls: $(echo "$calls" | python3 -c 'import json,sys; c=json.load(sys.stdin)["calls"][0]; print(json.dumps(c.get("media")))')"
  if echo "$calls" | grep -q "\"codec\":\"$codec/"; then
    pass "$codec: calls shows the codec"
  else
    fail "$codec: calls shows the codec ($calls)"
  fi
  end_pair "$codec"
  check "$codec: B's 660 Hz reaches A whole" "$work/a-$codec.wav" --expect-hz 660
  check "$codec: A's 440 Hz reaches B whole" "$work/b-$codec.wav" --expect-hz 440
done

# Where an event falls in a recording, from the nodes' own logs (one clock, this host's):
# the recording's first sample and the event are both logged when they happen, so the
# windows below need a margin only for the audio in flight (encoder, network, the 30 ms
# jitter buffer), not for polling or a slow machine.
log_secs() {  # log_secs LOG REGEX [AFTER]: seconds of the day of the first match past AFTER
  gawk -v re="$2" -v after="${3:-0}" '$0 ~ re {
    split($1, t, ":"); s = t[1] * 3600 + t[2] * 60 + t[3]
    if (s > after) { printf "%.3f\n", s; exit } }' "$1"
}
in_recording() {  # in_recording T0 T [MARGIN]: T's place in a recording that began at T0
  gawk -v t0="$1" -v t="$2" -v m="${3:-0}" 'BEGIN { x = t - t0 + m; if (x < 0) x += 86400; printf "%.3f\n", x }'
}

# Mute: A mutes for ~2 s: B hears silence, then A's tone again; A still hears B.
if call_pair mute opus; then
  sleep 1.2  # tone before the mute, to be heard
  ctl --profile a-mute mute >/dev/null || fail "mute command"
  sleep 2    # the muted stretch
  ctl --profile a-mute unmute >/dev/null || fail "unmute command"
  sleep 1.5  # tone after it
  end_pair mute
  t0=$(log_secs "$work/b-mute.log" "recording .*b-mute.wav: first sample")
  t_mute=$(log_secs "$work/a-mute.log" "microphone muted")
  t_unmute=$(log_secs "$work/a-mute.log" "microphone unmuted" "$t_mute")
  if [[ -n $t0 && -n $t_mute && -n $t_unmute ]]; then
    check "mute: B hears silence while A is muted" "$work/b-mute.wav" --expect-silence \
      --from "$(in_recording "$t0" "$t_mute" 0.2)" --to "$(in_recording "$t0" "$t_unmute")"
    check "mute: B hears A again after unmute" "$work/b-mute.wav" --expect-hz 440 \
      --from "$(in_recording "$t0" "$t_unmute" 0.3)"
  else
    fail "mute: the nodes logged the recording's start and the mute ('$t0' '$t_mute' '$t_unmute')"
  fi
  check "mute: A hears B all along" "$work/a-mute.wav" --expect-hz 660
else
  fail "mute: call set up"
fi

# Hold: A holds (sendonly; B answers recvonly): A gets no audio while held, B still hears
# A (RFC 3264 8.4); on resume both ways again. A's audio changes when it applies B's
# answer to each re-INVITE ("audio send", then "audio send+receive" in its log).
if call_pair hold opus; then
  sleep 1.2
  ctl --profile a-hold hold >/dev/null || fail "hold command"
  wait_for 5 grep -q "audio send$" "$work/a-hold.log"
  sleep 2
  ctl --profile a-hold resume >/dev/null || fail "resume command"
  wait_for 5 grep -q "audio send+receive$" "$work/a-hold.log"
  sleep 1.5
  end_pair hold
  t0=$(log_secs "$work/a-hold.log" "recording .*a-hold.wav: first sample")
  t_hold=$(log_secs "$work/a-hold.log" "audio send$")
  t_resume=$(log_secs "$work/a-hold.log" "audio send[+]receive$" "$t_hold")
  if [[ -n $t0 && -n $t_hold && -n $t_resume ]]; then
    # From 0.4 s after the hold took effect: what was already in A's jitter buffer and
    # sink plays out, and Opus conceals the stop with a fading tail (an ASan run heard
    # -42.8 dBFS past 0.2 s). The held stretch after that is ~1.6 s of required silence.
    check "hold: A gets no audio while holding" "$work/a-hold.wav" --expect-silence \
      --from "$(in_recording "$t0" "$t_hold" 0.4)" --to "$(in_recording "$t0" "$t_resume")"
    check "hold: A hears B again after resume" "$work/a-hold.wav" --expect-hz 660 \
      --from "$(in_recording "$t0" "$t_resume" 0.3)"
  else
    fail "hold: A logged the recording's start, the hold and the resume ('$t0' '$t_hold' '$t_resume')"
  fi
  check "hold: B hears A throughout" "$work/b-hold.wav" --expect-hz 440
else
  fail "hold: call set up"
fi

# DTMF as RFC 4733 telephone-event, and the RTCP figures of `calls`.
if call_pair dtmf opus; then
  sleep 1.5
  ctl --profile a-dtmf dtmf 1#9 >/dev/null || fail "dtmf command"
  bad=$(ctl --profile a-dtmf dtmf 1x 2>&1)
  echo "$bad" | grep -q "not a DTMF digit" && pass "dtmf: a wrong digit is refused clearly" ||
    fail "dtmf: a wrong digit is refused clearly ($bad)"
  # Three 100 ms tones 70 ms apart leave A in about 0.5 s; under a sanitizer, or with the
  # machine busy, B's log can take longer: wait for the third digit, 5 s at most.
  dtmf_received() {
    got=$(grep -o "DTMF '.' received" "$work/b-dtmf.log" | cut -d"'" -f2 | tr -d '\n')
    [ ${#got} -ge 3 ]
  }
  wait_for 5 dtmf_received
  [ "$got" = "1#9" ] && pass "dtmf: B receives 1#9" || fail "dtmf: B receives 1#9 (got '$got')"
  # RTT needs an SR from A and an RR from B that answers it; RTCP goes out every second
  # but at randomised times (RFC 3550 6.3.1: 0.5 to 1.5 intervals), so allow a few.
  rtcp_figures_ok() {
    media=$(ctl --profile a-dtmf calls | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["calls"][0]["media"]))')
    echo "$media" | python3 -c '
import json, sys
m = json.load(sys.stdin)
ok = m["rtt_ms"] is not None and 0 <= m["rtt_ms"] < 20 and m["packets_received"] > 100 \
     and m["send_kbps"] > 10 and m["receive_kbps"] > 10 and m["loss"] == 0
sys.exit(0 if ok else 1)'
  }
  if wait_for 6 rtcp_figures_ok; then
    pass "calls: RTT, bitrates, packets and loss from RTCP"
  else
    fail "calls: RTT, bitrates, packets and loss from RTCP"
  fi
  echo "    a media: $media"
  end_pair dtmf
  check "dtmf: B hears A's tone whole around the digits" "$work/b-dtmf.wav" --expect-hz 440
else
  fail "dtmf: call set up"
fi

harness_summary
