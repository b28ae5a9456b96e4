"""Training resumes from its checkpoint, spends its time budget once, and anneals the rate."""
import os
import subprocess
import sys

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(__file__)
ROOT = os.path.join(HERE, "..")


def write_scenes(folder: str, count: int = 4, height: int = 32, width: int = 64) -> None:
    rng = np.random.default_rng(0)
    os.makedirs(os.path.join(folder, "images"))
    os.makedirs(os.path.join(folder, "labels"))
    for i in range(count):
        labels = rng.integers(0, 19, (height, width), dtype=np.uint8)
        image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        Image.fromarray(image).save(os.path.join(folder, "images", f"{i:03d}.png"))
        Image.fromarray(labels).save(os.path.join(folder, "labels", f"{i:03d}.png"))


def train(data: str, run: str, *extra: str) -> str:
    args = [sys.executable, "-m", "semcom_train.train", "segmenter", "--data", data, "--run", run,
            "--batch", "2", "--log-every", "1", "--threads", "1", *extra]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout


def checkpoint(run: str) -> dict:
    return torch.load(os.path.join(run, "checkpoint.pt"), map_location="cpu", weights_only=False)


def test_resume_continues_to_the_step_count_and_anneals_to_zero(tmp_path):
    data, run = str(tmp_path / "scenes"), str(tmp_path / "run")
    write_scenes(data)
    train(data, run, "--steps", "3", "--lr", "1e-3")
    first = checkpoint(run)
    assert first["step"] == 3
    # Cosine over 6 steps: after 3 the rate is still well above zero.
    out = train(data, run, "--steps", "6", "--lr", "1e-3")
    assert "resumed segmenter at step 3" in out
    last = checkpoint(run)
    assert last["step"] == 6
    assert last["elapsed"] > first["elapsed"]
    # The rate used for the last step was lr·½(1 + cos(π·5/6)) ≈ 6.7e-5, far below the start.
    assert last["opt"]["param_groups"][0]["lr"] < 1e-4


def test_time_budget_is_spent_once_over_resumed_runs(tmp_path):
    data, run = str(tmp_path / "scenes"), str(tmp_path / "run")
    write_scenes(data)
    out = train(data, run, "--steps", "1000", "--minutes", "0.0001")
    assert "budget is spent" in out
    steps = checkpoint(run)["step"]
    assert 1 <= steps < 1000
    out = train(data, run, "--steps", "1000", "--minutes", "0.0001")
    assert "nothing to do" in out
    assert checkpoint(run)["step"] == steps
