#!/usr/bin/env bash
# SIP over TLS and DTLS-SRTP between two Lanline nodes that discovered each other (RFC
# 3261 26.2, RFC 5763, 5764), on a LAN of two hosts in namespaces with their own
# avahi-daemons (discovery_lab_lib.sh), with tshark on the LAN's bridge:
#   - bob calls Alice by name: the SIP goes over TLS (she announced caps "tls" and a TLS
#     contact), the offer carries DTLS-SRTP (caps "dtls" and her fingerprint), both
#     sides show "signalling":"TLS" and "protection":"dtls", each plays the other's tone
#     (its speaker level); bob and alice chat both ways, by name; the capture holds the
#     TLS and DTLS handshakes, no SIP that tshark can read and no "SIP/2.0" anywhere in
#     its bytes, neither chat text, and neither tone can be read from its RTP;
#     Both show the same short authentication string; bob confirms it (`ctl verify`)
#     and his side says "verified";
#   - bob calls alice by address: plain SIP over UDP and plain RTP (no fingerprint to
#     hold her to), "none" on both sides, and the SIP, a chat text sent the same way and
#     both tones can be read from the capture, which shows that the capture checks see
#     what is there;
#   - bob calls Alice by name again: "verified" at once (kept with her pinned identity);
#   - a man in the middle: a record published for "Carol" with alice's fingerprint, its
#     TLS contact a Lanline node of its own (mallory, with its own certificate): bob's
#     TLS connections to it are refused once its certificate shows, it is never
#     reachable, `peers` says why, a call or message to Carol is refused saying so, and
#     mallory receives no SIP at all;
#   - the other way round (openssl s_client on bob's host): a MESSAGE over TLS to alice
#     that says it is from bob, with a certificate that is not his, is answered 403 and
#     not stored; the same with bob's own certificate is taken (200), but an INVITE with
#     bob's certificate whose offer names another certificate for the media gets 403.
# G.711 (PCMU) so that tests/lib/tone_in_capture.py can decode what it captured.
# Usage: dtls_call_test.sh LANLINE_BIN
set -uo pipefail
LAB_BIN=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
source "$here/discovery_lab_lib.sh"
source "$here/../lib/sanitizer_check.sh"
lab_require
command -v tshark >/dev/null || { echo "FAIL: needs tshark (scripts/packages.txt)"; exit 1; }
trap '[ "$BASHPID" = "$$" ] && lab_cleanup' EXIT

check() { lab_check "$@"; }
call_field() { lab_ctl --profile "$1" calls | jq -r ".calls[0].$2 // empty"; }
protection_is() { [ "$(call_field "$1" protection)" = "$2" ]; }
# The level of what PROFILE plays, above -30 dBFS: the peer's tone, decrypted.
hears() {
  lab_ctl --profile "$1" calls |
    jq -e '.calls[0].media.speaker_level > -30 and .calls[0].media.packets_received > 50' >/dev/null
}
no_calls() { lab_ctl --profile "$1" calls | jq -e '.calls | length == 0' >/dev/null; }

capture_pid=""
start_capture() {  # FILE
  ip netns exec "discbr-$lab_tag" tshark -q -i br0 -f "(udp or tcp) and not port 5353" -w "$1" \
    >"$1.log" 2>&1 &
  capture_pid=$!
  until_true 5 grep -q "Capturing on" "$1.log" || echo "tshark did not start: $(cat "$1.log")"
}
stop_capture() {
  kill -INT "$capture_pid" 2>/dev/null
  wait "$capture_pid" 2>/dev/null
}
tone_in() { python3 "$here/../lib/tone_in_capture.py" "$1" "$2"; }
# check_tones CAPTURE STATUS WHAT: for each tone, tone_in's status must be STATUS (0 heard,
# 1 not), the check named "the HZ Hz tone WHAT".
check_tones() {
  local hz result rc
  for hz in 440 620; do
    result=$(tone_in "$1" "$hz")
    rc=$?
    echo "     $hz Hz: $(echo "$result" | tr '\n' ';')"
    check "the $hz Hz tone $3" [ "$rc" = "$2" ]
  done
}
dtls_handshakes_in() {  # FILE: DTLS ClientHello records tshark finds in it
  tshark -r "$1" -Y "dtls.handshake.type == 1" 2>/dev/null | wc -l
}
tls_records_in() {  # FILE PORT: TLS application data records to or from PORT
  tshark -r "$1" -d "tcp.port==$2,tls" -Y "tcp.port == $2 and tls.record.content_type == 23" \
    2>/dev/null | wc -l
}
sip_in() {  # FILE: SIP messages tshark reads in it
  tshark -r "$1" -Y sip 2>/dev/null | wc -l
}
bytes_in() {  # FILE TEXT: how many times TEXT appears in the capture's raw bytes
  grep -a -c -F -- "$2" "$1"
}
# PROFILE's history with PEER holds TEXT.
history_has() { lab_ctl --profile "$1" history "$2" | grep -q -F -- "$3"; }

lab_bridge
lab_host 1
lab_host 2
lab_avahi_start 1 || exit 1
lab_avahi_start 2 || exit 1
codec=(--audio-codecs PCMU --audio-sink null ${DTLS_TEST_EXTRA:-})
lab_spawn 1 alice --name Alice --user alice --auto-answer "${codec[@]}" --audio-source test:440
lab_spawn 2 bob --name Bob --user bob "${codec[@]}" --audio-source test:620
lab_ready alice && lab_ready bob || exit 1
check "bob sees alice, with caps dtls and her fingerprint" until_true 10 sh -c \
  "'$LAB_BIN' ctl --profile bob peers | jq -e '.peers | any(.name == \"Alice\" and .reachable and (.caps | split(\",\") | index(\"dtls\")) and (.fp | length > 0))' >/dev/null"

echo "--- a call by name: DTLS-SRTP"
start_capture "$lab_work/dtls.pcapng"
check "bob calls Alice by name" sh -c "'$LAB_BIN' ctl --profile bob call Alice | jq -e .ok >/dev/null"
check "both sides say the call is protected by DTLS-SRTP" until_true 10 sh -c \
  "$(declare -f protection_is call_field lab_ctl); LAB_BIN='$LAB_BIN'; protection_is bob dtls && protection_is alice dtls"
check "both sides' SIP goes over TLS" sh -c \
  "$(declare -f call_field lab_ctl); LAB_BIN='$LAB_BIN'; [ \"\$(call_field bob signalling)\" = TLS ] && [ \"\$(call_field alice signalling)\" = TLS ]"
check "bob plays alice's tone" until_true 5 hears bob
check "alice plays bob's tone" until_true 5 hears alice
secret_bob="chat-from-bob-$RANDOM$RANDOM" secret_alice="chat-from-alice-$RANDOM$RANDOM"
check "bob writes to Alice by name" sh -c \
  "'$LAB_BIN' ctl --profile bob message Alice '$secret_bob' | jq -e .ok >/dev/null"
check "alice writes to Bob by name" sh -c \
  "'$LAB_BIN' ctl --profile alice message Bob '$secret_alice' | jq -e .ok >/dev/null"
check "alice has bob's text" until_true 5 history_has alice sip:bob@198.18.4.2 "$secret_bob"
check "bob has alice's text" until_true 5 history_has bob sip:alice@198.18.4.1 "$secret_alice"
sas_bob=$(call_field bob sas) sas_alice=$(call_field alice sas)
echo "     short authentication strings: bob '$sas_bob', alice '$sas_alice'"
check "both sides show the same short authentication string" \
  sh -c "echo '$sas_bob' | grep -Eq '^[0-9]{3} [0-9]{3}$' && [ '$sas_bob' = '$sas_alice' ]"
check "bob confirms it (ctl verify)" sh -c \
  "'$LAB_BIN' ctl --profile bob verify | jq -e '.ok and .protection == \"verified\"' >/dev/null"
check "bob's call is verified, alice's still dtls" sh -c \
  "$(declare -f protection_is call_field lab_ctl); LAB_BIN='$LAB_BIN'; protection_is bob verified && protection_is alice dtls"
sleep 3
stop_capture
lab_ctl --profile bob calls | jq -c '.calls[0] | {protection, media: {codec: .media.codec, speaker_level: .media.speaker_level, packets_received: .media.packets_received}}'
check "the capture holds the DTLS handshake" [ "$(dtls_handshakes_in "$lab_work/dtls.pcapng")" -ge 1 ]
# The connections were opened by the probes before the capture began (and are reused):
# what it holds of them is TLS records on alice's announced TLS port.
tls_port=$(lab_ctl --profile bob peers |
  jq -r '.peers[] | select(.name == "Alice") | .addresses[] | select(.transport == "tls") | .port' |
  head -1)
echo "     alice's TLS port: $tls_port; TLS records on it: $(tls_records_in "$lab_work/dtls.pcapng" "$tls_port"), SIP messages tshark reads: $(sip_in "$lab_work/dtls.pcapng"), \"SIP/2.0\" in the bytes: $(bytes_in "$lab_work/dtls.pcapng" SIP/2.0)"
check "the capture holds SIP over TLS (records on her TLS port)" \
  [ "$(tls_records_in "$lab_work/dtls.pcapng" "$tls_port")" -ge 4 ]
check "no SIP can be read from the capture" [ "$(sip_in "$lab_work/dtls.pcapng")" = 0 ]
check "no \"SIP/2.0\" anywhere in its bytes" [ "$(bytes_in "$lab_work/dtls.pcapng" SIP/2.0)" = 0 ]
check "neither chat text is in it" [ "$(bytes_in "$lab_work/dtls.pcapng" chat-from-)" = 0 ]
check_tones "$lab_work/dtls.pcapng" 1 "cannot be read from the capture"
lab_ctl --profile bob hangup >/dev/null
until_true 5 no_calls alice

echo "--- a call by address: plain RTP"
start_capture "$lab_work/plain.pcapng"
check "bob calls sip:alice@198.18.4.1" sh -c \
  "'$LAB_BIN' ctl --profile bob call sip:alice@198.18.4.1 | jq -e .ok >/dev/null"
check "both sides say the call is not protected" until_true 10 sh -c \
  "$(declare -f protection_is call_field lab_ctl); LAB_BIN='$LAB_BIN'; protection_is bob none && protection_is alice none && [ \"\$(call_field bob state)\" = established ]"
check "bob plays alice's tone" until_true 5 hears bob
check "a plain call has no string to verify, and says so" sh -c \
  "'$LAB_BIN' ctl --profile bob verify | jq -e '(.ok | not) and (.error | contains(\"not protected by DTLS-SRTP\"))' >/dev/null"
check "its SIP goes over UDP" [ "$(call_field bob signalling)" = UDP ]
check "bob writes to sip:alice@198.18.4.1 in the clear" sh -c \
  "'$LAB_BIN' ctl --profile bob message sip:alice@198.18.4.1 'plain-chat-$secret_bob' | jq -e .ok >/dev/null"
check "alice has it" until_true 5 history_has alice sip:bob@198.18.4.2 "plain-chat-$secret_bob"
sleep 3
stop_capture
check "the plain call's SIP can be read from its capture" [ "$(sip_in "$lab_work/plain.pcapng")" -ge 3 ]
check "and the plain chat text" [ "$(bytes_in "$lab_work/plain.pcapng" "plain-chat-$secret_bob")" -ge 1 ]
check_tones "$lab_work/plain.pcapng" 0 "can be read from the plain call's capture"
lab_ctl --profile bob hangup >/dev/null
until_true 5 no_calls alice

echo "--- a call by name again: the verification was kept with alice's pinned identity"
check "bob calls Alice by name" sh -c "'$LAB_BIN' ctl --profile bob call Alice | jq -e .ok >/dev/null"
check "bob's side is verified at once" until_true 10 sh -c \
  "$(declare -f protection_is call_field lab_ctl); LAB_BIN='$LAB_BIN'; protection_is bob verified"
lab_ctl --profile bob hangup >/dev/null
until_true 5 no_calls alice

echo "--- a man in the middle: alice's fingerprint announced for a node that has another"
LAB_PORT=5070 lab_spawn 2 mallory --name Mallory --user carol --auto-answer --no-discovery "${codec[@]}"
lab_ready mallory || exit 1
alice_fp=$(lab_ctl --profile alice status | jq -r .fp)
mallory_tls=$(lab_ctl --profile mallory status | jq -r '.tls_port // empty')
check "mallory takes SIP over TLS (port $mallory_tls)" [ -n "$mallory_tls" ]
carol_txt=(txtvers=1 "name=Carol" "instance_id=$(cat /proc/sys/kernel/random/uuid)" state=available
  note= "caps=audio,screen,chat,ice,dtls,tls" "fp=$alice_fp")
lab_exec 2 avahi-publish -s "sip:carol@198.18.4.2:5070" _sipuri._udp 5070 "${carol_txt[@]}" \
  "contact=<sip:carol@198.18.4.2:5070>" >/dev/null 2>&1 &
lab_pids+=($!)
lab_exec 2 avahi-publish -s "sip:carol@198.18.4.2:5070" _sipuri._tcp 5070 "${carol_txt[@]}" \
  "contact=<sip:carol@198.18.4.2:$mallory_tls;transport=tls>" >/dev/null 2>&1 &
lab_pids+=($!)
carol() { lab_ctl --profile bob peers | jq -e ".peers[] | select(.name == \"Carol\") | $1" >/dev/null; }
check "bob sees Carol, with alice's fingerprint and a TLS address" until_true 10 carol \
  "select(.fp == \"$alice_fp\" and (.addresses | any(.transport == \"tls\")))"
check "bob refuses Carol's certificate: peers says why" until_true 10 carol \
  "select(.tls_error // \"\" | contains(\"someone may be in the middle\"))"
check "Carol is not reachable" carol "select(.reachable | not)"
check "bob's log names the refused certificate" grep -q "refused: peer 'Carol'" "$lab_work/bob.log"
reply=$(lab_ctl --profile bob call Carol)
echo "     call Carol: $reply"
check "a call to Carol is refused, saying why" sh -c \
  "echo '$reply' | jq -e '(.ok | not) and (.error | contains(\"someone may be in the middle\"))' >/dev/null"
check "and so is a message" sh -c \
  "'$LAB_BIN' ctl --profile bob message Carol 'for carol' | jq -e '.ok | not' >/dev/null"
check "bob placed no call" no_calls bob
check "mallory got no SIP: no call, no message" sh -c \
  "'$LAB_BIN' ctl --profile mallory calls | jq -e '.calls | length == 0' >/dev/null &&
   ! grep -q 'for carol' '$lab_work/mallory.log'"

# send_as CERT KEY TEXT: a MESSAGE from bob's URI to alice's TLS port, over a TLS
# connection that shows CERT; prints alice's status line.
send_as() {
  local branch=z9hG4bK$RANDOM$RANDOM body=$3
  printf '%s\r\n' "MESSAGE sip:alice@198.18.4.1:5060 SIP/2.0" \
    "Via: SIP/2.0/TLS 198.18.4.2:5061;branch=$branch;rport" "Max-Forwards: 70" \
    "From: <sip:bob@198.18.4.2:5060>;tag=$RANDOM" "To: <sip:alice@198.18.4.1:5060>" \
    "Call-ID: $RANDOM$RANDOM@198.18.4.2" "CSeq: 1 MESSAGE" "Content-Type: text/plain" \
    "Content-Length: ${#body}" "" | { cat; printf '%s' "$body"; sleep 2; } |
    lab_in 2 timeout 5 openssl s_client -connect 198.18.4.1:5061 -quiet -cert "$1" -key "$2" \
      2>/dev/null | grep -m1 '^SIP/2.0'
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=forger \
  -keyout "$lab_work/forger.key" -out "$lab_work/forger.pem" 2>/dev/null
forged=$(send_as "$lab_work/forger.pem" "$lab_work/forger.key" "forged-$secret_bob")
echo "     a forged MESSAGE from bob: $forged"
check "a MESSAGE that claims bob with another certificate is refused (403)" \
  sh -c "echo '$forged' | grep -q '^SIP/2.0 403'"
check "and not stored" sh -c "$(declare -f history_has lab_ctl); LAB_BIN='$LAB_BIN'; ! history_has alice sip:bob@198.18.4.2 'forged-$secret_bob'"
bob_identity=$XDG_DATA_HOME/lanline/bob/identity
genuine=$(send_as "$bob_identity/certificate.pem" "$bob_identity/key.pem" "genuine-$secret_bob")
echo "     the same with bob's certificate: $genuine"
check "the same with bob's own certificate is taken (200)" sh -c "echo '$genuine' | grep -q '^SIP/2.0 200'"
check "and stored" until_true 5 history_has alice sip:bob@198.18.4.2 "genuine-$secret_bob"
# An INVITE from bob's URI with bob's certificate whose offer names another certificate
# for the media: refused (the media must be keyed to the identity the SIP showed).
forger_fp=$(openssl x509 -in "$lab_work/forger.pem" -noout -fingerprint -sha256 | cut -d= -f2)
python3 - "$forger_fp" >"$lab_work/invite.txt" <<'PY'
import random, sys
sdp = "\r\n".join(["v=0", "o=- 1 1 IN IP4 198.18.4.2", "s=-", "c=IN IP4 198.18.4.2", "t=0 0",
                    "m=audio 40000 UDP/TLS/RTP/SAVPF 0", "a=rtpmap:0 PCMU/8000", "a=setup:actpass",
                    "a=fingerprint:sha-256 " + sys.argv[1], "a=rtcp-mux"]) + "\r\n"
n = random.randrange(1 << 30)
sys.stdout.write("\r\n".join([
    "INVITE sip:alice@198.18.4.1:5060 SIP/2.0",
    f"Via: SIP/2.0/TLS 198.18.4.2:5061;branch=z9hG4bKinv{n};rport", "Max-Forwards: 70",
    f"From: <sip:bob@198.18.4.2:5060>;tag={n}", "To: <sip:alice@198.18.4.1:5060>",
    f"Call-ID: inv{n}@198.18.4.2", "CSeq: 1 INVITE",
    "Contact: <sip:bob@198.18.4.2:5061;transport=tls>", "Content-Type: application/sdp",
    f"Content-Length: {len(sdp)}", "", ""]) + sdp)
PY
answer=$({ cat "$lab_work/invite.txt"; sleep 2; } |
  lab_in 2 timeout 5 openssl s_client -connect 198.18.4.1:5061 -quiet \
    -cert "$bob_identity/certificate.pem" -key "$bob_identity/key.pem" 2>/dev/null |
  grep -m1 -E '^SIP/2.0 [2-6]')
echo "     an INVITE from bob whose offer names the forger's certificate: $answer"
check "an offer whose DTLS fingerprint is not the certificate of its SIP is refused (403)" \
  sh -c "echo '$answer' | grep -q '^SIP/2.0 403'"

lab_finish "DTLS call"
