#!/bin/sh
# Runs one libFuzzer target for a bounded time on a fresh corpus made from seeds.
#
#   run_fuzzer.sh FUZZER WORKDIR SECONDS [--dict FILE] [--lines FILE]... [SEED_DIR]...
#
# WORKDIR/corpus is emptied and refilled: every regular file under each SEED_DIR (recursively,
# except INDEX*.tsv, *.md and archives), and one file per non-empty line of each --lines FILE.
# Crash, timeout and OOM inputs go to WORKDIR/artifacts/ (kept across runs).
# The exit status is the fuzzer's: non-zero when it found a crash, a timeout or an OOM.
# Extra libFuzzer flags can be given in $FUZZ_EXTRA_ARGS.
set -eu

if [ $# -lt 3 ]; then
  echo "usage: $0 FUZZER WORKDIR SECONDS [--dict FILE] [--lines FILE]... [SEED_DIR]..." >&2
  exit 2
fi
fuzzer=$1
work=$2
seconds=$3
shift 3

rm -rf "$work/corpus"
mkdir -p "$work/corpus" "$work/artifacts"

dict=
n=0
while [ $# -gt 0 ]; do
  case $1 in
    --dict)
      dict=$2
      shift 2
      ;;
    --lines)
      while IFS= read -r line || [ -n "$line" ]; do
        [ -n "$line" ] || continue
        n=$((n + 1))
        printf '%s' "$line" > "$work/corpus/line-$n"
      done < "$2"
      shift 2
      ;;
    *)
      if [ ! -d "$1" ]; then
        echo "$0: seed directory $1 does not exist" >&2
        exit 2
      fi
      # Names get a counter so equal base names from different directories do not collide.
      find "$1" -type f ! -name 'INDEX*.tsv' ! -name '*.md' ! -name '*.tar.gz' ! -name '*.zip' | sort \
        > "$work/seed-list"
      while IFS= read -r f; do
        n=$((n + 1))
        cp "$f" "$work/corpus/seed-$n-$(basename "$f")"
      done < "$work/seed-list"
      shift
      ;;
  esac
done

echo "$(basename "$fuzzer"): $n seeds, ${seconds}s, corpus $work/corpus, artifacts $work/artifacts"
# libFuzzer exits 77 on a crash by default, which meson reads as "skipped": make findings fail.
set -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -error_exitcode=1 -timeout_exitcode=2 -artifact_prefix="$work/artifacts/"
if [ -n "$dict" ]; then
  set -- "$@" -dict="$dict"
fi
# shellcheck disable=SC2086  # FUZZ_EXTRA_ARGS is a list of flags
exec "$fuzzer" "$@" ${FUZZ_EXTRA_ARGS:-} "$work/corpus"
