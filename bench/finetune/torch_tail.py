#!/usr/bin/python3
"""bench/finetune/torch_tail.py - the PyTorch peer of tl-train fine-tuning.

usage: torch_tail.py [--threads T] [--epochs E] [--batch B] [--format cl|nchw]
                     [--ref REF.tl] [--seed N] MODELDIR MAPS.tl

Builds MobileNetV2's tail, block_12_add [14,14,96] -> out_relu [7,7,1280]
(blocks 13-16 and Conv_1: 13 Convs), from the Keras/TF.js weights in MODELDIR
(model.json and its weightsManifest: uint8 weights dequantised as
q * scale + min, BatchNorm folded into the Convs with eps 1e-3, Keras 'same'
padding: (0,1,0,1) before a stride-2 depthwise Conv, (1,1,1,1) otherwise),
then does what tl-train fine-tuning does per epoch on the train and val maps
of MAPS.tl (tl-embed --cut output): shuffle, and per batch of B (32) train
maps the forward, average pool, L2 normalisation and standardisation, a
linear head, cross-entropy (label smoothing 0.1), backward and an AdamW step
(weight decay 0.01 on weights, not biases, one-cycle rate as lib/learn/optim.c:
tail 5e-4, head 1e-3); then the val maps one at a time, no gradients.

With --ref (tl-embed -l out_relu -p avg output for some of the same images),
first prints "CHECK id max_abs max_rel" for each of them: the untouched
tail's pooled out_relu against tl's, max_rel = max |torch - tl| / max |tl|.

Prints "INFO key value" lines, then "EPOCH n seconds train_s val_s loss
val_acc" per epoch on stdout.  Test and unlabelled records are ignored, as
tl-train does.
"""
import argparse
import json
import math
import os
import sys
import time

import msgpack
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ---- the weights ------------------------------------------------------------


def keras_weights(d):
    m = json.load(open(os.path.join(d, "model.json")))
    W = {}
    for g in m["weightsManifest"]:
        buf = b"".join(open(os.path.join(d, p), "rb").read() for p in g["paths"])
        off = 0
        for w in g["weights"]:
            n = int(np.prod(w["shape"]))
            q = w.get("quantization")
            if q:
                dt = np.dtype(q["dtype"])
                a = np.frombuffer(buf, dt, n, off).astype(np.float32)
                if "scale" in q:
                    a = a * np.float32(q["scale"]) + np.float32(q["min"])
                off += n * dt.itemsize
            else:
                a = np.frombuffer(buf, np.float32, n, off).copy()
                off += 4 * n
            W[w["name"]] = a.reshape(w["shape"])
    return W


def bn(W, name):
    g, b, mu, v = (W[name + "/" + k] for k in ("gamma", "beta", "moving_mean", "moving_variance"))
    s = g / np.sqrt(v + 1e-3)
    return s, b - mu * s


class PW(nn.Module):
    """1x1 Conv with its BatchNorm folded in"""

    def __init__(s, W, name, bnname):
        super().__init__()
        k = W[name + "/kernel"][0, 0]  # [in, out]
        sc, sh = bn(W, bnname)
        s.w = nn.Parameter(torch.tensor((k * sc).T[:, :, None, None].copy()))
        s.b = nn.Parameter(torch.tensor(sh))

    def forward(s, x):
        return F.conv2d(x, s.w, s.b)


class DW(nn.Module):
    """3x3 depthwise Conv, BatchNorm folded, Keras 'same' padding"""

    def __init__(s, W, name, bnname, stride):
        super().__init__()
        k = W[name + "/depthwise_kernel"][:, :, :, 0]  # [3, 3, C]
        sc, sh = bn(W, bnname)
        s.w = nn.Parameter(torch.tensor((k * sc).transpose(2, 0, 1)[:, None].copy()))
        s.b = nn.Parameter(torch.tensor(sh))
        s.stride = stride

    def forward(s, x):
        x = F.pad(x, (0, 1, 0, 1)) if s.stride == 2 else F.pad(x, (1, 1, 1, 1))
        return F.conv2d(x, s.w, s.b, stride=s.stride, groups=s.w.shape[0])


class Block(nn.Module):
    def __init__(s, W, i, stride, add):
        super().__init__()
        p = "block_%d_" % i
        s.e = PW(W, p + "expand", p + "expand_BN")
        s.d = DW(W, p + "depthwise", p + "depthwise_BN", stride)
        s.p = PW(W, p + "project", p + "project_BN")
        s.add = add

    def forward(s, x):
        y = s.p(F.relu6(s.d(F.relu6(s.e(x)))))
        return x + y if s.add else y


class Tail(nn.Module):
    """block_12_add [N,96,14,14] -> out_relu averaged [N,1280]"""

    def __init__(s, W):
        super().__init__()
        s.b13 = Block(W, 13, 2, False)
        s.b14 = Block(W, 14, 1, True)
        s.b15 = Block(W, 15, 1, True)
        s.b16 = Block(W, 16, 1, False)
        s.c1 = PW(W, "Conv_1", "Conv_1_bn")

    def forward(s, x):
        x = s.b16(s.b15(s.b14(s.b13(x))))
        return F.relu6(s.c1(x)).mean((2, 3))


# ---- the maps ---------------------------------------------------------------


def records(path):
    with open(path, "rb") as f:
        for r in msgpack.Unpacker(f, raw=False, max_buffer_size=2**31 - 1):
            if isinstance(r, dict) and isinstance(r.get("emb"), dict):
                yield r


def emb(r):
    t = r["emb"]
    return np.frombuffer(t["data"], np.dtype(t["dtype"])).reshape(t["shape"])


def load_maps(path):
    """train and val maps, NHWC float32, in one preallocated array"""
    n, shape = 0, None
    for r in records(path):
        if r.get("label") is not None and r.get("split") in ("train", "val"):
            n += 1
            shape = r["emb"]["shape"]
    if n == 0:
        sys.exit("torch_tail.py: %s: no labelled train or val maps" % path)
    X = np.empty([n] + list(shape), np.float32)
    ids, labels, val = [], [], np.zeros(n, bool)
    i = 0
    for r in records(path):
        if r.get("label") is not None and r.get("split") in ("train", "val"):
            X[i] = emb(r)
            ids.append(r["id"])
            labels.append(r["label"])
            val[i] = r["split"] == "val"
            i += 1
    classes = sorted(set(labels))
    y = np.array([classes.index(l) for l in labels], np.int64)
    return ids, X, y, val, classes


# ---- main -------------------------------------------------------------------


def one_cycle(lr, t, total):  # lib/learn/optim.c tl_optim_one_cycle
    up = int(0.3 * total)
    lo, end = lr / 25, lr / 1e5
    if t < up:
        return lo + (lr - lo) * (1 - math.cos(math.pi * t / up)) / 2
    return end + (lr - end) * (1 + math.cos(math.pi * (t - up) / (total - up))) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--format", choices=("cl", "nchw"), default="cl")
    ap.add_argument("--ref")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("modeldir")
    ap.add_argument("maps")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    fmt = torch.channels_last if a.format == "cl" else torch.contiguous_format

    t0 = time.perf_counter()
    ids, X, y, val, classes = load_maps(a.maps)
    tail = Tail(keras_weights(a.modeldir)).to(memory_format=fmt)
    # NHWC -> NCHW view: channels_last strides as stored; nchw copies per batch
    Xt = torch.from_numpy(X).permute(0, 3, 1, 2)
    yt = torch.from_numpy(y)
    tr = np.flatnonzero(~val)
    va = np.flatnonzero(val)
    print("INFO torch %s" % torch.__version__)
    print("INFO threads %d (interop %d)" % (torch.get_num_threads(), torch.get_num_interop_threads()))
    print("INFO format %s" % a.format)
    print("INFO params %d" % sum(p.numel() for p in tail.parameters()))
    print("INFO maps %d train %d val %d classes" % (len(tr), len(va), len(classes)))
    print("INFO load %.2f" % (time.perf_counter() - t0))

    def batch(idx):
        return Xt[idx].contiguous(memory_format=fmt)

    if a.ref:
        where = {k: i for i, k in enumerate(ids)}
        with torch.no_grad():
            for r in records(a.ref):
                if r["id"] not in where:
                    continue
                ref = emb(r).astype(np.float32).ravel()
                got = tail(batch([where[r["id"]]]))[0].numpy()
                d = np.abs(got - ref).max()
                print("CHECK %s %.3g %.3g" % (r["id"].replace(" ", "_"), d, d / np.abs(ref).max()))

    # the head's input: l2 normalised, standardised by the untouched train
    # features (tl-train's defaults), a linear head from zero
    t0 = time.perf_counter()
    with torch.no_grad():
        f = torch.cat([F.normalize(tail(batch(tr[i:i + a.batch])))
                       for i in range(0, len(tr), a.batch)])
    mean, scale = f.mean(0), 1 / f.std(0).clamp_min(1e-6)
    print("INFO features %.2f s, %.1f maps/s (forward only, batch %d)"
          % (time.perf_counter() - t0, len(tr) / (time.perf_counter() - t0), a.batch))
    head = nn.Linear(f.shape[1], len(classes))
    nn.init.zeros_(head.weight), nn.init.zeros_(head.bias)
    del f

    def logits(x):
        return head((F.normalize(tail(x)) - mean) * scale)

    weights = [p for n, p in tail.named_parameters() if n.endswith(".w")]
    biases = [p for n, p in tail.named_parameters() if n.endswith(".b")]
    groups = [{"params": weights, "weight_decay": 0.01, "peak": 5e-4},
              {"params": biases, "weight_decay": 0.0, "peak": 5e-4},
              {"params": [head.weight], "weight_decay": 0.01, "peak": 1e-3},
              {"params": [head.bias], "weight_decay": 0.0, "peak": 1e-3}]
    opt = torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    steps = a.epochs * ((len(tr) + a.batch - 1) // a.batch)
    step = 0
    rng = np.random.default_rng(a.seed)
    for ep in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        tail.train()
        perm = tr[rng.permutation(len(tr))]
        total = 0.0
        for b0 in range(0, len(perm), a.batch):
            idx = perm[b0:b0 + a.batch]
            for g in opt.param_groups:
                g["lr"] = one_cycle(g["peak"], step, steps)
            loss = F.cross_entropy(logits(batch(idx)), yt[idx], label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            total += loss.item() * len(idx)
        t1 = time.perf_counter()
        right = 0
        with torch.no_grad():
            for i in va:
                right += int(logits(batch([i])).argmax(1).item() == y[i])
        t2 = time.perf_counter()
        print("EPOCH %d %.3f %.3f %.3f %.4f %.4f" % (ep, t2 - t0, t1 - t0, t2 - t1,
              total / len(tr), right / max(len(va), 1)), flush=True)


if __name__ == "__main__":
    main()
