"""PyTorch peer for bench/embed/run (Debian's /usr/bin/python3, torch 1.13).

usage: torch_peer.py NET INPUT.f32 BATCH THREADS REPS IMAGES
Runs torchvision NET (weights=None, eval mode) under torch.inference_mode()
with torch.set_num_threads(THREADS) on BATCH images of the shared input
(NCHW float32).  One warm-up repetition, then REPS timed ones of IMAGES
images each.  Prints "IPS <images/s>" per timed repetition, then an INFO line
saying whether oneDNN (mkldnn) is available and enabled and which aten
convolution kernels the forward pass actually called.
"""
import collections
import sys
import time

import numpy as np
import torch
import torchvision


def conv_kernels(model, x):
    """Counts of the aten convolution backends one forward pass calls."""
    with torch.autograd.profiler.profile() as prof:
        model(x)
    seen = collections.Counter()
    for ev in prof.function_events:
        n = ev.name
        if "conv" in n and n not in ("aten::conv2d", "aten::convolution", "aten::thnn_conv2d",
                                     "aten::_convolution"):
            seen[n.replace("aten::", "")] += 1
    return ",".join(f"{k}x{v}" for k, v in sorted(seen.items())) or "none"


def libs():
    """The BLAS and oneDNN libraries this process has mapped."""
    seen = set()
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            if "blas" in p or "dnnl" in p:
                seen.add(p.rsplit("/", 2)[-2] + "/" + p.rsplit("/", 1)[-1]
                         if "openblas" in p else p.rsplit("/", 1)[-1])
    return ",".join(sorted(seen)) or "none"


def main():
    net, inp = sys.argv[1], sys.argv[2]
    batch, threads, reps, images = (int(a) for a in sys.argv[3:7])
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    per = 3 * 224 * 224
    x = np.fromfile(inp, dtype=np.float32, count=batch * per)
    x = torch.from_numpy(x.reshape(batch, 3, 224, 224).copy())
    model = getattr(torchvision.models, net)(weights=None).eval()
    runs = max(1, round(images / batch))
    with torch.inference_mode():
        for rep in range(-1, reps):
            t0 = time.perf_counter()
            for _ in range(runs):
                model(x)
            s = time.perf_counter() - t0
            if rep >= 0:
                print(f"IPS {runs * batch / s:.3f}", flush=True)
        kern = conv_kernels(model, x)
    print(f"INFO torch {torch.__version__} mkldnn available="
          f"{torch.backends.mkldnn.is_available()} enabled={torch.backends.mkldnn.enabled}"
          f" conv={kern} libs={libs()}")


if __name__ == "__main__":
    main()
