#!/usr/bin/python3
"""tests/report/gen.py - a synthetic classifier output for tl-report's tests,
as JSON Lines for `tl-cat --from-json` (a header line, then records).

usage: gen.py [SEED [VERSION]]    (defaults 42, v1)

400 records of 4 classes with unequal shares, probabilities a softmax of
noisy logits (float32 values, so they survive the stream's <f4 exactly),
pred the top class or "unknown" below confidence 0.45, conf the top
probability, ood a score that is higher for the 30 records labelled "other"
(out of distribution), and 10 records without a label.  The ids, labels and
OOD records are always the same (seed 42); SEED drives the classifier's
noise, so two SEEDs are two models on one dataset.  The same SEED gives the
same file; sklearn_ref.py computes the reference metrics from it.
"""
import json
import sys

import numpy as np

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 42
version = sys.argv[2] if len(sys.argv) > 2 else "v1"
classes = ["ants", "bees", "flies", "wasps"]
data = np.random.default_rng(42)
rng = np.random.default_rng(seed)
print(json.dumps({"tl": 1, "classes": classes,
                  "classifier": {"name": "gen.tlm", "sha256": "0" * 64, "version": version},
                  "model": {"name": "synthetic"}}))


def record(i, label, shift, ood_mu):
    logits = rng.normal(0, 1.2, len(classes))
    if shift is not None:
        logits[shift] += 2.2
    p = np.exp(logits - logits.max())
    p = (p / p.sum()).astype(np.float32)
    best = int(np.argmax(p))
    r = {"id": "img/%04d" % i}
    if label is not None:
        r["label"] = label
    r["prob"] = {"dtype": "<f4", "shape": [len(classes)], "data": [float(x) for x in p]}
    r["pred"] = classes[best] if p[best] >= 0.45 else "unknown"
    r["conf"] = float(p[best])
    r["ood"] = float(rng.normal(ood_mu, 1.0))
    return r


# ids are numbered in a shuffled order so that sorting matters
ids = data.permutation(440)
for j in range(440):
    i = int(ids[j])
    if j < 400:
        y = int(data.choice(4, p=[0.4, 0.3, 0.2, 0.1]))
        print(json.dumps(record(i, classes[y], y, 0.0)))
    elif j < 430:
        print(json.dumps(record(i, "other", None, 1.5)))
    else:
        y = int(data.integers(4))
        print(json.dumps(record(i, None, y, 0.0)))
