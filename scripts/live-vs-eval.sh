#!/usr/bin/env bash
# The hybrid over the live link against `semcom eval`'s hybrid figure, on the same held-out scenes.
#
#   scripts/live-vs-eval.sh [SEMCOM] [COUNT] [SNR_DB] [BUDGET]     (defaults: .build/release/semcom 20 10 1/6)
#
# Writes the scenes (`semcom scenes --seed 7`, eval's held-out seed), starts a receiver and a relay at Es/N0
# SNR_DB (MCS auto) on loopback, sends every scene with --encoding hybrid --budget BUDGET --design-snr SNR_DB,
# scores the receiver's images (`semcom score`), then runs `semcom eval --mode hybrid` on the same scenes and
# prints both means. Higher is better for PSNR, SSIM and mIoU. Work files stay in $WORK (default: a temp dir).
set -euo pipefail
semcom=${1:-.build/release/semcom}
count=${2:-20}
snr=${3:-10}
budget=${4:-1/6}
work=${WORK:-$(mktemp -d /tmp/semcom-live-vs-eval.XXXXXX)}
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

"$semcom" scenes --seed 7 --count "$count" --out "$work/scenes" > /dev/null
"$semcom" receive --listen 127.0.0.1:0 --out "$work/received" > "$work/receiver.log" 2>&1 &
pids+=($!)
port_of() {
  for _ in $(seq 600); do
    line=$(grep -m1 'listening on ' "$1" || true)
    if [ -n "$line" ]; then echo "${line##*:}"; return; fi
    sleep 0.1
  done
  echo "no 'listening on' in $1" >&2; exit 1
}
receiver_port=$(port_of "$work/receiver.log")
"$semcom" relay --listen 127.0.0.1:0 --forward "127.0.0.1:$receiver_port" --snr "$snr" --mcs auto > "$work/relay.log" 2>&1 &
pids+=($!)
relay_port=$(port_of "$work/relay.log")
"$semcom" send --connect "127.0.0.1:$relay_port" --input "$work/scenes" --encoding hybrid --budget "$budget" \
  --design-snr "$snr" --origin live > "$work/sender.log" 2>&1
# Every image is generated once its frame is acknowledged; wait for the last.
for _ in $(seq 1200); do
  [ "$(grep -c 'event=frame.generated' "$work/receiver.log" || true)" -ge "$count" ] && break
  sleep 0.25
done
echo "live link (relay --snr $snr, send --encoding hybrid --budget $budget):"
"$semcom" score --reference "$work/scenes" --received "$work/received/live" | tail -1
"$semcom" eval --data "$work/scenes" --count "$count" --mode hybrid --snr "$snr" --budget "$budget" --out "$work/eval" > /dev/null 2>&1
echo "semcom eval --mode hybrid (same scenes, budget and SNR):"
python3 - "$work/eval/results.csv" <<'PY'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["mode"] == "hybrid"]
mean = lambda k: sum(float(r[k]) for r in rows) / len(rows)
print(f"mean of {len(rows)} images: psnr_db={mean('psnr_db'):.3f} ssim={mean('ssim'):.4f} miou={mean('miou'):.4f}")
PY
echo "work files: $work"
