#!/usr/bin/python3
# make_torch_ref.py - the reference for tests/unit/test_nn_torch.c: a tiny
# torchvision-style network (ResNet basic block, MobileNetV2 inverted
# residuals, squeeze-excite with HardSigmoid, HardSwish, grouped dilated
# convolution, pooling, Concat, Gemm, Softmax) with random weights and random BatchNorm statistics,
# exported with torch.onnx.export, and PyTorch's own outputs for a fixed
# input.  Run with Debian's /usr/bin/python3 (python3-torch 1.13):
#   /usr/bin/python3 tests/nn/make_torch_ref.py tests/nn
# Writes tiny.onnx, tiny_bn.onnx (BatchNormalization kept as nodes),
# tiny.in.f32 ([2,3,32,32] NCHW), tiny.out.f32 (softmax [2,10]) and
# tiny.feat.f32 (the "feat" tensor, [2,32,9,9] NCHW), all little-endian.
import sys
import torch
import torch.nn as nn
import torch.nn.functional as F

def cbr(i, o, k=3, s=1, g=1, act=nn.ReLU):
    return nn.Sequential(nn.Conv2d(i, o, k, s, (k - 1) // 2, groups=g, bias=False),
                         nn.BatchNorm2d(o), act())

class Basic(nn.Module):  # torchvision.models.resnet.BasicBlock
    def __init__(s, c):
        super().__init__()
        s.c1 = cbr(c, c)
        s.c2 = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c))
    def forward(s, x):
        return F.relu(x + s.c2(s.c1(x)))

class IR(nn.Module):  # torchvision.models.mobilenetv2.InvertedResidual
    def __init__(s, i, o, st, t):
        super().__init__()
        h = i * t
        s.res = st == 1 and i == o
        s.conv = nn.Sequential(cbr(i, h, 1, act=nn.ReLU6), cbr(h, h, 3, st, h, act=nn.ReLU6),
                               nn.Conv2d(h, o, 1, bias=False), nn.BatchNorm2d(o))
    def forward(s, x):
        return x + s.conv(x) if s.res else s.conv(x)

class SE(nn.Module):  # mobilenet_v3 style
    def __init__(s, c):
        super().__init__()
        s.fc1 = nn.Conv2d(c, c // 4, 1)
        s.fc2 = nn.Conv2d(c // 4, c, 1)
    def forward(s, x):
        w = F.adaptive_avg_pool2d(x, 1)
        return x * F.hardsigmoid(s.fc2(F.relu(s.fc1(w))))

class Tiny(nn.Module):
    def __init__(s):
        super().__init__()
        s.stem = cbr(3, 16, 3, 2)                    # 16x16
        s.pool = nn.MaxPool2d(3, 2, 1, ceil_mode=True)  # 8x8
        s.basic = Basic(16)
        s.ir1 = IR(16, 24, 1, 4)
        s.ir2 = IR(24, 24, 1, 4)
        s.se = SE(24)
        s.side = nn.Conv2d(16, 8, 3, 1, 1, dilation=1)
        s.grp = nn.Conv2d(32, 32, 3, 1, 2, dilation=2, groups=4)
        s.down = cbr(32, 24, 3, 2, act=nn.Hardswish)   # 4x4
        s.fc = nn.Linear(24 * 2, 10)
    def forward(s, x):
        x = s.pool(s.stem(x))
        b = s.basic(x)
        m = s.se(s.ir2(s.ir1(b)))
        y = torch.cat([m, torch.sigmoid(s.side(b))], 1)
        feat = s.grp(y)
        z = s.down(feat)
        a = F.avg_pool2d(z, 3, 1, 1, count_include_pad=False)
        g = torch.cat([F.adaptive_avg_pool2d(a, 1), F.adaptive_max_pool2d(z, 1)], 1)
        return F.softmax(s.fc(torch.flatten(g, 1)), 1), feat

def random_bn(m):
    """BatchNorm statistics away from the identity, so folding them is tested"""
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.2, 0.2)
            mod.running_mean.uniform_(-0.2, 0.2)
            mod.running_var.uniform_(0.5, 1.5)

def main(out):
    torch.manual_seed(1)
    m = Tiny().eval()
    random_bn(m)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        prob, feat = m(x)
    names = dict(input_names=["image"], output_names=["prob", "feat"],
                 dynamic_axes={"image": {0: "N"}, "prob": {0: "N"}, "feat": {0: "N"}},
                 opset_version=14)
    torch.onnx.export(m, x, out + "/tiny.onnx", **names)
    torch.onnx.export(m, x, out + "/tiny_bn.onnx", training=torch.onnx.TrainingMode.PRESERVE,
                      do_constant_folding=False, **names)
    x.numpy().astype("<f4").tofile(out + "/tiny.in.f32")
    prob.numpy().astype("<f4").tofile(out + "/tiny.out.f32")
    feat.numpy().astype("<f4").tofile(out + "/tiny.feat.f32")

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
