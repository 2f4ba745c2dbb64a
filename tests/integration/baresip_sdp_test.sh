#!/usr/bin/env bash
# SDP offer/answer with a real softphone: baresip (Debian baresip-core) on loopback.
#  1. Lanline calls an auto-answering baresip: baresip answers Lanline's offer with Opus
#     on Lanline's payload type 96, the call is established and stays up (Lanline finds
#     the answer usable: no BYE of its own), hold gets a=recvonly back, resume works.
#  2. baresip (offering Opus only) calls an auto-answering Lanline: Lanline's answer keeps
#     baresip's numbers, and both sides run Opus.
# Media is not checked here (media/ does that); the negotiation is, on both sides.
# Usage: baresip_sdp_test.sh LANLINE_BIN
set -uo pipefail
bin=$(readlink -f "$1")
command -v baresip >/dev/null || { echo "baresip is not installed (Debian baresip-core)"; exit 77; }
modules=/usr/lib/baresip/modules
[ -f $modules/opus.so ] && [ -f $modules/ausine.so ] || { echo "baresip's opus/ausine modules are missing"; exit 77; }

source "$(dirname "$(readlink -f "$0")")/../lib/harness.sh"
FAIL_LOG_LINES=40
harness_start
ctl() { "$bin" ctl --profile node "$@"; }
call_state() { ctl calls 2>/dev/null | grep -q "\"state\":\"$1\""; }

node_port=$(free_port)
bs_port=$(free_port)

# baresip: ausine makes a 48 kHz tone, so Opus is the codec its source can feed.
mkdir -p "$work/baresip"
cat >"$work/baresip/config" <<CONF
sip_listen 127.0.0.1:$bs_port
audio_source ausine,440
audio_player aufile,/dev/null
audio_alert aufile,/dev/null
module_path $modules
module g711.so
module opus.so
module aufile.so
module ausine.so
module_app account.so
module_app menu.so
CONF
echo "<sip:bench@127.0.0.1>;regint=0;answermode=auto;audio_codecs=opus/48000/2" >"$work/baresip/accounts"

"$bin" --headless --profile node --sip-port "$node_port" --user svc --no-discovery \
  --sip-trace --auto-answer >"$work/node.log" 2>&1 &
pids+=($!)
wait_for 10 ctl status >/dev/null || { fail "node start"; exit 1; }

# 1. Lanline calls baresip.
baresip -f "$work/baresip" -t 20 >"$work/baresip-uas.log" 2>&1 &
bs_pid=$!
pids+=($bs_pid)
wait_for 5 port_bound udp "$bs_port"
if ctl call "sip:bench@127.0.0.1:$bs_port" >/dev/null && wait_for 5 call_state established; then
  # baresip sets its encoder when it has sent its answer; an unusable answer would have
  # ended the call (ACK and BYE) as it arrived, before the state above.
  wait_for 5 grep -aq "Set audio encoder" "$work/baresip-uas.log"
  if call_state established && grep -aq "Set audio encoder: opus 48000Hz 2ch" "$work/baresip-uas.log" &&
      grep -aEq "^m=audio [0-9]+ RTP/AVP 96( |$)" "$work/node.log"; then
    pass "Lanline calls baresip: Opus on payload type 96, the answer is taken"
  else fail "Lanline calls baresip: negotiation"; fi
  if ctl hold >/dev/null && wait_for 5 sh -c "$bin ctl --profile node calls | grep -q '\"local_hold\":true'" &&
      grep -aq "^a=recvonly" "$work/node.log" && ctl resume >/dev/null &&
      wait_for 5 sh -c "$bin ctl --profile node calls | grep -q '\"local_hold\":false'" &&
      call_state established; then
    pass "Lanline holds baresip (a=sendonly answered a=recvonly) and resumes"
  else fail "hold and resume with baresip"; fi
  ctl hangup >/dev/null
  wait_for 5 sh -c "! $bin ctl --profile node calls | grep -q state" || true
else
  fail "Lanline calls baresip: no established call"
fi
kill $bs_pid 2>/dev/null
wait $bs_pid 2>/dev/null

# 2. baresip calls Lanline, offering Opus only (on its own payload type).
lines_before=$(wc -l <"$work/node.log")
baresip -f "$work/baresip" -t 6 -e "/dial sip:svc@127.0.0.1:$node_port" >"$work/baresip-uac.log" 2>&1 &
bs_pid=$!
pids+=($bs_pid)
if wait_for 5 call_state established; then
  wait_for 5 grep -aq "Set audio encoder" "$work/baresip-uac.log"
  # In the node's SIP trace: baresip's INVITE carries the offer, then Lanline's 200 the answer.
  offer=$(tail -n +"$lines_before" "$work/node.log" | grep -a "^m=audio" | sed -n 1p)
  answer=$(tail -n +"$lines_before" "$work/node.log" | grep -a "^m=audio" | sed -n 2p)
  offer_pt=$(echo "$offer" | awk '{print $4}')
  if call_state established && grep -aq "Set audio encoder: opus 48000Hz 2ch" "$work/baresip-uac.log" &&
      [ -n "$offer_pt" ] && echo "$answer" | grep -Eq "RTP/AVP $offer_pt( |$)"; then
    pass "baresip calls Lanline: the answer keeps baresip's Opus payload type $offer_pt"
  else
    echo "offer: '$offer'; answer: '$answer'"
    fail "baresip calls Lanline: negotiation"
  fi
  ctl hangup >/dev/null
else
  fail "baresip calls Lanline: no established call"
fi
wait $bs_pid 2>/dev/null
ctl quit >/dev/null 2>&1

harness_summary
