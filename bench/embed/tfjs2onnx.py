"""tfjs2onnx.py - a TF.js model cut at a named node, as ONNX, for the
onnxruntime peer of bench/embed/run.  Run with Debian's /usr/bin/python3
(python3-onnx, python3-numpy); nothing from PyPI.

usage: tfjs2onnx.py [--size N|dynamic] [--no-fuse] [--input NODE]
                    MODEL.json|DIR FEATURE_NODE OUT.onnx

MODEL.json (or DIR/model.json) is a TF.js "graph-model" (modelTopology.node
is a GraphDef node list) or a "layers-model" (Keras model_config); its
weightsManifest names the .bin files beside it.  The ONNX model (opset 13;
14 when it uses HardSwish, an opset-14 operator)
takes NCHW float32 input [N,3,H,W] (N dynamic; H = W = N from --size, 224
by default, or both dynamic) and outputs "features" [N,C]: FEATURE_NODE's
output averaged over H and W (global average pool).  Only the cone of
FEATURE_NODE is converted, down to the input: --input names the graph node
taken as the input (default: the graph's one Placeholder; for a
layers-model, its input layer); nothing upstream of it is converted, so a
Merge (a tf.cond's output) can be the input.

Graph-model ops: _FusedConv2D (fused_ops BiasAdd, BiasAdd+Relu,
BiasAdd+Relu6), Conv2D, FusedDepthwiseConv2dNative, DepthwiseConv2dNative
(SAME, VALID, EXPLICIT padding; strides; dilations), Add, AddV2, Sub, Mul,
RealDiv (tensors, or scalar / per-channel constants), Relu, Relu6, Sigmoid,
Mean over H,W, Pad (constant zero), Identity, Const (float32, float16, uint8
dequantised as tfjs does: q * scale + min, int32).  Layers-model layers:
InputLayer, ZeroPadding2D, Conv2D, DepthwiseConv2D, BatchNormalization,
ReLU, Activation (relu, relu6, linear, sigmoid), Add, Dropout.  Anything
else stops the conversion with the node's name and op.

TF's SAME padding puts the odd pixel at the bottom/right: explicit pads when
the size is fixed, auto_pad SAME_UPPER when it is dynamic.

Hard-swish: what TF writes out as x * c * Relu6(x + 3) (c = 1/6, in either
Mul order, or the 1/6 applied last) becomes one ONNX HardSwish, and
Relu6(x + 3) * (1/6) becomes HardSigmoid(alpha 1/6, beta 0.5), when the
constants are 3 and 1/6 to within 1e-3 relative (fp16 stores 1/6 as
0.166687): onnxruntime has kernels for both, so the peer runs at its best.
A zero Pad (ZeroPadding2D) feeding a VALID conv becomes that conv's pads.
--no-fuse keeps the written-out form (Mul/Add/Clip/Mul, Pad then Conv).
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class ConvertError(Exception):
    pass


# ---------------------------------------------------------------- weights

DTYPES = {"float32": np.float32, "int32": np.int32, "bool": np.bool_,
          "float16": np.float16, "uint8": np.uint8, "uint16": np.uint16}


def read_weights(path):
    """name -> float32/int32 numpy array, decoded as tfjs io does."""
    with open(path) as f:
        doc = json.load(f)
    base = os.path.dirname(path)
    out = {}
    for group in doc.get("weightsManifest", []):
        data = b"".join(open(os.path.join(base, p), "rb").read() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            shape = [int(d) for d in w["shape"]]
            n = int(np.prod(shape)) if shape else 1
            q = w.get("quantization")
            stored = q["dtype"] if q else w["dtype"]
            dt = np.dtype(DTYPES[stored])
            raw = np.frombuffer(data, dt, n, off)
            off += n * dt.itemsize
            if q and stored in ("uint8", "uint16"):
                # tfjs: v * scale + min, in double, stored as float32
                v = (raw.astype(np.float64) * q["scale"] + q["min"]).astype(np.float32)
            elif q and stored == "float16":
                v = raw.astype(np.float32)
            elif w["dtype"] == "float32":
                v = raw.astype(np.float32)
            else:
                v = raw.copy()
            out[w["name"]] = v.reshape(shape)
        if off != len(data):
            raise ConvertError(f"{path}: manifest covers {off} of {len(data)} weight bytes")
    return doc, out


# ---------------------------------------------------------------- builder

NHWC2NCHW_AXIS = {0: 0, 1: 2, 2: 3, 3: 1}


class Builder:
    def __init__(self, size):
        self.size = size        # int or None (dynamic)
        self.nodes = []
        self.inits = []
        self.names = set()
        self.hw = {}            # onnx tensor -> (H, W) when the size is fixed
        self.fused = {"HardSwish": 0, "HardSigmoid": 0, "Pad": 0}

    def uniq(self, base):
        base = base.replace(":", "_")
        name, k = base, 1
        while name in self.names:
            name, k = f"{base}_{k}", k + 1
        self.names.add(name)
        return name

    def const(self, base, arr):
        name = self.uniq(base)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(self, op, inputs, base, **attrs):
        out = self.uniq(base)
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def chw_const(self, base, v):
        """An NHWC-broadcasting constant as an NCHW-broadcasting one."""
        v = np.asarray(v, np.float32)
        if v.ndim == 0 or v.size == 1:
            return self.const(base, v.reshape(()))
        if v.ndim > 4:
            raise ConvertError(f"{base}: constant of rank {v.ndim}")
        v = v.reshape((1,) * (4 - v.ndim) + v.shape).transpose(0, 3, 1, 2)
        return self.const(base, v)

    def same_hw(self, out, *ins):
        hs = [self.hw[i] for i in ins if i in self.hw]
        if hs:
            self.hw[out] = max(hs)

    def conv(self, base, x, w_oihw, bias, strides, dilations, padding, explicit, group, act):
        """padding: "SAME", "VALID" or "EXPLICIT" (explicit = [t, b, l, r])."""
        kh, kw = w_oihw.shape[2:]
        attrs = {"strides": list(strides), "dilations": list(dilations), "group": group,
                 "kernel_shape": [kh, kw]}
        hw = self.hw.get(x)
        if padding == "SAME":
            if hw is None:
                attrs["auto_pad"] = "SAME_UPPER"
            else:
                pads = []
                for d in range(2):
                    o = -(-hw[d] // strides[d])
                    k = (w_oihw.shape[2 + d] - 1) * dilations[d] + 1
                    tot = max((o - 1) * strides[d] + k - hw[d], 0)
                    pads.append((tot // 2, tot - tot // 2))
                attrs["pads"] = [pads[0][0], pads[1][0], pads[0][1], pads[1][1]]
        elif padding == "EXPLICIT":
            t, b, l, r = explicit
            attrs["pads"] = [t, l, b, r]
        elif padding == "VALID":
            attrs["pads"] = [0, 0, 0, 0]
        else:
            raise ConvertError(f"{base}: padding {padding}")
        ins = [x, self.const(base + "/W", w_oihw.astype(np.float32))]
        if bias is not None:
            ins.append(self.const(base + "/B", np.asarray(bias, np.float32).reshape(-1)))
        y = self.node("Conv", ins, base, **attrs)
        if hw is not None:
            p = attrs.get("pads", [0, 0, 0, 0])
            self.hw[y] = tuple(
                (hw[d] + p[d] + p[d + 2] - ((w_oihw.shape[2 + d] - 1) * dilations[d] + 1)) // strides[d] + 1
                for d in range(2))
        return self.activation(base, y, act)

    def activation(self, base, y, act):
        if act in (None, "linear", "BiasAdd"):
            return y
        if act in ("relu", "Relu"):
            out = self.node("Relu", [y], base + "/Relu")
        elif act in ("relu6", "Relu6"):
            out = self.clip6(base + "/Relu6", y)
            return out
        elif act in ("sigmoid", "Sigmoid"):
            out = self.node("Sigmoid", [y], base + "/Sigmoid")
        else:
            raise ConvertError(f"{base}: activation {act}")
        self.same_hw(out, y)
        return out

    def clip6(self, base, x):
        out = self.node("Clip", [x, self.const(base + "/min", np.array(0, np.float32)),
                                 self.const(base + "/max", np.array(6, np.float32))], base)
        self.same_hw(out, x)
        return out

    def model(self, x_name, feat, doc):
        pooled = self.node("GlobalAveragePool", [feat], "gap")
        out = self.node("Flatten", [pooled], "features", axis=1)
        self.nodes[-1].output[0] = "features"
        h = self.size if self.size else "H"
        w = self.size if self.size else "W"
        graph = helper.make_graph(
            self.nodes, "tfjs2onnx",
            [helper.make_tensor_value_info(x_name, TensorProto.FLOAT, ["N", 3, h, w])],
            [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", None])],
            self.inits)
        # HardSwish is an opset-14 operator: the model is opset 14 when one
        # is used (no other operator here differs between 13 and 14), else 13.
        opset = 14 if self.fused["HardSwish"] else 13
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="tl bench/embed/tfjs2onnx.py", doc_string=doc)
        m.ir_version = 7
        onnx.checker.check_model(m)
        return m


def is_near(v, want):
    return v is not None and np.asarray(v).size == 1 and abs(float(np.asarray(v).reshape(())) - want) <= 1e-3 * abs(want)


# ---------------------------------------------------------------- graph-model

def attr_s(a, k, default=None):
    if k not in a:
        return default
    import base64
    return base64.b64decode(a[k]["s"]).decode()


def attr_ints(a, k):
    return [int(i) for i in a.get(k, {}).get("list", {}).get("i", [])]


def attr_strs(a, k):
    import base64
    return [base64.b64decode(s).decode() for s in a.get(k, {}).get("list", {}).get("s", [])]


def clean(ref):
    return ref.lstrip("^").split(":")[0]


def convert_graph(doc, weights, feature, input_node, b):
    nodes = {n["name"]: n for n in doc["modelTopology"]["node"]}
    if feature not in nodes:
        raise ConvertError(f"no node {feature}")
    if input_node is None:
        ph = [n for n in nodes.values() if n["op"] == "Placeholder"]
        if len(ph) != 1:
            raise ConvertError(f"{len(ph)} Placeholder nodes: name the input with --input")
        input_node = ph[0]["name"]
    if input_node not in nodes:
        raise ConvertError(f"no node {input_node}")

    def data_ins(n):
        return [clean(i) for i in n.get("input", []) if not i.startswith("^")]

    def constval(name):
        n = nodes[name]
        while n["op"] == "Identity":
            n = nodes[data_ins(n)[0]]
        if n["op"] != "Const":
            return None
        if n["name"] not in weights:
            raise ConvertError(f"{n['name']}: Const without a weight")
        return weights[n["name"]]

    def op(name):
        return nodes[name]["op"]

    x_name = "input"
    b.names.add(x_name)
    # The graph's input is NCHW; everything below runs NCHW.
    memo = {input_node: x_name}
    if b.size:
        b.hw[x_name] = (b.size, b.size)

    def binary_parts(n):
        a, c = data_ins(n)
        return a, c, constval(a), constval(c)

    def hswish_form(name):
        """x when `name` computes hard-swish of x (TF's written-out form)."""
        n = nodes[name]
        if n["op"] != "Mul":
            return None
        a, c, va, vc = binary_parts(n)
        # (x * 1/6) * relu6(x + 3)  or  relu6(x + 3) * (x * 1/6)
        for p, q in ((a, c), (c, a)):
            if op(q) == "Relu6" and op(p) == "Mul":
                x3 = relu6_plus3(q)
                if x3 is not None and x3 == scaled_by_sixth(p):
                    return x3
        # (x * relu6(x + 3)) * 1/6
        for p, vq in ((a, vc), (c, va)):
            if is_near(vq, 1 / 6) and op(p) == "Mul":
                pa, pc = data_ins(nodes[p])
                for s, t in ((pa, pc), (pc, pa)):
                    if op(t) == "Relu6" and relu6_plus3(t) == s:
                        return s
        return None

    def relu6_plus3(name):
        """x when `name` is Relu6(x + 3)."""
        add = data_ins(nodes[name])[0]
        if op(add) not in ("Add", "AddV2"):
            return None
        a, c, va, vc = binary_parts(nodes[add])
        if is_near(vc, 3.0) and va is None:
            return a
        if is_near(va, 3.0) and vc is None:
            return c
        return None

    def scaled_by_sixth(name):
        a, c, va, vc = binary_parts(nodes[name])
        if is_near(vc, 1 / 6) and va is None:
            return a
        if is_near(va, 1 / 6) and vc is None:
            return c
        return None

    def hsigmoid_form(name):
        """x when `name` is Relu6(x + 3) * 1/6."""
        n = nodes[name]
        if n["op"] != "Mul":
            return None
        a, c, va, vc = binary_parts(n)
        for p, vq in ((a, vc), (c, va)):
            if is_near(vq, 1 / 6) and op(p) == "Relu6":
                return relu6_plus3(p)
        return None

    def emit(name):
        if name in memo:
            return memo[name]
        n = nodes[name]
        o, a = n["op"], n.get("attr", {})
        ins = data_ins(n)
        if b.fuse:
            x = hswish_form(name)
            if x is not None:
                xi = emit(x)
                y = b.node("HardSwish", [xi], name)
                b.same_hw(y, xi)
                b.fused["HardSwish"] += 1
                memo[name] = y
                return y
            x = hsigmoid_form(name)
            if x is not None:
                xi = emit(x)
                y = b.node("HardSigmoid", [xi], name, alpha=1 / 6, beta=0.5)
                b.same_hw(y, xi)
                b.fused["HardSigmoid"] += 1
                memo[name] = y
                return y
        if attr_s(a, "data_format", "NHWC") != "NHWC":
            raise ConvertError(f"{name}: data_format {attr_s(a, 'data_format')}")
        if o in ("_FusedConv2D", "Conv2D", "FusedDepthwiseConv2dNative", "DepthwiseConv2dNative"):
            padding = attr_s(a, "padding")
            ex = attr_ints(a, "explicit_paddings")
            ex = ex[2:6] if ex else [0, 0, 0, 0]
            src = ins[0]
            if b.fuse and op(src) == "Pad" and padding in ("VALID", "EXPLICIT"):
                # zero Pad then a VALID conv: one conv with those pads
                p = np.asarray(constval(data_ins(nodes[src])[1])).reshape(4, 2)
                if not p[0].any() and not p[3].any():
                    ex = [ex[0] + int(p[1, 0]), ex[1] + int(p[1, 1]), ex[2] + int(p[2, 0]), ex[3] + int(p[2, 1])]
                    padding, src = "EXPLICIT", data_ins(nodes[src])[0]
                    b.fused["Pad"] += 1
            x = emit(src)
            w = constval(ins[1])
            if w is None:
                raise ConvertError(f"{name}: filter is not a constant")
            act, bias = None, None
            if o.startswith(("_Fused", "Fused")):
                fused = attr_strs(a, "fused_ops")
                if not fused or fused[0] != "BiasAdd" or len(fused) > 2 or \
                        (len(fused) == 2 and fused[1] not in ("Relu", "Relu6")):
                    raise ConvertError(f"{name}: fused_ops {fused}")
                bias = constval(ins[2])
                act = fused[1] if len(fused) == 2 else None
            if "Depthwise" in o:
                kh, kw, c, mult = w.shape
                w = w.transpose(2, 3, 0, 1).reshape(c * mult, 1, kh, kw)
                group = c
            else:
                w = w.transpose(3, 2, 0, 1)
                group = 1
            st, dil = attr_ints(a, "strides"), attr_ints(a, "dilations") or [1, 1, 1, 1]
            if st[0] != 1 or st[3] != 1:
                raise ConvertError(f"{name}: strides {st}")
            y = b.conv(name, x, w, bias, st[1:3], dil[1:3], padding, ex, group, act)
        elif o in ("Add", "AddV2", "Sub", "Mul", "RealDiv"):
            onnx_op = {"Add": "Add", "AddV2": "Add", "Sub": "Sub", "Mul": "Mul", "RealDiv": "Div"}[o]
            parts = []
            for i in ins:
                v = constval(i)
                parts.append(emit(i) if v is None else b.chw_const(i, v))
            y = b.node(onnx_op, parts, name)
            b.same_hw(y, *parts)
        elif o in ("Relu", "Relu6", "Sigmoid"):
            x = emit(ins[0])
            y = b.activation(name, x, o) if o != "Relu6" else b.clip6(name, x)
            if o != "Relu6":
                # activation() named it name/Relu: fine, names are only labels
                pass
        elif o == "Identity":
            y = emit(ins[0])
        elif o == "Mean":
            x = emit(ins[0])
            axes = sorted(NHWC2NCHW_AXIS[int(i) % 4] for i in np.asarray(constval(ins[1])).reshape(-1))
            keep = a.get("keep_dims", {}).get("b", False)
            if axes != [2, 3] or not keep:
                raise ConvertError(f"{name}: Mean over axes {axes} keep_dims {keep}")
            y = b.node("ReduceMean", [x], name, axes=axes, keepdims=1)
            if b.size:
                b.hw[y] = (1, 1)
        elif o == "Pad":
            x = emit(ins[0])
            p = np.asarray(constval(ins[1])).reshape(4, 2)
            if p[0].any() or p[3].any():
                raise ConvertError(f"{name}: pads on N or C")
            pads = [0, 0, int(p[1, 0]), int(p[2, 0]), 0, 0, int(p[1, 1]), int(p[2, 1])]
            y = b.node("Pad", [x, b.const(name + "/pads", np.array(pads, np.int64))], name, mode="constant")
            if x in b.hw:
                h, w_ = b.hw[x]
                b.hw[y] = (h + pads[2] + pads[6], w_ + pads[3] + pads[7])
        elif o == "Const":
            raise ConvertError(f"{name}: a constant where a tensor is needed")
        else:
            raise ConvertError(f"{name}: op {o} not supported")
        memo[name] = y
        return y

    feat = emit(feature)
    return x_name, feat, input_node


# ---------------------------------------------------------------- layers-model

def zero_pads(p):
    """ZeroPadding2D's padding as [[top, bottom], [left, right]]."""
    if isinstance(p, int):
        return [[p, p], [p, p]]
    if isinstance(p[0], int):
        return [[p[0], p[0]], [p[1], p[1]]]
    return p


def convert_layers(doc, weights, feature, input_node, b):
    cfg = doc["modelTopology"]
    cfg = cfg.get("model_config", cfg)["config"]
    layers = {l["config"]["name"] if "name" in l["config"] else l["name"]: l for l in cfg["layers"]}
    for l in cfg["layers"]:
        layers[l["name"]] = l
    if feature not in layers:
        raise ConvertError(f"no layer {feature}")
    if input_node is None:
        input_node = cfg["input_layers"][0][0]
    x_name = "input"
    b.names.add(x_name)
    memo = {input_node: x_name}
    if b.size:
        b.hw[x_name] = (b.size, b.size)

    def inbound(l):
        nodes = l.get("inbound_nodes", [])
        if len(nodes) != 1:
            raise ConvertError(f"{l['name']}: {len(nodes)} inbound nodes")
        return [i[0] for i in nodes[0]]

    def W(l, k):
        key = f"{l['name']}/{k}"
        if key not in weights:
            raise ConvertError(f"no weight {key}")
        return weights[key]

    def emit(name):
        if name in memo:
            return memo[name]
        l = layers[name]
        c, k = l["config"], l["class_name"]
        ins = inbound(l)
        if c.get("data_format", "channels_last") != "channels_last":
            raise ConvertError(f"{name}: data_format {c['data_format']}")
        if k in ("Conv2D", "DepthwiseConv2D"):
            padding, ex, src = c["padding"].upper(), None, ins[0]
            sl = layers[src]
            if b.fuse and sl["class_name"] == "ZeroPadding2D" and padding == "VALID":
                # ZeroPadding2D then a valid conv: one conv with those pads
                p = zero_pads(sl["config"]["padding"])
                padding, ex, src = "EXPLICIT", [p[0][0], p[0][1], p[1][0], p[1][1]], inbound(sl)[0]
                b.fused["Pad"] += 1
            x = emit(src)
            if k == "Conv2D":
                w = W(l, "kernel").transpose(3, 2, 0, 1)
                group = 1
            else:
                dk = W(l, "depthwise_kernel")
                kh, kw, ch, mult = dk.shape
                w = dk.transpose(2, 3, 0, 1).reshape(ch * mult, 1, kh, kw)
                group = ch
            bias = W(l, "bias") if c.get("use_bias") else None
            y = b.conv(name, x, w, bias, c["strides"], c.get("dilation_rate", [1, 1]),
                       padding, ex, group, c.get("activation"))
        elif k == "BatchNormalization":
            x = emit(ins[0])
            if c.get("axis", -1) not in (-1, 3, [3], [-1]):
                raise ConvertError(f"{name}: axis {c['axis']}")
            ch = W(l, "moving_mean").shape[0]
            g = W(l, "gamma") if c.get("scale", True) else np.ones(ch, np.float32)
            be = W(l, "beta") if c.get("center", True) else np.zeros(ch, np.float32)
            y = b.node("BatchNormalization",
                       [x, b.const(name + "/scale", g), b.const(name + "/B", be),
                        b.const(name + "/mean", W(l, "moving_mean")),
                        b.const(name + "/var", W(l, "moving_variance"))],
                       name, epsilon=float(c.get("epsilon", 1e-3)))
            b.same_hw(y, x)
        elif k == "ReLU":
            x = emit(ins[0])
            if c.get("negative_slope", 0) or c.get("threshold", 0):
                raise ConvertError(f"{name}: ReLU with a slope or threshold")
            y = b.clip6(name, x) if c.get("max_value") == 6 else \
                b.activation(name, x, "relu") if c.get("max_value") is None else None
            if y is None:
                raise ConvertError(f"{name}: ReLU max_value {c['max_value']}")
        elif k == "Activation":
            y = b.activation(name, emit(ins[0]), c["activation"])
        elif k == "Add":
            parts = [emit(i) for i in ins]
            y = parts[0]
            for p in parts[1:]:
                y2 = b.node("Add", [y, p], name)
                b.same_hw(y2, y, p)
                y = y2
        elif k == "Dropout":
            y = emit(ins[0])
        elif k == "ZeroPadding2D":
            x = emit(ins[0])
            p = zero_pads(c["padding"])
            pads = [0, 0, p[0][0], p[1][0], 0, 0, p[0][1], p[1][1]]
            y = b.node("Pad", [x, b.const(name + "/pads", np.array(pads, np.int64))], name, mode="constant")
            if x in b.hw:
                h, w_ = b.hw[x]
                b.hw[y] = (h + pads[2] + pads[6], w_ + pads[3] + pads[7])
        else:
            raise ConvertError(f"{name}: layer {k} not supported")
        memo[name] = y
        return y

    return x_name, emit(feature), input_node


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("feature")
    ap.add_argument("out")
    ap.add_argument("--input")
    ap.add_argument("--size", default="224")
    ap.add_argument("--no-fuse", action="store_true")
    o = ap.parse_args()
    path = os.path.join(o.model, "model.json") if os.path.isdir(o.model) else o.model
    try:
        doc, weights = read_weights(path)
        b = Builder(None if o.size == "dynamic" else int(o.size))
        b.fuse = not o.no_fuse
        fmt = doc.get("format")
        if fmt == "graph-model" or "node" in doc["modelTopology"]:
            conv = convert_graph
        elif fmt == "layers-model" or "model_config" in doc["modelTopology"]:
            conv = convert_layers
        else:
            raise ConvertError(f"format {fmt!r} is neither graph-model nor layers-model")
        x, feat, inp = conv(doc, weights, o.feature, o.input, b)
        m = b.model(x, feat, f"{os.path.basename(path)}: {inp} .. {o.feature}, global average pool")
    except (ConvertError, KeyError, ValueError, OSError) as e:
        sys.exit(f"tfjs2onnx: {path}: {e}")
    tmp = o.out + ".tmp"
    onnx.save(m, tmp)
    os.replace(tmp, o.out)
    ops = {}
    for n in m.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    print(f"tfjs2onnx: {o.out}: {len(m.graph.node)} nodes "
          f"({', '.join(f'{k} {v}' for k, v in sorted(ops.items()))}); "
          f"fused: HardSwish {b.fused['HardSwish']}, HardSigmoid {b.fused['HardSigmoid']}, "
          f"Pad into Conv {b.fused['Pad']}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
