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
