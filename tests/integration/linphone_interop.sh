#!/usr/bin/env bash
# ICE interop with linphonec (Debian linphone-cli, ICE on: firewall_policy=3), both ways,
# on a link between two network namespaces: linphonec calls a headless Lanline node, and
# Lanline calls linphonec, which answers by itself. In each call both send a tone for
# TALK_S seconds (default 5): Lanline 440 Hz, linphonec 620 Hz from a WAV file (its file
# mode). Checked: Lanline's `calls` shows a connected ICE pair, Lanline's recording has
# 620 Hz and linphonec's has 440 Hz (tests/lib/audio_check.sh or tests/media/wav_check).
#
#   linphone_interop.sh LANLINE_BIN [WAV_CHECK]
# Needs root (namespaces) and linphonec; in CI a missing part fails, naming it.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$(readlink -f "${1:?usage: linphone_interop.sh LANLINE_BIN [WAV_CHECK]}")
[[ -n ${2:-} ]] && export WAV_CHECK=$(readlink -f "$2")
missing=()
[[ $(id -u) == 0 ]] || missing+=("root")
for tool in ip linphonec sox; do command -v "$tool" > /dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
  echo "FAIL: the linphone interop test cannot run here: missing ${missing[*]}"
  exit 1
fi
source "$repo/tests/lib/harness.sh"
source "$repo/tests/lib/netns_pair.sh"
source "$repo/tests/lib/audio_check.sh"
harness_start /tmp/lanline-linphone.XXXXXX
tag=$$
a=lp$tag-a b=lp$tag-b
A=198.18.61.1 B=198.18.61.2
harness_cleanup_hook() { netns_cleanup $a $b; }
netns_pair $a la$tag $A/24 $b lb$tag $B/24 || exit 1
# liblinphone opens no SIP port while it finds no default route ("network unreachable").
ip -n $a route add default via $B && ip -n $b route add default via $A
talk_s=${TALK_S:-5}
sox -n -r 16000 -c 1 -b 16 "$work/linphone-tone.wav" synth 60 sine 620 vol 0.5

# linphonec in namespace b, as linphonecsh's daemon (linphonec --pipe: a fed stdin would
# block its main loop between commands); commands go through linphonecsh's socket.
# liblinphone opens no SIP port without its database directory.
lp() { linphonecsh generic "$*" 2>&1; }
start_linphone() {  # NAME
  local d=$work/$1
  mkdir -p "$d/home/.local/share/linphone"
  cat > "$d/rc" << EOF
[sip]
sip_udp_port=5060
sip_tcp_port=5060
default_proxy=-1
[net]
firewall_policy=3
[sound]
echocancellation=0
[rtp]
audio_rtp_port=7078
EOF
  HOME=$d/home ip netns exec $b linphonecsh init -c "$d/rc" -a -d 4 -l "$d/linphonec.log" ||
    return 1
  wait_for 10 bash -c "ip netns exec $b ss -lun | grep -q ':5060 '" || return 1
  lp soundcard use files > /dev/null
  lp play "$work/linphone-tone.wav" > /dev/null
  lp record "$d/heard.wav" > /dev/null
  lp firewall | grep -q "Using ice"
}
stop_linphone() {  # NAME
  linphonecsh exit > /dev/null 2>&1
  sleep 0.5
  ip netns pids $b 2> /dev/null | xargs -r kill -9 2> /dev/null
}
start_lanline() {  # PROFILE [OPTIONS...]
  local profile=$1
  shift
  ip netns exec $a "$bin" --headless --profile "$profile" --user lanline --sip-port 5060 \
    --no-discovery --audio-source test:440 --audio-sink "record:$work/$profile.wav" "$@" \
    > "$work/$profile.log" 2>&1 &
  pids+=($!)
  lanline_pid=$!
  wait_for 10 "$bin" ctl --profile "$profile" status > /dev/null 2>&1
}
established() { "$bin" ctl --profile "$1" calls 2> /dev/null | grep -q '"state":"established"'; }

check_call() {  # LABEL PROFILE LINPHONE_NAME
  local label=$1 profile=$2 seen r
  if ! wait_for 15 established "$profile"; then
    fail "$label: the call was not established"
    return 1
  fi
  sleep "$talk_s"
  seen=$("$bin" ctl --profile "$profile" calls)
  echo "     $label: Lanline's view: $seen"
  if [[ $seen == *'"state":"connected","transport":"ice"'* ]]; then
    pass "$label: Lanline's media runs on a connected ICE pair"
  else
    fail "$label: Lanline's path is not a connected ICE pair"
  fi
}
verdicts() {  # LABEL PROFILE LINPHONE_NAME
  local r
  if r=$(audio_verdict "$work/$2.wav" 620 120 10); then pass "$1: Lanline hears linphonec's 620 Hz: $r"
  else fail "$1: Lanline's recording: $r"; fi
  # linphonec's WAV writer leaves a RIFF size 40 bytes over the file: sox rewrites the
  # header (the samples as they are) so that the check judges the audio, not linphonec.
  sox --ignore-length "$work/$3/heard.wav" "$work/$3/heard-fixed.wav" 2> /dev/null
  if r=$(audio_verdict "$work/$3/heard-fixed.wav" 440 120 10); then
    pass "$1: linphonec hears Lanline's 440 Hz: $r"
  else fail "$1: linphonec's recording: $r"; fi
}

# linphonec calls Lanline (Lanline answers by itself).
start_lanline lp-callee --auto-answer || fail "the Lanline callee did not start"
start_linphone caller || fail "linphonec did not start with ICE"
lp call "sip:lanline@$A" > /dev/null
if check_call "linphonec calls Lanline" lp-callee caller; then
  lp terminate > /dev/null
  wait_for 5 bash -c "! '$bin' ctl --profile lp-callee calls | grep -q established"
fi
stop_linphone caller
"$bin" ctl --profile lp-callee quit > /dev/null 2>&1
wait "$lanline_pid" 2> /dev/null
verdicts "linphonec calls Lanline" lp-callee caller

# Lanline calls linphonec (linphonec answers by itself).
start_linphone callee || fail "linphonec did not start with ICE"
start_lanline lp-caller || fail "the Lanline caller did not start"
"$bin" ctl --profile lp-caller call "sip:linphone@$B" > /dev/null
if check_call "Lanline calls linphonec" lp-caller callee; then
  "$bin" ctl --profile lp-caller hangup > /dev/null
  sleep 0.5
fi
"$bin" ctl --profile lp-caller quit > /dev/null 2>&1
wait "$lanline_pid" 2> /dev/null
stop_linphone callee
verdicts "Lanline calls linphonec" lp-caller callee
harness_summary
