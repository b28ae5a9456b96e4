#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Fuzz/, see Fuzz/README.md) and runs each for a while.
# Usage: scripts/fuzz.sh [TARGET...]        (`make fuzz` calls it)
#
# Environment:
#   FUZZ_SECONDS   seconds per target (default 60); 0 only replays the seeds and regressions
#   FUZZ_RUNS      also stop a target after this many inputs (default: no limit)
#   FUZZ_TARGETS   targets when none are given (default: frame digital analog layered png safetensors codecs map)
#   FUZZ_BUILD     build folder (default .build/fuzz); corpora grow in FUZZ_BUILD/corpus/TARGET,
#                  crash/timeout/oom reproducers land in FUZZ_BUILD/artifacts/TARGET, logs in FUZZ_BUILD/logs
#   FUZZ_JOBS      parallel build jobs (default: SwiftPM's choice)
#   FUZZ_RSS_MB    libFuzzer -rss_limit_mb (default 2048); FUZZ_TIMEOUT: -timeout in seconds (default 10)
#   FUZZ_FLAGS     more libFuzzer flags, e.g. "-seed=1"
#
# Prints one row per target (inputs executed, exec/s, new corpus units, peak RSS, crashes) and exits 1
# if any target crashed (libFuzzer stops a target at its first crash), timed out or ran out of memory, or
# if a reproducer in Fuzz/regressions/TARGET/ fails again.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD:-.build/fuzz}
rss=${FUZZ_RSS_MB:-2048}
timeout=${FUZZ_TIMEOUT:-10}
if [ $# -gt 0 ]; then targets=("$@"); else read -r -a targets <<< "${FUZZ_TARGETS:-frame digital analog layered png safetensors codecs map}"; fi

# Per target: longest input and dictionary.
max_len() { case $1 in frame) echo 8192 ;; *) echo 4096 ;; esac; }
dictionary() { case $1 in frame) echo frame ;; digital | analog | layered) echo payload ;; *) echo "$1" ;; esac; }

for target in "${targets[@]}"; do
  case $target in frame | digital | analog | layered | png | safetensors | codecs | map) ;;
    *) echo "fuzz: unknown target '$target' (frame digital analog layered png safetensors codecs map)" >&2; exit 2 ;;
  esac
done

# One build folder of its own: every module is compiled with coverage instrumentation and AddressSanitizer.
# lld links the harnesses (gold fails on SwiftPM's `main` renaming next to libFuzzer's runtime).
for target in "${targets[@]}"; do
  echo "== building fuzz-$target"
  SEMCOM_FUZZ=1 swift build --build-path "$build" -c release ${FUZZ_JOBS:+-j "$FUZZ_JOBS"} \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld --product "fuzz-$target"
done
bin=$(SEMCOM_FUZZ=1 swift build --build-path "$build" -c release --show-bin-path)

# A crashing Swift program would start swift-backtrace, which can take half a minute; ASan reports suffice.
# Deterministic hashing: Dictionary order (e.g. of a safetensors header) must not change between replays.
export SWIFT_BACKTRACE=enable=no SWIFT_DETERMINISTIC_HASHING=1
mkdir -p "$build/logs"
failed=0
rows=()
for target in "${targets[@]}"; do
  corpus="$build/corpus/$target" artifacts="$build/artifacts/$target" log="$build/logs/$target.log"
  mkdir -p "$corpus" "$artifacts"
  regressions="Fuzz/regressions/$target"
  if compgen -G "$regressions/*" > /dev/null; then
    echo "== fuzz-$target: replaying $regressions"
    if ! "$bin/fuzz-$target" -rss_limit_mb="$rss" -timeout="$timeout" "$regressions"/* > "$build/logs/$target.regressions.log" 2>&1; then
      echo "fuzz-$target: a regression input fails again; see $build/logs/$target.regressions.log" >&2
      failed=1
    fi
  fi
  limit=(-max_total_time="$seconds")
  [ "$seconds" = 0 ] && limit=(-runs=0)
  [ -n "${FUZZ_RUNS:-}" ] && limit+=(-runs="$FUZZ_RUNS")
  echo "== fuzz-$target: ${seconds}s${FUZZ_RUNS:+, at most $FUZZ_RUNS inputs}; log $log"
  marker=$(mktemp)
  status=0
  # shellcheck disable=SC2086
  "$bin/fuzz-$target" "${limit[@]}" -max_len="$(max_len "$target")" -rss_limit_mb="$rss" -timeout="$timeout" \
    -dict="Fuzz/dict/$(dictionary "$target").dict" -artifact_prefix="$artifacts/" -print_final_stats=1 \
    ${FUZZ_FLAGS:-} "$corpus" "Fuzz/seeds/$target" > "$log" 2>&1 || status=$?
  found=$({ find "$artifacts" -type f -newer "$marker" \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
    -o -name 'oom-*' \) 2> /dev/null || true; } | sort)
  rm -f "$marker"
  stat_of() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  executed=$(stat_of number_of_executed_units) speed=$(stat_of average_exec_per_sec)
  added=$(stat_of new_units_added) peak=$(stat_of peak_rss_mb)
  crashes=$(printf '%s' "$found" | grep -c . || true)
  if [ "$status" != 0 ] && [ "$crashes" = 0 ]; then crashes=1; fi  # e.g. killed before writing a reproducer
  files=$(find "$corpus" -type f 2> /dev/null | wc -l || true)
  rows+=("| $target | ${executed:-?} | ${speed:-?} | ${added:-?} | $files | ${peak:-?} | $crashes |")
  if [ "$crashes" != 0 ]; then
    failed=1
    echo "fuzz-$target: FOUND A PROBLEM (exit $status); reproducers:" >&2
    printf '  %s\n' $found >&2
    grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz check failed|.*Fatal error)' "$log" | head -5 >&2 || true
    echo "  replay: SWIFT_BACKTRACE=enable=no SWIFT_DETERMINISTIC_HASHING=1 $bin/fuzz-$target FILE" >&2
  fi
done

echo
echo "fuzzing, ${seconds}s per target ($(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
echo
echo "| target | inputs executed | exec/s | new units | corpus files | peak RSS (MB) | crashes |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
exit "$failed"
