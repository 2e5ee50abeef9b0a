"""Multiply-adds of an ONNX model for one image, from the graph itself:
onnx shape inference gives every tensor's shape, then
  Conv:        N*Cout*Hout*Wout * (Cin/group)*KH*KW
  Gemm/MatMul: M*N*K
(element-wise ops, pooling and BatchNorm are not counted).

usage: macs.py MODEL.onnx [H W]   prints "MACS <total> <conv> <gemm>" on stdout
"""
import sys

import onnx
from onnx import shape_inference


def dims(vi):
    return [d.dim_value if d.HasField("dim_value") else 1
            for d in vi.type.tensor_type.shape.dim]


def main():
    path = sys.argv[1]
    h, w = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) > 3 else (224, 224)
    m = onnx.load(path)
    g = m.graph
    inits = {t.name: list(t.dims) for t in g.initializer}
    for inp in g.input:
        if inp.name in inits:
            continue
        d = inp.type.tensor_type.shape.dim
        for i, v in enumerate([1, None, h, w]):
            if v is not None and i < len(d):
                d[i].ClearField("dim_param")
                d[i].dim_value = v
    g = shape_inference.infer_shapes(m).graph
    shape = dict(inits)
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        shape[vi.name] = dims(vi)
    conv = gemm = 0
    for n in g.node:
        if n.op_type == "Conv":
            wd = shape[n.input[1]]
            out = shape[n.output[0]]
            k = 1
            for x in wd[1:]:
                k *= x
            conv += out[0] * out[1] * out[2] * out[3] * k
        elif n.op_type in ("Gemm", "MatMul"):
            a, b = shape[n.input[0]], shape[n.input[1]]
            trans_b = any(at.name == "transB" and at.i for at in n.attribute)
            trans_a = any(at.name == "transA" and at.i for at in n.attribute)
            mm, kk = (a[-1], a[-2]) if trans_a else (a[-2], a[-1])
            nn = b[-2] if trans_b else b[-1]
            gemm += mm * kk * nn
    print("MACS", conv + gemm, conv, gemm)


if __name__ == "__main__":
    main()
