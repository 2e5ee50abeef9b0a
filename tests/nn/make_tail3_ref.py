#!/usr/bin/python3
# make_tail3_ref.py - the PyTorch reference for the MobileNetV3 part of
# tests/unit/test_tail.c: a tiny network whose end is a trainable tail of
# MobileNetV3's kinds (lib/nn/tail.c), exported twice with
# torch.onnx.export, and PyTorch autograd's gradients of the tail's
# parameters for a fixed input and a fixed dL/dout.
#
# After a frozen stem (3x3 stride 2 + hard-swish), the tail is:
#   a stride-2 block: expand 1x1 + hard-swish, depthwise 5x5 stride 2 with
#     auto_pad SAME_UPPER (12 -> 6: pads 1 before, 2 after) + hard-swish,
#     squeeze-excite (GlobalAveragePool, 1x1 + bias + ReLU, 1x1 + bias,
#     hard-sigmoid, Mul of the [N,C,1,1] gate with the [N,C,H,W] map),
#     project 1x1;
#   a residual block with SE: expand 1x1 + hard-swish, depthwise 3x3 with
#     dilation 2 (pads 2) + hard-swish, SE, project 1x1, Add of the input;
#   a last 1x1 + hard-swish.
# BatchNorm after every convolution but the SE ones, random statistics.
#
# tail3.onnx has HardSwish and HardSigmoid (opset 14); tail3w.onnx the
# same weights with both written out as MobileNetV3 loaders meet them:
# hard-swish as x * (clamp(x + 3, 0, 6) * (1/6)) (Add, Clip, Mul by a
# scalar, Mul of two maps) and hard-sigmoid as relu6(x + 3) / 6 (Add, Relu
# and Clip(0, 6), as the exporter writes relu6, Div by a scalar).  PyTorch cannot export a stride-2 SAME_UPPER
# convolution: the model pads explicitly before it, and the export is
# rewritten to drop that Pad (with the shape arithmetic that computed its
# pads) and give the Conv auto_pad SAME_UPPER instead.
#
# The tail's parameters are the folded ones (W*s, (b-mean)*s+beta with
# s = gamma/sqrt(var+eps), as tl_nn_finish folds them; the SE convolutions
# as they are), so the reference computes the same network with those as
# leaves and differentiates that.
# Run with Debian's /usr/bin/python3 (python3-torch 1.13, python3-onnx):
#   /usr/bin/python3 tests/nn/make_tail3_ref.py tests/nn
# Writes, all little-endian float32:
#   tail3.onnx, tail3w.onnx  graph input "image" [N,3,24,24]; outputs
#                    "feat" [N,40,6,6] (the tail's end) and "cut"
#                    [N,16,12,12]
#   tail3.cut.f32    "cut" for the input, [2,16,12,12] NCHW
#   tail3.in.f32     the input, [2,3,24,24] NCHW
#   tail3.dout.f32   dL/dout, [2,40]
#   tail3.out.f32    "feat" averaged over H,W, [2,40]
#   tail3.grad.f32   dL/dparam of every Conv in execution order, W then B,
#                    W in ONNX layout [Cout,Cin/group,KH,KW]
#   tail3.grad.txt   one line per parameter: index, W or B, element count
import sys
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

from make_torch_ref import random_bn

def cb(i, o, k=1, s=1, g=1, p=None, d=1):
    return [nn.Conv2d(i, o, k, s, (k - 1) // 2 * d if p is None else p,
                      dilation=d, groups=g, bias=False), nn.BatchNorm2d(o)]

def hswish(x, written):
    if written:
        return x * (torch.clamp(x + 3, 0, 6) * (1 / 6))
    return F.hardswish(x)

def hsigmoid(x, written):
    if written:
        return F.relu6(x + 3) / 6
    return F.hardsigmoid(x)

class SE(nn.Module):
    def __init__(s, c, r):
        super().__init__()
        s.fc1 = nn.Conv2d(c, r, 1)
        s.fc2 = nn.Conv2d(r, c, 1)
    def forward(s, x, written):
        g = F.adaptive_avg_pool2d(x, 1)
        return x * hsigmoid(s.fc2(F.relu(s.fc1(g))), written)

class Net(nn.Module):
    def __init__(s):
        super().__init__()
        s.written = False
        s.stem = nn.Sequential(*cb(3, 16, 3, 2))                     # frozen
        s.e1 = nn.Sequential(*cb(16, 48))                            # stride 2
        s.d1 = nn.Sequential(*cb(48, 48, 5, 2, 48, 0))               # SAME_UPPER
        s.se1 = SE(48, 12)
        s.p1 = nn.Sequential(*cb(48, 24))
        s.e2 = nn.Sequential(*cb(24, 72))                            # residual
        s.d2 = nn.Sequential(*cb(72, 72, 3, 1, 72, None, 2))         # dilated
        s.se2 = SE(72, 24)
        s.p2 = nn.Sequential(*cb(72, 24))
        s.last = nn.Sequential(*cb(24, 40))
    def tail(s, c):
        w = s.written
        x = hswish(s.e1(c), w)
        x = hswish(s.d1(F.pad(x, (1, 2, 1, 2))), w)
        x = s.p1(s.se1(x, w))
        y = hswish(s.e2(x), w)
        y = hswish(s.d2(y), w)
        x = x + s.p2(s.se2(y, w))
        return hswish(s.last(x), w)
    def forward(s, x):
        c = hswish(s.stem(x), s.written)
        return s.tail(c), c

def fold(seq):
    conv, bn = seq[0], seq[1]
    sc = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    w = (conv.weight * sc[:, None, None, None]).detach().clone().requires_grad_()
    b = (bn.bias - bn.running_mean * sc).detach().clone().requires_grad_()
    return w, b, conv

def leaf(conv):
    return (conv.weight.detach().clone().requires_grad_(),
            conv.bias.detach().clone().requires_grad_(), conv)

def same_upper(path, conv_w):
    """The Conv whose weight is conv_w reads a Pad: read the Pad's input
    instead, with auto_pad SAME_UPPER; nodes nothing needs are dropped."""
    m = onnx.load(path)
    g = m.graph
    prod = {o: n for n in g.node for o in n.output}
    conv = [n for n in g.node if n.op_type == "Conv" and n.input[1] == conv_w]
    assert len(conv) == 1, conv_w
    conv = conv[0]
    pad = prod[conv.input[0]]
    assert pad.op_type == "Pad"
    conv.input[0] = pad.input[0]
    keep = [a for a in conv.attribute if a.name != "pads"]
    del conv.attribute[:]
    conv.attribute.extend(keep)
    conv.attribute.append(onnx.helper.make_attribute("auto_pad", "SAME_UPPER"))
    need = set(o.name for o in g.output)
    kept = []
    for n in reversed(g.node):
        if any(o in need for o in n.output):
            kept.append(n)
            need.update(i for i in n.input if i)
    kept.reverse()
    del g.node[:]
    g.node.extend(kept)
    inits = [i for i in g.initializer if i.name in need]
    del g.initializer[:]
    g.initializer.extend(inits)
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return [n.op_type for n in kept]

def export(m, x, path):
    torch.onnx.export(m, x, path, input_names=["image"],
                      output_names=["feat", "cut"],
                      dynamic_axes={"image": {0: "N"}, "feat": {0: "N"},
                                    "cut": {0: "N"}},
                      opset_version=14)
    # the depthwise 5x5's folded weight: the Conv that reads a Pad
    g = onnx.load(path).graph
    prod = {o: n for n in g.node for o in n.output}
    w = [n.input[1] for n in g.node if n.op_type == "Conv" and
         n.input[0] in prod and prod[n.input[0]].op_type == "Pad"]
    assert len(w) == 1
    return same_upper(path, w[0])

def main(out):
    torch.manual_seed(5)
    m = Net().eval()
    random_bn(m)
    x = torch.randn(2, 3, 24, 24)
    dout = torch.randn(2, 40)
    with torch.no_grad():
        feat, cut = m(x)
        m.written = True
        featw, cutw = m(x)
        m.written = False
    assert torch.allclose(featw, feat, rtol=1e-5, atol=1e-5)
    # the same tail with folded parameters as leaves, in execution order
    P = [fold(m.e1), fold(m.d1), leaf(m.se1.fc1), leaf(m.se1.fc2),
         fold(m.p1), fold(m.e2), fold(m.d2), leaf(m.se2.fc1),
         leaf(m.se2.fc2), fold(m.p2), fold(m.last)]
    def cv(i, v):
        w, b, conv = P[i]
        return F.conv2d(v, w, b, conv.stride, conv.padding, conv.dilation,
                        conv.groups)
    def se(i, v):
        g = v.mean((2, 3), keepdim=True)
        return v * F.hardsigmoid(cv(i + 1, F.relu(cv(i, g))))
    y = F.hardswish(cv(0, cut))
    y = F.hardswish(cv(1, F.pad(y, (1, 2, 1, 2))))
    y = cv(4, se(2, y))
    z = F.hardswish(cv(5, y))
    z = F.hardswish(cv(6, z))
    y = y + cv(9, se(7, z))
    y = F.hardswish(cv(10, y))
    assert torch.allclose(y, feat, rtol=1e-4, atol=1e-5)
    pooled = y.mean((2, 3))
    (pooled * dout).sum().backward()
    ops = export(m, x, out + "/tail3.onnx")
    assert "HardSwish" in ops and "HardSigmoid" in ops, ops
    m.written = True
    ops = export(m, x, out + "/tail3w.onnx")
    assert "HardSwish" not in ops and "HardSigmoid" not in ops, ops
    assert "Div" in ops and "Clip" in ops and "Mul" in ops, ops
    grads, lines = [], []
    for w, b, _ in P:
        for what, t in (("W", w), ("B", b)):
            lines.append("%d %s %d" % (len(lines), what, t.numel()))
            grads.append(t.grad.reshape(-1))
    torch.cat(grads).numpy().astype("<f4").tofile(out + "/tail3.grad.f32")
    with open(out + "/tail3.grad.txt", "w") as f:
        f.write("\n".join(lines) + "\n")
    x.numpy().astype("<f4").tofile(out + "/tail3.in.f32")
    cut.numpy().astype("<f4").tofile(out + "/tail3.cut.f32")
    dout.numpy().astype("<f4").tofile(out + "/tail3.dout.f32")
    pooled.detach().numpy().astype("<f4").tofile(out + "/tail3.out.f32")

main(sys.argv[1] if len(sys.argv) > 1 else ".")
