"""Quality figures on held-out scenes (the bars of the generator issue):

- segmenter mIoU on the original images;
- generated from clean maps (DDIM, guidance), re-segmented by the segmenter: mIoU vs the sent map;
- the same from maps received over the analog channel at PSNR 10, 5, 1 dB after FDS;
- the speckle ratio of every setting (`speckle`, below).

    python -m semcom_train.evaluate --data HELDOUT --generator DIR --segmenter DIR --out DIR \
        [--sampler ddim|ddpm|dpmpp2m --steps N --guidance G --guidance-min-t T --cfg-rescale PHI --clip MODE]

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


def laplacian_energy(images_u8: torch.Tensor) -> torch.Tensor:
    """Per image [N,3,H,W] uint8: the mean over pixels of the squared discrete Laplacian of the luma,
    Y = 0.299 R + 0.587 G + 0.114 B on the 0…255 scale, 4-neighbour kernel [[0,1,0],[1,-4,1],[0,1,0]],
    valid region only ((H-2) x (W-2) pixels). Returns float64 [N]."""
    x = images_u8.double()
    y = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    lap = (y[:, :-2, 1:-1] + y[:, 2:, 1:-1] + y[:, 1:-1, :-2] + y[:, 1:-1, 2:]) - 4 * y[:, 1:-1, 1:-1]
    return (lap * lap).mean(dim=(1, 2))


def speckle(generated_u8: torch.Tensor, original_u8: torch.Tensor) -> dict:
    """Speckle ratio = (mean over images of laplacian_energy(generated)) ÷ (mean over images of
    laplacian_energy(original)), a ratio of means over the same scenes (not a mean of ratios);
    both means are returned too, and the share of images whose own ratio is above 1.5."""
    g, o = laplacian_energy(generated_u8), laplacian_energy(original_u8)
    return {"speckle_ratio": (g.mean() / o.mean()).item(), "laplacian_energy_generated": g.mean().item(),
            "laplacian_energy_original": o.mean().item(), "images_above_1_5": ((g / o) > 1.5).float().mean().item()}


def remedy_of(a) -> dict:
    """The sampler's speckle-remedy options (`Diffusion.predict_x0`) from the arguments."""
    return {"guidance_min_t": a.guidance_min_t, "rescale": a.cfg_rescale, "clip": a.clip,
            "hf_guidance": a.hf_guidance, "hf_pool": a.hf_pool, "dynamic_quantile": a.dynamic_quantile,
            "dynamic_min_t": a.dynamic_min_t}


def network_passes(diffusion: Diffusion, sampler: str, steps: int, guidance: float, guidance_min_t: int,
                   spacing: str = "linspace") -> tuple[int, int]:
    """(network evaluations, images through the network) per generated image: a guided pass runs
    the map and the null map (2 images), one below guidance_min_t or at guidance 1 runs 1."""
    ts = diffusion.dpm_solver_timesteps(steps, spacing) if sampler == "dpmpp2m" else diffusion.respaced(steps)
    return len(ts), sum(2 if guidance != 1 and t >= guidance_min_t else 1 for t in ts)


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
    p.add_argument("--sampler", choices=["ddim", "ddpm", "dpmpp2m"], default=None,
                   help="default: the model's default_sampler (config.json), else ddim")
    p.add_argument("--steps", type=int, default=None, help="network passes; default: the model's default_steps")
    p.add_argument("--guidance", type=float, default=None)
    p.add_argument("--spacing", choices=["linspace", "trailing"], default="linspace",
                   help="dpmpp2m's timesteps (Diffusion.dpm_solver_timesteps)")
    p.add_argument("--guidance-min-t", type=int, default=None,
                   help="guidance only at timesteps >= T, the conditional pass alone below "
                        "(default: the model's default_guidance_min_t, else 0 = everywhere)")
    p.add_argument("--cfg-rescale", type=float, default=0.0, help="CFG rescale phi (Lin et al. 2023); 0 = off")
    p.add_argument("--clip", choices=["clip", "dynamic", "none"], default="clip",
                   help="x0 treatment: clamp to [-1,1], Imagen's dynamic thresholding (p 0.995), or none")
    p.add_argument("--dynamic-quantile", type=float, default=0.995, help="--clip dynamic's percentile p")
    p.add_argument("--dynamic-min-t", type=int, default=0,
                   help="--clip dynamic only at timesteps >= T, the plain clamp below")
    p.add_argument("--hf-guidance", type=float, default=None,
                   help="guidance of the guidance direction's high band (Diffusion.guided_eps); default: plain guidance")
    p.add_argument("--hf-pool", type=int, default=2, help="the low band's block size (avg pool k x k, nearest up)")
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
    if device.type == "cpu":
        gen = gen.to(memory_format=torch.channels_last)  # fp32 still; ≈ 1.4x faster on the CPU
    guidance = a.guidance if a.guidance is not None else gen_cfg.default_guidance
    a.sampler = a.sampler or getattr(gen_cfg, "default_sampler", None) or "ddim"
    a.steps = a.steps or gen_cfg.default_steps
    if a.guidance_min_t is None:
        a.guidance_min_t = getattr(gen_cfg, "default_guidance_min_t", None) or 0
    diffusion = Diffusion(gen_cfg.diffusion_steps, gen_cfg.beta_start, gen_cfg.beta_end)
    k = gen_cfg.num_classes
    remedy = remedy_of(a)
    options = dict(remedy, spacing=a.spacing) if a.sampler == "dpmpp2m" else remedy
    passes, forwards = network_passes(diffusion, a.sampler, a.steps, guidance, a.guidance_min_t, a.spacing)

    metrics = {"scenes": int(images.shape[0]), "sampler": a.sampler, "steps": a.steps,
               "ddim_steps": a.steps if a.sampler == "ddim" else None, "guidance": guidance,
               "remedy": remedy, "spacing": a.spacing if a.sampler == "dpmpp2m" else None,
               "network_passes": passes, "images_through_network": forwards, "bf16": a.bf16,
               "denoiser": a.denoiser}
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
                x = diffusion.sample(a.sampler, gen, cond, noise, a.steps, guidance, generator=g, **options)
            x = x.float()
            generated.append(from_model_range(x).cpu())
        generated = torch.cat(generated)
        samples[setting] = generated
        m, acc = miou(segment(seg, generated, device), labels, k)
        map_miou, _ = miou(torch.cat(received_maps), labels, k)
        key = "clean" if setting == "clean" else f"psnr_{setting}db"
        seconds = time.time() - start
        metrics[key] = {"resegmented_miou": m, "resegmented_pixel_accuracy": acc, **speckle(generated, images),
                        "received_map_accuracy": sum(map_acc) / len(map_acc),
                        "received_map_miou": map_miou,
                        "seconds": seconds, "seconds_per_image": seconds / images.shape[0]}
        print(f"{key}: re-segmented mIoU {m:.4f}, pixel acc {acc:.4f}, "
              f"speckle ratio {metrics[key]['speckle_ratio']:.3f}, "
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
