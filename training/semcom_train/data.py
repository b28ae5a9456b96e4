"""Scene sets as tensors: `images/NAME.png` (RGB) + `labels/NAME.png` (train ids), the layout
`semcom scenes` writes. Decoded once and cached as a single .pt file beside the set."""
from __future__ import annotations

import os

import numpy as np
import torch
from PIL import Image


def load_scene_set(root: str) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Returns images uint8 [N,3,H,W], labels uint8 [N,H,W], names."""
    cache = os.path.join(root, "tensors.pt")
    names = sorted(f[:-4] for f in os.listdir(os.path.join(root, "images")) if f.endswith(".png"))
    if os.path.exists(cache):
        blob = torch.load(cache)
        if blob["names"] == names:
            return blob["images"], blob["labels"], names
    images, labels = [], []
    for name in names:
        img = np.asarray(Image.open(os.path.join(root, "images", name + ".png")).convert("RGB"))
        lab = np.asarray(Image.open(os.path.join(root, "labels", name + ".png")))
        if lab.ndim != 2 or lab.shape != img.shape[:2]:
            raise ValueError(f"{name}: label map {lab.shape} does not match image {img.shape}")
        images.append(torch.from_numpy(img.copy()).permute(2, 0, 1))
        labels.append(torch.from_numpy(lab.copy()))
    blob = {"images": torch.stack(images), "labels": torch.stack(labels), "names": names}
    torch.save(blob, cache)
    return blob["images"], blob["labels"], names


def to_model_range(images_u8: torch.Tensor) -> torch.Tensor:
    """uint8 0…255 -> float -1…1 (the generator's pixel range)."""
    return images_u8.float() / 127.5 - 1


def from_model_range(x: torch.Tensor) -> torch.Tensor:
    """float -1…1 -> uint8 0…255, rounded."""
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


def save_png(path: str, image_u8_chw: torch.Tensor) -> None:
    Image.fromarray(image_u8_chw.permute(1, 2, 0).cpu().numpy()).save(path)
