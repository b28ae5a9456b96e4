"""The receiver's view of an analog (GESCO) map, reproduced exactly for training.

Sender: one-hot symbols over the classes present in the image (absent classes are not
sent). Channel: independent Gaussian noise per symbol, sigma = 10^(-PSNR/20) (peak 1).
Receiver: Fast Denoising Semantic block (3x3 average, stride 1, zero padding counted, then
3x3 max), then the denoised channels are scattered back into the full class list (absent
classes stay 0) and condition the generator. `semcom receive` does the same in Swift."""
from __future__ import annotations

import torch
import torch.nn.functional as F

VOID = 255


def one_hot(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """[N,H,W] uint8/long ids (255 void) -> [N,K,H,W] float one-hot; void pixels are all zeros."""
    ids = labels.long()
    valid = ids < num_classes
    out = F.one_hot(torch.where(valid, ids, torch.zeros_like(ids)), num_classes).permute(0, 3, 1, 2).float()
    return out * valid[:, None].float()


def present_mask(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """[N,K] float: 1 where class k appears in image n (these channels travel on the air)."""
    oh = one_hot(labels, num_classes)
    return (oh.flatten(2).amax(dim=2) > 0).float()


def fds(x: torch.Tensor) -> torch.Tensor:
    """GESCO's Fast Denoising Semantic block: AvgPool2d(3,1,1) (count_include_pad) then MaxPool2d(3,1,1)."""
    x = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=True)
    return F.max_pool2d(x, 3, stride=1, padding=1)


def psnr_to_sigma(psnr_db: torch.Tensor) -> torch.Tensor:
    return torch.pow(10.0, -psnr_db / 20.0)


def receive_analog(labels: torch.Tensor, num_classes: int, sigma: torch.Tensor, generator=None) -> torch.Tensor:
    """The conditioning map the receiver builds from an analog frame sent over AWGN with
    per-image noise std `sigma` [N] (0 = clean: no noise and no FDS, as an ideal link)."""
    oh = one_hot(labels, num_classes)
    mask = present_mask(labels, num_classes)[:, :, None, None]
    noise = torch.randn(oh.shape, generator=generator, device=oh.device, dtype=oh.dtype)
    noisy = (oh + sigma.view(-1, 1, 1, 1) * noise) * mask
    denoised = fds(noisy) * mask
    clean = (sigma.view(-1, 1, 1, 1) == 0).float()
    return clean * oh + (1 - clean) * denoised
