"""The receiver's analog pipeline in the PyTorch reference: noise estimate and Potts denoiser."""
import math

import torch

from semcom_train.channel import estimate_noise_std, one_hot, potts_labels, receive_analog_potts


def street(height=32, width=64):
    labels = torch.zeros(height, width, dtype=torch.uint8)
    labels[: height // 2] = 1
    labels[4:28, 20] = 5  # a pole one pixel wide
    labels[20:, 50:] = 255  # void
    return labels


def test_noise_estimate_within_three_percent():
    planes = one_hot(street()[None], 6)[0, [0, 1, 5]]
    for sigma in (0.1, 0.316, 0.562, 0.891):
        g = torch.Generator().manual_seed(3)
        noisy = planes + sigma * torch.randn(planes.shape, generator=g)
        assert abs(estimate_noise_std(noisy) / sigma - 1) < 0.03  # 6,144 symbols
    assert estimate_noise_std(planes) == 0


def test_potts_keeps_clean_maps_and_thin_structures():
    labels = street()
    planes = one_hot(labels[None], 6)[0, [0, 1, 5]]
    decided = potts_labels(planes)
    ids = torch.tensor([0, 1, 5, 255])[decided]
    assert torch.equal(ids, labels.long())


def test_receive_analog_potts_one_hot_of_decision():
    labels = street()[None].repeat(2, 1, 1)
    cond = receive_analog_potts(labels, 19, torch.tensor([0.0, 0.3]), generator=torch.Generator().manual_seed(1))
    assert torch.equal(cond[0], one_hot(labels[:1], 19)[0])
    assert set(cond[1].unique().tolist()) <= {0.0, 1.0}
    assert cond[1].sum(0).max() == 1
    agree = (cond[1].argmax(0) == labels[1].long()) & (labels[1] != 255)
    assert agree.sum() / (labels[1] != 255).sum() > 0.98


def test_fit_fading_recovers_mmse_levels_per_block():
    from semcom_train.channel import fit_fading
    g = torch.Generator().manual_seed(3)
    levels = [0.05, 0.4, 0.95]
    x = (torch.arange(256) % 8 == 3).double()
    z = torch.cat([a * x + math.sqrt(a * (1 - a) / 8) * torch.randn(256, generator=g, dtype=torch.float64)
                   for a in levels])
    fit = fit_fading(z, 256, 8)
    assert fit["family"] == "mmse"
    assert all(abs(float(f) - a) < 0.05 for f, a in zip(fit["levels"], levels))


def test_fit_fading_one_class_and_short_last_block():
    from semcom_train.channel import fit_fading
    g = torch.Generator().manual_seed(4)
    z = torch.where(torch.arange(1000) % 10 == 0, 0.0, 0.7).double() + 0.1 * torch.randn(1000, generator=g, dtype=torch.float64)
    fit = fit_fading(z, 256, 1)  # 3 blocks of 256 and a last one of 232; one class
    assert math.isfinite(fit["log_likelihood"])
    fit = fit_fading(z[:520], 256, 1)  # a last block of 8 symbols takes the one before it's channel
    assert fit["levels"][-1] == fit["levels"][-2] and fit["variances"][-1] == fit["variances"][-2]
