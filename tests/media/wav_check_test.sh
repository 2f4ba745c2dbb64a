#!/usr/bin/env bash
# wav_check must pass a clean tone and fail each fault: a 100 ms gap, a wrong pitch,
# a level drop, a header left unfinished. Files made with sox.
#   wav_check_test.sh WAV_CHECK
set -euo pipefail
wav_check=$1
dir=$(mktemp -d /tmp/lanline-wavcheck-XXXXXX)
trap 'rm -rf "$dir"' EXIT
failures=0

expect() {  # expect pass|fail DESCRIPTION wav_check-ARGS...
  local want=$1 what=$2
  shift 2
  local got=pass
  "$wav_check" "$@" >"$dir/out" 2>&1 || got=fail
  sed 's/^/    /' "$dir/out"
  if [[ $got == "$want" ]]; then
    echo "ok: $what ($got)"
  else
    echo "WRONG: $what: wanted $want, got $got"
    failures=$((failures + 1))
  fi
}

sox -q -n -r 48000 -c 1 -b 16 "$dir/tone.wav" synth 3 sine 440 vol 0.3
sox -q -n -r 48000 -c 1 -b 16 "$dir/half.wav" synth 1.5 sine 440 vol 0.3
sox -q -n -r 48000 -c 1 -b 16 "$dir/gap100.wav" trim 0 0.1
sox -q -n -r 48000 -c 1 -b 16 "$dir/gap40.wav" trim 0 0.04
sox -q "$dir/half.wav" "$dir/gap100.wav" "$dir/half.wav" "$dir/with_gap.wav"
sox -q "$dir/half.wav" "$dir/gap40.wav" "$dir/half.wav" "$dir/short_gap.wav"
sox -q -n -r 48000 -c 1 -b 16 "$dir/445.wav" synth 3 sine 445 vol 0.3
sox -q -n -r 48000 -c 1 -b 16 "$dir/quiet.wav" synth 1.5 sine 440 vol 0.05
sox -q "$dir/half.wav" "$dir/quiet.wav" "$dir/level_drop.wav"
# A short fade (0.3 s at -16 dB in 3 s: 10 % of the windows), as concealed loss leaves.
sox -q -n -r 48000 -c 1 -b 16 "$dir/fade.wav" synth 0.3 sine 440 vol 0.05
sox -q -n -r 48000 -c 1 -b 16 "$dir/rest.wav" synth 2.7 sine 440 vol 0.3
sox -q "$dir/rest.wav" "$dir/fade.wav" "$dir/short_fade.wav"
sox -q -n -r 8000 -c 1 -b 16 "$dir/silence.wav" trim 0 2
sox -q -n -r 48000 -c 1 -b 16 "$dir/lead.wav" trim 0 0.3
sox -q "$dir/lead.wav" "$dir/tone.wav" "$dir/late_start.wav"
sox -q "$dir/lead.wav" "$dir/with_gap.wav" "$dir/late_start_gap.wav"
# An unfinished writer: the sizes in the header still say 0 bytes of data.
cp "$dir/tone.wav" "$dir/unfinished.wav"
printf '\x24\x00\x00\x00' | dd of="$dir/unfinished.wav" bs=1 seek=4 conv=notrunc status=none
printf '\x00\x00\x00\x00' | dd of="$dir/unfinished.wav" bs=1 seek=40 conv=notrunc status=none

expect pass "clean 440 Hz tone" "$dir/tone.wav" --expect-hz 440
expect pass "a 40 ms gap is within 60 ms" "$dir/short_gap.wav" --expect-hz 440
expect fail "a 100 ms gap" "$dir/with_gap.wav" --expect-hz 440
expect fail "445 Hz is not 440 ± 2" "$dir/445.wav" --expect-hz 440
expect fail "a level drop of 15 dB" "$dir/level_drop.wav" --expect-hz 440
expect fail "a header left at 0 bytes" "$dir/unfinished.wav" --expect-hz 440
expect fail "a short fade fails the whole band" "$dir/short_fade.wav" --expect-hz 440
expect pass "a short fade is within 80 % of the band" "$dir/short_fade.wav" --expect-hz 440 \
  --level-band-share 0.8
expect fail "a level drop over half is not" "$dir/level_drop.wav" --expect-hz 440 \
  --level-band-share 0.8
expect pass "the tone's level is -13.5 dBFS" "$dir/tone.wav" --expect-hz 440 \
  --expect-level-db -13.5 --level-tolerance 1
expect fail "a tone 16 dB down is not" "$dir/quiet.wav" --expect-hz 440 \
  --expect-level-db -13.5 --level-tolerance 5
expect pass "a late first sound is not a gap" "$dir/late_start.wav" --expect-hz 440
expect fail "a gap after a late start still is" "$dir/late_start_gap.wav" --expect-hz 440
expect pass "silence is silence" "$dir/silence.wav" --expect-silence
expect fail "a tone is not silence" "$dir/tone.wav" --expect-silence
expect fail "silence has no 440 Hz" "$dir/silence.wav" --expect-hz 440
expect fail "a missing file" "$dir/none.wav" --expect-hz 440

if ((failures)); then
  echo "$failures wrong verdicts"
  exit 1
fi
echo "all verdicts right"
