# Session experiment (REPORT.md, "Few-step sampling and speckle"); held-out scenes in /tmp/heldout. Run from training/.
"""Is the model able to remove the noise at small t? Original image -> q_sample at t -> one x0
prediction (conditional, guided 3, unguided null) -> speckle ratio vs the originals, and residual RMS."""
import sys, torch
import os
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
sys.path.insert(0, os.path.join(ROOT, 'training'))
from semcom_train.evaluate import load_model, laplacian_energy
from semcom_train.data import load_scene_set, from_model_range, to_model_range
from semcom_train.channel import one_hot
from semcom_train.diffusion import Diffusion
N = 12
images, labels, _ = load_scene_set('/tmp/heldout')
images, labels = images[:N], labels[:N]
gen, cfg = load_model(os.path.join(ROOT, 'models', 'generator'), 'generator', 'cpu')
gen = gen.to(memory_format=torch.channels_last)
d = Diffusion(); cond = one_hot(labels.long(), 19)
x0 = to_model_range(images)
o = laplacian_energy(images).mean().item()
g = torch.Generator().manual_seed(5)
for t in [5, 20, 40, 80, 150, 300, 500]:
    n = torch.randn(x0.shape, generator=g)
    xt = d.q_sample(x0, torch.full((N,), t), n)
    row = [f"t={t:4d} noisy {laplacian_energy(from_model_range(xt)).mean().item()/o:6.2f}"]
    with torch.no_grad():
        for name, gd in (("cond", 1.0), ("guided3", 3.0)):
            p, eps = d.predict_x0(gen, xt, t, cond, gd)
            resid = (p - x0)
            row.append(f"{name}: speckle {laplacian_energy(from_model_range(p)).mean().item()/o:5.2f} rmse {resid.pow(2).mean().sqrt().item():.4f} eps-err {(eps - n).pow(2).mean().sqrt().item():.3f}")
    print(" | ".join(row), flush=True)
