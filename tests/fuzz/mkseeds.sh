#!/bin/sh
# tests/fuzz/mkseeds.sh - remakes the seed corpora of the fuzz targets in
# tests/fuzz/corpus/{tlm,keras,archive,image} from testdata/ and the tools
# (run from the top of the tree after `make all`; needs python3 with numpy
# and msgpack).  The seeds are committed; this says where they came from.
set -e
export PATH=/usr/bin:$PATH # the system python3, with numpy and msgpack
cd "$(dirname "$0")/../.."
c=tests/fuzz/corpus
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
mkdir -p $c/tlm $c/keras $c/archive $c/image

# tlm: small models from tl-train on synthetic embeddings (8 dims, 3
# classes), each head and normalisation, with and without OOD statistics;
# one from tests/cli/mktlm.c; one with a small fine-tuned tail (a tl-train
# model with a "tail" and an OOD space of its own added)
python3 bench/train/synth.py --n 120 --dim 8 --classes 3 --seed 1 > "$T/s.tl"
bin/tl-train -q --version-tag seed -o $c/tlm/linear.tlm "$T/s.tl" 2>/dev/null
bin/tl-train -q --version-tag seed --norm none --no-ood -o $c/tlm/linear-noood.tlm "$T/s.tl" 2>/dev/null
bin/tl-train -q --version-tag seed --norm sqrt --hidden 4 --epochs 2 -o $c/tlm/mlp.tlm "$T/s.tl" 2>/dev/null
cc -std=c11 -D_GNU_SOURCE -Ilib -o "$T/mktlm" tests/cli/mktlm.c build/libtl.a \
	$(pkg-config --cflags --libs vips msgpack openblas libarchive libprotobuf-c jansson) -lm -pthread
"$T/mktlm" "$T/s.tl" $c/tlm/mktlm.tlm
python3 - $c/tlm/linear.tlm $c/tlm/tail.tlm <<'PY'
import hashlib, sys, msgpack, numpy as np
m = msgpack.unpackb(open(sys.argv[1], "rb").read(), raw=False)
m.pop("sha256")
t = lambda *s: {"dtype": "<f4", "shape": list(s), "data": np.ones(s, "<f4").tobytes()}
m["tail"] = {"from": "a", "to": "b", "params": [{"node": "c", "what": "W", "value": t(8, 2, 1, 1)},
                                                {"node": "c", "what": "B", "value": t(8)}]}
m["backbone"]["dims"] = [1, 1, 2]
m["backbone"]["pool"] = "none"
m["ood"]["layer"] = "o"
m["ood"]["mean"] = t(4)
m["ood"]["scale"] = t(4)
m["ood"]["whiten"] = t(4, 4)
m["ood"]["means"] = t(3, 4)
m["sha256"] = "0" * 64  # sealed as tl-train seals a model (tl-model(5))
b = msgpack.packb(m, use_bin_type=True)
open(sys.argv[2], "wb").write(b[:-64] + hashlib.sha256(b[:-73]).hexdigest().encode())
PY

# keras: model.json NUL shard.  The tiny test model, and mobilenetv2 cut
# after its first inverted residual block's Add (block_2_add) with global
# pooling and a 2-class Dense on top (its weights uint8-quantised, as the
# model's own are), on an 8x8 input
{ cat tests/model/tiny/model.json; printf '\0'; cat tests/model/tiny/group1-shard1of1.bin; } > $c/keras/tiny
python3 - models/mobilenetv2 $c/keras/mnv2-cut <<'PY'
import json, sys, numpy as np
src, out = sys.argv[1], sys.argv[2]
m = json.load(open(src + "/model.json"))
cfg = m["modelTopology"]["model_config"]["config"] if "model_config" in m["modelTopology"] else m["modelTopology"]["config"]
keep = []
for l in cfg["layers"]:
    keep.append(l)
    if l["name"] == "block_2_add":
        break
names = {l["name"] for l in keep}
keep.append({"name": "gap", "class_name": "GlobalAveragePooling2D",
             "config": {"name": "gap", "data_format": "channels_last"},
             "inbound_nodes": [[["block_2_add", 0, 0, {}]]]})
keep.append({"name": "dense", "class_name": "Dense",
             "config": {"name": "dense", "units": 2, "activation": "softmax", "use_bias": True},
             "inbound_nodes": [[["gap", 0, 0, {}]]]})
for l in keep:
    if l["class_name"] == "InputLayer":
        l["config"]["batch_input_shape"] = [None, 8, 8, 3]
cfg["layers"] = keep
cfg["input_layers"] = [[keep[0]["name"], 0, 0]]
cfg["output_layers"] = [["dense", 0, 0]]
blob = open(src + "/group1-shard1of1.bin", "rb").read()
specs, off, ws, data = m["weightsManifest"][0]["weights"], 0, [], b""
for w in specs:
    n = int(np.prod(w["shape"])) if w["shape"] else 1
    assert w["quantization"]["dtype"] == "uint8"
    if w["name"].split("/")[0] in names:
        ws.append(w)
        data += blob[off:off + n]
    off += n
ws.append({"name": "dense/kernel", "shape": [24, 2], "dtype": "float32"})
data += np.ones((24, 2), "<f4").tobytes()
ws.append({"name": "dense/bias", "shape": [2], "dtype": "float32"})
data += np.zeros(2, "<f4").tobytes()
m["weightsManifest"] = [{"paths": ["group1-shard1of1.bin"], "weights": ws}]
open(out, "wb").write(json.dumps(m, separators=(",", ":")).encode() + b"\0" + data)
PY

# archive: the test archives, good and bad, an uncompressed tar and an xz one
cp testdata/shapes.tar.gz testdata/shapes.zip testdata/shapes.7z $c/archive/
cp testdata/bad/broken.zip testdata/bad/truncated.tar.gz $c/archive/
(cd testdata/shapes && tar --format=ustar -cf - circle/c1.png circle/notes.txt) > $c/archive/circle.tar
(cd testdata/shapes && tar --format=gnu -cJf - square/s1.png square/s2.jpg) > $c/archive/square.tar.xz

# image: the small hostile and odd images of testdata/bad, and a shape
for f in alpha.png badcrc.png cmyk.jpg exif-rot6.jpg gif-named.jpg grey.png huge.png \
	palette.png quad.png quad.tif quad.webp rgb16.png text.jpg truncated.jpg truncated.png; do
	cp testdata/bad/$f $c/image/
done
cp testdata/shapes/root.png $c/image/
ls -l $c/tlm $c/keras $c/archive $c/image
