"""DPM-Solver++(2M): exact on a model whose data prediction is a constant, its first step is a
DDIM step, it agrees with many-step DDIM; the speckle metric on known images."""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from semcom_train.diffusion import Diffusion  # noqa: E402
from semcom_train.evaluate import laplacian_energy, speckle  # noqa: E402


class ConstantX0:
    """An epsilon model whose x0 prediction is `c` at every x and t: eps = (x - α_t c) / σ_t."""

    def __init__(self, diffusion, c):
        self.ab, self.c = diffusion.alphas_cumprod, c

    def __call__(self, x, t, cond):
        ab = self.ab[t].float().view(-1, 1, 1, 1)
        c = self.c.repeat(x.shape[0] // self.c.shape[0], 1, 1, 1)  # the guided batch is 2N
        return (x - ab.sqrt() * c) / (1 - ab).sqrt()


class Smooth:
    """A smooth, map-dependent epsilon model (x0 prediction varies with x and t)."""

    def __init__(self, diffusion):
        self.ab = diffusion.alphas_cumprod

    def __call__(self, x, t, cond):
        ab = self.ab[t].float().view(-1, 1, 1, 1)
        c = cond.repeat(x.shape[0] // cond.shape[0], 1, 1, 1)
        x0 = 0.6 * torch.tanh(ab.sqrt() * x + c[:, :3] - 0.5)
        return (x - ab.sqrt() * x0) / (1 - ab).sqrt()


class Gaussian:
    """The exact epsilon of Gaussian data N(mu, sd^2) per pixel; its probability-flow ODE is known:
    x_t = α_t mu + sqrt(α_t² sd² + σ_t²) z, z fixed by the starting noise."""

    def __init__(self, diffusion, mu, sd):
        self.ab, self.mu, self.sd = diffusion.alphas_cumprod, mu, sd

    def __call__(self, x, t, cond):
        ab = self.ab[t].double().view(-1, 1, 1, 1)
        a, s = ab.sqrt(), (1 - ab).sqrt()
        x = x.double()
        x0 = self.mu + a * self.sd ** 2 / (ab * self.sd ** 2 + s ** 2) * (x - a * self.mu)
        return ((x - a * x0) / s).float()


def test_constant_data_prediction_is_followed_exactly():
    d = Diffusion()
    g = torch.Generator().manual_seed(0)
    c = torch.rand(2, 3, 4, 6, generator=g) * 1.6 - 0.8
    noise = torch.randn(2, 3, 4, 6, generator=g)
    cond = torch.zeros(2, 5, 4, 6)
    for steps in (1, 2, 5, 12):
        traj = []
        out = d.dpm_solver_sample(ConstantX0(d, c), cond, noise, steps=steps, guidance=3.0, trajectory=traj)
        ts = d.dpm_solver_timesteps(steps)
        assert len(traj) == steps
        # On this model the ODE's solution is x_t = α_t c + σ_t ε exactly, at every step and order.
        for i in range(steps - 1):
            ab = d.alphas_cumprod[ts[i + 1]].item()
            expected = math.sqrt(ab) * c + math.sqrt(1 - ab) * (noise - math.sqrt(d.alphas_cumprod[999].item()) * c) \
                / math.sqrt(1 - d.alphas_cumprod[999].item())
            assert torch.allclose(traj[i], expected, atol=1e-4), (steps, i)
        assert torch.allclose(out, c, atol=1e-4)  # float32 through 1/α_999 ≈ 156


def test_first_step_is_a_ddim_step():
    d = Diffusion()
    g = torch.Generator().manual_seed(1)
    noise = torch.randn(1, 3, 8, 8, generator=g)
    cond = torch.rand(1, 5, 8, 8, generator=g)
    model = Smooth(d)
    traj = []
    d.dpm_solver_sample(model, cond, noise, steps=4, guidance=2.0, trajectory=traj)
    ts = d.dpm_solver_timesteps(4)
    x0, eps = d.predict_x0(model, noise, ts[0], cond, 2.0)
    a_next = d.alphas_cumprod[ts[1]].float()
    ddim = a_next.sqrt() * x0 + (1 - a_next).sqrt() * eps
    assert torch.allclose(traj[0], ddim, atol=1e-5)


def test_second_order_beats_ddim_on_the_exact_gaussian_flow():
    d = Diffusion()
    mu, sd = 0.3, 0.25
    model = Gaussian(d, mu, sd)
    noise = torch.randn(1, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    a_T, s_T = math.sqrt(d.alphas_cumprod[999].item()), math.sqrt(1 - d.alphas_cumprod[999].item())
    z = (noise.double() - a_T * mu) / math.sqrt(a_T ** 2 * sd ** 2 + s_T ** 2)

    def exact(t):
        ab = d.alphas_cumprod[t].item()
        return math.sqrt(ab) * mu + math.sqrt(ab * sd ** 2 + 1 - ab) * z

    err = {}
    for n in (10, 20):
        traj = []
        d.dpm_solver_sample(model, None, noise, steps=n, guidance=1.0, trajectory=traj, clip="none")
        ts = d.dpm_solver_timesteps(n)
        x = noise
        for i in range(n - 1):  # DDIM (first order) over the same timesteps
            x0, eps = d.predict_x0(model, x, ts[i], None, 1.0, clip="none")
            ab = d.alphas_cumprod[ts[i + 1]].float()
            x = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
        err[n] = (max((traj[i].double() - exact(ts[i + 1])).abs().max().item() for i in range(n - 1)),
                  (x.double() - exact(ts[n - 1])).abs().max().item())
    # measured: 10 steps 0.020 vs DDIM 0.053; 20 steps 0.0068 vs 0.057
    assert err[20][0] < 0.01 and err[20][0] < 0.2 * err[20][1] and err[10][0] < 0.5 * err[10][1], err


def test_timesteps_follow_diffusers_spacing():
    d = Diffusion()
    assert d.dpm_solver_timesteps(10) == [999, 899, 799, 699, 599, 500, 400, 300, 200, 100]
    assert d.dpm_solver_timesteps(10, "trailing") == [999, 899, 799, 699, 599, 499, 399, 299, 199, 99]


def test_guidance_interval_runs_the_conditional_pass_alone_below_the_threshold():
    d = Diffusion()
    batches = []

    def model(x, t, cond):
        batches.append((int(t[0]), x.shape[0]))
        return torch.zeros_like(x)

    d.dpm_solver_sample(model, torch.zeros(1, 5, 4, 4), torch.randn(1, 3, 4, 4), steps=5, guidance=3.0,
                        guidance_min_t=400)
    assert batches == [(999, 2), (799, 2), (599, 2), (400, 2), (200, 1)]


def test_laplacian_energy_and_speckle_ratio():
    flat = torch.full((1, 3, 5, 6), 100, dtype=torch.uint8)
    assert laplacian_energy(flat).item() == 0
    dot = flat.clone()
    dot[0, :, 2, 2] = 110  # luma +10 at one interior pixel
    # valid region 3x4 = 12 pixels: centre -40, its 4 neighbours +10 (all inside the valid region)
    assert math.isclose(laplacian_energy(dot).item(), (40 ** 2 + 4 * 10 ** 2) / 12, rel_tol=1e-9)
    red = flat.clone()
    red[0, 0, 2, 2] = 200  # luma +29.9
    assert math.isclose(laplacian_energy(red).item(), 20 * 29.9 ** 2 / 12, rel_tol=1e-9)
    s = speckle(torch.cat([dot, dot]), torch.cat([dot, red]))
    assert math.isclose(s["speckle_ratio"], 2 * 2000 / (2000 + 20 * 29.9 ** 2), rel_tol=1e-9)


def test_every_sampler_runs_through_the_one_entry_point():
    d = Diffusion()
    g = torch.Generator().manual_seed(3)
    c = torch.rand(1, 3, 4, 4, generator=g) - 0.5
    noise = torch.randn(1, 3, 4, 4, generator=g)
    for sampler in ("ddim", "ddpm", "dpmpp2m"):
        for clip in ("clip", "dynamic"):
            out = d.sample(sampler, ConstantX0(d, c), torch.zeros(1, 5, 4, 4), noise, 6, 3.0, generator=g, clip=clip)
            assert torch.allclose(out, c, atol=2e-3), (sampler, clip)
