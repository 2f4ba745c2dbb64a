#!/usr/bin/env bash
# Zeroconf discovery on a LAN of three hosts (network namespaces on a bridge, each with its
# own dbus-daemon and avahi-daemon; ../shared/LAB.md), with real avahi-utils as the other
# side of the interop checks. Checks, in order:
#   three nodes see each other (reachable) within 2 s; the same display name on two hosts
#   gives two distinct peers; `avahi-browse -rtp` shows exactly DESIGN.md's TXT keys; a
#   presence change propagates; a call placed by peer name connects, an ambiguous name is
#   refused with the instance ids; Blink-style and Ekiga-style services published with
#   avahi-publish appear with the right URI; the Blink-style one, with baresip behind it,
#   is reachable and called by name, the Ekiga-style one (nothing behind) is not; a node
#   that quits is gone; a node killed with its avahi-daemon is unreachable within 10 s;
#   an avahi-daemon restart re-publishes and re-browses; a node started with no daemon
#   says so, calls by address, and joins when the daemon starts; each peer's identity is
#   pinned on first sight, and a node announcing another's instance id with a certificate
#   of its own is flagged, not called by name until the user trusts it (`ctl trust`).
# Usage: discovery_lab.sh LANLINE_BIN
set -uo pipefail
LAB_BIN=$(readlink -f "$1")
source "$(dirname "$(readlink -f "$0")")/discovery_lab_lib.sh"
# In the sanitizer build a node's leaks are judged from its log (sanitizer_check, at the
# end), not by its exit status (sourcing it sets LSAN_OPTIONS exitcode=0).
source "$(dirname "$(readlink -f "$0")")/../lib/sanitizer_check.sh"
lab_require
# Only the script itself cleans up: a subshell killed before it has reset its traps (a
# watchdog ended early) would otherwise run this EXIT trap too, and end the nodes and
# delete the work directory under the running test.
trap '[ "$BASHPID" = "$$" ] && lab_cleanup' EXIT

check() { lab_check "$@"; }

# Peers of PROFILE matching a jq condition, counted.
count() { lab_peers "$1" | jq -s "[.[] | select($2)] | length"; }
has() { [ "$(count "$1" "$2")" -ge "${3:-1}" ]; }
has_not() { [ "$(count "$1" "$2")" = 0 ]; }
call_state() { lab_ctl --profile "$1" calls | jq -e --arg s "$2" '.calls | any(.state == $s)' >/dev/null; }
no_calls() { lab_ctl --profile "$1" calls | jq -e '.calls | length == 0' >/dev/null; }
id_of() { lab_ctl --profile "$1" status | jq -r .instance_id; }

lab_bridge
for n in 1 2 3; do lab_host "$n"; done
# Hosts 1 and 2 are on a second LAN too: each is one peer with paths on both.
lab_second_link 1
lab_second_link 2
for n in 1 2 3; do lab_avahi_start "$n" || exit 1; done

# ---- Three nodes see each other --------------------------------------------------------
# Started together, as three people on a LAN might; timed from the start.
start=$(now_ms)
lab_spawn 1 alice --name Alice --user alice --auto-answer
lab_spawn 2 bob --name Bob --user bob
lab_spawn 3 carol --name Bob --user carol --auto-answer  # the same display name as bob
lab_ready alice && lab_ready bob && lab_ready carol || exit 1
alice_id=$(id_of alice) bob_id=$(id_of bob) carol_id=$(id_of carol)
all_see() {
  has alice '.reachable and (.instance_id == "'"$bob_id"'" or .instance_id == "'"$carol_id"'")' 2 &&
    has bob '.reachable and (.instance_id == "'"$alice_id"'" or .instance_id == "'"$carol_id"'")' 2 &&
    has carol '.reachable and (.instance_id == "'"$alice_id"'" or .instance_id == "'"$bob_id"'")' 2
}
until_true 10 all_see
seen=$(($(now_ms) - start))
lab_judge "three nodes see each other, reachable, in ${seen} ms (< 2000)" [ "$seen" -lt 2000 ]
check "a node does not list itself" has_not alice '.instance_id == "'"$alice_id"'"'
check "the same display name on two hosts: two distinct peers" \
  has alice '.name == "Bob" and (.instance_id == "'"$bob_id"'" or .instance_id == "'"$carol_id"'")' 2
# Another user's node on alice's host, with alice's display name: Avahi's local collision
# renames it; alice lists it (only her own instance is hidden) and bob sees two Alices.
LAB_PORT=5062 lab_node 1 alice2 --name Alice --user alice2 || exit 1
alice2_id=$(id_of alice2)
check "another user's node on the same host is listed there" until_true 3 has alice \
  '.instance_id == "'"$alice2_id"'" and .reachable and (.addresses | any(.port == 5062))'
check "and it lists the first one" until_true 3 has alice2 '.instance_id == "'"$alice_id"'" and .reachable'
check "the same name on one host: two distinct peers elsewhere" until_true 3 has bob \
  '.name == "Alice" and .reachable' 2
check "Avahi's alternative name on a local collision" grep -q "publishing as 'Alice #2'" \
  "$lab_work/alice2.log"
lab_ctl --profile alice2 quit >/dev/null
wait "${lab_node[alice2]}" 2>/dev/null
unset "lab_node[alice2]"
check "and it is gone when it quits" until_true 3 has_not bob '.instance_id == "'"$alice2_id"'"'

check "a peer has its IPv4 and IPv6 link-local addresses" \
  has alice '.instance_id == "'"$bob_id"'" and (.addresses | any(.address == "198.18.4.2"))
             and (.addresses | any(.address | test("^fe80::.*%eth0$")))'
# The _sip._udp record (software) of whichever 'Bob' lost the name comes after its rename.
check "a peer carries uri, caps, fp and software" until_true 3 has alice '.instance_id == "'"$bob_id"'" and .uris == ["sip:bob@198.18.4.2:5060"]
             and .caps == "audio,screen,chat,ice,dtls,tls"
             and (.addresses | any(.transport == "tls" and .address == "198.18.4.2" and .port == 5061)) and (.fp | test("^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$"))
             and .software == "Lanline/0.1.0"'

check "a node on two LANs is one peer with an address on each" \
  until_true 3 has alice '.instance_id == "'"$bob_id"'" and (.addresses | any(.address == "198.18.4.2"))
                          and (.addresses | any(.address == "198.18.5.2"))'

# ---- avahi-browse sees exactly the records of DESIGN.md ---------------------------------
keys_of() {  # keys_of TYPE HOST-NAME: the sorted TXT keys of that host's IPv4 record
  lab_in 1 avahi-browse -rtp "$1" 2>/dev/null |
    awk -F';' -v host="$2" '$1 == "=" && $2 == "eth0" && $3 == "IPv4" && $7 == host {
      # The TXT strings are the last field, and may hold ";" themselves (the contact
      # of a TLS node has ";transport=tls"): all of the rest of the line.
      for (i = 10; i <= NF; i++) printf "%s;", $i; print ""; exit }' |
    grep -o '"[^"=]*=' | tr -d '"=' | sort | tr '\n' ' '
}
check "_sipuri._udp TXT keys" [ "$(keys_of _sipuri._udp disc-host2.local)" = \
  "caps contact fp instance_id name note state txtvers " ]
check "_sipuri._tcp TXT keys" [ "$(keys_of _sipuri._tcp disc-host2.local)" = \
  "caps contact fp instance_id name note state txtvers " ]
tcp_contact=$(lab_in 1 avahi-browse -rtp _sipuri._tcp 2>/dev/null | grep disc-host2.local |
  grep -o '"contact=<[^>]*>"' | sort -u | tr '\n' ' ')
check "the _sipuri._tcp contact is the TLS one ($tcp_contact)" \
  [ "$tcp_contact" = '"contact=<sip:bob@198.18.4.2:5061;transport=tls>" ' ]
check "_sip._udp TXT keys" [ "$(keys_of _sip._udp disc-host2.local)" = "note presence software " ]
names=$(lab_in 1 avahi-browse -rtp _sip._udp 2>/dev/null | awk -F';' '$1 == "=" && $2 == "eth0" && $3 == "IPv4" { print $4 }' | sort | tr '\n' '|')
check "Avahi's alternative name for the second 'Bob' (_sip._udp: $names)" \
  [ "$names" = 'Alice|Bob|Bob\032\0352|' ]

carol_fp=$(lab_ctl --profile carol status | jq -r .fp)
check "each identity is pinned on first sight" has alice \
  '.instance_id == "'"$carol_id"'" and .identity == "pinned" and .fp == "'"$carol_fp"'"'

# ---- Presence ---------------------------------------------------------------------------
lab_ctl --profile bob presence away "in a meeting" >/dev/null
check "a presence change reaches the others" until_true 5 has alice \
  '.instance_id == "'"$bob_id"'" and .presence == "away" and .note == "in a meeting"'

# ---- Calls by name ----------------------------------------------------------------------
check "call by peer name" quietly lab_ctl --profile bob call Alice
check "the call by name connects on both sides" until_true 5 sh -c \
  "$(declare -f call_state lab_ctl); LAB_BIN='$LAB_BIN'; call_state bob established && call_state alice established"
lab_ctl --profile bob hangup >/dev/null
until_true 5 no_calls alice
reply=$(lab_ctl --profile alice call Bob)
check "an ambiguous name is refused, listing the instance ids" \
  sh -c "echo '$reply' | jq -e '.ok == false' >/dev/null && echo '$reply' | grep -q '$bob_id' && echo '$reply' | grep -q '$carol_id'"
check "call by instance id" quietly lab_ctl --profile alice call "$carol_id"
check "the call by instance id connects" until_true 5 call_state carol established
lab_ctl --profile alice hangup >/dev/null

# ---- IPv6 link-local paths keep their scope and carry calls -----------------------------
# With alice's IPv4 SIP ports closed, bob's probes (over TLS, which both take) get
# answers over IPv6 link-local only: alice stays reachable, the path is link-local with
# its interface, and a call by name goes that way.
ipv4_block() {  # -A or -D
  for port in 5060 5061; do
    for proto in udp tcp; do lab_in 1 iptables "$1" INPUT -p $proto --dport $port -j DROP; done
  done
}
ipv4_block -A
check "with IPv4 closed, the peer is reachable over a link-local path" until_true 8 sh -c \
  "'$LAB_BIN' ctl --profile bob peers | jq -e '.peers[] | select(.instance_id == \"$alice_id\")
     | select(.reachable and (.path | test(\"^tls:\\\\[fe80::.*%eth[01]\\\\]:5061$\")))' >/dev/null"
check "a call by name over IPv6 link-local" quietly lab_ctl --profile bob call Alice
check "the link-local call connects on both sides" until_true 5 sh -c \
  "$(declare -f call_state lab_ctl); LAB_BIN='$LAB_BIN'; call_state bob established && call_state alice established"
lab_ctl --profile bob hangup >/dev/null
until_true 5 no_calls alice
# The same by URI, the zone written as RFC 6874 has it.
ll=$(lab_peers bob | jq -r 'select(.instance_id == "'"$alice_id"'") | .path' | sed 's/^tls:\[\(.*\)\]:5061$/\1/')
check "a call to sip:alice@[${ll/\%/%25}]:5060" lab_ctl --profile bob call "sip:alice@[${ll/\%/%25}]:5060"
check "connects" until_true 5 call_state alice established
lab_ctl --profile bob hangup >/dev/null
until_true 5 no_calls alice
ipv4_block -D

# ---- One of two cables unplugged: the peer stays reachable over the other ----------------
lab_in 2 ip link set eth0 down
check "with one LAN unplugged, a peer on two LANs is reachable over the other" until_true 8 sh -c \
  "'$LAB_BIN' ctl --profile alice peers | jq -e '.peers[] | select(.instance_id == \"$bob_id\")
     | select(.reachable and (.path | test(\"198.18.5.2|%eth1\")))' >/dev/null"
check "and a call by name takes that path" lab_ctl --profile alice call "$bob_id"
check "it rings there" until_true 5 call_state bob incoming
lab_ctl --profile alice hangup >/dev/null
until_true 5 no_calls bob
lab_in 2 ip link set eth0 up

# ---- Interop: Blink- and Ekiga-style records --------------------------------------------
# Behind the Blink-style record a real SIP UA answers (baresip, auto-answering); behind the
# Ekiga-style one nothing does.
mkdir -p "$lab_work/baresip"
sox -n -r 8000 -c 1 -b 16 -e signed-integer "$lab_work/tone.wav" synth 3 sine 440 2>/dev/null
cat >"$lab_work/baresip/config" <<CONF
sip_listen 198.18.4.3:5072
audio_source aufile,$lab_work/tone.wav
audio_player aufile,/dev/null
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module_app account.so
module_app menu.so
CONF
echo "<sip:blink@198.18.4.3:5072>;regint=0;answermode=auto;audio_codecs=PCMU" \
  >"$lab_work/baresip/accounts"
lab_exec 3 baresip -f "$lab_work/baresip" >"$lab_work/baresip.log" 2>&1 &
lab_pids+=($!)
lab_exec 3 avahi-publish -s "sip:blink@198.18.4.3:5072" _sipuri._udp 5072 txtvers=1 "name=Blink User" \
  "contact=<sip:blink@198.18.4.3:5072>" state=available note= >/dev/null 2>&1 &
lab_pids+=($!)
lab_exec 3 avahi-publish -s "Ekiga User" _sip._udp 5074 presence=online "software=Ekiga/4.0.1" \
  >/dev/null 2>&1 &
lab_pids+=($!)
check "a Blink-style _sipuri._udp service is a peer with its contact URI" until_true 5 has alice \
  '.name == "Blink User" and .uris == ["sip:blink@198.18.4.3:5072"] and .instance_id == ""'
check "an Ekiga-style _sip._udp service is a peer with sip:ADDRESS:PORT" until_true 5 has alice \
  '.name == "Ekiga User" and .uris[0] == "sip:198.18.4.3:5074" and .presence == "available"
   and .software == "Ekiga/4.0.1"'
check "the Blink-style peer answers OPTIONS (baresip): reachable" until_true 5 has alice \
  '.name == "Blink User" and .reachable'
check "and is called by name" lab_ctl --profile alice call "Blink User"
check "the call to baresip connects" until_true 5 call_state alice established
lab_ctl --profile alice hangup >/dev/null
until_true 5 no_calls alice
sleep 2.5  # the Ekiga-style peer's probes go unanswered (nothing listens on 5074)
check "a peer with nothing behind it is not reachable" has_not alice '.name == "Ekiga User" and .reachable'
check "and cannot be called by name" sh -c \
  "'$LAB_BIN' ctl --profile alice call 'Ekiga User' | grep -q 'not answering'"

# ---- A node that quits is gone ----------------------------------------------------------
lab_ctl --profile carol quit >/dev/null
wait "${lab_node[carol]}" 2>/dev/null
unset "lab_node[carol]"
check "a node that quits is gone from the others" until_true 5 sh -c \
  "$(declare -f has_not count lab_peers lab_ctl); LAB_BIN='$LAB_BIN';
   has_not alice '.instance_id == \"$carol_id\"' && has_not bob '.instance_id == \"$carol_id\"'"

# ---- A node killed with its avahi-daemon: unreachable within 10 s -----------------------
# The daemon first: killed the other way round it could still send the goodbyes of the
# node's records when the node's D-Bus connection drops.
kill -9 "${lab_avahi[2]}"
kill -9 "${lab_node[bob]}"
killed=$(now_ms)
wait "${lab_node[bob]}" 2>/dev/null
unset "lab_node[bob]"
lab_avahi_stop 2 KILL
until_true 12 has alice '.instance_id == "'"$bob_id"'" and (.reachable | not)'
gone=$(($(now_ms) - killed))
lab_judge "a node killed without a goodbye is unreachable in ${gone} ms (< 10000)" [ "$gone" -lt 10000 ] ||
  lab_peers alice | jq -c 'select(.instance_id == "'"$bob_id"'")'
check "and cannot be called by name" sh -c \
  "'$LAB_BIN' ctl --profile alice call '$bob_id' | grep -q 'not answering'"

# ---- avahi-daemon restart ---------------------------------------------------------------
lab_avahi_stop 1 TERM
check "with its daemon gone, a node's discovered peers go" until_true 5 has_not alice 'true'
lab_avahi_start 1
check "after the daemon restarts the node browses again" until_true 5 has alice '.name == "Ekiga User"'
check "and publishes again" until_true 5 sh -c \
  "nsenter -t ${lab_holder[3]} -m -n avahi-browse -rtp _sipuri._udp 2>/dev/null | grep -q 'instance_id=$alice_id'"

# ---- No avahi-daemon at start -----------------------------------------------------------
lab_node 2 dave --name Dave --user dave
check "no daemon: one clear line" grep -q \
  "avahi-daemon is not running: discovery is off until it starts; calls by address still work" \
  "$lab_work/dave.log"
check "no daemon: a call by address still works" quietly lab_ctl --profile dave call sip:alice@198.18.4.1
check "no daemon: the call by address connects" until_true 5 call_state dave established
lab_ctl --profile dave hangup >/dev/null
check "the stale record of the killed node on that address stays unreachable (404 from dave)" \
  has_not alice '.instance_id == "'"$bob_id"'" and .reachable'
lab_avahi_start 2
dave_id=$(id_of dave)
check "when the daemon starts, discovery starts by itself" until_true 5 sh -c \
  "$(declare -f has count lab_peers lab_ctl); LAB_BIN='$LAB_BIN';
   has alice '.instance_id == \"$dave_id\" and .reachable' && has dave '.instance_id == \"$alice_id\" and .reachable'"

# ---- An impostor: another's instance id with a certificate of its own ------------------
# Carol is gone (she quit above); a node on her host announces her name and instance id
# but cannot have her key. Alice flags it, refuses to call it by name, and calls it only
# once told to trust the new identity.
mkdir -p "$XDG_DATA_HOME/lanline/mallory/identity"
cp "$XDG_DATA_HOME/lanline/carol/identity/instance_id" "$XDG_DATA_HOME/lanline/mallory/identity/"
LAB_PORT=5062 lab_node 3 mallory --name Bob --user carol --auto-answer
mallory_fp=$(lab_ctl --profile mallory status | jq -r .fp)
check "the impostor has carol's instance id and another fingerprint" \
  [ "$(id_of mallory)" = "$carol_id" ] && [ "$mallory_fp" != "$carol_fp" ]
check "alice flags it: identity changed, both fingerprints shown" until_true 5 has alice \
  '.instance_id == "'"$carol_id"'" and .identity == "changed" and .pinned_fp == "'"$carol_fp"'" and .fp == "'"$mallory_fp"'"'
check "alice's log says so loudly" grep -q "IDENTITY CHANGED: 'Bob' ($carol_id)" "$lab_work/alice.log"
reply=$(lab_ctl --profile alice call "$carol_id")
check "a call to it by instance id is refused, saying how to trust it" sh -c \
  "echo '$reply' | jq -e '.ok == false' >/dev/null && echo '$reply' | grep -q 'ctl trust $carol_id'"
check "no call was placed" no_calls alice
check "trust pins the new identity" sh -c \
  "'$LAB_BIN' ctl --profile alice trust '$carol_id' | jq -e '.ok == true' >/dev/null"
check "and the peer is trusted again" has alice \
  '.instance_id == "'"$carol_id"'" and .identity == "pinned" and .fp == "'"$mallory_fp"'"'
# It answers probes over TLS with the certificate it announces (what was held back was
# calls and messages, until the user trusted it).
check "and reachable again" until_true 5 has alice '.instance_id == "'"$carol_id"'" and .reachable'
check "then the call goes" quietly lab_ctl --profile alice call "$carol_id"
check "and connects" until_true 5 call_state mallory established
lab_ctl --profile alice hangup >/dev/null
lab_ctl --profile mallory quit >/dev/null
wait "${lab_node[mallory]}" 2>/dev/null
unset "lab_node[mallory]"

# ---- --no-discovery ----------------------------------------------------------------------
lab_node 3 eve --name Eve --user eve --no-discovery
sleep 2
check "--no-discovery: the node is not published" has_not alice '.name == "Eve"'
check "--no-discovery: and browses nothing" sh -c \
  "'$LAB_BIN' ctl --profile eve peers | jq -e '.peers == [] and (.discovery | startswith(\"off\"))' >/dev/null"
check "--no-discovery: presence is still kept" sh -c \
  "'$LAB_BIN' ctl --profile eve presence busy | jq -e '.published == false' >/dev/null"

lab_finish "discovery lab"
