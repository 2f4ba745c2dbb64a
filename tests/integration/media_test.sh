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

now() { date +%s.%N; }
elapsed() { python3 -c "print(round($2 - $1, 2))"; }
ctl() { "$bin" ctl "$@"; }

node_pid=""
start_node() {  # start_node PROFILE PORT OPTIONS...
  local profile=$1 port=$2
  shift 2
  "$bin" --headless --profile "$profile" --sip-port "$port" --user service --name "$profile" \
    --no-discovery "$@" >"$work/$profile.log" 2>&1 &
  node_pid=$!
  pids+=("$node_pid")
  for _ in $(seq 100); do
    ctl --profile "$profile" status >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "node $profile did not start"
  cat "$work/$profile.log"
  return 1
}

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
  # The recordings start when each side applies the answer, a little before this: times
  # measured from here are late by up to a poll (and more under a sanitizer), so the
  # windows checked below start 0.6 s after each change.
  call_start=$(now)
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

# Mute: A mutes for ~1.5 s: B hears silence, then A's tone again; A still hears B.
if call_pair mute opus; then
  sleep 1.2
  ctl --profile a-mute mute >/dev/null || fail "mute command"
  t_mute=$(elapsed "$call_start" "$(now)")  # after the reply: muted by then
  sleep 2
  t_unmute=$(elapsed "$call_start" "$(now)")
  ctl --profile a-mute unmute >/dev/null || fail "unmute command"
  sleep 1.5
  end_pair mute
  check "mute: B hears silence while A is muted" "$work/b-mute.wav" --expect-silence \
    --from "$(elapsed 0 "$t_mute + 0.6")" --to "$(elapsed 0 "$t_unmute - 0.2")"
  check "mute: B hears A again after unmute" "$work/b-mute.wav" --expect-hz 440 \
    --from "$(elapsed 0 "$t_unmute + 0.7")"
  check "mute: A hears B all along" "$work/a-mute.wav" --expect-hz 660
else
  fail "mute: call set up"
fi

# Hold: A holds (sendonly; B answers recvonly): A gets no audio while held, B still hears
# A (RFC 3264 8.4); on resume both ways again.
if call_pair hold opus; then
  sleep 1.2
  ctl --profile a-hold hold >/dev/null || fail "hold command"
  t_hold=$(elapsed "$call_start" "$(now)")  # the re-INVITE is on its way by then
  sleep 2
  t_resume=$(elapsed "$call_start" "$(now)")
  ctl --profile a-hold resume >/dev/null || fail "resume command"
  sleep 1.5
  end_pair hold
  check "hold: A gets no audio while holding" "$work/a-hold.wav" --expect-silence \
    --from "$(elapsed 0 "$t_hold + 0.6")" --to "$(elapsed 0 "$t_resume - 0.2")"
  check "hold: A hears B again after resume" "$work/a-hold.wav" --expect-hz 660 \
    --from "$(elapsed 0 "$t_resume + 0.7")"
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
  sleep 1.5
  got=$(grep -o "DTMF '.' received" "$work/b-dtmf.log" | cut -d"'" -f2 | tr -d '\n')
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
