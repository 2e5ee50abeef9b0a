#!/usr/bin/python3
# make_tail_ref.py - the PyTorch reference for tests/unit/test_tail.c: a tiny
# network whose end is a trainable tail of the kinds lib/nn/tail.c supports
# (a ResNet basic block, a MobileNetV2 inverted residual with an explicit
# zero Pad before a stride-2 depthwise convolution, one with a residual
# Add, a final 1x1 convolution with ReLU6; BatchNorm everywhere, random
# statistics), exported with torch.onnx.export, and PyTorch autograd's
# gradients of the tail's parameters for a fixed input and a fixed dL/dout.
#
# The tail's parameters are the folded ones (W*s, (b-mean)*s+beta with
# s = gamma/sqrt(var+eps)), as tl_nn_finish folds them, so the reference
# computes the same network with folded leaves and differentiates that.
# Opset 10: Pad takes its pads as an attribute (later opsets export
# F.pad as a chain of shape arithmetic the engine does not load).
# Run with Debian's /usr/bin/python3 (python3-torch 1.13):
#   /usr/bin/python3 tests/nn/make_tail_ref.py tests/nn
# Writes, all little-endian float32:
#   tail.onnx        graph input "image" [N,3,20,20]; outputs "feat"
#                    [N,32,5,5] (the tail's end) and "cut" [N,8,10,10]
#   tail.cut.f32     "cut" for the input, [2,8,10,10] NCHW
#   tail.in.f32      the input, [2,3,20,20] NCHW
#   tail.dout.f32    dL/dout, [2,32]
#   tail.out.f32     "feat" averaged over H,W, [2,32]
#   tail.grad.f32    dL/dparam of every Conv in execution order, W then B,
#                    W in ONNX layout [Cout,Cin/group,KH,KW]
#   tail.grad.txt    one line per parameter: index, W or B, element count
import sys
import torch
import torch.nn as nn
import torch.nn.functional as F

from make_torch_ref import random_bn

def cb(i, o, k=1, s=1, g=1, p=None):
    return [nn.Conv2d(i, o, k, s, (k - 1) // 2 if p is None else p, groups=g, bias=False),
            nn.BatchNorm2d(o)]

class Net(nn.Module):
    def __init__(s):
        super().__init__()
        s.stem = nn.Sequential(*cb(3, 8, 3, 2), nn.ReLU())           # frozen
        s.b1 = nn.Sequential(*cb(8, 8, 3), nn.ReLU())                # basic block
        s.b2 = nn.Sequential(*cb(8, 8, 3))
        s.e1 = nn.Sequential(*cb(8, 24), nn.ReLU6())                 # IR, stride 2
        s.d1 = nn.Sequential(*cb(24, 24, 3, 2, 24, 0), nn.ReLU6())
        s.p1 = nn.Sequential(*cb(24, 12))
        s.e2 = nn.Sequential(*cb(12, 36), nn.ReLU6())                # IR, residual
        s.d2 = nn.Sequential(*cb(36, 36, 3, 1, 36), nn.ReLU6())
        s.p2 = nn.Sequential(*cb(36, 12))
        s.last = nn.Sequential(*cb(12, 32), nn.ReLU6())
    def tail(s, c):
        x = F.relu(c + s.b2(s.b1(c)))
        x = s.p1(s.d1(F.pad(s.e1(x), (0, 1, 0, 1))))
        x = x + s.p2(s.d2(s.e2(x)))
        return s.last(x)
    def forward(s, x):
        c = s.stem(x)
        return s.tail(c), c

def fold(seq):
    conv, bn = seq[0], seq[1]
    sc = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    w = (conv.weight * sc[:, None, None, None]).detach().clone().requires_grad_()
    b = (bn.bias - bn.running_mean * sc).detach().clone().requires_grad_()
    return w, b, conv

def main(out):
    torch.manual_seed(3)
    m = Net().eval()
    random_bn(m)
    x = torch.randn(2, 3, 20, 20)
    dout = torch.randn(2, 32)
    with torch.no_grad():
        feat, cut = m(x)
    # the same tail with folded parameters as leaves
    seqs = [m.b1, m.b2, m.e1, m.d1, m.p1, m.e2, m.d2, m.p2, m.last]
    P = [fold(q) for q in seqs]
    def cv(i, v):
        w, b, conv = P[i]
        return F.conv2d(v, w, b, conv.stride, conv.padding, conv.dilation, conv.groups)
    y = F.relu(cut + cv(1, F.relu(cv(0, cut))))
    y = cv(4, F.relu6(cv(3, F.pad(F.relu6(cv(2, y)), (0, 1, 0, 1)))))
    y = y + cv(7, F.relu6(cv(6, F.relu6(cv(5, y)))))
    y = F.relu6(cv(8, y))
    assert torch.allclose(y, feat, rtol=1e-4, atol=1e-5)
    pooled = y.mean((2, 3))
    (pooled * dout).sum().backward()
    torch.onnx.export(m, x, out + "/tail.onnx", input_names=["image"],
                      output_names=["feat", "cut"],
                      dynamic_axes={"image": {0: "N"}, "feat": {0: "N"}, "cut": {0: "N"}},
                      opset_version=10)
    grads, lines = [], []
    for w, b, _ in P:
        for what, t in (("W", w), ("B", b)):
            lines.append("%d %s %d" % (len(lines), what, t.numel()))
            grads.append(t.grad.reshape(-1))
    torch.cat(grads).numpy().astype("<f4").tofile(out + "/tail.grad.f32")
    with open(out + "/tail.grad.txt", "w") as f:
        f.write("\n".join(lines) + "\n")
    x.numpy().astype("<f4").tofile(out + "/tail.in.f32")
    cut.numpy().astype("<f4").tofile(out + "/tail.cut.f32")
    dout.numpy().astype("<f4").tofile(out + "/tail.dout.f32")
    pooled.detach().numpy().astype("<f4").tofile(out + "/tail.out.f32")

main(sys.argv[1] if len(sys.argv) > 1 else ".")
