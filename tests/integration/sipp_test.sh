#!/usr/bin/env bash
# Lanline against SIPp (Debian sip-tester), over UDP and TCP: as UAS for SIPp's built-in
# uac scenario, CANCEL before answer, re-INVITE hold and resume, OPTIONS, MESSAGE and an
# unknown method, SDP offers it must refuse (488/400 with Warning), an offer-less INVITE
# (offer in the 200, answer in the ACK) and an unusable answer in the ACK (BYE); as UAC towards SIPp's built-in uas scenario, and sending MESSAGE.
# Scenarios from ../shared/corpora/sipp that apply to a user agent run too: SIPp's own
# uac.xml and uas.xml, and the OPTIONS regression of its repository. (The others there
# expect a peer that sends no provisional responses, speak for a registrar or PBX, or use
# syntax newer than Debian's SIPp.)
# Usage: sipp_test.sh LANLINE_BIN SCENARIO_DIR [CORPORA_DIR]
set -uo pipefail
bin=$1
scenarios=$2
corpora=${3:-${LANLINE_CORPORA:-}}
command -v sipp >/dev/null || { echo "sipp is not installed (Debian package sip-tester)"; exit 77; }

source "$(dirname "$(readlink -f "$0")")/../lib/harness.sh"
FAIL_LOG_LINES=15
harness_start


# start_node PROFILE PORT [OPTIONS...]: a headless node, ready when `ctl status` answers.
start_node() {
  local profile=$1 port=$2
  shift 2
  "$bin" --headless --profile "$profile" --sip-port "$port" --user service --name "$profile" \
    --no-discovery "$@" >"$work/$profile.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    "$bin" ctl --profile "$profile" status >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "node $profile did not start"; cat "$work/$profile.log"; return 1
}

ctl() { "$bin" ctl "$@"; }

# wait_call PROFILE STATE: until `ctl calls` shows a call in STATE (5 s at most).
wait_call() {
  for _ in $(seq 50); do
    ctl --profile "$1" calls 2>/dev/null | grep -q "\"state\":\"$2\"" && return 0
    sleep 0.1
  done
  return 1
}

run_sipp() {  # run_sipp NAME ARGS...: SIPp in the foreground, its errors to the log
  local name=$1
  shift
  timeout 60 sipp "$@" -nostdin -timeout 30s -timeout_error -trace_err \
    -error_file "$work/sipp-$name.log" >"$work/sipp-$name.out" 2>&1
}

for transport in u1 t1; do
  tname=$([ $transport = u1 ] && echo UDP || echo TCP)
  uri_param=$([ $transport = t1 ] && echo ";transport=tcp" || echo "")
  proto=$([ $transport = t1 ] && echo tcp || echo udp)  # for port_bound
  answering=$(free_port)
  ringing=$(free_port)
  start_node "answer-$transport" "$answering" --auto-answer || { fail "$tname: node start"; continue; }
  start_node "ring-$transport" "$ringing" || { fail "$tname: node start"; continue; }

  if run_sipp "uac-$transport" -sn uac -s service -t $transport -m 20 -r 20 -l 10 \
      127.0.0.1:"$answering"; then
    pass "$tname: Lanline answers 20 calls from SIPp's uac scenario"
  else fail "$tname: uac scenario"; fi

  if run_sipp "hold-$transport" -sf "$scenarios/hold_uac.xml" -s service -t $transport -m 3 \
      127.0.0.1:"$answering"; then
    pass "$tname: re-INVITE hold (sendonly -> recvonly) and resume"
  else fail "$tname: re-INVITE hold"; fi

  if run_sipp "msg-$transport" -sf "$scenarios/message_options_uac.xml" -s service \
      -t $transport -m 3 127.0.0.1:"$answering"; then
    pass "$tname: OPTIONS 200 with Allow, MESSAGE 200, unknown method 501"
  else fail "$tname: OPTIONS/MESSAGE"; fi

  if run_sipp "sdp-reject-$transport" -sf "$scenarios/sdp_reject_uac.xml" -s service \
      -t $transport -m 2 127.0.0.1:"$answering"; then
    pass "$tname: offers without a common codec get 488 + Warning 305, bad SDP 400 + 399"
  else fail "$tname: SDP refusals"; fi

  if run_sipp "offerless-$transport" -sf "$scenarios/offerless_uac.xml" -s service \
      -t $transport -m 3 127.0.0.1:"$answering"; then
    pass "$tname: offer-less INVITE: offer in the 200, answer in the ACK"
  else fail "$tname: offer-less INVITE"; fi

  if run_sipp "offerless-bad-$transport" -sf "$scenarios/offerless_bad_answer_uac.xml" \
      -s service -t $transport -m 2 127.0.0.1:"$answering"; then
    pass "$tname: an unusable answer in the ACK ends the call with a BYE"
  else fail "$tname: unusable answer in the ACK"; fi

  if run_sipp "cancel-$transport" -sf "$scenarios/cancel_uac.xml" -s service -t $transport \
      -m 3 -r 1 127.0.0.1:"$ringing"; then
    pass "$tname: CANCEL before answer gets 200 and 487"
  else fail "$tname: CANCEL"; fi

  if [ -n "$corpora" ] && [ -d "$corpora/sipp" ]; then
    for scenario in sipp-builtin/uac.xml sipp-repo/regress__github-0207__uac.xml; do
      name=$(basename "$scenario" .xml)
      if run_sipp "corpus-$name-$transport" -sf "$corpora/sipp/$scenario" -s service \
          -t $transport -m 5 127.0.0.1:"$answering"; then
        pass "$tname: corpora/sipp/$scenario"
      else fail "$tname: corpora/sipp/$scenario"; fi
    done
  fi

  # Lanline as UAC: it calls SIPp's uas, which answers; Lanline hangs up.
  uas_port=$(free_port)
  uas_scenario=(-sn uas)
  [ -n "$corpora" ] && [ -f "$corpora/sipp/sipp-builtin/uas.xml" ] &&
    uas_scenario=(-sf "$corpora/sipp/sipp-builtin/uas.xml")
  timeout 60 sipp "${uas_scenario[@]}" -t $transport -p "$uas_port" -m 1 -nostdin -trace_err \
    -error_file "$work/sipp-uas-$transport.log" >"$work/sipp-uas-$transport.out" 2>&1 &
  uas_pid=$!
  wait_for 5 port_bound $proto $uas_port
  if ctl --profile "ring-$transport" call "sip:service@127.0.0.1:$uas_port$uri_param" >/dev/null &&
      wait_call "ring-$transport" established &&
      ctl --profile "ring-$transport" hangup >/dev/null && wait $uas_pid; then
    pass "$tname: Lanline calls SIPp's uas scenario and hangs up"
  else
    kill $uas_pid 2>/dev/null
    fail "$tname: Lanline as UAC"
  fi

  msg_port=$(free_port)
  timeout 60 sipp -sf "$scenarios/uas_message.xml" -t $transport -p "$msg_port" -m 1 -nostdin \
    -trace_err -error_file "$work/sipp-uasmsg-$transport.log" \
    >"$work/sipp-uasmsg-$transport.out" 2>&1 &
  msg_pid=$!
  wait_for 5 port_bound $proto $msg_port
  if ctl --profile "ring-$transport" message "sip:sipp@127.0.0.1:$msg_port$uri_param" \
      "hello sipp" >/dev/null && wait $msg_pid; then
    pass "$tname: Lanline sends a MESSAGE that SIPp accepts"
  else
    kill $msg_pid 2>/dev/null
    fail "$tname: Lanline sends MESSAGE"
  fi

  # IPv6: SIPp's uac towards the node over [::1], and the node calling SIPp's uas there.
  if run_sipp "uac6-$transport" -sn uac -s service -t $transport -i ::1 -m 5 "[::1]:$answering"; then
    pass "$tname over IPv6: Lanline answers SIPp's uac scenario"
  else fail "$tname over IPv6: uac scenario"; fi
  uas6_port=$(free_port)
  timeout 60 sipp -sn uas -t $transport -i ::1 -p "$uas6_port" -m 1 -nostdin -trace_err \
    -error_file "$work/sipp-uas6-$transport.log" >"$work/sipp-uas6-$transport.out" 2>&1 &
  uas6_pid=$!
  wait_for 5 port_bound $proto $uas6_port
  if ctl --profile "ring-$transport" call "sip:service@[::1]:$uas6_port$uri_param" >/dev/null &&
      wait_call "ring-$transport" established &&
      ctl --profile "ring-$transport" hangup >/dev/null && wait $uas6_pid; then
    pass "$tname over IPv6: Lanline calls SIPp's uas scenario and hangs up"
  else
    kill $uas6_pid 2>/dev/null
    fail "$tname over IPv6: Lanline as UAC"
  fi

  ctl --profile "answer-$transport" quit >/dev/null 2>&1
  ctl --profile "ring-$transport" quit >/dev/null 2>&1
done

# An INVITE over 1300 bytes goes by TCP (RFC 3261 18.1.1); towards a phone with UDP only,
# the refused connection sends it again over UDP. A long display name makes it large
# whatever candidates this host has.
big_port=$(free_port)
"$bin" --headless --profile big --sip-port "$big_port" --user service --no-discovery \
  --name "$(printf 'A very long display name %.0s' $(seq 20))" >"$work/big.log" 2>&1 &
pids+=($!)
wait_for 10 "$bin" ctl --profile big status
uas_port=$(free_port)
timeout 60 sipp -sn uas -t u1 -p "$uas_port" -m 1 -nostdin -trace_err \
  -error_file "$work/sipp-uas-big.log" >"$work/sipp-uas-big.out" 2>&1 &
uas_pid=$!
wait_for 5 port_bound udp $uas_port
if ctl --profile big call "sip:service@127.0.0.1:$uas_port" >/dev/null &&
    wait_call big established && ctl --profile big hangup >/dev/null && wait $uas_pid; then
  pass "a 1300+ byte INVITE to a UDP-only peer: TCP refused, sent again over UDP, answered"
else
  kill $uas_pid 2>/dev/null
  fail "a 1300+ byte INVITE to a UDP-only peer was not answered"
fi
ctl --profile big quit >/dev/null 2>&1

harness_summary
