"""Export torchvision mobilenet_v2 and resnet50 (random weights: speed does
not depend on them) to ONNX (opset 13, dynamic batch axis) and write the
shared random input all engines run on.  Run with Debian's /usr/bin/python3.

usage: export.py OUTDIR MAXBATCH
writes OUTDIR/{mobilenet_v2,resnet50}.onnx and OUTDIR/input.f32
(MAXBATCH x 3 x 224 x 224 float32, NCHW, seed 0, N(0,1)); existing files are
kept.
"""
import os
import sys

import numpy as np
import torch
import torchvision

NETS = ("mobilenet_v2", "resnet50")


def main():
    out, maxb = sys.argv[1], int(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    for name in NETS:
        path = os.path.join(out, name + ".onnx")
        if os.path.exists(path):
            continue
        model = getattr(torchvision.models, name)(weights=None).eval()
        x = torch.zeros(1, 3, 224, 224)
        tmp = path + ".tmp"
        torch.onnx.export(model, x, tmp, opset_version=13,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "N"}, "output": {0: "N"}},
                          do_constant_folding=True)
        os.replace(tmp, path)
        print(f"exported {path}", file=sys.stderr)
    path = os.path.join(out, "input.f32")
    want = maxb * 3 * 224 * 224 * 4
    if not os.path.exists(path) or os.path.getsize(path) != want:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((maxb, 3, 224, 224), dtype=np.float32)
        x.tofile(path)


if __name__ == "__main__":
    main()
