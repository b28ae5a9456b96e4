#!/usr/bin/env bash
# The whole training pipeline: scenes -> segmenter -> generator -> export -> evaluation.
# `make train` runs it on the CPU within a 2-hour training budget (segmenter SEG_MINUTES, generator
# GEN_MINUTES, each a total over resumed runs: an interrupted `make train` started again finishes
# what is left of each budget and skips the parts already done); the shipped
# weights were made by the same script with DEVICE=cuda and larger budgets (training/REPORT.md).
#
# Environment (defaults in brackets):
#   SEMCOM [.build/release/semcom]  PYTHON [python3]  DEVICE [auto]  WORK [training/runs]
#   SCENES [4000]  HELDOUT [200]  BATCH [16]  SEG_STEPS [100000]  GEN_STEPS [100000]
#   SEG_MINUTES [15]  GEN_MINUTES [100]  GEN_LR [5e-4]  COMPILE [--compile]
#   GEN_CONFIG [training/configs/generator-cpu.json: the 2.3 M-parameter default that fits the
#   2-hour CPU budget; GEN_CONFIG= (empty) trains the built-in 9 M-parameter configuration]
#   EXPORT [training/runs/models]  EVAL_COUNT [50] (held-out scenes evaluated: ≈ 8 min per PSNR setting on
#   2 cores; the figures in REPORT.md use 200)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
SEMCOM=${SEMCOM:-$root/.build/release/semcom}
PYTHON=${PYTHON:-python3}
DEVICE=${DEVICE:-auto}
WORK=${WORK:-$root/training/runs}
SCENES=${SCENES:-4000}
HELDOUT=${HELDOUT:-200}
BATCH=${BATCH:-16}
SEG_STEPS=${SEG_STEPS:-100000}
GEN_STEPS=${GEN_STEPS:-100000}
SEG_MINUTES=${SEG_MINUTES:-15}
GEN_MINUTES=${GEN_MINUTES:-100}
GEN_LR=${GEN_LR:-5e-4}
COMPILE=${COMPILE---compile}
GEN_CONFIG=${GEN_CONFIG-$here/configs/generator-cpu.json}
EXPORT=${EXPORT:-$root/training/runs/models}
EVAL_COUNT=${EVAL_COUNT:-50}
export PYTHONUNBUFFERED=1 PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"

mkdir -p "$WORK"
[ -d "$WORK/train/images" ] || "$SEMCOM" scenes --count "$SCENES" --seed 1 --out "$WORK/train"
[ -d "$WORK/heldout/images" ] || "$SEMCOM" scenes --count "$HELDOUT" --seed 2 --out "$WORK/heldout"

"$PYTHON" -m semcom_train.train segmenter --data "$WORK/train" --run "$WORK/segmenter" \
  --steps "$SEG_STEPS" --minutes "$SEG_MINUTES" --batch "$BATCH" --lr 1e-3 --device "$DEVICE"
"$PYTHON" -m semcom_train.train generator --data "$WORK/train" --run "$WORK/generator" \
  --steps "$GEN_STEPS" --minutes "$GEN_MINUTES" --batch "$BATCH" --lr "$GEN_LR" --device "$DEVICE" \
  ${GEN_CONFIG:+--config "$GEN_CONFIG"} $COMPILE

"$PYTHON" -m semcom_train.export --run "$WORK/segmenter" --out "$EXPORT/segmenter"
"$PYTHON" -m semcom_train.export --run "$WORK/generator" --out "$EXPORT/generator" --fp16
"$PYTHON" -m semcom_train.evaluate --data "$WORK/heldout" --generator "$EXPORT/generator" \
  --segmenter "$EXPORT/segmenter" --out "$WORK/eval" --count "$EVAL_COUNT" --device "$DEVICE"
echo "models in $EXPORT, evaluation in $WORK/eval"
