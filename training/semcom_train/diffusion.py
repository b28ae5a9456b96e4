"""Gaussian diffusion (DDPM, Ho et al.) with a linear beta schedule, epsilon prediction,
and respaced DDIM / DDPM samplers with classifier-free guidance.

Guidance: eps = eps(null) + s * (eps(map) - eps(null)); the null map is all zeros. The
conditional and null passes run as one batch of 2N."""
from __future__ import annotations

import torch


class Diffusion:
    def __init__(self, steps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02):
        self.steps = steps
        self.betas = torch.linspace(beta_start, beta_end, steps, dtype=torch.float64)
        self.alphas_cumprod = torch.cumprod(1 - self.betas, dim=0)

    def q_sample(self, x0, t, noise):
        """x_t = sqrt(a_bar_t) x0 + sqrt(1 - a_bar_t) eps."""
        ab = self.alphas_cumprod.to(x0.device)[t].float().view(-1, 1, 1, 1)
        return ab.sqrt() * x0 + (1 - ab).sqrt() * noise

    def respaced(self, count: int) -> list[int]:
        """`count` timesteps spread evenly over 0…T-1, ascending (guided-diffusion's
        space_timesteps with a single section)."""
        if count >= self.steps:
            return list(range(self.steps))
        frac = (self.steps - 1) / (count - 1) if count > 1 else 0
        return sorted({round(i * frac) for i in range(count)})

    def guided_eps(self, model, x, t, cond, guidance: float):
        """Classifier-free guided epsilon; the conditional and null passes share one batch."""
        n = x.shape[0]
        tt = torch.full((n,), t, device=x.device, dtype=torch.long)
        if guidance == 1.0:
            return model(x, tt, cond)[:, :3]
        out = model(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([cond, torch.zeros_like(cond)]))[:, :3]
        eps_c, eps_u = out[:n], out[n:]
        return eps_u + guidance * (eps_c - eps_u)

    @torch.no_grad()
    def ddim_sample(self, model, cond, noise, steps: int = 25, guidance: float = 2.0, eta: float = 0.0,
                    trajectory: list | None = None):
        """Deterministic DDIM (eta = 0) from `noise` over `steps` respaced timesteps.
        x0 predictions are clipped to [-1, 1]."""
        seq = self.respaced(steps)
        ab = self.alphas_cumprod.to(noise.device)
        x = noise
        for i in reversed(range(len(seq))):
            t = seq[i]
            a_t = ab[t].float()
            a_prev = ab[seq[i - 1]].float() if i > 0 else torch.tensor(1.0, device=noise.device)
            eps = self.guided_eps(model, x, t, cond, guidance)
            x0 = ((x - (1 - a_t).sqrt() * eps) / a_t.sqrt()).clamp(-1, 1)
            eps = (x - a_t.sqrt() * x0) / (1 - a_t).sqrt()
            x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
            if trajectory is not None:
                trajectory.append(x.clone())
        return x

    @torch.no_grad()
    def ddpm_sample(self, model, cond, noise, guidance: float = 2.0, generator=None, steps: int | None = None):
        """Ancestral sampling over all T steps (or a respaced subset), posterior variance beta_tilde."""
        seq = self.respaced(steps or self.steps)
        ab = self.alphas_cumprod.to(noise.device)
        x = noise
        for i in reversed(range(len(seq))):
            t = seq[i]
            a_t = ab[t].float()
            a_prev = ab[seq[i - 1]].float() if i > 0 else torch.tensor(1.0, device=noise.device)
            beta = 1 - a_t / a_prev
            eps = self.guided_eps(model, x, t, cond, guidance)
            x0 = ((x - (1 - a_t).sqrt() * eps) / a_t.sqrt()).clamp(-1, 1)
            mean = (a_prev.sqrt() * beta / (1 - a_t)) * x0 + ((1 - beta).sqrt() * (1 - a_prev) / (1 - a_t)) * x
            if i > 0:
                var = beta * (1 - a_prev) / (1 - a_t)
                x = mean + var.sqrt() * torch.randn(x.shape, generator=generator, device=x.device)
            else:
                x = mean
        return x
