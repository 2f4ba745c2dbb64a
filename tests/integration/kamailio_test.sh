#!/usr/bin/env bash
# Accounts beyond the LAN (issue 16) against a real Kamailio (tests/kamailio/kamailio.cfg):
# three namespaces on one bridge, Kamailio on 198.18.71.1 as registrar and proxy of the
# domain lanline.test, alice and bob in their own namespaces, each with an account there.
#   1. both register with digest authentication (over UDP), shown by `ctl accounts`
#   2. alice calls sip:bob@lanline.test through the proxy (its 407 answered), audio both
#      ways (a 440 Hz and a 660 Hz tone, each checked in the other's recording)
#   3. chat both ways through the proxy (its 407 answered)
#   4. baresip, registered on the same Kamailio, calls alice by address of record and is
#      called by her (alice's tone checked in baresip's recording)
#   5. a wrong password: refused, reported once, not retried
#   6. Kamailio restarts and forgets every binding: alice registers again at her next
#      refresh, and bob calls her again
#   7. a node that quits, and one stopped by SIGTERM, un-register: a call to them is 404
#
# Usage: kamailio_test.sh LANLINE_BIN [ALGORITHM [TRANSPORT]]
#   ALGORITHM: MD5 (default) or SHA-256; TRANSPORT: udp (default) or tls (the accounts'
#   SIP over TLS to Kamailio's port 5061, and Kamailio's to the nodes)
set -uo pipefail
bin=$1
algorithm=${2:-MD5}
transport=${3:-udp}
for tool in kamailio baresip jq sox gawk openssl; do
  command -v "$tool" >/dev/null || { echo "FAIL: needs $tool (Debian package: ${tool/sox/sox})"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "FAIL: needs root for network namespaces"; exit 1; }
here=$(dirname "$(readlink -f "$0")")
source "$here/../lib/harness.sh"
source "$here/../lib/sanitizer_check.sh"
source "$here/../lib/audio_check.sh"
source "$here/../lib/netns_pair.sh"
source "$here/../lib/baresip_lab.sh"
harness_start /tmp/lanline-kamailio.XXXXXX

source "$here/../lib/kamailio_lab.sh"
kamailio_lab_setup "$algorithm" "$transport" alice:alice-secret bob:bob-secret carol:carol-secret \
  dave:dave-secret
start_kamailio
kamailio -v | head -1

# ---- 1. Registration ------------------------------------------------------------------
account_node alice "$ns_a" alice-secret --sip-trace --audio-source test:440 \
  --audio-sink "record:$work/alice.wav"
account_node bob "$ns_b" bob-secret --auto-answer --audio-source test:660 \
  --audio-sink "record:$work/bob.wav"
check "alice registers with digest authentication ($algorithm, over $transport)" until_true 10 \
  is_registered alice
check "bob registers too" until_true 10 is_registered bob
check "accounts shows the expiry granted (20 s)" sh -c \
  "'$bin' ctl --profile alice accounts | jq -e '.accounts[0].expires == 20 and .accounts[0].error == \"\"' >/dev/null"
check "the REGISTER was challenged, then answered with $algorithm" sh -c \
  "grep -q 'WWW-Authenticate: Digest.*algorithm=$algorithm' '$work/alice.log' &&
   grep -q 'Authorization: Digest username=\"alice\".*algorithm=$algorithm' '$work/alice.log'"

# ---- 2. A call through the proxy ---------------------------------------------------------
check "alice calls sip:bob@lanline.test through the account" sh -c \
  "'$bin' ctl --profile alice call sip:bob@lanline.test | jq -e '.ok and .account == \"sip:alice@lanline.test\"' >/dev/null"
check "the call is established on both sides" until_true 10 sh -c \
  "$(declare -f call_state ctl); bin='$bin'; call_state alice established && call_state bob established"
sleep 4
ctl --profile alice hangup >/dev/null
check "and ends on both sides" until_true 10 sh -c \
  "$(declare -f no_calls ctl); bin='$bin'; no_calls alice && no_calls bob"
check "the INVITE's 407 was answered with Proxy-Authorization" \
  grep -q "Proxy-Authorization: Digest username=\"alice\"" "$work/alice.log"
if [ "$transport" = tls ]; then
  check "her SIP went over TLS: the REGISTER's Via says TLS" grep -q "^Via: SIP/2.0/TLS" "$work/alice.log"
  check "and Kamailio's INVITE reached bob over TLS too" sh -c \
    "grep -q 'relayed to sip:bob@198.18.71.3:[0-9]*;transport=tls' '$work/kamailio.out'"
fi
check "Kamailio relayed the INVITE to bob's registered contact" \
  grep -q "INVITE from sip:alice@lanline.test relayed to sip:bob@198.18.71.3" "$work/kamailio.out"
sleep 0.5
check "bob heard alice's 440 Hz" audio_check_tone "$work/bob.wav" 440 15 300 2
check "alice heard bob's 660 Hz" audio_check_tone "$work/alice.wav" 660 15 300 2

# ---- 3. Chat through the proxy ----------------------------------------------------------------
ctl --profile alice message sip:bob@lanline.test "hello bob, via kamailio" >/dev/null
ctl --profile bob message sip:alice@lanline.test "hello alice, via kamailio" >/dev/null
has_message() {  # PROFILE PEER TEXT
  ctl --profile "$1" history "$2" | jq -e --arg t "$3" '.messages | any(.text == $t and .direction == "in")' >/dev/null
}
check "bob received alice's message through the proxy" until_true 10 has_message bob \
  sip:alice@lanline.test "hello bob, via kamailio"
check "alice received bob's" until_true 10 has_message alice sip:bob@lanline.test \
  "hello alice, via kamailio"

# ---- 4. baresip on the same Kamailio --------------------------------------------------------
# In the UDP variant (the TLS one has the nodes over TLS; baresip 1.0 there fails every
# request with "Function not implemented", not understood yet: see the issue's note).
if [ "$transport" = udp ]; then
# In bob's namespace on port 5080: an ordinary SIP phone with an account.
sox -n -r 48000 -c 2 -b 16 "$work/dave-880.wav" synth 30 sine 880 vol 0.5
baresip_lab_config "$work/dave" 198.18.71.3 5080 dave "opus/48000/2,PCMU" \
  "aufile,$work/dave-880.wav" "" "$work/dave-rec"
echo "<sip:dave@lanline.test;transport=udp>;auth_pass=dave-secret;outbound=\"sip:198.18.71.1;transport=udp\";regint=60;answermode=auto;audio_codecs=opus/48000/2,PCMU" \
  >"$work/dave/accounts"
start_dave() {  # BARESIP ARGS...: baresip in bob's namespace; sets dave_pid
  rm -f "$work/dave.pid"
  ip netns exec "$ns_b" bash -c "source '$here/../lib/baresip_lab.sh'
    baresip_lab_start '$work/dave' $* && echo \$BARESIP_PID > '$work/dave.pid'; wait" &
  pids+=($!)
  until_true 10 test -s "$work/dave.pid"
  dave_pid=$(cat "$work/dave.pid" 2>/dev/null)
  pids+=("$dave_pid")
}
start_dave
check "baresip registers on the same Kamailio" until_true 10 grep -q \
  "REGISTER of sip:dave@lanline.test saved" "$work/kamailio.out"
check "alice calls baresip by address of record" sh -c \
  "'$bin' ctl --profile alice call sip:dave@lanline.test | jq -e .ok >/dev/null"
check "baresip answers: established" until_true 10 call_state alice established
sleep 3
ctl --profile alice hangup >/dev/null
until_true 5 no_calls alice
sleep 0.5
check "baresip heard alice's 440 Hz" audio_check_tone "$(baresip_lab_decoded "$work/dave-rec")" 440 15 300 1.5
kill -TERM "$dave_pid" 2>/dev/null
until_true 5 sh -c "! kill -0 $dave_pid 2>/dev/null"
# baresip dials from its command line (-e): its console reads commands from a terminal.
start_dave -e "'/dial sip:alice@lanline.test'"
check "baresip calls alice by address of record (its 407 answered): she rings" until_true 10 \
  call_state alice incoming
ctl --profile alice answer >/dev/null
check "she answers: established" until_true 10 call_state alice established
ctl --profile alice hangup >/dev/null
until_true 5 no_calls alice
kill -TERM "$dave_pid" 2>/dev/null
fi

# ---- 5. A wrong password ------------------------------------------------------------------------
account_node carol "$ns_a" not-carols-password --sip-port 5070
check "a wrong password: the account fails" until_true 10 sh -c \
  "[ \"\$('$bin' ctl --profile carol accounts | jq -r '.accounts[0].state')\" = failed ]"
check "saying so, and what to do" sh -c \
  "'$bin' ctl --profile carol accounts | jq -e '.accounts[0].error | test(\"refused user .carol. or its password\")' >/dev/null"
sleep 12
refusals=$(grep -c "refused user 'carol'" "$work/carol.log")
check "reported once in the log ($refusals), and not retried in 12 s" [ "$refusals" = 1 ]
ctl --profile carol quit >/dev/null
wait "${node_pid[carol]}" 2>/dev/null

# ---- 6. Kamailio restarts, forgetting every binding -------------------------------------------
stop_kamailio
mv "$work/kamailio.out" "$work/kamailio-before-restart.out"
start_kamailio
ctl --profile bob call sip:alice@lanline.test >/dev/null
check "right after the restart Kamailio knows no alice (404)" until_true 10 grep -q \
  "terminated sip:alice@lanline.test (not found" "$work/bob.log"
check "alice registers again at her next refresh (within 15 s)" until_true 15 grep -q \
  "REGISTER of sip:alice@lanline.test saved" "$work/kamailio.out"
sleep 1
check "and bob reaches her again" sh -c \
  "'$bin' ctl --profile bob call sip:alice@lanline.test | jq -e .ok >/dev/null"
check "the call connects" until_true 10 call_state alice incoming
ctl --profile bob hangup >/dev/null 2>&1
until_true 5 no_calls bob

# ---- 7. Leaving un-registers ---------------------------------------------------------------------
ctl --profile alice quit >/dev/null
wait "${node_pid[alice]}" 2>/dev/null
check "alice's quit un-registered her (Kamailio saved her Expires: 0)" grep -q \
  "REGISTER of sip:alice@lanline.test saved (Expires 0)" "$work/kamailio.out"
kill -TERM "${node_pid[bob]}"
wait "${node_pid[bob]}" 2>/dev/null
check "bob's SIGTERM un-registered him" grep -q \
  "REGISTER of sip:bob@lanline.test saved (Expires 0)" "$work/kamailio.out"
for profile in alice bob; do
  sanitizer_check "$work/$profile.log" || fail "$profile ended with a sanitizer report"
done
stop_kamailio
harness_summary
