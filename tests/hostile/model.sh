# tests/hostile/model.sh - inputs of the model rows of tests/README.md's
# hostile table (model files and backbones: corrupted, malformed), made in
# the current directory.

# rank3.onnx: one Conv whose weight has rank 3, x [1,1,8,8]; the protobuf
# written by hand (no onnx module needed)
/usr/bin/python3 - > rank3.onnx <<'PY'
import struct, sys
def varint(n):
    out = b""
    while True:
        b = n & 0x7f; n >>= 7
        if not n:
            return out + bytes([b])
        out += bytes([b | 0x80])
def ld(f, b): return varint(f << 3 | 2) + varint(len(b)) + b
def vi(f, n): return varint(f << 3) + varint(n)
def st(f, s): return ld(f, s.encode())
def info(name, dims):
    shape = b"".join(ld(1, vi(1, d)) for d in dims)
    return st(1, name) + ld(2, ld(1, vi(1, 1) + (ld(2, shape) if dims else b"")))
w = b"".join(vi(1, d) for d in (1, 1, 3)) + vi(2, 1) + st(8, "w") + ld(9, struct.pack("<3f", 1, 2, 3))
node = st(1, "x") + st(1, "w") + st(2, "y") + st(3, "c") + st(4, "Conv")
graph = ld(1, node) + st(2, "g") + ld(5, w) + ld(11, info("x", (1, 1, 8, 8))) + ld(12, info("y", ()))
sys.stdout.buffer.write(vi(1, 7) + ld(8, vi(2, 13)) + ld(7, graph))
PY
