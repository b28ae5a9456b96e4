# Session experiment (REPORT.md, "Few-step sampling and speckle"); held-out scenes in /tmp/heldout. Run from training/.
"""Scouting driver: loads the models once, runs sampler configs on the first N held-out scenes
(clean maps; its own noise, seed 1234, not evaluate's draw), prints and appends JSON lines.
Usage: python report/speckle_scout.py --count 12 --out X.jsonl '{"sampler":"dpmpp2m","steps":10,"guidance":3,"clip":"dynamic"}' ..."""
import sys, time, json, argparse, torch
import os
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
sys.path.insert(0, os.path.join(ROOT, 'training'))
from semcom_train.evaluate import load_model, laplacian_energy, segment, speckle
from semcom_train.data import load_scene_set, from_model_range
from semcom_train.channel import one_hot
from semcom_train.diffusion import Diffusion
from semcom_train.segmenter import miou
p = argparse.ArgumentParser()
p.add_argument('--count', type=int, default=12)
p.add_argument('--bf16', action='store_true')
p.add_argument('--out', default='/tmp/speckle_scout.jsonl')
p.add_argument('--save', default=None)
p.add_argument('configs', nargs='+')
a = p.parse_args()
images, labels, _ = load_scene_set('/tmp/heldout')
images, labels = images[:a.count], labels[:a.count]
gen, cfg = load_model(os.path.join(ROOT, 'models', 'generator'), 'generator', 'cpu')
gen = gen.to(memory_format=torch.channels_last)
seg, _ = load_model(os.path.join(ROOT, 'models', 'segmenter'), 'segmenter', 'cpu')
d = Diffusion()
cond = one_hot(labels.long(), 19)
for c in a.configs:
    c = json.loads(c)
    sampler, steps, guidance = c.pop('sampler'), c.pop('steps'), c.pop('guidance')
    g = torch.Generator().manual_seed(1234)
    noise = torch.randn((a.count, 3, 64, 128), generator=g)
    t0 = time.time()
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=a.bf16):
        x = d.sample(sampler, gen, cond, noise, steps, guidance, generator=g, **c)
    secs = (time.time() - t0) / a.count
    u8 = from_model_range(x.float())
    m = miou(segment(seg, u8, 'cpu'), labels, 19)[0]
    sp = speckle(u8, images)
    passes = None
    rec = dict(sampler=sampler, steps=steps, guidance=guidance, **c, count=a.count, bf16=a.bf16, miou=m,
               speckle=sp['speckle_ratio'], above15=sp['images_above_1_5'], passes=passes, s_per_image=secs)
    print(json.dumps(rec), flush=True)
    open(a.out, 'a').write(json.dumps(rec) + '\n')
    if a.save:
        torch.save(u8, f"{a.save}-{sampler}{steps}-g{guidance}-{abs(hash(json.dumps(c, sort_keys=True))) % 10000}.pt")
