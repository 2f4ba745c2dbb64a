#!/usr/bin/env bash
# An account under a registrar's load (issue 16): while SIPp registers USERS other users
# on the same Kamailio (digest authentication each, tests/kamailio/sipp/register_auth.xml),
# alice and bob stay registered (expiry 20 s: a refresh every 10 s) and hold a call
# through the proxy. Checks: every SIPp registration succeeded, no refresh of alice's or
# bob's failed, the call stayed up, and each side's tone has no gap over 200 ms.
#
# Usage: kamailio_load_test.sh LANLINE_BIN [USERS (10000)] [RATE per s (400)]
set -uo pipefail
bin=$1
users=${2:-10000}
rate=${3:-400}
for tool in kamailio sipp jq sox gawk; do
  command -v "$tool" >/dev/null || { echo "FAIL: needs $tool"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "FAIL: needs root for network namespaces"; exit 1; }
here=$(dirname "$(readlink -f "$0")")
source "$here/../lib/harness.sh"
source "$here/../lib/sanitizer_check.sh"
source "$here/../lib/audio_check.sh"
source "$here/../lib/netns_pair.sh"
source "$here/../lib/kamailio_lab.sh"
harness_start /tmp/lanline-kamailio-load.XXXXXX

load_users=()
for i in $(seq -w 1 "$users"); do load_users+=("load$i:pw$i"); done
kamailio_lab_setup MD5 udp alice:alice-secret bob:bob-secret "${load_users[@]}"
start_kamailio
{
  echo SEQUENTIAL
  for i in $(seq -w 1 "$users"); do echo "load$i;[authentication username=load$i password=pw$i]"; done
} >"$work/users.csv"

account_node alice "$ns_a" alice-secret --audio-source test:440 --audio-sink "record:$work/alice.wav"
account_node bob "$ns_b" bob-secret --auto-answer --audio-source test:660 \
  --audio-sink "record:$work/bob.wav"
check "alice and bob register" until_true 10 sh -c \
  "$(declare -f is_registered account_state ctl); bin='$bin'; is_registered alice && is_registered bob"
check "alice calls bob through the proxy" sh -c \
  "'$bin' ctl --profile alice call sip:bob@lanline.test | jq -e .ok >/dev/null"
check "the call is established" until_true 10 call_state alice established

# The load, from bob's namespace (another host of the LAN), bounded by the rate.
started=$SECONDS
ip netns exec "$ns_b" sipp 198.18.71.1:5060 -sf "$here/../kamailio/sipp/register_auth.xml" \
  -inf "$work/users.csv" -m "$users" -r "$rate" -l 200 -i 198.18.71.3 -p 5090 -nostdin \
  -trace_stat -stf "$work/sipp.csv" -trace_err -error_file "$work/sipp-errors.log" \
  >"$work/sipp.out" 2>&1
sipp_rc=$?
took=$((SECONDS - started))
successful=$(tail -1 "$work/sipp.csv" | awk -F';' '{print $16}')
failed=$(tail -1 "$work/sipp.csv" | awk -F';' '{print $18}')
echo "     SIPp: $users registrations at up to $rate/s in ${took} s: $successful succeeded, $failed failed"
check "every SIPp registration succeeded (sipp exit $sipp_rc)" [ "$sipp_rc" = 0 ]
sleep 2
check "the call is still established on both sides" sh -c \
  "$(declare -f call_state ctl); bin='$bin'; call_state alice established && call_state bob established"
ctl --profile alice hangup >/dev/null
until_true 5 no_calls alice
check "no refresh of alice's or bob's failed during the load" sh -c \
  "! grep -h 'account sip:.*: ' '$work/alice.log' '$work/bob.log' | grep -v ': registering\|: registered for 20 s' | grep -q ."
check "both still registered" sh -c \
  "$(declare -f is_registered account_state ctl); bin='$bin'; is_registered alice && is_registered bob"
sleep 0.5
check "bob heard alice's 440 Hz throughout (no gap over 200 ms)" \
  audio_check_tone "$work/bob.wav" 440 15 200 "$took"
check "alice heard bob's 660 Hz throughout" audio_check_tone "$work/alice.wav" 660 15 200 "$took"
for profile in alice bob; do
  ctl --profile "$profile" quit >/dev/null
  wait "${node_pid[$profile]}" 2>/dev/null
  sanitizer_check "$work/$profile.log" || fail "$profile ended with a sanitizer report"
done
stop_kamailio
harness_summary
