#!/usr/bin/env bash
# Audio through 20 % random loss: two headless nodes in their own network namespaces,
# iptables dropping 20 % of the RTP/RTCP datagrams (ports 20000-29999) on the way into each,
# A sends 440 Hz and B 660 Hz for SECONDS, both record; wav_check then prints the longest
# gap and the level spread of each recording. Opus (in-band FEC + concealment) against
# PCMU (no FEC; the jitter buffer's lost events only) in the same run.
# Not run by `meson test` (root, ~30 s).  Usage: media_loss.sh LANLINE_BIN WAV_CHECK [SECONDS] [LOSS]
set -uo pipefail
bin=$(readlink -f "$1")
wav_check=$(readlink -f "$2")
seconds=${3:-10}
loss=${4:-0.2}
[ "$(id -u)" = 0 ] || { echo "needs root for network namespaces"; exit 77; }

tag=$$
ns_a=media-a-$tag
ns_b=media-b-$tag
work=$(mktemp -d /tmp/lanline-media-loss-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  ip netns del "$ns_a" 2>/dev/null
  ip netns del "$ns_b" 2>/dev/null
  rm -rf "$work"
}
# Only the script itself cleans up: a subshell killed before it has reset its traps (a
# watchdog ended early) would otherwise run this EXIT trap too, and end the nodes and
# delete the work directory under the running test.
trap '[ "$BASHPID" = "$$" ] && cleanup' EXIT

ip netns add "$ns_a" && ip netns add "$ns_b" || { echo "cannot create namespaces"; exit 77; }
ip link add "media-va$tag" type veth peer name "media-vb$tag"
ip link set "media-va$tag" netns "$ns_a"
ip link set "media-vb$tag" netns "$ns_b"
ip -n "$ns_a" addr add 198.18.0.1/24 dev "media-va$tag"
ip -n "$ns_b" addr add 198.18.0.2/24 dev "media-vb$tag"
for ns in "$ns_a" "$ns_b"; do
  ip -n "$ns" link set lo up
  ip netns exec "$ns" iptables -A INPUT -p udp --dport 20000:29999 -m statistic --mode random \
    --probability "$loss" -j DROP
done
ip -n "$ns_a" link set "media-va$tag" up
ip -n "$ns_b" link set "media-vb$tag" up

export XDG_RUNTIME_DIR=$work/run XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
ctl() { "$bin" ctl "$@"; }

start_node() {  # start_node NAMESPACE PROFILE OPTIONS...
  local ns=$1 profile=$2
  shift 2
  ip netns exec "$ns" "$bin" --headless --profile "$profile" --user "$profile" \
    --sip-port 5060 --no-discovery "$@" >"$work/$profile.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    ctl --profile "$profile" status >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "node $profile did not start"; cat "$work/$profile.log"; exit 1
}

for codec in opus pcmu; do
  start_node "$ns_a" "a-$codec" --audio-source test:440 --audio-sink "record:$work/a-$codec.wav" \
    --audio-codecs "$codec"
  start_node "$ns_b" "b-$codec" --auto-answer --audio-source test:660 \
    --audio-sink "record:$work/b-$codec.wav" --audio-codecs "$codec"
  ctl --profile "a-$codec" call "sip:b-$codec@198.18.0.2" >/dev/null
  sleep "$seconds"
  echo "== $codec, $(python3 -c "print(int($loss*100))") % loss each way, $seconds s"
  ctl --profile "a-$codec" calls | python3 -c '
import json, sys
m = json.load(sys.stdin)["calls"][0]["media"]
print("   A: packets received %d, lost %d (%.0f %%), jitter %.2f ms, rtt %s ms, loss of A->B per RR %.0f %%"
      % (m["packets_received"], m["packets_lost"],
         100.0 * m["packets_lost"] / max(1, m["packets_received"] + m["packets_lost"]),
         m["jitter_ms"], m["rtt_ms"], 100 * m["loss"]))'
  ctl --profile "a-$codec" hangup >/dev/null
  sleep 1
  ctl --profile "a-$codec" quit >/dev/null
  ctl --profile "b-$codec" quit >/dev/null
  sleep 0.5
  "$wav_check" "$work/a-$codec.wav" --expect-hz 660 | sed 's/^/   /'
  "$wav_check" "$work/b-$codec.wav" --expect-hz 440 | sed 's/^/   /'
done
