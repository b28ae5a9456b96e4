"""Sweep of the sampler settings that choose the receiver's defaults: guidance scale and step
count for one sampler, each evaluated like `evaluate` (generated images re-segmented, mIoU vs
the sent map; speckle ratio).

    python -m semcom_train.sweep --data HELDOUT --generator DIR --segmenter DIR --out DIR \\
        [--count 50] [--sampler ddim|ddpm|dpmpp2m] [--guidance 1,1.5,2,3] [--steps 10,25,50] \\
        [--base-steps N] [--base-guidance G] [--psnr clean] [remedy options of evaluate]

Runs every guidance at the base step count (default: the model's default_steps) and every step
count at the base guidance (default: the model's default_guidance), so the grid is a cross, not
a full product. The remedy options (--guidance-min-t, --cfg-rescale, --clip, --dynamic-quantile,
--dynamic-min-t, --hf-guidance, --hf-pool, --spacing) apply to every point. Writes OUT/sweep.json and prints a markdown table; each point's metrics and samples
are in OUT/{sampler}-g{guidance}-s{steps}/."""
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
    p.add_argument("--sampler", choices=["ddim", "ddpm", "dpmpp2m"], default="ddim")
    p.add_argument("--guidance", default="1,1.5,2,3")
    p.add_argument("--steps", default="10,25,50")
    p.add_argument("--base-steps", type=int, default=None, help="step count of the guidance arm (model's default)")
    p.add_argument("--base-guidance", type=float, default=None, help="guidance of the steps arm (model's default)")
    p.add_argument("--spacing", choices=["linspace", "trailing"], default="linspace")
    p.add_argument("--guidance-min-t", type=int, default=0)
    p.add_argument("--cfg-rescale", type=float, default=0.0)
    p.add_argument("--clip", choices=["clip", "dynamic", "none"], default="clip")
    p.add_argument("--dynamic-quantile", type=float, default=0.995)
    p.add_argument("--dynamic-min-t", type=int, default=0)
    p.add_argument("--hf-guidance", type=float, default=None)
    p.add_argument("--hf-pool", type=int, default=2)
    p.add_argument("--psnr", default="clean")
    p.add_argument("--device", default="auto")
    p.add_argument("--bf16", action="store_true")
    a = p.parse_args()
    cfg = GeneratorConfig.from_json(open(os.path.join(a.generator, "config.json")).read())
    base_steps = a.base_steps or cfg.default_steps
    base_guidance = a.base_guidance if a.base_guidance is not None else cfg.default_guidance
    guidances = [float(g) for g in a.guidance.split(",")] if a.guidance else []
    steps = [int(s) for s in a.steps.split(",")] if a.steps else []
    points = [(g, base_steps) for g in guidances]
    points += [(base_guidance, s) for s in steps if (base_guidance, s) not in points]
    results = []
    os.makedirs(a.out, exist_ok=True)
    for guidance, n in points:
        out = os.path.join(a.out, f"{a.sampler}-g{guidance:g}-s{n}")
        args = evaluate_parser().parse_args([
            "--data", a.data, "--generator", a.generator, "--segmenter", a.segmenter, "--out", out,
            "--count", str(a.count), "--sampler", a.sampler, "--steps", str(n), "--guidance", str(guidance),
            "--spacing", a.spacing, "--guidance-min-t", str(a.guidance_min_t), "--cfg-rescale", str(a.cfg_rescale),
            "--clip", a.clip, "--hf-pool", str(a.hf_pool), "--dynamic-quantile", str(a.dynamic_quantile),
            "--dynamic-min-t", str(a.dynamic_min_t), "--psnr", a.psnr, "--device", a.device]
            + (["--hf-guidance", str(a.hf_guidance)] if a.hf_guidance is not None else [])
            + (["--bf16"] if a.bf16 else []))
        metrics = evaluate(args)
        results.append(metrics)
        with open(os.path.join(a.out, "sweep.json"), "w") as f:  # after every point: partial runs keep results
            json.dump(results, f, indent=2)
    print(table(results, a.psnr.split(",")))


def table(results: list[dict], settings: list[str]) -> str:
    """Markdown table of sweep points (one row per point; mIoU and speckle per PSNR setting)."""
    head = ("| sampler | steps | guidance | remedy | network passes (images) | "
            + " | ".join(f"mIoU {s} | speckle {s}" for s in settings) + " | s per image |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for m in results:
        keys = ["clean" if s == "clean" else f"psnr_{s}db" for s in settings]
        cells = [f"{m[k]['resegmented_miou']:.4f} | "
                 + (f"{m[k]['speckle_ratio']:.2f}" if "speckle_ratio" in m[k] else "—") for k in keys]
        secs = sum(m[k]["seconds"] for k in keys) / m["scenes"]
        r = m.get("remedy", {})
        remedy = ", ".join(x for x in [f"guidance t ≥ {r['guidance_min_t']}" if r.get("guidance_min_t") else "",
                                       f"rescale {r['rescale']:g}" if r.get("rescale") else "",
                                       f"high-band guidance {r['hf_guidance']:g} (pool {r['hf_pool']})"
                                       if r.get("hf_guidance") is not None else "",
                                       (f"dynamic p {r.get('dynamic_quantile', 0.995):g}"
                                        + (f" at t ≥ {r['dynamic_min_t']}" if r.get("dynamic_min_t") else ""))
                                       if r.get("clip") == "dynamic" else r.get("clip", "clip")] if x)
        lines.append(f"| {m.get('sampler', 'ddim')} | {m.get('steps', m.get('ddim_steps'))} | {m['guidance']:g} | "
                     f"{remedy} | {m.get('network_passes', '')} ({m.get('images_through_network', '')}) | "
                     + " | ".join(cells) + f" | {secs:.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
