#!/usr/bin/env bash
# Parse throughput of Lanline against sofia-sip's msg_make, over the same bytes.
#
#   bash tests/bench/parse_bench.sh [--check] BUILD_DIR [SECONDS]
#
# BUILD_DIR is a meson build directory holding src/app/lanline and
# tests/bench/sofia_parse_bench. SECONDS (default 5) is how long each run lasts.
# Each parser runs twice, alternating (lanline, sofia, lanline, sofia); the best
# run of each counts. With --check the script exits 1 when lanline's throughput
# is below twice sofia's (or lanline could not be measured).
#
# Environment overrides: LANLINE_BIN, SOFIA_PARSE_BENCH, LANLINE_CORPORA.
#
# Corpus: every *.msg in $CORPORA/rfc4475 and $CORPORA/rfc5118 whose INDEX.tsv
# verdict is `valid` or `valid-but-unusual`, and every $CORPORA/real/**/*.sip,
# kept only if both `lanline parse FILE` (prints "FILE: ok ...") and
# `sofia_parse_bench --check FILE` accept it, so both parse the same bytes.
set -euo pipefail

check=0
args=()
for a in "$@"; do
  case "$a" in
    --check) check=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) args+=("$a") ;;
  esac
done
if [[ ${#args[@]} -lt 1 || ${#args[@]} -gt 2 ]]; then
  echo "usage: $0 [--check] BUILD_DIR [SECONDS]" >&2
  exit 2
fi
build=${args[0]}
seconds=${args[1]:-5}
if ! [[ $seconds =~ ^[0-9]+([.][0-9]+)?$ ]]; then
  echo "parse_bench: SECONDS must be a number, got '$seconds'" >&2
  exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lanline=${LANLINE_BIN:-$build/src/app/lanline}
sofia=${SOFIA_PARSE_BENCH:-$build/tests/bench/sofia_parse_bench}
corpora=${LANLINE_CORPORA:-$here/../../../shared/corpora}
corpora=$(cd "$corpora" 2>/dev/null && pwd || echo "$corpora")

if [[ ! -x $sofia ]]; then
  echo "parse_bench: $sofia not built (needs libsofia-sip-ua-dev and -Dsofia_bench=enabled|auto)" >&2
  exit 2
fi
if [[ ! -d $corpora/rfc4475 || ! -d $corpora/rfc5118 || ! -d $corpora/real ]]; then
  echo "parse_bench: corpora not found at $corpora (set LANLINE_CORPORA)" >&2
  exit 2
fi

have_lanline=1
if [[ ! -x $lanline ]]; then
  echo "parse_bench: $lanline not built; measuring sofia only" >&2
  have_lanline=0
fi

# --- the candidate set ------------------------------------------------------
candidates=()
for suite in rfc4475 rfc5118; do
  while IFS=$'\t' read -r name _section verdict _rest; do
    case "$verdict" in
      valid|valid-but-unusual) candidates+=("$corpora/$suite/$name") ;;
    esac
  done < <(tail -n +2 "$corpora/$suite/INDEX.tsv")
done
while IFS= read -r -d '' f; do
  candidates+=("$f")
done < <(find "$corpora/real" -type f -name '*.sip' -print0 | LC_ALL=C sort -z)

# --- keep what sofia accepts ------------------------------------------------
declare -A sofia_ok=()
sofia_rejects=()
while IFS= read -r line; do
  case "$line" in
    *": ok "*) sofia_ok["${line%%: ok *}"]=1 ;;
    *": rejected: "*) sofia_rejects+=("${line#"$corpora/"}") ;;
  esac
done < <("$sofia" --check "${candidates[@]}" 2>/dev/null)

# --- keep what lanline accepts ----------------------------------------------
lanline_rejects=()
declare -A lanline_ok=()
if (( have_lanline )); then
  # One line per file: "FILE: ok ..." or "FILE: invalid: REASON"; exit 1 when some
  # are invalid, 2 on a usage or I/O error.
  rc=0
  out=$("$lanline" parse "${candidates[@]}" 2>&1) || rc=$?
  if (( rc > 1 )); then
    echo "parse_bench: lanline parse failed (exit $rc):" >&2
    tail -n 5 <<<"$out" >&2
    exit 1
  fi
  while IFS= read -r line; do
    case "$line" in
      *": ok"*) lanline_ok["${line%%: ok*}"]=1 ;;
    esac
  done <<<"$out"
  for f in "${candidates[@]}"; do
    if [[ -z ${lanline_ok[$f]:-} ]]; then
      why=$(grep -F -m 1 -- "$f: " <<<"$out" || true)
      lanline_rejects+=("${f#"$corpora/"}: ${why#"$f: "}")
    fi
  done
fi

files=()
bytes=0
for f in "${candidates[@]}"; do
  [[ -n ${sofia_ok[$f]:-} ]] || continue
  if (( have_lanline )) && [[ -z ${lanline_ok[$f]:-} ]]; then continue; fi
  files+=("$f")
  bytes=$(( bytes + $(stat -c %s "$f") ))
done

echo "corpus: ${#candidates[@]} candidate files under $corpora"
echo "  sofia rejects ${#sofia_rejects[@]}:"
for r in "${sofia_rejects[@]}"; do echo "    $r"; done
if (( have_lanline )); then
  echo "  lanline rejects ${#lanline_rejects[@]}:"
  for r in "${lanline_rejects[@]}"; do echo "    $r"; done
fi
echo "benchmark set: ${#files[@]} files, $bytes bytes" \
     "(mean $(( ${#files[@]} ? bytes / ${#files[@]} : 0 )) bytes/message)"
if (( ${#files[@]} == 0 )); then
  echo "parse_bench: no file accepted by both parsers" >&2
  exit 1
fi

# --- timed runs ---------------------------------------------------------------
# Other work on the machine slows both parsers, though not always equally.
if [[ -r /proc/loadavg ]]; then
  read -r load1 _ < /proc/loadavg
  echo "load average before the runs: $load1 ($(nproc) CPUs)"
  if awk -v l="$load1" 'BEGIN { exit !(l >= 1.0) }'; then
    echo "warning: the machine is busy; figures will be low and noisy" >&2
  fi
fi
# Prints "MSGS MBS" from a line "N msgs/s, M MB/s" (the last such line).
figures() {
  grep -Eo '[0-9]+([.][0-9]+)? msgs/s, [0-9]+([.][0-9]+)? MB/s' | tail -n 1 | awk '{ print $1, $3 }'
}
best() {  # best "MSGS MBS" of two, by msgs/s
  awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ");
    if (b == "" || (a != "" && x[1] + 0 >= y[1] + 0)) print a; else print b }'
}

lanline_best=""
sofia_best=""
lanline_failed=0
for round in 1 2; do
  if (( have_lanline )); then
    if out=$("$lanline" parse --bench "$seconds" "${files[@]}" 2>&1); then
      r=$(figures <<<"$out")
    else
      r=""
    fi
    if [[ -z $r ]]; then
      echo "lanline run $round failed:"; tail -n 5 <<<"$out" | sed 's/^/    /'
      lanline_failed=1
    else
      echo "lanline run $round: ${r% *} msgs/s, ${r#* } MB/s"
      lanline_best=$(best "$lanline_best" "$r")
    fi
  fi
  out=$("$sofia" "$seconds" "${files[@]}" 2>&1)
  r=$(figures <<<"$out")
  if [[ -z $r ]]; then
    echo "sofia run $round failed:"; tail -n 5 <<<"$out" | sed 's/^/    /'
    exit 1
  fi
  echo "sofia   run $round: ${r% *} msgs/s, ${r#* } MB/s"
  sofia_best=$(best "$sofia_best" "$r")
done

echo
printf '%-8s %14s %10s\n' parser 'msgs/s' 'MB/s'
if [[ -n $lanline_best ]]; then
  printf '%-8s %14s %10s\n' lanline "${lanline_best% *}" "${lanline_best#* }"
fi
printf '%-8s %14s %10s\n' sofia "${sofia_best% *}" "${sofia_best#* }"

status=0
if [[ -n $lanline_best && $lanline_failed == 0 ]]; then
  read -r ratio mb_ratio < <(awk -v a="$lanline_best" -v b="$sofia_best" 'BEGIN {
    split(a, x, " "); split(b, y, " ");
    printf "%.2f %.2f\n", x[1] / y[1], (y[2] > 0 ? x[2] / y[2] : 0) }')
  echo "ratio lanline/sofia: ${ratio}x msgs/s (${mb_ratio}x MB/s); goal >= 2.00x"
  if awk -v r="$ratio" -v m="$mb_ratio" 'BEGIN { d = r - m; if (d < 0) d = -d; exit !(d > 0.03 * r) }'; then
    echo "warning: the msgs/s and MB/s ratios disagree; do both count MB as 10^6 bytes?" >&2
  fi
  if awk -v r="$ratio" 'BEGIN { exit !(r < 2.0) }'; then
    echo "below goal: lanline is under twice sofia's throughput"
    (( check )) && status=1
  fi
else
  echo "ratio lanline/sofia: unavailable (lanline not measured)"
  (( check )) && status=1
fi
exit $status
