"""Model configurations, stored as JSON beside the weights (`config.json`).

The Swift engine builds exactly the network a config describes, so every architectural
choice lives here and nowhere else."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass
class GeneratorConfig:
    """A guided-diffusion / SDM style U-Net conditioned on a semantic map through SPADE."""

    kind: str = "spade-unet"
    image_height: int = 64
    image_width: int = 128
    in_channels: int = 3
    model_channels: int = 64
    out_channels: int = 3  # 6 when learn_sigma: epsilon and the variance interpolation v
    num_res_blocks: int = 1  # per encoder level; the decoder has one more per level
    # Downsampling factors (1, 2, 4, …) at which self-attention follows each res block.
    attention_resolutions: list[int] = field(default_factory=lambda: [4])
    channel_mult: list[int] = field(default_factory=lambda: [1, 2, 2])
    num_head_channels: int = 64
    num_heads: int = -1  # used when num_head_channels == -1
    num_classes: int = 19  # semantic map channels (one-hot; + 1 when an instance-edge map is used)
    spade_hidden: int = 64  # SDM uses 128; 64 halves the decoder's cost at 64x128
    num_groups: int = 32
    dropout: float = 0.0
    resblock_updown: bool = True
    use_scale_shift_norm: bool = True
    learn_sigma: bool = False
    # Diffusion process the weights were trained for.
    diffusion_steps: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02
    # Sampling defaults the receiver uses.
    default_guidance: float = 2.0
    default_steps: int = 25

    def __post_init__(self):
        self.out_channels = 6 if self.learn_sigma else 3

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> "GeneratorConfig":
        """Sampling defaults this class does not model (`default_*` keys the receiver reads, such as
        default_sampler) are kept as attributes, not refused."""
        values = json.loads(text)
        known = set(GeneratorConfig.__dataclass_fields__)
        extra = {k: values.pop(k) for k in list(values) if k not in known and k.startswith("default_")}
        cfg = GeneratorConfig(**values)
        for k, v in extra.items():
            setattr(cfg, k, v)
        return cfg


@dataclass
class SegmenterConfig:
    """A compact encoder-decoder: per level two conv3x3 + GroupNorm + ReLU, stride-2 conv
    down, nearest x2 up with skip concatenation, a 1x1 classifier."""

    kind: str = "unet-segmenter"
    image_height: int = 64
    image_width: int = 128
    in_channels: int = 3
    channels: list[int] = field(default_factory=lambda: [32, 64, 96])
    num_classes: int = 19
    num_groups: int = 8

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> "SegmenterConfig":
        return SegmenterConfig(**json.loads(text))


def cityscapes_config() -> GeneratorConfig:
    """SDM's Cityscapes configuration (256x512, ~650-700 M parameters): 35 classes plus the
    instance-edge map, learn_sigma, attention at 32/16/8."""
    return GeneratorConfig(
        image_height=256, image_width=512, model_channels=256, num_res_blocks=2,
        attention_resolutions=[8, 16, 32], channel_mult=[1, 1, 2, 2, 4, 4], num_head_channels=64,
        num_classes=36, spade_hidden=128, learn_sigma=True, dropout=0.0)
