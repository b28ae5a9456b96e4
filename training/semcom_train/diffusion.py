"""Gaussian diffusion (DDPM, Ho et al.) with a linear beta schedule, epsilon prediction,
and respaced DDIM / DDPM samplers and DPM-Solver++ (2M) with classifier-free guidance.

Guidance: eps = eps(null) + s * (eps(map) - eps(null)); the null map is all zeros. The
conditional and null passes run as one batch of 2N.

Speckle remedies (keyword options of every sampler, all off by default; see
`Diffusion.predict_x0`): a guidance interval (`guidance_min_t`: below that timestep only the
conditional pass runs, guidance 1), CFG rescale (`rescale`, Lin et al. 2023) and the x0
treatment (`clip`: "clip" to [-1, 1], "dynamic" thresholding (Imagen), or "none")."""
from __future__ import annotations

import math

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

    def guided_eps(self, model, x, t, cond, guidance: float, rescale: float = 0.0,
                   hf_guidance: float | None = None, hf_pool: int = 2):
        """Classifier-free guided epsilon; the conditional and null passes share one batch.

        hf_guidance (frequency-split guidance, after Sadat et al. 2025 "Guidance in the frequency
        domain"): the guidance direction d = eps_c - eps_u is split into a low band
        L = nearest_upsample_k(avg_pool_k(d)) (k = hf_pool, non-overlapping k x k means) and the
        rest H = d - L; eps = eps_u + guidance * L + hf_guidance * H. hf_guidance = 1 keeps the
        conditional pass's own fine detail unguided; None = plain guidance (H scaled like L).

        rescale φ > 0 (CFG rescale, Lin et al. 2023 "Common diffusion noise schedules are
        flawed", eq. 15-16, applied to epsilon as diffusers' `rescale_noise_cfg` does):
        eps_r = eps * std(eps_c) / std(eps) (std per image over C,H,W), eps = φ eps_r + (1-φ) eps."""
        n = x.shape[0]
        tt = torch.full((n,), t, device=x.device, dtype=torch.long)
        if guidance == 1.0:
            return model(x, tt, cond)[:, :3]
        out = model(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([cond, torch.zeros_like(cond)]))[:, :3]
        eps_c, eps_u = out[:n].float(), out[n:].float()
        if hf_guidance is None:
            eps = eps_u + guidance * (eps_c - eps_u)
        else:
            d = eps_c - eps_u
            low = torch.nn.functional.avg_pool2d(d, hf_pool).repeat_interleave(hf_pool, 2).repeat_interleave(hf_pool, 3)
            eps = eps_u + guidance * low + hf_guidance * (d - low)
        if rescale > 0:
            std_c = eps_c.std(dim=(1, 2, 3), keepdim=True)
            std_g = eps.std(dim=(1, 2, 3), keepdim=True)
            eps = rescale * (eps * (std_c / std_g)) + (1 - rescale) * eps
        return eps

    def predict_x0(self, model, x, t, cond, guidance: float, *, guidance_min_t: int = 0,
                   guidance_max_t: int | None = None, rescale: float = 0.0, clip: str = "clip",
                   dynamic_quantile: float = 0.995, dynamic_min_t: int = 0,
                   hf_guidance: float | None = None, hf_pool: int = 2):
        """The data prediction at timestep t, the one place where guidance and the x0 treatment
        happen (all samplers go through it):

            g   = guidance if guidance_min_t <= t <= guidance_max_t else 1   (1: one conditional pass, batch N)
            eps = guided_eps(x, t, g, rescale, hf_guidance, hf_pool)
            x0  = (x - sqrt(1 - a_bar_t) eps) / sqrt(a_bar_t)
            clip == "clip":    x0 = clamp(x0, -1, 1)
            clip == "dynamic": s = max(1, quantile_p(|x0|) per image), x0 = clamp(x0, -s, s) / s
                               (p = dynamic_quantile; at t < dynamic_min_t the plain clamp instead)
            clip == "none":    x0 unchanged.
        quantile_p is torch.quantile's: the |x0| values of one image (C*H*W of them) sorted,
        pos = p (n - 1), k = floor(pos), q = v_k + (pos - k) (v_{k+1} - v_k). sqrt(a_bar_t) and
        sqrt(1 - a_bar_t) here are float32 (a_bar_t rounded to float32 first, as DDIM always did).
        Returns (x0, eps) with eps re-derived from the treated x0 (what DDIM needs)."""
        a_t = self.alphas_cumprod[t].float().to(x.device)
        a, s = a_t.sqrt(), (1 - a_t).sqrt()
        g = guidance if guidance_min_t <= t and (guidance_max_t is None or t <= guidance_max_t) else 1.0
        eps = self.guided_eps(model, x, t, cond, g, rescale, hf_guidance if g != 1.0 else None, hf_pool).float()
        x = x.float()
        x0 = (x - s * eps) / a
        if clip == "clip" or (clip == "dynamic" and t < dynamic_min_t):
            x0 = x0.clamp(-1, 1)
        elif clip == "dynamic":
            q = torch.quantile(x0.abs().flatten(1), dynamic_quantile, dim=1).clamp(min=1).view(-1, 1, 1, 1)
            x0 = torch.maximum(torch.minimum(x0, q), -q) / q
        elif clip != "none":
            raise ValueError(f"clip must be clip, dynamic or none, not {clip!r}")
        return x0, (x - a * x0) / s

    @torch.no_grad()
    def ddim_sample(self, model, cond, noise, steps: int = 25, guidance: float = 2.0, eta: float = 0.0,
                    trajectory: list | None = None, **remedy):
        """Deterministic DDIM (eta = 0) from `noise` over `steps` respaced timesteps.
        x0 predictions are clipped to [-1, 1] (`remedy`: keyword options of `predict_x0`)."""
        seq = self.respaced(steps)
        ab = self.alphas_cumprod.to(noise.device)
        x = noise
        for i in reversed(range(len(seq))):
            t = seq[i]
            a_prev = ab[seq[i - 1]].float() if i > 0 else torch.tensor(1.0, device=noise.device)
            x0, eps = self.predict_x0(model, x, t, cond, guidance, **remedy)
            x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
            if trajectory is not None:
                trajectory.append(x.clone())
        return x

    def dpm_solver_timesteps(self, steps: int, spacing: str = "linspace") -> list[int]:
        """The `steps` timesteps where DPM-Solver++ evaluates the network, descending
        (diffusers' DPMSolverMultistepScheduler, T = 1000):

            linspace: t_i = floor((T-1) (steps-i) / steps + 0.5), i = 0…steps-1  (999, …, ≈ (T-1)/steps)
            trailing: t_i = floor(T (steps-i) / steps + 0.5) - 1                  (999, …, T/steps - 1)

        (linspace over 0…T-1 with steps+1 points, the 0 dropped; the sampler ends at σ = 0.)"""
        T = self.steps
        if spacing == "linspace":
            return [int(math.floor((T - 1) * (steps - i) / steps + 0.5)) for i in range(steps)]
        if spacing == "trailing":
            return [int(math.floor(T * (steps - i) / steps + 0.5)) - 1 for i in range(steps)]
        raise ValueError(f"spacing must be linspace or trailing, not {spacing!r}")

    @torch.no_grad()
    def dpm_solver_sample(self, model, cond, noise, steps: int = 10, guidance: float = 3.0,
                          trajectory: list | None = None, spacing: str = "linspace", **remedy):
        """DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++", Algorithm 2), data prediction,
        multistep, second order, `steps` network passes (each a guided batch of 2N while
        guided), from `noise` at t_0 = 999 to σ = 0.

        Notation: a_bar = alphas_cumprod, α_t = sqrt(a_bar_t), σ_t = sqrt(1 - a_bar_t),
        λ_t = log(α_t / σ_t). Timesteps t_0 > t_1 > … > t_{M-1} from `dpm_solver_timesteps`
        (M = steps); D_i = predict_x0(x_i, t_i) (guided eps -> x0 -> clipped, remedies
        applied). x_0 = noise. For i = 0 … M-1:

            D_i = predict_x0(x_i, t_i)
            if i == M-1:   x_out = D_i                     (last step to σ = 0: first order;
                                                            α = 1, σ = 0, e^{-h} = 0)
            else:          s = t_i, t = t_{i+1}, h = λ_t - λ_s
                           i == 0:  D = D_i                                       (first order)
                           i >= 1:  r = (λ_s - λ_{t_{i-1}}) / h
                                    D = (1 + 1/(2r)) D_i - (1/(2r)) D_{i-1}       (2M)
                           x_{i+1} = (σ_t / σ_s) x_i + α_t (1 - e^{-h}) D

        The update's coefficients (α, σ, λ, h, r) are computed in float64 from a_bar, the tensors
        are float32. The receiver's default (training/REPORT.md, "Few-step sampling and speckle"):
        steps 12, guidance 3, clip="dynamic" (p 0.995), spacing "linspace".
        `trajectory` receives x_1 … x_{M-1} and then x_out (M tensors)."""
        ts = self.dpm_solver_timesteps(steps, spacing)
        ab = self.alphas_cumprod
        alpha = lambda t: math.sqrt(ab[t].item())
        sigma = lambda t: math.sqrt(1 - ab[t].item())
        lam = lambda t: math.log(alpha(t) / sigma(t))
        x = noise.float()
        d_prev = None
        for i, s in enumerate(ts):
            d, _ = self.predict_x0(model, x, s, cond, guidance, **remedy)
            if i == len(ts) - 1:
                x = d
            else:
                t = ts[i + 1]
                h = lam(t) - lam(s)
                if d_prev is None:
                    D = d
                else:
                    r = (lam(s) - lam(ts[i - 1])) / h
                    D = (1 + 1 / (2 * r)) * d - (1 / (2 * r)) * d_prev
                x = (sigma(t) / sigma(s)) * x + (alpha(t) * (1 - math.exp(-h))) * D
            d_prev = d
            if trajectory is not None:
                trajectory.append(x.clone())
        return x

    def sample(self, sampler: str, model, cond, noise, steps: int, guidance: float, generator=None,
               trajectory: list | None = None, **remedy):
        """One entry point for evaluate/sweep: sampler ddim | ddpm | dpmpp2m."""
        if sampler == "ddim":
            return self.ddim_sample(model, cond, noise, steps=steps, guidance=guidance, trajectory=trajectory, **remedy)
        if sampler == "ddpm":
            return self.ddpm_sample(model, cond, noise, guidance=guidance, generator=generator, steps=steps, **remedy)
        if sampler == "dpmpp2m":
            return self.dpm_solver_sample(model, cond, noise, steps=steps, guidance=guidance, trajectory=trajectory,
                                          **remedy)
        raise ValueError(f"sampler must be ddim, ddpm or dpmpp2m, not {sampler!r}")

    @torch.no_grad()
    def ddpm_sample(self, model, cond, noise, guidance: float = 2.0, generator=None, steps: int | None = None,
                    **remedy):
        """Ancestral sampling over all T steps (or a respaced subset), posterior variance beta_tilde."""
        seq = self.respaced(steps or self.steps)
        ab = self.alphas_cumprod.to(noise.device)
        x = noise
        for i in reversed(range(len(seq))):
            t = seq[i]
            a_t = ab[t].float()
            a_prev = ab[seq[i - 1]].float() if i > 0 else torch.tensor(1.0, device=noise.device)
            beta = 1 - a_t / a_prev
            x0, _ = self.predict_x0(model, x, t, cond, guidance, **remedy)
            mean = (a_prev.sqrt() * beta / (1 - a_t)) * x0 + ((1 - beta).sqrt() * (1 - a_prev) / (1 - a_t)) * x
            if i > 0:
                var = beta * (1 - a_prev) / (1 - a_t)
                x = mean + var.sqrt() * torch.randn(x.shape, generator=generator, device=x.device)
            else:
                x = mean
        return x
