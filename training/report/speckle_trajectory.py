# Session experiment (REPORT.md, "Few-step sampling and speckle"); held-out scenes in /tmp/heldout. Run from training/.
"""Where does the speckle come from? DDIM 25 g3 on N scenes: per step, the x0 prediction's speckle
(before/after clip), the fraction clipped, and the eps_c - eps_u gap; and the output."""
import sys, time, json, torch
import os
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
sys.path.insert(0, os.path.join(ROOT, 'training'))
from semcom_train.evaluate import load_model, laplacian_energy, segment
from semcom_train.data import load_scene_set, from_model_range
from semcom_train.channel import one_hot
from semcom_train.diffusion import Diffusion
from semcom_train.segmenter import miou
N = int(sys.argv[1]) if len(sys.argv) > 1 else 8
torch.manual_seed(0)
images, labels, _ = load_scene_set('/tmp/heldout')
images, labels = images[:N], labels[:N]
gen, cfg = load_model(os.path.join(ROOT, 'models', 'generator'), 'generator', 'cpu')
seg, _ = load_model(os.path.join(ROOT, 'models', 'segmenter'), 'segmenter', 'cpu')
orig = laplacian_energy(images).mean().item()
print("orig energy", orig)
d = Diffusion()
cond = one_hot(labels.long(), 19)
g = torch.Generator().manual_seed(1234)
noise = torch.randn((N, 3, 64, 128), generator=g)
rec = []
orig_ge = d.guided_eps
def spy(model, x, t, cond, guidance, *unused):
    n = x.shape[0]
    tt = torch.full((n,), t, dtype=torch.long)
    out = model(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([cond, torch.zeros_like(cond)]))[:, :3].float()
    ec, eu = out[:n], out[n:]
    eps = eu + guidance * (ec - eu)
    ab = d.alphas_cumprod[t].float()
    for name, e in (("g", eps), ("c", ec)):
        x0 = (x - (1 - ab).sqrt() * e) / ab.sqrt()
        rec.append(dict(t=t, which=name, clipfrac=(x0.abs() > 1).float().mean().item(),
                        sp_clip=laplacian_energy(from_model_range(x0)).mean().item() / orig,
                        gap=(ec - eu).std().item()))
    return eps
d.guided_eps = spy
t0 = time.time()
with torch.autocast('cpu', dtype=torch.bfloat16, enabled='--bf16' in sys.argv):
    out = d.ddim_sample(gen, cond, noise, steps=25, guidance=3.0)
u8 = from_model_range(out.float())
print("time", time.time() - t0)
print("output speckle", laplacian_energy(u8).mean().item() / orig, "miou", miou(segment(seg, u8, 'cpu'), labels, 19)[0])
for r in rec: print(r)
torch.save(u8, '/tmp/diag_out.pt')
