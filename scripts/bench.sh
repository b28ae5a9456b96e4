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

# The map coder against the general lossless coders (issue 26): 40 held-out maps (seed 9001) per size, one core.
for size in 64x128 256x512; do
  rm -rf "$tmp/maps"
  "$bin" scenes --count 40 --seed 9001 --size "$size" --out "$tmp/maps" > /dev/null
  echo
  echo "map coding at $size (taskset -c 0 semcom map bench):"
  taskset -c 0 "$bin" map bench --data "$tmp/maps"
done

# Engine: the Swift U-Net against the PyTorch reference on the same shipped weights, same input,
# same thread count, side by side in this run (PyTorch only if it is importable here).
root=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-python3}
[ -x "$root/training/.venv/bin/python" ] && py=$root/training/.venv/bin/python
echo
echo "Engine (64x128 shipped generator; a guided forward is a batch of 2: map + null map; 2 threads, side by side):"
echo
echo "| configuration | guided forward median (s) | GFLOP/s | share of the measured sgemm peak |"
echo "|---|---|---|---|"
swift_row() {  # label, environment change for env(1) (or ""), bench-engine flags…
  local label=$1 environment=$2; shift 2
  # shellcheck disable=SC2086  # $environment is zero or more env(1) words
  local out; out=$(/usr/bin/time -f 'rss %M' env $environment "$bin" bench-engine --threads 2 --iterations 10 --images 0 "$@" 2>&1)
  local f; f=$(echo "$out" | awk '/swift forward/ {print $5}')
  local g; g=$(echo "$out" | grep -o '[0-9.]* GFLOP/s achieved' | awk '{print $1}')
  local p; p=$(echo "$out" | grep -o '([0-9]* %)' | tr -d '()')
  echo "| Swift, $label | $f | $g | $p |"
  echo "$f" > "$tmp/forward-$(echo "$label" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9' '-')"
}
swift_row "oneDNN fp32 (Winograd or direct per layer)" "" --precision fp32
if grep -q avx512_bf16 /proc/cpuinfo; then swift_row "oneDNN bf16" "" --precision bf16; fi
swift_row "im2col + OpenBLAS (OpenBLAS's own core detection)" "" --conv-backend im2col
swift_row "im2col + OpenBLAS, SkylakeX kernels forced" "OPENBLAS_CORETYPE=SkylakeX" --conv-backend im2col
if (cd "$root/training" && "$py" -c 'import torch' 2>/dev/null); then
  torch_out=$(cd "$root/training" && "$py" -m semcom_train.bench --models "$root/models" --threads 2 --iterations 10 --images 0)
  echo "$torch_out" | awk '/^torch .* forward/ {print "| PyTorch " $2 " | " $6 " | | |"}'
  tf=$(echo "$torch_out" | awk '/torch fastest/ {print $5}')
  sf=$(cat "$tmp"/forward-onednn-fp32*)
  echo
  echo "Swift oneDNN fp32 ÷ PyTorch's fastest configuration: $(awk "BEGIN{printf \"%.2f\", $sf / $tf}")"
fi
echo
echo "Whole images (one map, seed 1, 2 threads, same run): today's defaults on the first engine vs the new engine:"
echo
"$bin" bench-engine --threads 2 --iterations 1 --images 2 --conv-backend im2col --sampler ddim --steps 25 --guidance 3 \
  | grep 'swift image' | sed 's/^/    im2col + OpenBLAS (detected core), DDIM 25: /'
env OPENBLAS_CORETYPE=SkylakeX "$bin" bench-engine --threads 2 --iterations 1 --images 2 --conv-backend im2col --sampler ddim \
  --steps 25 --guidance 3 | grep 'swift image' | sed 's/^/    im2col + OpenBLAS (SkylakeX forced), DDIM 25: /'
"$bin" bench-engine --threads 2 --iterations 1 --images 2 --sampler ddim --steps 25 --guidance 3 | grep 'swift image' \
  | sed 's/^/    oneDNN, DDIM 25: /'
"$bin" bench-engine --threads 2 --iterations 1 --images 2 | grep 'swift image' | sed 's/^/    oneDNN, the model'"'"'s defaults: /'

# The live link: a frame's arrival at the receiver to its PNG on disk, from the receiver's own log
# (`event=frame.received` → `event=frame.generated`, both timestamped), 4 frames sent back to back through
# `semcom demo` (sender, relay at 10 dB PSNR, receiver at the model's defaults): frame k waits for
# the k − 1 images before it, so the generation time alone (`duration_ms`) is reported beside it.
"$bin" demo --count 4 --eval-count 0 --no-dashboard --out "$tmp/demo" > /dev/null
echo
echo "Live link, receiver's log (4 frames back to back, the model's defaults, 2 threads):"
python3 - "$tmp/demo/logs/receiver.log" <<'PY'
import re, sys
from datetime import datetime
arrived, rows = {}, []
for line in open(sys.argv[1]):
    if not re.match(r"\d{4}-\d\d-\d\dT", line):
        continue  # "listening on …" and other plain lines
    stamp = datetime.strptime(line.split(" ", 1)[0], "%Y-%m-%dT%H:%M:%S.%fZ")
    name = re.search(r"frame\.name=(\S+)", line)
    if " event=frame.received " in line and name:
        arrived[name.group(1)] = stamp
    elif " event=frame.generated " in line and name and name.group(1) in arrived:
        ms = float(re.search(r"duration_ms=([0-9.]+)", line).group(1))
        rows.append(f"{name.group(1)} {(stamp - arrived[name.group(1)]).total_seconds():.2f} s (generation {ms / 1000:.2f} s)")
print("    frame arrival → PNG: " + "; ".join(rows))
PY

# SDM's Cityscapes-size network (256x512, ~654 M parameters, random weights): time per guided
# step and peak memory of the Swift engine.
if (cd "$root/training" && "$py" -c 'import torch, safetensors' 2>/dev/null); then
  (cd "$root/training" && "$py" -m semcom_train.bench --write-cityscapes "$tmp/cityscapes" > /dev/null)
  cs=$(/usr/bin/time -f 'rss %M' "$bin" bench-engine --model "$tmp/cityscapes" --threads 2 --iterations 1 --images 0 2>&1)
  echo
  echo "Cityscapes-size config (256x512, random weights, 2 threads, lean memory plan): one guided step = one batch-2 forward:"
  echo "$cs" | grep -E 'swift forward|GFLOP|^rss' | sed 's/^/    /'
fi
