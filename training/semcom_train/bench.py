"""PyTorch side of the engine benchmark: the same shipped weights, the same batch-2 guided
forward (map + null map) and whole DDIM images, at a chosen thread count.

    python -m semcom_train.bench --models models --threads 1 [--iterations 10] [--images 1]"""
from __future__ import annotations

import argparse
import os
import time

import torch
from safetensors.torch import load_file
from torch.utils.flop_counter import FlopCounterMode

from .config import GeneratorConfig
from .diffusion import Diffusion
from .unet import SpadeUNet


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default="models")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--images", type=int, default=1)
    p.add_argument("--write-cityscapes", metavar="DIR",
                   help="only write SDM's 256x512 Cityscapes network with random weights (fp16) to DIR, for the Swift engine")
    a = p.parse_args()
    if a.write_cityscapes:
        from safetensors.torch import save_file
        from .config import cityscapes_config
        cfg = cityscapes_config()
        model = SpadeUNet(cfg)
        os.makedirs(a.write_cityscapes, exist_ok=True)
        save_file({k: v.half().contiguous() for k, v in model.state_dict().items()},
                  os.path.join(a.write_cityscapes, "model.safetensors"))
        with open(os.path.join(a.write_cityscapes, "config.json"), "w") as f:
            f.write(cfg.to_json())
        print(f"wrote {sum(v.numel() for v in model.state_dict().values()) / 1e6:.0f} M parameters to {a.write_cityscapes}")
        return
    torch.set_num_threads(a.threads)
    cfg = GeneratorConfig.from_json(open(os.path.join(a.models, "generator", "config.json")).read())
    model = SpadeUNet(cfg).eval()
    model.load_state_dict({k: v.float() for k, v in load_file(os.path.join(a.models, "generator", "model.safetensors")).items()})
    cond = torch.zeros(1, cfg.num_classes, cfg.image_height, cfg.image_width)
    cond[:, 0] = 1
    both = torch.cat([cond, torch.zeros_like(cond)])
    x = torch.randn(2, 3, cfg.image_height, cfg.image_width, generator=torch.Generator().manual_seed(1))
    t = torch.tensor([500, 500])
    with torch.no_grad():
        with FlopCounterMode(display=False) as fc:
            model(x, t, both)
        flops = fc.get_total_flops()
    # PyTorch's CPU configurations, side by side: the fastest is the reference the Swift engine is held to.
    configs = [("fp32", torch.contiguous_format, False), ("fp32-channels-last", torch.channels_last, False),
               ("bf16-channels-last", torch.channels_last, True)]
    best = None
    for name, layout, bf16 in configs:
        m = model.to(memory_format=layout)
        xx, bb = x.to(memory_format=layout), both.to(memory_format=layout)
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            m(xx, t, bb)
            times = []
            for _ in range(a.iterations):
                s = time.perf_counter()
                m(xx, t, bb)
                times.append(time.perf_counter() - s)
        times.sort()
        median = times[len(times) // 2]
        print(f"torch {name} forward batch2 median {median:.4f} s min {times[0]:.4f} s "
              f"(threads {torch.get_num_threads()}, {flops / 1e9:.1f} GFLOP per batch-2 forward)")
        if best is None or median < best[1]:
            best = (name, median)
    print(f"torch fastest {best[0]} median {best[1]:.4f} s")
    model = model.to(memory_format=torch.contiguous_format)
    diffusion = Diffusion(cfg.diffusion_steps, cfg.beta_start, cfg.beta_end)
    for i in range(a.images):
        s = time.perf_counter()
        diffusion.ddim_sample(model, cond, torch.randn(1, 3, cfg.image_height, cfg.image_width), steps=cfg.default_steps,
                              guidance=cfg.default_guidance)
        print(f"torch image {i}: {time.perf_counter() - s:.3f} s ({cfg.default_steps} steps, guidance {cfg.default_guidance})")


if __name__ == "__main__":
    main()
