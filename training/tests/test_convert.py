"""The converter on a randomly initialised model saved in SDM's and in GESCO's checkpoint layouts."""
import os
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from semcom_train.config import GeneratorConfig  # noqa: E402
from semcom_train.convert import convert  # noqa: E402
from semcom_train.unet import ResBlock, SPADEGroupNorm, SpadeUNet  # noqa: E402

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


def gesco_state(cfg, model):
    """The same weights in GESCO's layout: every encoder ResBlock also holds GESCO's unused
    `spade_norm = SPADEGroupNorm(channels, 3)` (hidden width as the decoder's SPADE norms,
    GroupNorm without affine). Attached as submodules so torch names the tensors as in GESCO's
    checkpoints; the forward pass, like GESCO's, never calls them."""
    torch.manual_seed(1)
    for block in model.input_blocks:
        if isinstance(block[0], ResBlock):
            block[0].spade_norm = SPADEGroupNorm(block[0].in_layers[0].num_channels, 3, cfg.spade_hidden, cfg.num_groups)
            with torch.no_grad():
                for p in block[0].spade_norm.parameters():
                    p.normal_(0, 0.05)
    return model.state_dict()


# GESCO's extra tensors for the test config (encoder res blocks at input_blocks 1, 2 (down) and 3,
# input channels 32, 32, 32; hidden 16; 3 label channels).
GESCO_EXTRA = {f"input_blocks.{n}.0.spade_norm.{name}": shape for n in (1, 2, 3) for name, shape in [
    ("mlp_shared.0.weight", (16, 3, 3, 3)), ("mlp_shared.0.bias", (16,)),
    ("mlp_gamma.weight", (32, 16, 3, 3)), ("mlp_gamma.bias", (32,)),
    ("mlp_beta.weight", (32, 16, 3, 3)), ("mlp_beta.bias", (32,))]}


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


def test_gesco_checkpoint_converts_exactly_as_sdm_dropping_unused_spade_norm(tmp_path):
    cfg, model = sdm_model()
    sdm = model.state_dict()
    gesco = gesco_state(cfg, model)
    assert {k: tuple(v.shape) for k, v in gesco.items() if k not in sdm} == GESCO_EXTRA
    torch.save(sdm, tmp_path / "sdm.pt")
    torch.save(gesco, tmp_path / "gesco.pt")
    cwd = os.path.join(os.path.dirname(__file__), "..")
    r_sdm = run(["--checkpoint", str(tmp_path / "sdm.pt"), "--out", str(tmp_path / "from-sdm"), *ARGS], cwd)
    r_gesco = run(["--checkpoint", str(tmp_path / "gesco.pt"), "--out", str(tmp_path / "from-gesco"), *ARGS], cwd)
    assert r_sdm.returncode == 0 and r_gesco.returncode == 0, r_sdm.stderr + r_gesco.stderr
    assert "spade_norm" not in r_sdm.stdout
    assert "dropped 18 unused GESCO spade_norm tensors (3 encoder res blocks," in r_gesco.stdout
    assert (tmp_path / "from-sdm" / "config.json").read_text() == (tmp_path / "from-gesco" / "config.json").read_text()
    a, b = load_file(tmp_path / "from-sdm" / "model.safetensors"), load_file(tmp_path / "from-gesco" / "model.safetensors")
    assert a.keys() == b.keys() == sdm.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    again = SpadeUNet(cfg)
    again.load_state_dict(b)
    x, t, c = torch.randn(1, 3, 32, 64), torch.tensor([10]), torch.rand(1, 6, 32, 64)
    assert torch.allclose(model(x, t, c), again(x, t, c), atol=1e-6)


def test_convert_returns_dropped_tensors(tmp_path):
    cfg, model = sdm_model()
    torch.save(model.state_dict(), tmp_path / "sdm.pt")
    assert convert(str(tmp_path / "sdm.pt"), cfg, str(tmp_path / "a"), False)["dropped"] == []
    torch.save({"module." + k: v for k, v in gesco_state(cfg, model).items()}, tmp_path / "gesco.pt")
    stats = convert(str(tmp_path / "gesco.pt"), cfg, str(tmp_path / "b"), False)
    assert stats["dropped"] == sorted(GESCO_EXTRA) and stats["tensors"] == len(SpadeUNet(cfg).state_dict())


def test_gesco_layout_still_refuses_unknown_and_misplaced_tensors(tmp_path):
    cfg, model = sdm_model()
    state = gesco_state(cfg, model)
    state["extra.weight"] = torch.zeros(1)
    # GESCO has no spade_norm on decoder / middle blocks (SDMResBlocks) nor on attention layers.
    state["output_blocks.0.0.spade_norm.mlp_gamma.weight"] = torch.zeros(64, 16, 3, 3)
    state["middle_block.0.spade_norm.mlp_beta.bias"] = torch.zeros(64)
    state["input_blocks.0.0.spade_norm.mlp_beta.bias"] = torch.zeros(32)  # the stem conv, not a ResBlock
    state["input_blocks.1.0.spade_norm.norm.weight"] = torch.zeros(32)  # GESCO's GroupNorm has no affine
    torch.save(state, tmp_path / "bad.pt")
    with pytest.raises(SystemExit) as e:
        convert(str(tmp_path / "bad.pt"), cfg, str(tmp_path / "o"), False)
    msg = str(e.value)
    assert "0 missing, 5 unexpected, 0 shape mismatches" in msg
    for k in ("extra.weight", "output_blocks.0.0.spade_norm.mlp_gamma.weight", "middle_block.0.spade_norm.mlp_beta.bias",
              "input_blocks.0.0.spade_norm.mlp_beta.bias", "input_blocks.1.0.spade_norm.norm.weight"):
        assert f"unexpected tensor {k}" in msg
    assert not (tmp_path / "o").exists()


def test_gesco_spade_norm_shape_is_checked(tmp_path):
    cfg, model = sdm_model()
    state = gesco_state(cfg, model)
    state["input_blocks.3.0.spade_norm.mlp_gamma.weight"] = torch.zeros(64, 16, 3, 3)
    torch.save(state, tmp_path / "bad.pt")
    with pytest.raises(SystemExit) as e:
        convert(str(tmp_path / "bad.pt"), cfg, str(tmp_path / "o"), False)
    assert ("input_blocks.3.0.spade_norm.mlp_gamma.weight (GESCO's unused spade_norm): checkpoint (64, 16, 3, 3), "
            "config (32, 16, 3, 3)") in str(e.value)
