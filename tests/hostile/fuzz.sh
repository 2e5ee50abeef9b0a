# tests/hostile/fuzz.sh - inputs of the rows of tests/README.md's hostile
# table that came from fuzzing (tests/fuzz/README), made in the current
# directory from the fuzz seeds.
/usr/bin/python3 - "$top/tests/fuzz/corpus/tlm/linear.tlm" <<'PY'
import sys, msgpack
m = msgpack.unpackb(open(sys.argv[1], "rb").read())
m["temperature"] = 1e-50  # positive, but 0 as a float32
open("temp-underflow.tlm", "wb").write(msgpack.packb(m, use_bin_type=True))
PY
/usr/bin/python3 - "$top/tests/fuzz/corpus/tlm/mlp.tlm" <<'PY'
import sys, msgpack
m = msgpack.unpackb(open(sys.argv[1], "rb").read())
m["dim"] = m["head"]["hidden"] = 1 << 20  # a 4 TB head declared in 2 KB
open("huge-head.tlm", "wb").write(msgpack.packb(m, use_bin_type=True))
PY
/usr/bin/python3 "$top/bench/train/synth.py" --n 3 --dim 8 --classes 3 > emb8.tl
