"""The converter on a randomly initialised model saved in SDM's checkpoint layout."""
import os
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from semcom_train.config import GeneratorConfig  # noqa: E402
from semcom_train.unet import SpadeUNet  # noqa: E402

ARGS = ["--image-size", "32x64", "--num-channels", "32", "--num-res-blocks", "1", "--attention-resolutions", "8",
        "--channel-mult", "1,2", "--num-head-channels", "16", "--num-classes", "6", "--spade-hidden", "16", "--learn-sigma"]


def sdm_model():
    cfg = GeneratorConfig(image_height=32, image_width=64, model_channels=32, num_res_blocks=1, attention_resolutions=[4],
                          channel_mult=[1, 2], num_head_channels=16, num_classes=6, spade_hidden=16, learn_sigma=True)
    torch.manual_seed(0)
    model = SpadeUNet(cfg)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.05)
    return cfg, model


def run(args, cwd):
    return subprocess.run([sys.executable, "-m", "semcom_train.convert", *args], cwd=cwd, capture_output=True, text=True)


def test_converts_ddp_checkpoint_and_forward_matches(tmp_path):
    cfg, model = sdm_model()
    ckpt = tmp_path / "ema_0.9999_000000.pt"
    torch.save({"module." + k: v for k, v in model.state_dict().items()}, ckpt)
    out = tmp_path / "converted"
    r = run(["--checkpoint", str(ckpt), "--out", str(out), *ARGS], os.path.join(os.path.dirname(__file__), ".."))
    assert r.returncode == 0, r.stderr
    loaded_cfg = GeneratorConfig.from_json((out / "config.json").read_text())
    assert loaded_cfg.attention_resolutions == [4] and loaded_cfg.out_channels == 6
    again = SpadeUNet(loaded_cfg)
    again.load_state_dict(load_file(out / "model.safetensors"))
    x, t, c = torch.randn(1, 3, 32, 64), torch.tensor([10]), torch.rand(1, 6, 32, 64)
    assert torch.allclose(model(x, t, c), again(x, t, c), atol=1e-6)


def test_mismatch_names_tensors(tmp_path):
    _, model = sdm_model()
    state = model.state_dict()
    state.pop("out.2.weight")
    state["extra.weight"] = torch.zeros(1)
    ckpt = tmp_path / "bad.pt"
    torch.save(state, ckpt)
    r = run(["--checkpoint", str(ckpt), "--out", str(tmp_path / "o"), *ARGS], os.path.join(os.path.dirname(__file__), ".."))
    assert r.returncode != 0
    assert "missing tensor out.2.weight" in r.stderr and "unexpected tensor extra.weight" in r.stderr
