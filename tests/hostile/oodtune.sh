# tests/hostile/oodtune.sh - inputs of the OOD-space rows of tests/README.md's
# hostile table (an "ood" with a "layer" and "parts"), made in the current
# directory from the fuzz seed tail.tlm (a fine-tuned model), sealed with
# the checksum tl-model(5) describes.
/usr/bin/python3 - "$top/tests/fuzz/corpus/tlm/tail.tlm" <<'PY'
import hashlib, sys, msgpack
def write(path, m):
    m.pop("sha256", None)
    m["sha256"] = "0" * 64
    b = msgpack.packb(m, use_bin_type=True)
    open(path, "wb").write(b[:-64] + hashlib.sha256(b[:-73]).hexdigest().encode())
m = msgpack.unpackb(open(sys.argv[1], "rb").read())
# OOD per part in a layer of its own, but the model has one backbone
m["ood"].update(parts=[2, 2], part_scale=[1, 1])
write("ood-layer-parts.tlm", m)
PY
/usr/bin/python3 "$top/bench/train/synth.py" --n 3 --dim 8 --classes 3 > ood-emb8.tl
