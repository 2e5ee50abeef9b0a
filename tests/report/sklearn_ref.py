#!/usr/bin/python3
"""tests/report/sklearn_ref.py - reference metrics for tl-report, computed by
scikit-learn (1.2) from the JSON Lines that gen.py writes.

usage: gen.py | sklearn_ref.py [--ood-label L] [--top-k K] > expected.json

The definitions match tl-report(1): "unknown" is a prediction that is never
right; macro F1 averages over the classes that occur as label or prediction;
log loss clips at 1e-15 and renormalises (sklearn's log_loss does both);
AUROC is roc_auc_score of ood, records labelled L against the others.  ECE
has no scikit-learn function: it is computed here with NumPy (15 bins).
"""
import json
import sys
import warnings

import numpy as np
from sklearn import metrics

warnings.simplefilter("ignore")
args = sys.argv[1:]
ood_label = args[args.index("--ood-label") + 1] if "--ood-label" in args else None
k = int(args[args.index("--top-k") + 1]) if "--top-k" in args else 3

classes = None
ytrue, ypred, prob, ood, ood_pos = [], [], [], [], []
for line in sys.stdin:
    r = json.loads(line)
    if "tl" in r:
        classes = r.get("classes", classes)
        continue
    if r.get("label") is None:
        continue
    if r["label"] == ood_label:
        ood.append(r["ood"])
        ood_pos.append(1)
        continue
    ytrue.append(r["label"])
    ypred.append(r["pred"])
    prob.append(np.array(r["prob"]["data"], dtype=np.float32).astype(np.float64))
    ood.append(r["ood"])
    ood_pos.append(0)

prob = np.array(prob)
present = sorted((set(ytrue) | set(ypred)) - {"unknown"})
p, rc, f, s = metrics.precision_recall_fscore_support(ytrue, ypred, labels=classes,
                                                      zero_division=0)
cm = metrics.confusion_matrix(ytrue, ypred, labels=classes + ["unknown"])[: len(classes)]

# ECE over the top class of prob, 15 equal-width bins, [lo, hi) and [14/15, 1]
yi = np.array([classes.index(y) for y in ytrue])
top = prob.argmax(axis=1)
conf = prob.max(axis=1)
b = np.minimum((conf * 15).astype(int), 14)
ece = 0.0
for j in range(15):
    m = b == j
    if m.any():
        ece += abs((top[m] == yi[m]).mean() - conf[m].mean()) * m.sum() / len(conf)

out = {
    "accuracy": metrics.accuracy_score(ytrue, ypred),
    "balanced_accuracy": metrics.balanced_accuracy_score(ytrue, ypred),
    "macro_f1": metrics.f1_score(ytrue, ypred, labels=present, average="macro", zero_division=0),
    "weighted_f1": metrics.f1_score(ytrue, ypred, labels=classes, average="weighted",
                                    zero_division=0),
    "log_loss": metrics.log_loss(ytrue, prob, eps=1e-15, labels=classes),
    "top_k_accuracy": metrics.top_k_accuracy_score(ytrue, prob, k=k, labels=classes),
    "ece": ece,
    "per_class": {c: {"precision": p[i], "recall": rc[i], "f1": f[i], "support": int(s[i])}
                  for i, c in enumerate(classes)},
    "confusion": cm.tolist(),
}
if ood_label is not None:
    out["auroc"] = metrics.roc_auc_score(ood_pos, ood)
print(json.dumps(out, indent=1, sort_keys=True))
