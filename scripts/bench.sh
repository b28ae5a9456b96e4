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
# The HTTP side port's cost (issue 14: within 5 %): the same link (256 frames) without and with side
# ports (events published, metrics counted), alternating processes, 5 each; medians.
for run in 1 2 3 4 5; do
  "$bin" bench-link --size 64x128 --count 256 --snr 10 | grep 'loopback link' | sed "s/^/plain run $run /"
  "$bin" bench-link --size 64x128 --count 256 --snr 10 --side-ports | grep 'loopback link' | sed "s/^/side run $run /"
done > "$tmp/side.txt"
for enc in analog digital; do
  p=$(grep "^plain.*link, $enc " "$tmp/side.txt" | grep -o '[0-9.]* frames/s' | awk '{print $1}' | sort -n | sed -n 3p)
  s=$(grep "^side.*link, $enc," "$tmp/side.txt" | grep -o '[0-9.]* frames/s' | awk '{print $1}' | sort -n | sed -n 3p)
  echo "| loopback link, $enc, without vs with HTTP side ports (256 frames, median of 5 processes each, alternating) | 64x128 | $p vs $s frames/s: $(awk "BEGIN{printf \"%.1f\", (1 - $s / $p) * 100}") % slower |"
done
# Mutual TLS on both hops against plain TCP, alternating in one process (issue 15: ≤ 10 % at 64x128).
"$bin" bench-link --size 64x128 --count 64 --snr 10 --tls | grep 'mutual TLS'

# Engine: the Swift U-Net against the PyTorch reference on the same shipped weights, same input,
# same thread count, side by side in this run (PyTorch only if it is importable here).
root=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-python3}
[ -x "$root/training/.venv/bin/python" ] && py=$root/training/.venv/bin/python
echo
echo "Engine (64x128 shipped generator; a guided forward is a batch of 2: map + null map):"
echo
echo "| threads | Swift forward (s) | PyTorch fp32 forward (s) | Swift/PyTorch | Swift image, 25 steps (s) | PyTorch image (s) | Swift peak RSS |"
echo "|---|---|---|---|---|---|---|"
for threads in 1 2; do
  swift_out=$(/usr/bin/time -f 'rss %M' "$bin" bench-engine --threads "$threads" --iterations 10 --images 1 2>&1)
  sf=$(echo "$swift_out" | awk '/swift forward/ {print $5}')
  si=$(echo "$swift_out" | awk '/swift image/ {print $4}')
  rss=$(echo "$swift_out" | awk '/^rss/ {printf "%.0f MB", $2/1024}')
  if (cd "$root/training" && "$py" -c 'import torch' 2>/dev/null); then
    torch_out=$(cd "$root/training" && "$py" -m semcom_train.bench --models "$root/models" --threads "$threads" --iterations 10 --images 1)
    tf=$(echo "$torch_out" | awk '/torch forward/ {print $5}')
    ti=$(echo "$torch_out" | awk '/torch image/ {print $4}')
    ratio=$(awk "BEGIN{printf \"%.2f\", $sf / $tf}")
  else
    tf="(no torch)"; ti="-"; ratio="-"
  fi
  echo "| $threads | $sf | $tf | $ratio | $si | $ti | $rss |"
done
echo
echo "$swift_out" | grep -E 'conditioning|GFLOP' | sed 's/^/    /'

# SDM's Cityscapes-size network (256x512, ~654 M parameters, random weights): time per guided
# step and peak memory of the Swift engine.
if (cd "$root/training" && "$py" -c 'import torch, safetensors' 2>/dev/null); then
  (cd "$root/training" && "$py" -m semcom_train.bench --write-cityscapes "$tmp/cityscapes" > /dev/null)
  cs=$(/usr/bin/time -f 'rss %M' "$bin" bench-engine --model "$tmp/cityscapes" --threads 2 --iterations 1 --images 0 2>&1)
  echo
  echo "Cityscapes-size config (256x512, random weights, 2 threads): one guided DDIM step = one batch-2 forward:"
  echo "$cs" | grep -E 'swift forward|GFLOP|^rss' | sed 's/^/    /'
fi
