"""Convert an SDM / GESCO PyTorch checkpoint (guided-diffusion layout) to semcom's format:
`config.json` + `model.safetensors`, loadable by the Swift engine.

    python -m semcom_train.convert --checkpoint ema_0.9999_xxx.pt --out models/sdm-cityscapes \\
        --image-size 256x512 --num-channels 256 --num-res-blocks 2 --attention-resolutions 32,16,8 \\
        --channel-mult 1,1,2,2,4,4 --num-classes 36 --learn-sigma [--fp16]

Flags follow SDM's script arguments (attention resolutions are feature-map *sizes* along the
short side, as in guided-diffusion, converted to downsampling factors). Defaults are SDM's
Cityscapes settings. The weights are checked against the network the config describes:
every missing or unexpected tensor, and every shape mismatch, is reported by name.

GESCO checkpoints carry SDM's tensors plus an unused SPADE norm in every encoder res block:
GESCO's `ResBlock.__init__` builds `self.spade_norm = SPADEGroupNorm(channels, 3)`, which its
forward pass never calls (ispamm/GESCO 9ba06fa, guided_diffusion/unet.py: built at line 225,
named elsewhere only in comments, lines 229, 254, 284, 294). Those six tensors per block,
`input_blocks.N.0.spade_norm.{mlp_shared.0,mlp_gamma,mlp_beta}.{weight,bias}`, are checked
(names and shapes), dropped and counted; the rest of a GESCO checkpoint converts as SDM's."""
from __future__ import annotations

import argparse
import os
import re

import torch
from safetensors.torch import save_file

from .config import GeneratorConfig
from .unet import SpadeUNet

PREFIXES = ("module.", "model.", "ema_model.")

# GESCO's unused encoder SPADE norm: `input_blocks.N.0.spade_norm.<layer>.<weight|bias>`.
GESCO_SPADE_NORM = re.compile(r"(input_blocks\.\d+\.0)\.spade_norm\.(mlp_shared\.0|mlp_gamma|mlp_beta)\.(weight|bias)")
GESCO_SPADE_LABELS = 3  # GESCO's ResBlock: `self.c_channels = 3` (unet.py line 223)


def strip(state: dict) -> dict:
    """Unwraps {"state_dict": …}/{"model": …} and DataParallel prefixes."""
    for key in ("state_dict", "model", "ema"):
        if isinstance(state.get(key), dict) and all(isinstance(v, torch.Tensor) for v in state[key].values()):
            state = state[key]
            break
    out = {}
    for k, v in state.items():
        for p in PREFIXES:
            if k.startswith(p):
                k = k[len(p):]
        out[k] = v
    return out


def gesco_spade_norm_shape(key: str, expected: dict, cfg: GeneratorConfig):
    """The shape GESCO gives `key` when it names an unused `spade_norm` tensor of one of the
    network's encoder res blocks, else None. GESCO builds it as SPADEGroupNorm(channels, 3):
    the block's input channels, 3 label channels, and SPADE's hidden width (shared with the
    decoder's norms); its GroupNorm has no affine parameters, so six tensors per block."""
    m = GESCO_SPADE_NORM.fullmatch(key)
    norm = m and expected.get(f"{m[1]}.in_layers.0.weight")  # encoder ResBlocks only (GroupNorm over `channels`)
    if norm is None:
        return None
    channels, hidden = norm.shape[0], cfg.spade_hidden
    if m[2] == "mlp_shared.0":
        return (hidden, GESCO_SPADE_LABELS, 3, 3) if m[3] == "weight" else (hidden,)
    return (channels, hidden, 3, 3) if m[3] == "weight" else (channels,)


def config_from_args(a) -> GeneratorConfig:
    h, w = (int(v) for v in a.image_size.lower().split("x"))
    return GeneratorConfig(
        image_height=h, image_width=w, model_channels=a.num_channels, num_res_blocks=a.num_res_blocks,
        attention_resolutions=[min(h, w) // int(r) for r in a.attention_resolutions.split(",")],
        channel_mult=[int(m) for m in a.channel_mult.split(",")], num_head_channels=a.num_head_channels,
        num_heads=a.num_heads, num_classes=a.num_classes, spade_hidden=a.spade_hidden, num_groups=32,
        dropout=0.0, learn_sigma=a.learn_sigma, default_guidance=a.guidance, default_steps=a.steps)


def convert(checkpoint: str, cfg: GeneratorConfig, out: str, fp16: bool) -> dict:
    """Writes OUT/config.json and OUT/model.safetensors; returns {"tensors", "parameters",
    "dropped"} (dropped: the names of GESCO's unused `spade_norm` tensors left out)."""
    state = strip(torch.load(checkpoint, map_location="cpu", weights_only=False))
    model = SpadeUNet(cfg)
    expected = model.state_dict()
    gesco = {}  # GESCO's unused encoder spade_norm tensors -> the shape GESCO gives them
    for k in state:
        if k not in expected and (shape := gesco_spade_norm_shape(k, expected, cfg)) is not None:
            gesco[k] = shape
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected and k not in gesco]
    wrong = [f"{k}: checkpoint {tuple(state[k].shape)}, config {tuple(v.shape)}"
             for k, v in expected.items() if k in state and state[k].shape != v.shape]
    wrong += [f"{k} (GESCO's unused spade_norm): checkpoint {tuple(state[k].shape)}, config {s}"
              for k, s in gesco.items() if tuple(state[k].shape) != s]
    if missing or unexpected or wrong:
        lines = [f"missing tensor {k}" for k in missing[:10]] + [f"unexpected tensor {k}" for k in unexpected[:10]] + wrong[:10]
        raise SystemExit(f"{checkpoint} does not match the config ({len(missing)} missing, {len(unexpected)} unexpected, "
                         f"{len(wrong)} shape mismatches):\n  " + "\n  ".join(lines))
    model.load_state_dict({k: state[k] for k in expected})
    os.makedirs(out, exist_ok=True)
    dtype = torch.float16 if fp16 else torch.float32
    save_file({k: v.to(dtype).contiguous() for k, v in model.state_dict().items()}, os.path.join(out, "model.safetensors"),
              metadata={"format": "pt", "source": os.path.basename(checkpoint)})
    with open(os.path.join(out, "config.json"), "w") as f:
        f.write(cfg.to_json() + "\n")
    parameters = sum(v.numel() for v in expected.values())
    if gesco:
        blocks = len({GESCO_SPADE_NORM.fullmatch(k)[1] for k in gesco})
        print(f"dropped {len(gesco)} unused GESCO spade_norm tensors ({blocks} encoder res blocks, "
              f"{sum(state[k].numel() for k in gesco) / 1e6:.2f} M parameters never used by GESCO's forward pass)")
    print(f"converted {len(expected)} tensors ({parameters / 1e6:.1f} M parameters) to {out}")
    return {"tensors": len(expected), "parameters": parameters, "dropped": sorted(gesco)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--image-size", default="256x512")
    p.add_argument("--num-channels", type=int, default=256)
    p.add_argument("--num-res-blocks", type=int, default=2)
    p.add_argument("--attention-resolutions", default="32,16,8")
    p.add_argument("--channel-mult", default="1,1,2,2,4,4")
    p.add_argument("--num-head-channels", type=int, default=64)
    p.add_argument("--num-heads", type=int, default=-1)
    p.add_argument("--num-classes", type=int, default=36, help="label channels (+1 when instance edges are used)")
    p.add_argument("--spade-hidden", type=int, default=128)
    p.add_argument("--learn-sigma", action="store_true")
    p.add_argument("--guidance", type=float, default=2.0)
    p.add_argument("--steps", type=int, default=25)
    p.add_argument("--fp16", action="store_true")
    a = p.parse_args()
    convert(a.checkpoint, config_from_args(a), a.out, a.fp16)


if __name__ == "__main__":
    main()
