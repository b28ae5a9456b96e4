"""The sender's segmenter: a compact U-shaped encoder-decoder.

Per level: two (conv3x3 -> GroupNorm -> ReLU); down by a stride-2 conv3x3; up by nearest x2
then concatenation with the encoder's features at that level; a final 1x1 classifier.
Input: RGB in -1…1. Output: logits [N, classes, H, W]."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import SegmenterConfig


class ConvNormReLU(nn.Sequential):
    def __init__(self, cin, cout, groups, stride=1):
        super().__init__(nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.GroupNorm(groups, cout), nn.ReLU())


class DoubleConv(nn.Sequential):
    def __init__(self, cin, cout, groups):
        super().__init__(ConvNormReLU(cin, cout, groups), ConvNormReLU(cout, cout, groups))


class Segmenter(nn.Module):
    def __init__(self, cfg: SegmenterConfig):
        super().__init__()
        self.cfg = cfg
        c, g = cfg.channels, cfg.num_groups
        self.encoders = nn.ModuleList()
        self.downs = nn.ModuleList()
        cin = cfg.in_channels
        for i, ch in enumerate(c):
            self.encoders.append(DoubleConv(cin, ch, g))
            if i < len(c) - 1:
                self.downs.append(ConvNormReLU(ch, ch, g, stride=2))
            cin = ch
        self.decoders = nn.ModuleList()
        for i in range(len(c) - 2, -1, -1):
            self.decoders.append(DoubleConv(cin + c[i], c[i], g))
            cin = c[i]
        self.classifier = nn.Conv2d(cin, cfg.num_classes, 1)

    def forward(self, x):
        skips = []
        for i, enc in enumerate(self.encoders):
            x = enc(x)
            if i < len(self.downs):
                skips.append(x)
                x = self.downs[i](x)
        for dec in self.decoders:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
            x = dec(torch.cat([x, skips.pop()], dim=1))
        return self.classifier(x)


def miou(pred: torch.Tensor, target: torch.Tensor, num_classes: int, void: int = 255) -> tuple[float, float]:
    """Mean IoU over classes present in target or prediction (void target pixels ignored; a void
    or out-of-range prediction counts as a miss), and pixel accuracy."""
    valid = target != void
    p, t = pred[valid].long(), target[valid].long()
    k = num_classes
    p = torch.where((p >= 0) & (p < k), p, torch.full_like(p, k))
    conf = torch.bincount(t * (k + 1) + p, minlength=k * (k + 1)).reshape(k, k + 1).double()
    inter = conf.diag()
    union = conf.sum(1) + conf[:, :k].sum(0) - inter
    present = union > 0
    iou = (inter[present] / union[present]).mean().item() if present.any() else 1.0
    acc = (inter.sum() / conf.sum()).item() if conf.sum() > 0 else 1.0
    return iou, acc
