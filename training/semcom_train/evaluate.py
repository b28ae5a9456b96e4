"""Quality figures on held-out scenes (the bars of the generator issue):

- segmenter mIoU on the original images;
- generated from clean maps (DDIM, guidance), re-segmented by the segmenter: mIoU vs the sent map;
- the same from maps received over the analog channel at PSNR 10, 5, 1 dB after FDS.

    python -m semcom_train.evaluate --data HELDOUT --generator DIR --segmenter DIR --out DIR

DIR arguments are exported model folders (config.json + model.safetensors) or run folders
(checkpoint.pt, EMA weights used). Writes metrics.json and samples.png."""
from __future__ import annotations

import argparse
import json
import os
import time

import torch
from PIL import Image

from .channel import one_hot, psnr_to_sigma, receive_analog, receive_analog_potts
from .config import GeneratorConfig, SegmenterConfig
from .data import from_model_range, load_scene_set, to_model_range
from .diffusion import Diffusion
from .segmenter import Segmenter, miou
from .unet import SpadeUNet

# Cityscapes train-id colours (same table as Sources/Imaging/Cityscapes.swift).
PALETTE = torch.tensor([
    (128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156), (190, 153, 153), (153, 153, 153),
    (250, 170, 30), (220, 220, 0), (107, 142, 35), (152, 251, 152), (70, 130, 180), (220, 20, 60),
    (255, 0, 0), (0, 0, 142), (0, 0, 70), (0, 60, 100), (0, 80, 100), (0, 0, 230), (119, 11, 32),
] + [(0, 0, 0)] * 237, dtype=torch.uint8)


def colorize(labels: torch.Tensor) -> torch.Tensor:
    """[H,W] ids -> [3,H,W] uint8."""
    return PALETTE[labels.long()].permute(2, 0, 1)


def load_model(folder: str, kind: str, device):
    """An exported folder (config.json + model.safetensors) or a run folder (checkpoint.pt)."""
    ckpt = os.path.join(folder, "checkpoint.pt")
    if os.path.exists(ckpt):
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        text, weights = state["config"], state["ema"]
    else:
        from safetensors.torch import load_file
        text = open(os.path.join(folder, "config.json")).read()
        weights = {k: v.float() for k, v in load_file(os.path.join(folder, "model.safetensors")).items()}
    if kind == "generator":
        cfg = GeneratorConfig.from_json(text)
        model = SpadeUNet(cfg)
    else:
        cfg = SegmenterConfig.from_json(text)
        model = Segmenter(cfg)
    model.load_state_dict(weights)
    return model.to(device).eval(), cfg


@torch.no_grad()
def segment(model, images_u8, device, batch=64):
    out = []
    for i in range(0, images_u8.shape[0], batch):
        logits = model(to_model_range(images_u8[i:i + batch].to(device)))
        out.append(logits.argmax(1).to(torch.uint8).cpu())
    return torch.cat(out)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--generator", required=True)
    p.add_argument("--segmenter", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--steps", type=int, default=25)
    p.add_argument("--guidance", type=float, default=None)
    p.add_argument("--psnr", default="clean,10,5,1")
    p.add_argument("--batch", type=int, default=50)
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--bf16", action="store_true", help="bf16 autocast for the generator (≈ 2x faster on CPUs with AMX)")
    p.add_argument("--denoiser", choices=["potts", "fds"], default="potts",
                   help="the receiver's map denoiser (semcom receive --denoiser)")
    return p


def evaluate(a) -> dict:
    """Runs one evaluation (arguments as `parser()` defines them); writes and returns the metrics."""
    device = torch.device("cuda" if a.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if a.device == "auto" else a.device))
    os.makedirs(a.out, exist_ok=True)
    images, labels, names = load_scene_set(a.data)
    images, labels = images[:a.count], labels[:a.count]
    seg, seg_cfg = load_model(a.segmenter, "segmenter", device)
    gen, gen_cfg = load_model(a.generator, "generator", device)
    guidance = a.guidance if a.guidance is not None else gen_cfg.default_guidance
    diffusion = Diffusion(gen_cfg.diffusion_steps, gen_cfg.beta_start, gen_cfg.beta_end)
    k = gen_cfg.num_classes

    metrics = {"scenes": int(images.shape[0]), "ddim_steps": a.steps, "guidance": guidance, "denoiser": a.denoiser}
    seg_pred = segment(seg, images, device)
    metrics["segmenter_miou"], metrics["segmenter_pixel_accuracy"] = miou(seg_pred, labels, k)
    print(f"segmenter on originals: mIoU {metrics['segmenter_miou']:.4f}", flush=True)

    g = torch.Generator(device=device).manual_seed(a.seed)
    samples = {}
    for setting in a.psnr.split(","):
        start = time.time()
        generated, map_acc, received_maps = [], [], []
        for i in range(0, images.shape[0], a.batch):
            y = labels[i:i + a.batch].to(device)
            n = y.shape[0]
            sigma = torch.zeros(n, device=device) if setting == "clean" else \
                psnr_to_sigma(torch.full((n,), float(setting), device=device))
            receive = receive_analog_potts if a.denoiser == "potts" else receive_analog
            cond = receive(y, k, sigma, generator=g)
            received = torch.where(cond.amax(1) > 0, cond.argmax(1), torch.full_like(y, 255, dtype=torch.long))
            received_maps.append(received.cpu())
            valid = y != 255
            map_acc.append(((received == y.long()) & valid).sum().item() / max(1, valid.sum().item()))
            noise = torch.randn((n, 3, gen_cfg.image_height, gen_cfg.image_width), generator=g, device=device)
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=a.bf16):
                x = diffusion.ddim_sample(gen, cond, noise, steps=a.steps, guidance=guidance)
            x = x.float()
            generated.append(from_model_range(x).cpu())
        generated = torch.cat(generated)
        samples[setting] = generated
        m, acc = miou(segment(seg, generated, device), labels, k)
        map_miou, _ = miou(torch.cat(received_maps), labels, k)
        key = "clean" if setting == "clean" else f"psnr_{setting}db"
        metrics[key] = {"resegmented_miou": m, "resegmented_pixel_accuracy": acc,
                        "received_map_accuracy": sum(map_acc) / len(map_acc),
                        "received_map_miou": map_miou,
                        "seconds": time.time() - start}
        print(f"{key}: re-segmented mIoU {m:.4f}, pixel acc {acc:.4f}, "
              f"map after denoising: mIoU {map_miou:.4f}, "
              f"acc {metrics[key]['received_map_accuracy']:.4f}", flush=True)
    if "clean" in metrics:
        metrics["clean_vs_segmenter"] = metrics["clean"]["resegmented_miou"] / metrics["segmenter_miou"]
        for key in [k2 for k2 in metrics if k2.startswith("psnr_")]:
            metrics[key]["vs_clean"] = metrics[key]["resegmented_miou"] / metrics["clean"]["resegmented_miou"]
    with open(os.path.join(a.out, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)

    # Sample grid: sent map | original | generated at each setting, 6 scenes.
    rows = []
    for i in range(min(6, images.shape[0])):
        cells = [colorize(labels[i]), images[i]] + [samples[s][i] for s in a.psnr.split(",")]
        gap = torch.full((3, labels.shape[1], 2), 255, dtype=torch.uint8)
        row = []
        for c in cells:
            row += [c, gap]
        rows.append(torch.cat(row[:-1], dim=2))
        rows.append(torch.full((3, 2, rows[-1].shape[2]), 255, dtype=torch.uint8))
    grid = torch.cat(rows[:-1], dim=1)
    Image.fromarray(grid.permute(1, 2, 0).numpy()).save(os.path.join(a.out, "samples.png"))
    return metrics


def main():
    print(json.dumps(evaluate(parser().parse_args()), indent=2))


if __name__ == "__main__":
    main()
