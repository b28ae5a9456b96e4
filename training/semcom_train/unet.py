"""The generator: a guided-diffusion U-Net whose middle block and decoder are conditioned on
the semantic map through SPADE group norms (the SDM design GESCO uses).

Parameter names follow the guided-diffusion / SDM layout (`time_embed.0`,
`input_blocks.N.0.in_layers.2`, `middle_block.0.in_norm.mlp_gamma`, `output_blocks.N.0.…`,
`out.2`), so a converted SDM checkpoint loads without renaming."""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import GeneratorConfig


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding [cos(t*f_i), sin(t*f_i)], f_i = max_period^(-i/half) (guided-diffusion order)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t[:, None].float() * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


class GroupNorm32(nn.GroupNorm):
    """GroupNorm computed in float32 whatever the autocast dtype (as guided-diffusion)."""

    def forward(self, x):
        return super().forward(x.float()).type(x.dtype)


def zero_module(m: nn.Module) -> nn.Module:
    for p in m.parameters():
        p.detach().zero_()
    return m


class SPADEGroupNorm(nn.Module):
    """GroupNorm without affine, then a per-pixel scale and shift predicted from the map:
    map resized (nearest) to the feature size -> conv3x3 -> ReLU -> conv3x3 (gamma), conv3x3 (beta);
    output x_hat * (1 + gamma) + beta."""

    def __init__(self, channels: int, label_channels: int, hidden: int, groups: int):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels, affine=False)
        self.mlp_shared = nn.Sequential(nn.Conv2d(label_channels, hidden, 3, padding=1), nn.ReLU())
        self.mlp_gamma = nn.Conv2d(hidden, channels, 3, padding=1)
        self.mlp_beta = nn.Conv2d(hidden, channels, 3, padding=1)

    def forward(self, x, segmap):
        x = self.norm(x.float()).type(x.dtype)
        segmap = F.interpolate(segmap, size=x.shape[2:], mode="nearest")
        actv = self.mlp_shared(segmap)
        return x * (1 + self.mlp_gamma(actv)) + self.mlp_beta(actv)


class Upsample(nn.Module):
    """Nearest-neighbour x2 (no convolution: used inside res blocks)."""

    def forward(self, x):
        return F.interpolate(x, scale_factor=2, mode="nearest")


class Downsample(nn.Module):
    """2x2 average pooling, stride 2 (no convolution: used inside res blocks)."""

    def forward(self, x):
        return F.avg_pool2d(x, kernel_size=2, stride=2)


class ResBlock(nn.Module):
    """Encoder block: GN-SiLU-conv, timestep scale/shift on the second GN, SiLU-dropout-conv."""

    def __init__(self, cfg: GeneratorConfig, channels: int, emb_channels: int, out_channels: int,
                 up: bool = False, down: bool = False):
        super().__init__()
        g = cfg.num_groups
        self.use_scale_shift_norm = cfg.use_scale_shift_norm
        self.in_layers = nn.Sequential(GroupNorm32(g, channels), nn.SiLU(), nn.Conv2d(channels, out_channels, 3, padding=1))
        self.updown = up or down
        self.h_upd = Upsample() if up else Downsample() if down else nn.Identity()
        self.x_upd = Upsample() if up else Downsample() if down else nn.Identity()
        self.emb_layers = nn.Sequential(
            nn.SiLU(), nn.Linear(emb_channels, 2 * out_channels if cfg.use_scale_shift_norm else out_channels))
        self.out_layers = nn.Sequential(
            GroupNorm32(g, out_channels), nn.SiLU(), nn.Dropout(cfg.dropout),
            zero_module(nn.Conv2d(out_channels, out_channels, 3, padding=1)))
        self.skip_connection = nn.Identity() if out_channels == channels else nn.Conv2d(channels, out_channels, 1)

    def forward(self, x, emb, cond=None):
        if self.updown:
            h = self.in_layers[:-1](x)
            h = self.h_upd(h)
            x = self.x_upd(x)
            h = self.in_layers[-1](h)
        else:
            h = self.in_layers(x)
        emb_out = self.emb_layers(emb).type(h.dtype)[..., None, None]
        if self.use_scale_shift_norm:
            scale, shift = emb_out.chunk(2, dim=1)
            h = self.out_layers[0](h) * (1 + scale) + shift
            h = self.out_layers[1:](h)
        else:
            h = self.out_layers(h + emb_out)
        return self.skip_connection(x) + h


class SDMResBlock(nn.Module):
    """Decoder / middle block: as ResBlock but both norms are SPADE group norms on the map."""

    def __init__(self, cfg: GeneratorConfig, channels: int, emb_channels: int, out_channels: int,
                 up: bool = False, down: bool = False):
        super().__init__()
        g, k, hid = cfg.num_groups, cfg.num_classes, cfg.spade_hidden
        self.use_scale_shift_norm = cfg.use_scale_shift_norm
        self.in_norm = SPADEGroupNorm(channels, k, hid, g)
        self.in_layers = nn.Sequential(nn.SiLU(), nn.Conv2d(channels, out_channels, 3, padding=1))
        self.updown = up or down
        self.h_upd = Upsample() if up else Downsample() if down else nn.Identity()
        self.x_upd = Upsample() if up else Downsample() if down else nn.Identity()
        self.emb_layers = nn.Sequential(
            nn.SiLU(), nn.Linear(emb_channels, 2 * out_channels if cfg.use_scale_shift_norm else out_channels))
        self.out_norm = SPADEGroupNorm(out_channels, k, hid, g)
        self.out_layers = nn.Sequential(
            nn.SiLU(), nn.Dropout(cfg.dropout), zero_module(nn.Conv2d(out_channels, out_channels, 3, padding=1)))
        self.skip_connection = nn.Identity() if out_channels == channels else nn.Conv2d(channels, out_channels, 1)

    def forward(self, x, emb, cond):
        h = self.in_norm(x, cond)
        if self.updown:
            h = self.in_layers[:-1](h)
            h = self.h_upd(h)
            x = self.x_upd(x)
            h = self.in_layers[-1](h)
        else:
            h = self.in_layers(h)
        emb_out = self.emb_layers(emb).type(h.dtype)[..., None, None]
        if self.use_scale_shift_norm:
            scale, shift = emb_out.chunk(2, dim=1)
            h = self.out_norm(h, cond) * (1 + scale) + shift
        else:
            h = self.out_norm(h + emb_out, cond)
        h = self.out_layers(h)
        return self.skip_connection(x) + h


class AttentionBlock(nn.Module):
    """Self-attention over all positions (guided-diffusion's legacy QKV order: the qkv
    projection's output is split per head into [q, k, v] blocks of `head` channels)."""

    def __init__(self, cfg: GeneratorConfig, channels: int):
        super().__init__()
        if cfg.num_head_channels == -1:
            self.num_heads = cfg.num_heads
        else:
            assert channels % cfg.num_head_channels == 0, "channels must be a multiple of num_head_channels"
            self.num_heads = channels // cfg.num_head_channels
        self.norm = GroupNorm32(cfg.num_groups, channels)
        self.qkv = nn.Conv1d(channels, channels * 3, 1)
        self.proj_out = zero_module(nn.Conv1d(channels, channels, 1))

    def forward(self, x, emb=None, cond=None):
        b, c, hgt, wid = x.shape
        x = x.reshape(b, c, -1)
        qkv = self.qkv(self.norm(x))
        length = qkv.shape[-1]
        ch = c // self.num_heads
        q, k, v = qkv.reshape(b * self.num_heads, ch * 3, length).split(ch, dim=1)
        scale = 1 / math.sqrt(math.sqrt(ch))
        weight = torch.einsum("bct,bcs->bts", q * scale, k * scale)
        weight = torch.softmax(weight.float(), dim=-1).type(weight.dtype)
        a = torch.einsum("bts,bcs->bct", weight, v).reshape(b, c, length)
        return (x + self.proj_out(a)).reshape(b, c, hgt, wid)


class Sequence(nn.ModuleList):
    """A list of layers applied in order, each given (x, emb, cond) where it takes them."""

    def forward(self, x, emb, cond):
        for layer in self:
            x = layer(x) if isinstance(layer, nn.Conv2d) else layer(x, emb, cond)
        return x


class SpadeUNet(nn.Module):
    """eps_theta(x_t, t, map): x_t [N,3,H,W], t [N] (0…T-1), map [N,K,H,W] (one-hot or
    denoised soft map; all zeros = unconditional)."""

    def __init__(self, cfg: GeneratorConfig):
        super().__init__()
        self.cfg = cfg
        ch = cfg.model_channels
        emb = ch * 4
        self.time_embed = nn.Sequential(nn.Linear(ch, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.input_blocks = nn.ModuleList([Sequence([nn.Conv2d(cfg.in_channels, ch, 3, padding=1)])])
        skip_channels = [ch]
        ds = 1
        for level, mult in enumerate(cfg.channel_mult):
            for _ in range(cfg.num_res_blocks):
                layers = [ResBlock(cfg, ch, emb, mult * cfg.model_channels)]
                ch = mult * cfg.model_channels
                if ds in cfg.attention_resolutions:
                    layers.append(AttentionBlock(cfg, ch))
                self.input_blocks.append(Sequence(layers))
                skip_channels.append(ch)
            if level != len(cfg.channel_mult) - 1:
                self.input_blocks.append(Sequence([ResBlock(cfg, ch, emb, ch, down=True)]))
                skip_channels.append(ch)
                ds *= 2
        self.middle_block = Sequence([SDMResBlock(cfg, ch, emb, ch), AttentionBlock(cfg, ch), SDMResBlock(cfg, ch, emb, ch)])
        self.output_blocks = nn.ModuleList()
        for level, mult in list(enumerate(cfg.channel_mult))[::-1]:
            for i in range(cfg.num_res_blocks + 1):
                skip = skip_channels.pop()
                layers = [SDMResBlock(cfg, ch + skip, emb, cfg.model_channels * mult)]
                ch = cfg.model_channels * mult
                if ds in cfg.attention_resolutions:
                    layers.append(AttentionBlock(cfg, ch))
                if level and i == cfg.num_res_blocks:
                    layers.append(SDMResBlock(cfg, ch, emb, ch, up=True))
                    ds //= 2
                self.output_blocks.append(Sequence(layers))
        self.out = nn.Sequential(GroupNorm32(cfg.num_groups, ch), nn.SiLU(),
                                 zero_module(nn.Conv2d(cfg.model_channels, cfg.out_channels, 3, padding=1)))
        if not cfg.resblock_updown:
            raise ValueError("only resblock_updown=True is supported (SDM's setting)")

    def forward(self, x, t, cond):
        emb = self.time_embed(timestep_embedding(t, self.cfg.model_channels))
        hs = []
        h = x
        for block in self.input_blocks:
            h = block(h, emb, cond)
            hs.append(h)
        h = self.middle_block(h, emb, cond)
        for block in self.output_blocks:
            h = torch.cat([h, hs.pop()], dim=1)
            h = block(h, emb, cond)
        return self.out(h)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
