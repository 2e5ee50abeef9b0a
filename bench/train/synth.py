#!/usr/bin/python3
"""synth.py - synthetic labelled embeddings as a tl stream (stdout), for
bench/train/run and tests/cli/train.sh.

Class k has mean mu_k = sep * N(0, I_D) and samples mu_k + N(0, I_D); every
record gets a split (train / val / test by --val and --test shares), an id
"c<k>/<i>" and label "c<k>" (or --labels a,b,...).  The header says the
embeddings come from backbone --model (name) with sha256 --sha, layer
--layer, pool avg, dims [D], like tl-embed's.  --npz FILE also writes X, y
and split for a Python peer.  Deterministic given --seed.
"""
import argparse
import sys

import msgpack
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=1000)
ap.add_argument("--dim", type=int, default=16)
ap.add_argument("--classes", type=int, default=3)
ap.add_argument("--sep", type=float, default=1.0)
ap.add_argument("--val", type=float, default=0.2)
ap.add_argument("--test", type=float, default=0.0)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--labels", default="")
ap.add_argument("--model", default="synth")
ap.add_argument("--sha", default="0" * 64)
ap.add_argument("--layer", default="feat")
ap.add_argument("--shift", type=float, default=0.0, help="add this to every value (far-away data)")
ap.add_argument("--npz", default="")
a = ap.parse_args()

rng = np.random.default_rng(a.seed)
labels = a.labels.split(",") if a.labels else ["c%d" % k for k in range(a.classes)]
k = len(labels)
mu = a.sep * rng.standard_normal((k, a.dim))
y = np.arange(a.n) % k
x = (mu[y] + rng.standard_normal((a.n, a.dim)) + a.shift).astype("<f4")
u = rng.random(a.n)
split = np.where(u < a.test, "test", np.where(u < a.test + a.val, "val", "train"))
if a.npz:
    np.savez(a.npz, X=x, y=y, split=split)

out = sys.stdout.buffer
pk = msgpack.Packer(use_bin_type=True)
out.write(pk.pack({"tl": 1, "producer": "synth.py", "model": {"name": a.model, "sha256": a.sha},
                   "dims": [a.dim], "layer": a.layer, "pool": "avg",
                   "preprocess": {"width": 224, "height": 224}}))
for i in range(a.n):
    rec = {"id": "%s/%d" % (labels[y[i]], i), "label": labels[y[i]], "split": str(split[i]),
           "emb": {"dtype": "<f4", "shape": [a.dim], "data": x[i].tobytes()}}
    out.write(pk.pack(rec))
out.write(pk.pack({"tl": 1, "end": a.n}))
