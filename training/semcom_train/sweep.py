"""Sweep of the sampler settings that choose the receiver's defaults: guidance scale and DDIM
step count, each evaluated like `evaluate` (generated images re-segmented, mIoU vs the sent map).

    python -m semcom_train.sweep --data HELDOUT --generator DIR --segmenter DIR --out DIR \\
        [--count 50] [--guidance 1,1.5,2,3] [--steps 10,25,50] [--psnr clean]

Runs every guidance at the default step count (25) and every step count at the default guidance
(the model's), so the grid is a cross, not a full product. Writes OUT/sweep.json and prints a
markdown table; each point's metrics and samples are in OUT/g{guidance}-s{steps}/."""
from __future__ import annotations

import argparse
import json
import os

from .config import GeneratorConfig
from .evaluate import evaluate, parser as evaluate_parser


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--generator", required=True)
    p.add_argument("--segmenter", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--count", type=int, default=50)
    p.add_argument("--guidance", default="1,1.5,2,3")
    p.add_argument("--steps", default="10,25,50")
    p.add_argument("--psnr", default="clean")
    p.add_argument("--device", default="auto")
    a = p.parse_args()
    cfg = GeneratorConfig.from_json(open(os.path.join(a.generator, "config.json")).read())
    guidances = [float(g) for g in a.guidance.split(",")]
    steps = [int(s) for s in a.steps.split(",")]
    points = [(g, cfg.default_steps) for g in guidances]
    points += [(cfg.default_guidance, s) for s in steps if (cfg.default_guidance, s) not in points]
    results = []
    os.makedirs(a.out, exist_ok=True)
    for guidance, n in points:
        out = os.path.join(a.out, f"g{guidance:g}-s{n}")
        args = evaluate_parser().parse_args([
            "--data", a.data, "--generator", a.generator, "--segmenter", a.segmenter, "--out", out,
            "--count", str(a.count), "--steps", str(n), "--guidance", str(guidance), "--psnr", a.psnr,
            "--device", a.device])
        metrics = evaluate(args)
        results.append(metrics)
        with open(os.path.join(a.out, "sweep.json"), "w") as f:  # after every point: partial runs keep results
            json.dump(results, f, indent=2)
    settings = a.psnr.split(",")
    head = "| guidance | DDIM steps | " + " | ".join(f"mIoU {s}" for s in settings) + " | seconds |"
    print(head + "\n|" + "---|" * (head.count("|") - 1))
    for m in results:
        keys = ["clean" if s == "clean" else f"psnr_{s}db" for s in settings]
        cells = [f"{m[k]['resegmented_miou']:.3f}" for k in keys]
        secs = sum(m[k]["seconds"] for k in keys)
        print(f"| {m['guidance']:g} | {m['ddim_steps']} | " + " | ".join(cells) + f" | {secs:.0f} |")


if __name__ == "__main__":
    main()
