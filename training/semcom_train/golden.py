"""Golden vectors for the Swift engine: inputs, weights and outputs of the reference PyTorch
modules on fixed seeds (random weights), per layer type and for whole forwards, plus a
forward of the shipped weights on a fixed scene.

    python -m semcom_train.golden --out Tests/GeneratorTests/Golden [--models models --scene DIR]

(`dpmpp2m_5_steps`: DPM-Solver++(2M), 5 steps, guidance 2.5, dynamic thresholding p 0.995, with
its own copy of the tiny U-Net's weights; `x0.N` holds each step's thresholded data prediction D_N.)

Each case is one `NAME.safetensors` holding float32 tensors: `input.*`, `output` (and
`trajectory.N`), and the module's parameters under `weight.` + their state-dict names.
`cases.json` lists the cases with their configs and scalar arguments."""
from __future__ import annotations

import argparse
import json
import math
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from .channel import estimate_noise_std, fds, fit_fading, one_hot, potts_marginals
from .config import GeneratorConfig, SegmenterConfig
from .diffusion import Diffusion
from .segmenter import Segmenter
from .unet import AttentionBlock, ResBlock, SDMResBlock, SPADEGroupNorm, SpadeUNet, timestep_embedding


# The speckle remedy of the receiver's default sampler (training/REPORT.md, "Few-step sampling and
# speckle"), as keyword options of Diffusion.predict_x0.
DPM_GOLDEN_REMEDY = {"clip": "dynamic", "dynamic_quantile": 0.995}
# Every other option of predict_x0 at once, for a second trajectory: a guidance interval (the first
# two and the last of 5 steps unguided), CFG rescale, frequency-split guidance, dynamic thresholding with
# its own quantile and the plain clamp below t = 300 (each option changes the output by 3e-3 or more).
DPM_GOLDEN_OPTIONS = {"guidance_min_t": 300, "guidance_max_t": 700, "rescale": 0.7, "hf_guidance": 1.5,
                      "hf_pool": 2, "clip": "dynamic", "dynamic_quantile": 0.99, "dynamic_min_t": 300}


def randomize(module: torch.nn.Module, gen: torch.Generator) -> None:
    """Non-zero random parameters everywhere (zero-initialised convs would hide bugs)."""
    with torch.no_grad():
        for p in module.parameters():
            fan_in = p[0].numel() if p.dim() > 1 else 1
            p.copy_(torch.randn(p.shape, generator=gen) * (1.0 / fan_in ** 0.5 if p.dim() > 1 else 0.2))


def tiny_config() -> GeneratorConfig:
    return GeneratorConfig(image_height=16, image_width=32, model_channels=32, num_res_blocks=1,
                           attention_resolutions=[2], channel_mult=[1, 2], num_head_channels=16, num_classes=5,
                           spade_hidden=16, num_groups=8)


class Writer:
    def __init__(self, out):
        self.out, self.cases = out, {}
        os.makedirs(out, exist_ok=True)

    def save(self, name, tensors: dict, module: torch.nn.Module | None = None, **info):
        blob = {k: v.detach().float().contiguous() for k, v in tensors.items()}
        if module is not None:
            for k, v in module.state_dict().items():
                blob["weight." + k] = v.detach().float().contiguous()
        save_file(blob, os.path.join(self.out, name + ".safetensors"))
        self.cases[name] = info


def potts_case(w: Writer, gen: torch.Generator) -> None:
    """The receiver's Potts denoiser on one frame: 4 present classes (thin structures included) and
    void, 20x36 symbols at PSNR 7 dB; the EM noise estimate and the mean-field marginals."""
    labels = torch.randint(0, 4, (5, 9), generator=gen).repeat_interleave(4, 0).repeat_interleave(4, 1)[:20, :36]
    labels[:, 17] = 3  # a pole one symbol wide
    labels[2:5, 30:34] = 255  # void
    planes = one_hot(labels[None], 4)[0]
    noisy = planes + 10 ** (-7 / 20) * torch.randn(planes.shape, generator=gen)
    sigma = estimate_noise_std(noisy)
    q = potts_marginals(noisy, sigma)
    w.save("potts", {"input.planes": noisy, "noise_std": torch.tensor([sigma]), "marginals": q,
                     "labels": q.argmax(0).float()})


def dpm_options_case(w: Writer, unet: torch.nn.Module, seg: torch.Tensor, cfg: GeneratorConfig) -> None:
    """DPM-Solver++(2M), 5 steps, guidance 2.5, with DPM_GOLDEN_OPTIONS; noise from its own generator
    (seed 14); the weights stored in the case."""
    diffusion = Diffusion()
    noise = torch.randn(1, 3, 16, 32, generator=torch.Generator().manual_seed(14))
    traj = []
    out = diffusion.dpm_solver_sample(unet, seg, noise, steps=5, guidance=2.5, trajectory=traj, **DPM_GOLDEN_OPTIONS)
    tensors = {"input.noise": noise, "input.map": seg, "output": out}
    tensors.update({f"trajectory.{i}": s for i, s in enumerate(traj)})
    w.save("dpmpp2m_5_steps_options", tensors, unet, config=json.loads(cfg.to_json()), steps=5, guidance=2.5,
           sampler="dpmpp2m", timesteps=diffusion.dpm_solver_timesteps(5), spacing="linspace",
           remedy=DPM_GOLDEN_OPTIONS, weights="own")


def potts_fading_case(w: Writer) -> None:
    """The Potts denoiser after Rayleigh block fading with MMSE equalisation (own generator, seed 13):
    4 present classes on 20x36 symbols, blocks of 16 complex uses (32 real symbols), Es/N0 3 dB;
    each block's fitted level and variance (`fit_fading`) and the marginals under them."""
    gen = torch.Generator().manual_seed(13)
    labels = torch.randint(0, 4, (5, 9), generator=gen).repeat_interleave(4, 0).repeat_interleave(4, 1)[:20, :36]
    labels[:, 17] = 3
    planes = one_hot(labels[None], 4)[0].double()
    x = planes.flatten()
    power = float(x.pow(2).mean())
    sigma = math.sqrt(power / 10 ** (3 / 10))  # per real dimension
    pairs = torch.complex(x[0::2], x[1::2])
    block = 16
    h = torch.complex(torch.randn(pairs.numel() // block + 1, generator=gen, dtype=torch.float64),
                      torch.randn(pairs.numel() // block + 1, generator=gen, dtype=torch.float64)) * math.sqrt(0.5)
    h = h.repeat_interleave(block)[:pairs.numel()]
    n = torch.complex(torch.randn(pairs.numel(), generator=gen, dtype=torch.float64),
                      torch.randn(pairs.numel(), generator=gen, dtype=torch.float64)) * sigma
    rho = sigma ** 2 / power  # N0 / Es
    z = h.conj() * (h * pairs + n) / (h.abs() ** 2 + rho)
    received = torch.stack([z.real, z.imag], 1).flatten().view(planes.shape).float()
    fit = fit_fading(received, 2 * block, 4)
    q = potts_marginals(received, 0.0, fit=fit)
    w.save("potts_fading", {"input.planes": received, "levels": fit["levels"], "variances": fit["variances"],
                            "marginals": q, "labels": q.argmax(0).float()},
           block_length=2 * block, family=fit["family"], log_likelihood=fit["log_likelihood"])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--models", help="folder with generator/ and segmenter/ (shipped weights)")
    p.add_argument("--scene", help="scene set folder; its first scene is used for the shipped-weights case")
    a = p.parse_args()
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    w = Writer(a.out)
    rnd = lambda *s: torch.randn(*s, generator=gen)

    # Convolutions (the engine's conv2d: 3x3 pad 1, 1x1, 3x3 stride 2).
    for name, (cin, cout, k, stride, pad) in {"conv3x3": (5, 7, 3, 1, 1), "conv1x1": (6, 4, 1, 1, 0),
                                               "conv3x3_stride2": (4, 6, 3, 2, 1)}.items():
        conv = torch.nn.Conv2d(cin, cout, k, stride=stride, padding=pad)
        randomize(conv, gen)
        x = rnd(2, cin, 9, 12)
        w.save(name, {"input.x": x, "output": conv(x)}, conv, stride=stride, padding=pad)

    gn = torch.nn.GroupNorm(4, 12)
    randomize(gn, gen)
    x = rnd(2, 12, 5, 7) * 3 + 1
    w.save("groupnorm_affine", {"input.x": x, "output": gn(x)}, gn, groups=4)
    gn0 = torch.nn.GroupNorm(4, 12, affine=False)
    w.save("groupnorm_plain", {"input.x": x, "output": gn0(x)}, None, groups=4)

    spade = SPADEGroupNorm(16, 5, 8, 4)
    randomize(spade, gen)
    ids = torch.randint(0, 6, (2, 12, 16), generator=gen)
    x, seg = rnd(2, 16, 6, 8), one_hot(torch.where(ids < 5, ids, torch.full_like(ids, 255)), 5)  # with void
    w.save("spade_groupnorm", {"input.x": x, "input.map": seg, "output": spade(x, seg)}, spade, groups=4)

    cfg = tiny_config()
    emb = rnd(2, 4 * cfg.model_channels)
    rb = ResBlock(cfg, 32, 128, 64, down=True)
    randomize(rb, gen)
    x = rnd(2, 32, 8, 12)
    w.save("resblock_encoder_down", {"input.x": x, "input.emb": emb, "output": rb(x, emb)}, rb)
    rb2 = ResBlock(cfg, 32, 128, 32)
    randomize(rb2, gen)
    w.save("resblock_encoder", {"input.x": x, "input.emb": emb, "output": rb2(x, emb)}, rb2)
    sb = SDMResBlock(cfg, 64, 128, 32, up=True)
    randomize(sb, gen)
    x = rnd(2, 64, 4, 6)
    seg = one_hot(torch.randint(0, 5, (2, 16, 32), generator=gen), 5)
    w.save("resblock_decoder_up", {"input.x": x, "input.emb": emb, "input.map": seg, "output": sb(x, emb, seg)}, sb)

    att = AttentionBlock(cfg, 32)
    randomize(att, gen)
    x = rnd(2, 32, 4, 6)
    w.save("attention", {"input.x": x, "output": att(x)}, att, heads=att.num_heads)

    t = torch.tensor([0, 1, 17, 999])
    te = torch.nn.Sequential(torch.nn.Linear(32, 128), torch.nn.SiLU(), torch.nn.Linear(128, 128))
    randomize(te, gen)
    sin = timestep_embedding(t, 32)
    w.save("timestep_embedding", {"input.t": t.float(), "sinusoidal": sin, "output": te(sin)}, te)

    x = rnd(2, 3, 6, 8)
    w.save("upsample_nearest", {"input.x": x, "output": F.interpolate(x, scale_factor=2, mode="nearest")})
    w.save("downsample_avg", {"input.x": x, "output": F.avg_pool2d(x, 2, 2)})
    seg = one_hot(torch.randint(0, 5, (1, 16, 32), generator=gen), 5)
    w.save("resize_nearest", {"input.x": seg, "output": F.interpolate(seg, size=(4, 8), mode="nearest")})
    noisy = seg + 0.4 * rnd(*seg.shape)
    w.save("fds", {"input.x": noisy, "output": fds(noisy)})
    potts_case(w, gen)
    potts_fading_case(w)

    unet = SpadeUNet(cfg)
    randomize(unet, gen)
    x = rnd(2, 3, 16, 32)
    seg = one_hot(torch.randint(0, 5, (2, 16, 32), generator=gen), 5)
    tt = torch.tensor([3, 640])
    w.save("unet_forward", {"input.x": x, "input.t": tt.float(), "input.map": seg, "output": unet(x, tt, seg)},
           unet, config=json.loads(cfg.to_json()))

    diffusion = Diffusion()
    noise = rnd(1, 3, 16, 32)
    traj = []
    out = diffusion.ddim_sample(unet, seg[:1], noise, steps=5, guidance=2.5, trajectory=traj)
    tensors = {"input.noise": noise, "input.map": seg[:1], "output": out}
    tensors.update({f"trajectory.{i}": s for i, s in enumerate(traj)})
    # Weights: those of unet_forward (not duplicated).
    w.save("ddim_5_steps", tensors, None, config=json.loads(cfg.to_json()), steps=5, guidance=2.5,
           timesteps=diffusion.respaced(5), weights="unet_forward")

    # DPM-Solver++(2M), same weights and map; its noise from its own generator (seed 12) so that the
    # cases after it keep their inputs. The receiver's speckle remedy applied.
    noise = torch.randn(1, 3, 16, 32, generator=torch.Generator().manual_seed(12))
    traj, x0s = [], []
    predict = diffusion.predict_x0

    def recorded(*args, **kwargs):  # D_i of every step (x0.N), to locate a mismatch in a port
        x0, eps = predict(*args, **kwargs)
        x0s.append(x0.clone())
        return x0, eps

    diffusion.predict_x0 = recorded
    out = diffusion.dpm_solver_sample(unet, seg[:1], noise, steps=5, guidance=2.5, trajectory=traj, **DPM_GOLDEN_REMEDY)
    diffusion.predict_x0 = predict
    tensors = {"input.noise": noise, "input.map": seg[:1], "output": out}
    tensors.update({f"trajectory.{i}": s for i, s in enumerate(traj)})
    tensors.update({f"x0.{i}": s for i, s in enumerate(x0s)})
    # Weights stored in the case itself (weight.*; the values of this run's unet_forward), so that
    # the case can be added to a Golden folder written by an earlier run.
    w.save("dpmpp2m_5_steps", tensors, unet, config=json.loads(cfg.to_json()), steps=5, guidance=2.5,
           sampler="dpmpp2m", timesteps=diffusion.dpm_solver_timesteps(5), spacing="linspace",
           remedy=DPM_GOLDEN_REMEDY, weights="own")
    dpm_options_case(w, unet, seg[:1], cfg)

    scfg = SegmenterConfig(image_height=16, image_width=32, channels=[8, 16, 16], num_classes=5, num_groups=4)
    segm = Segmenter(scfg)
    randomize(segm, gen)
    x = rnd(2, 3, 16, 32)
    w.save("segmenter_forward", {"input.x": x, "output": segm(x)}, segm, config=json.loads(scfg.to_json()))

    if a.models and a.scene:
        from safetensors.torch import load_file
        from .data import load_scene_set, to_model_range
        images, labels, names = load_scene_set(a.scene)
        gcfg = GeneratorConfig.from_json(open(os.path.join(a.models, "generator", "config.json")).read())
        g = SpadeUNet(gcfg)
        g.load_state_dict({k: v.float() for k, v in load_file(os.path.join(a.models, "generator", "model.safetensors")).items()})
        seg = one_hot(labels[:1], gcfg.num_classes)
        x = rnd(1, 3, gcfg.image_height, gcfg.image_width)
        t = torch.tensor([500])
        with torch.no_grad():
            out = g(x, t, seg)
        w.save("shipped_generator_forward", {"input.x": x, "input.t": t.float(), "input.map": seg, "output": out},
               scene=names[0])
        scfg = SegmenterConfig.from_json(open(os.path.join(a.models, "segmenter", "config.json")).read())
        s = Segmenter(scfg)
        s.load_state_dict(load_file(os.path.join(a.models, "segmenter", "model.safetensors")))
        with torch.no_grad():
            logits = s(to_model_range(images[:1]))
        w.save("shipped_segmenter_forward", {"input.x": to_model_range(images[:1]), "output": logits}, scene=names[0])

    with open(os.path.join(a.out, "cases.json"), "w") as f:
        json.dump(w.cases, f, indent=1, sort_keys=True)
    print(f"wrote {len(w.cases)} cases to {a.out}")


if __name__ == "__main__":
    main()
