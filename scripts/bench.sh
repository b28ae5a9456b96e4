#!/usr/bin/env bash
# Benchmarks for BENCHMARKS.md. Usage: scripts/bench.sh PATH/TO/semcom
# Prints markdown rows; the Makefile's `bench` target runs it with OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE unset.
set -euo pipefail
bin=${1:-.build/release/semcom}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
echo "| benchmark | size | result |"
echo "|---|---|---|"
for size in 64x128 256x512; do
  for run in 1 2 3; do
    rm -rf "$tmp/s"
    start=$(date +%s.%N)
    "$bin" scenes --count 100 --seed 1 --size "$size" --out "$tmp/s" > /dev/null
    end=$(date +%s.%N)
    t=$(awk "BEGIN{printf \"%.2f\", $end - $start}")
    files=$(find "$tmp/s" -name '*.png' | wc -l)
    echo "| scenes --count 100 (run $run) | $size | $t s, $files PNGs |"
  done
done

# Link benchmarks (semcom bench-link): bytes per frame and loopback throughput.
echo
echo "| size | image PNG (B) | JPEG q75 (B) | digital frame (B) | analog frame, as sent (B) | analog frame after 10 dB relay (B) |"
echo "|---|---|---|---|---|---|"
link_rows=()
for spec in 64x128:64 256x512:16; do
  size=${spec%%:*}; count=${spec##*:}
  out=$("$bin" bench-link --size "$size" --count "$count" --snr 10 | grep '^|')
  echo "$out" | head -1
  link_rows+=("$(echo "$out" | tail -n +2)")
done
echo
echo "| measurement | size | result |"
echo "|---|---|---|"
printf '%s\n' "${link_rows[@]}"
