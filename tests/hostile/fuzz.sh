# tests/hostile/fuzz.sh - inputs of the rows of tests/README.md's hostile
# table that came from fuzzing (tests/fuzz/README), made in the current
# directory from the fuzz seeds: hand-made models, sealed with the checksum
# tl-model(5) describes, so that the load reaches the check under test.
/usr/bin/python3 - "$top/tests/fuzz/corpus/tlm/linear.tlm" "$top/tests/fuzz/corpus/tlm/mlp.tlm" <<'PY'
import hashlib, sys, msgpack
def write(path, m):
    m.pop("sha256", None)
    m["sha256"] = "0" * 64
    b = msgpack.packb(m, use_bin_type=True)
    open(path, "wb").write(b[:-64] + hashlib.sha256(b[:-73]).hexdigest().encode())
m = msgpack.unpackb(open(sys.argv[1], "rb").read())
m["temperature"] = 1e-50  # positive, but 0 as a float32
write("temp-underflow.tlm", m)
m = msgpack.unpackb(open(sys.argv[2], "rb").read())
m["dim"] = m["head"]["hidden"] = 1 << 20  # a 4 TB head declared in 2 KB
write("huge-head.tlm", m)
PY
/usr/bin/python3 "$top/bench/train/synth.py" --n 3 --dim 8 --classes 3 > emb8.tl
