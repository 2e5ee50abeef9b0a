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

# toy.tlm: a model of a toy stream (tl-model(5)'s example); flip.tlm: one
# byte of it changed; nock.tlm: re-packed without its checksum
{ echo '{"tl":1,"model":{"name":"toy","sha256":"0"},"dims":[2],"layer":"x","pool":"avg"}'
  for i in $(seq 0 39); do
    printf '{"id":"%d","label":"c%d","emb":{"dtype":"<f4","shape":[2],"data":[%d.0,1.0]}}\n' \
        $i $((i % 2)) $((i % 2 * 3 + i % 4))
  done; } | tl-cat --from-json > toy.tl
tl-train -q -o toy.tlm toy.tl
/usr/bin/python3 - <<'PY'
import msgpack
b = bytearray(open("toy.tlm", "rb").read())
m = msgpack.unpackb(bytes(b))
del m["sha256"]
open("nock.tlm", "wb").write(msgpack.packb(m))
b[len(b) // 2] ^= 1
open("flip.tlm", "wb").write(b)
PY

# bb/mobilenetv2: the default backbone with one byte of its weights changed
mkdir bb
cp -R "$top/models/mobilenetv2" bb/
/usr/bin/python3 - <<'PY'
p = "bb/mobilenetv2/group1-shard1of1.bin"
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 1
open(p, "wb").write(b)
PY
tl-ingest "$TD/shapes" > img.tl 2>/dev/null || test -s img.tl
