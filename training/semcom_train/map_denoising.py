"""The receiver's analog map denoisers compared without the generator: mIoU and pixel accuracy of
the decided map against the sent one, on a scene set, at several PSNRs (GESCO's convention:
sigma = 10^(-PSNR/20), noise only on the planes of the classes present).

    python -m semcom_train.map_denoising --data HELDOUT [--count 200] [--psnr 10,5,1]

Denoisers: raw argmax, GESCO's FDS, the Potts mean-field denoiser (sigma estimated from the
symbols, as `semcom receive` does). Void is decided where no plane reaches 0.5 (raw, FDS) or
where void is the most probable label (Potts)."""
from __future__ import annotations

import argparse

import torch

from .channel import fds, potts_decide, psnr_to_sigma, transmit_analog
from .data import load_scene_set
from .segmenter import miou


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--psnr", default="10,5,1")
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    k = 19
    _, labels, _ = load_scene_set(a.data)
    labels = labels[:a.count]
    print("| PSNR (dB) | raw mIoU / acc | FDS mIoU / acc | Potts mIoU / acc |\n|---|---|---|---|")
    for psnr in [float(s) for s in a.psnr.split(",")]:
        sigma = float(psnr_to_sigma(torch.tensor(psnr)))
        g = torch.Generator().manual_seed(a.seed)
        _, mask, received = transmit_analog(labels, k, torch.full((labels.shape[0],), sigma), g)

        def hard(planes):
            planes = planes.masked_fill(mask[:, :, None, None] == 0, -1e9)
            return torch.where(planes.amax(1) >= 0.5, planes.argmax(1), torch.full_like(planes.argmax(1), 255))

        cells = [miou(d, labels, k) for d in (hard(received), hard(fds(received)), potts_decide(received, mask))]
        print(f"| {psnr:g} | " + " | ".join(f"{m:.3f} / {acc:.4f}" for m, acc in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
