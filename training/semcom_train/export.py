"""Export a run's EMA weights to the product's format: `config.json` + `model.safetensors`.

    python -m semcom_train.export --run DIR --out models/generator [--fp16]

Tensor names are the PyTorch state-dict names (guided-diffusion / SDM layout)."""
from __future__ import annotations

import argparse
import os

import torch
from safetensors.torch import save_file


def export(run: str, out: str, fp16: bool) -> None:
    state = torch.load(os.path.join(run, "checkpoint.pt"), map_location="cpu", weights_only=False)
    os.makedirs(out, exist_ok=True)
    dtype = torch.float16 if fp16 else torch.float32
    tensors = {k: v.detach().to(dtype).contiguous() for k, v in state["ema"].items() if v.is_floating_point()}
    save_file(tensors, os.path.join(out, "model.safetensors"), metadata={"format": "pt", "step": str(state["step"])})
    with open(os.path.join(out, "config.json"), "w") as f:
        f.write(state["config"] + "\n")
    print(f"exported step {state['step']} ({len(tensors)} tensors, {dtype}) to {out}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--run", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--fp16", action="store_true")
    a = p.parse_args()
    export(a.run, a.out, a.fp16)


if __name__ == "__main__":
    main()
