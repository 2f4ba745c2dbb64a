# Checks a recorded tone: dominant frequency, steady level, no gaps. Source this file.
#
#   audio_check WAV                 prints: duration_s= active_s= freq_hz= longest_gap_ms=
#                                   level_spread_db= rms_dbfs=
#   audio_check_tone WAV HZ [TOL] [MAX_GAP_MS] [MIN_ACTIVE_S] [LEVEL_SPREAD_DB]
#                                   prints the figures and "ok" or "FAIL: why"; returns 0/1
#
# The active span runs from the first to the last 10 ms window louder than -40 dBFS, less
# 200 ms at each end (jitter buffer filling, codec start-up, the hang-up). Within it:
# - freq_hz: 1 / the mean period between rising zero crossings (interpolated), outside
#   gaps and over periods shorter than 10 ms, so gaps and dither do not bias it;
# - longest_gap_ms: the longest run of 10 ms windows more than 20 dB below the median
#   window (silence, or a concealment that faded out);
# - level_spread_db: the 5th to 95th percentile range of the levels of the 100 ms
#   windows that hold no gap.
# Uses sox to decode (any WAV sox reads), gawk for the rest.

audio_check() {
  local wav=$1
  [[ -s $wav ]] || { echo "missing or empty: $wav"; return 1; }
  sox "$wav" -t dat -c 1 - 2>/dev/null | gawk '
    /^;/ { if ($2 == "Sample" && $3 == "Rate") rate = $4; next }
    { t[n] = $1; v[n] = $2; n++ }
    END {
      if (n == 0 || rate == 0) { print "undecodable"; exit 1 }
      w = int(rate / 100)                       # 10 ms windows
      nw = int(n / w)
      first = -1; last = -1
      for (i = 0; i < nw; i++) {
        s = 0
        for (j = i * w; j < (i + 1) * w; j++) s += v[j] * v[j]
        rms[i] = sqrt(s / w)
        if (rms[i] > 0.01) { if (first < 0) first = i; last = i }
      }
      if (first < 0) { printf "duration_s=%.2f active_s=0 silent\n", n / rate; exit 0 }
      first += 20; last -= 20
      if (last <= first) { printf "duration_s=%.2f active_s=0 too-short\n", n / rate; exit 0 }
      # median window level
      m = 0
      for (i = first; i <= last; i++) sorted[m++] = rms[i]
      asort(sorted)
      med = sorted[int((m + 1) / 2)]
      gap = 0; run = 0
      for (i = first; i <= last; i++) {
        if (rms[i] < med / 10) { run++; if (run > gap) gap = run } else run = 0
      }
      # 100 ms levels
      k = 0
      for (i = first; i + 10 <= last + 1; i += 10) {
        s = 0; quiet = 0
        for (j = i; j < i + 10; j++) { s += rms[j] * rms[j]; if (rms[j] < med / 10) quiet = 1 }
        if (!quiet) lv[++k] = 10 * log(s / 10 + 1e-12) / log(10)
      }
      if (k == 0) lv[++k] = 0
      asort(lv)
      lo = lv[int(k * 0.05) + 1]; hi = lv[int(k * 0.95) > 0 ? int(k * 0.95) : 1]
      # frequency from rising zero crossings within the span
      np = 0; sum = 0; prev = -1
      for (j = first * w + 1; j < (last + 1) * w; j++) {
        if (rms[int(j / w)] < med / 10) { prev = -1; continue }
        if (v[j - 1] < 0 && v[j] >= 0) {
          x = (j - 1) + v[j - 1] / (v[j - 1] - v[j])
          if (prev >= 0 && (x - prev) / rate < 0.01) { sum += x - prev; np++ }
          prev = x
        }
      }
      f = np > 0 ? rate * np / sum : 0
      printf "duration_s=%.2f active_s=%.2f freq_hz=%.2f longest_gap_ms=%d level_spread_db=%.1f rms_dbfs=%.1f\n",
        n / rate, (last - first + 1) / 100, f, gap * 10, hi - lo, 20 * log(med) / log(10)
    }'
}

audio_check_tone() {
  local wav=$1 hz=$2 tol=${3:-2} max_gap=${4:-60} min_active=${5:-1} band=${6:-6}
  local r
  r=$(audio_check "$wav") || { echo "$r FAIL: cannot analyse $wav"; return 1; }
  local f g a spread
  f=$(sed -n 's/.*freq_hz=\([-0-9.]*\).*/\1/p' <<<"$r")
  g=$(sed -n 's/.*longest_gap_ms=\([0-9]*\).*/\1/p' <<<"$r")
  a=$(sed -n 's/.*active_s=\([0-9.]*\).*/\1/p' <<<"$r")
  spread=$(sed -n 's/.*level_spread_db=\([0-9.]*\).*/\1/p' <<<"$r")
  local why=""
  awk -v a="${a:-0}" -v m="$min_active" 'BEGIN { exit !(a >= m) }' || why+="only ${a:-0} s of tone (want >= $min_active); "
  if [[ -n $f ]]; then
    awk -v f="$f" -v h="$hz" -v t="$tol" 'BEGIN { d = f - h; if (d < 0) d = -d; exit !(d <= t) }' ||
      why+="frequency $f Hz, want $hz +-$tol; "
    (( g <= max_gap )) || why+="gap of $g ms, want <= $max_gap; "
    awk -v s="$spread" -v b="$band" 'BEGIN { exit !(s <= b) }' ||
      why+="level varies by $spread dB, want <= $band; "
  fi
  if [[ -z $why ]]; then echo "$r ok"; return 0; fi
  echo "$r FAIL: $why"
  return 1
}

# audio_verdict WAV HZ MAX_GAP_MS [LEVEL_BAND_DB [WAV_CHECK_ARGS...]]: one line of figures
# and ok / FAIL (the extra arguments go to wav_check only);
# returns 0/1. Uses tests/media/wav_check when $WAV_CHECK names it (the project's
# analysis: FFT frequency, 5 ms gap windows, WAV header check), else audio_check_tone.
audio_verdict() {
  local wav=$1 hz=$2 max_gap=$3 band=${4:-6} out rc
  shift 4 2>/dev/null || shift $#
  if [[ -n ${WAV_CHECK:-} && -x $WAV_CHECK ]]; then
    out=$("$WAV_CHECK" "$wav" --expect-hz "$hz" --tolerance 2 --max-gap-ms "$max_gap" \
      --level-band "$band" "$@" 2>&1)
    rc=$?
    echo "$(sed "s|^$wav: ||" <<<"$out" | tr '\n' ' ')"
    return $rc
  fi
  audio_check_tone "$wav" "$hz" 2 "$max_gap" 2 "$band"
}
