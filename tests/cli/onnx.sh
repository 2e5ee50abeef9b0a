# tests/cli/onnx.sh - tl-classify --export-onnx and tl-train --export-onnx on
# letters (tools/demo-data.py, 8 of each of A B C E H): a frozen linear head on
# the default backbones (centernet+mobilenetv2), a fine-tuned model (mobilenetv2
# --cut, its tail tuned: the kept epoch is not 0), an MLP head and the raw-pixel
# baseline, and a head on an ONNX backbone without a sidecar (tests/nn/tiny.onnx,
# whose graph fixes 32x32) each become one ONNX graph that python3's onnx checker accepts
# (when python3-onnx is installed) and that onnxruntime-node runs, on the
# test images prepared as the graph says (tests/cli/tlcrop.c), to the
# probabilities tl-classify gives within 1e-4 (skipped, saying so, without
# onnxruntime-node: make deps-test installs it in tests/peers, or TL_NODE_MODULES);
# the tuned tail's weights are the model's; and what cannot be exported
# (backbones of two input sizes, a backbone not the model's) or does not go
# with it is refused with exact messages.
if [ ! -f "$top/models/mobilenetv2/model.json" ] || [ ! -f "$top/models/centernet/model.json" ]; then
	fail "onnx: models" "models/ missing: run make model"
	return 0 2>/dev/null || exit 0
fi
PY=/usr/bin/python3
O=$T/onnx
U="usage: tl-classify -m model.tlm"
mkdir -p "$O"
$PY "$top/tools/demo-data.py" -n 8 "$O/letters" > /dev/null 2>&1
"$BIN/tl-ingest" "$O/letters" 2>/dev/null | "$BIN/tl-split" --dup-distance -1 2>/dev/null > "$O/split.tl"
"$BIN/tl-cat" -b --split test "$O/split.tl" > "$O/test.tl"
"$BIN/tl-embed" < "$O/split.tl" > "$O/emb.tl" 2>/dev/null
"$BIN/tl-embed" -m mobilenetv2 --cut < "$O/split.tl" > "$O/cut.tl" 2>/dev/null
"$BIN/tl-embed" -m pixels < "$O/split.tl" > "$O/pix.tl" 2>/dev/null
mkdir -p "$O/models" && cp "$top/tests/nn/tiny.onnx" "$O/models/"
TL_MODEL_PATH=$O/models "$BIN/tl-embed" -m tiny -l feat -p avg < "$O/split.tl" > "$O/tiny.tl" 2>/dev/null
export SOURCE_DATE_EPOCH=1700000000
W='input "image" float32 [N,224,224,3] (RGB 0..255, shorter side to 256, centre crop 224x224), output "prob" [N,5]'

run "onnx: a frozen linear head" 0 "'$BIN/tl-train' -q -o '$O/lin.tlm' '$O/emb.tl'"
run "onnx: tl-classify exports it" 0 "'$BIN/tl-classify' -m '$O/lin.tlm' --export-onnx '$O/lin.onnx' < /dev/null"
same "onnx: says what it wrote, input and output" "$(cat "$T/err")" "tl-classify: wrote $O/lin.onnx: $W"
same "onnx: nothing on stdout" "$(wc -c < "$T/out" | tr -d ' ')" 0
run "onnx: a fine-tuned model, exported by tl-train" 0 "'$BIN/tl-train' -q --finetune --ft-epochs 3 --ft-lr 1e-4 --ft-head-lr 1e-4 -o '$O/ft.tlm' --export-onnx '$O/ft.onnx' '$O/cut.tl'"
has "onnx: tl-train says what it wrote" "$T/err" "tl-train: wrote $O/ft.onnx: $W"
same "onnx: the tail is tuned (kept epoch not 0)" "$(sed -n 's/.*kept epoch \([0-9]*\);.*/\1/p' "$T/err" | grep -c '^[1-9]')" 1
run "onnx: an MLP head" 0 "'$BIN/tl-train' -q --hidden 8 -o '$O/mlp.tlm' --export-onnx '$O/mlp.onnx' '$O/emb.tl'"
"$BIN/tl-train" -q -o "$O/pix.tlm" "$O/pix.tl" 2>/dev/null
run "onnx: raw pixels" 0 "'$BIN/tl-classify' -m '$O/pix.tlm' --export-onnx '$O/pix.onnx'"
same "onnx: raw pixels' input" "$(cat "$T/err")" \
    "tl-classify: wrote $O/pix.onnx: input \"image\" float32 [N,32,32,3] (RGB 0..255, shorter side to 32, centre crop 32x32), output \"prob\" [N,5]"
"$BIN/tl-train" -q -o "$O/tiny.tlm" "$O/tiny.tl" 2>/dev/null
run "onnx: an ONNX backbone without a sidecar" 0 "TL_MODEL_PATH='$O/models' '$BIN/tl-classify' -m '$O/tiny.tlm' --export-onnx '$O/tiny.onnx'"
same "onnx: an ONNX backbone without a sidecar: the size its graph fixes" "$(cat "$T/err")" \
    "tl-classify: wrote $O/tiny.onnx: input \"image\" float32 [N,32,32,3] (RGB 0..255, shorter side to 36, centre crop 32x32), output \"prob\" [N,5]"

# python3's checker, the metadata, the tuned weights
if $PY -c 'import onnx, msgpack' 2>/dev/null; then
	same "onnx: the onnx checker accepts all five (full check: shapes inferred)" "$($PY -c '
import onnx, sys
for f in sys.argv[1:]:
    m = onnx.load(f)
    onnx.checker.check_model(m, full_check=True)
    print(m.opset_import[0].version, m.graph.input[0].name, m.graph.output[0].name, len(m.graph.output))' \
	    "$O/lin.onnx" "$O/ft.onnx" "$O/mlp.onnx" "$O/pix.onnx" "$O/tiny.onnx" | sort -u)" "15 image prob 1"
	same "onnx: the classes in the metadata" "$($PY -c '
import onnx, sys
print({p.key: p.value for p in onnx.load(sys.argv[1]).metadata_props}["classes"])' "$O/lin.onnx")" \
	    '["A","B","C","E","H"]'
	same "onnx: the tail's Conv weights are the model's, not the backbone's" "$($PY -c '
import msgpack, numpy as np, onnx, onnx.numpy_helper as nh, sys
m = msgpack.unpack(open(sys.argv[1], "rb"))
init = {t.name: nh.to_array(t) for t in onnx.load(sys.argv[2]).graph.initializer}
n = same = 0
for p in m["tail"]["params"]:
    a = init["p0/%s/tl_%s" % (p["node"], p["what"])]
    w = np.frombuffer(p["value"]["data"], "<f4")
    n += 1
    same += a.size == w.size and bool(np.array_equal(a.ravel(), w.ravel()))
print(n, same, sum(k.endswith(("/tl_W", "/tl_B")) for k in init))' "$O/ft.tlm" "$O/ft.onnx" 2>&1)" "14 14 14"
else
	skip "onnx: the onnx checker" "python3-onnx (or python3-msgpack) missing: make deps-test"
fi

# onnxruntime against tl-classify on the test images
NM=
for d in "${TL_NODE_MODULES:-}" "$top/tests/peers/node_modules" "$top/bench/embed/peers/node_modules"; do
	if [ -n "$d" ] && [ -d "$d/onnxruntime-node" ]; then NM=$d; break; fi
done
if ! command -v node > /dev/null; then
	skip "onnx: onnxruntime gives tl-classify's probabilities" "node missing"
elif [ -z "$NM" ]; then
	skip "onnx: onnxruntime gives tl-classify's probabilities" \
	    "onnxruntime-node missing: make deps-test (npm ci in tests/peers), or set TL_NODE_MODULES"
elif ! cc -std=c11 -D_GNU_SOURCE -I"$top/lib" -o "$T/tlcrop" "$top/tests/cli/tlcrop.c" "$top/build/libtl.a" \
	$(pkg-config --cflags --libs vips glib-2.0 msgpack openblas libarchive libprotobuf-c jansson) -lm -pthread; then
	fail "onnx: tlcrop" "cannot build tests/cli/tlcrop.c"
else
	"$T/tlcrop" mobilenetv2 "$O/ids" < "$O/test.tl" > "$O/crops.f32"
	"$T/tlcrop" pixels "$O/ids32" < "$O/test.tl" > "$O/crops32.f32"
	TL_MODEL_PATH=$O/models "$T/tlcrop" tiny "$O/idst" 32 < "$O/test.tl" > "$O/cropst.f32"
	for m in lin ft mlp pix tiny; do
		c=crops.f32 s=224
		[ $m = pix ] && c=crops32.f32 s=32
		[ $m = tiny ] && c=cropst.f32 s=32
		node "$top/tests/cli/onnx-run.js" "$NM" "$O/$m.onnx" "$O/$c" $s $s > "$O/ort-$m.tsv" 2> "$O/ort-$m.err"
		TL_MODEL_PATH=$O/models "$BIN/tl-classify" -m "$O/$m.tlm" < "$O/test.tl" 2>/dev/null | "$BIN/tl-cat" --full --strip img | jq -c '[.id, .prob.data]' > "$O/tl-$m.json"
		same "onnx: onnxruntime gives tl-classify's probabilities within 1e-4 ($m)" "$($PY -c '
import json, sys
o = [list(map(float, l.split())) for l in open(sys.argv[1])]
t = [json.loads(l) for l in open(sys.argv[2])]
ids = [l.strip() for l in open(sys.argv[3])]
ok = len(o) == len(t) == len(ids) > 0 and [x[0] for x in t] == ids
d = max((abs(a - b) for x, y in zip(o, t) for a, b in zip(x, y[1])), default=1)
print(len(o), "images", "same ids" if ok else "other ids", "within 1e-4" if d <= 1e-4 else "differ by %g" % d)' \
		    "$O/ort-$m.tsv" "$O/tl-$m.json" "$O/ids")" "11 images same ids within 1e-4"
		same "onnx: onnxruntime says nothing ($m)" "$(cat "$O/ort-$m.err")" ""
	done
fi

# what cannot be exported, and what does not go with it
run "onnx: records to classify too" 2 "'$BIN/tl-classify' -m '$O/lin.tlm' --export-onnx '$O/x.onnx' '$O/test.tl'"
same "onnx: records to classify too message" "$(head -2 "$T/err")" "tl-classify: --export-onnx reads no records: drop $O/test.tl
$U [--min-conf p] [--ood-threshold x] [--no-reject]"
run "onnx: with --top" 2 "'$BIN/tl-classify' -m '$O/lin.tlm' --export-onnx '$O/x.onnx' --top 2"
same "onnx: with --top message" "$(head -1 "$T/err")" \
    "tl-classify: --export-onnx writes \"prob\" only: drop --cam, --cam-dir, --explain, --layer, --top, --min-conf, --ood-threshold and --no-reject"
run "onnx: with --explain" 2 "'$BIN/tl-classify' -m '$O/lin.tlm' --export-onnx '$O/x.onnx' --explain gradcam"
has "onnx: with --explain message" "$T/err" "tl-classify: --export-onnx writes \"prob\" only: drop"
run "onnx: backbones in another order" 2 "'$BIN/tl-classify' -m '$O/lin.tlm' --backbone mobilenetv2+centernet --export-onnx '$O/x.onnx'"
has "onnx: backbones in another order message" "$T/err" "tl-classify: $O/lin.tlm: backbone ./models/mobilenetv2/model.json: its files have sha256"
has "onnx: backbones in another order message, the rest" "$T/err" ", the model was trained on "
run "onnx: one backbone for two" 2 "'$BIN/tl-classify' -m '$O/lin.tlm' --backbone mobilenetv2 --export-onnx '$O/x.onnx'"
same "onnx: one backbone for two message" "$(cat "$T/err")" \
    "tl-classify: $O/lin.tlm: --backbone mobilenetv2 names 1 backbone, the model has 2 (joined by '+')"
run "onnx: not a model" 2 "'$BIN/tl-classify' -m '$O/test.tl' --export-onnx '$O/x.onnx'"
same "onnx: not a model message" "$(cat "$T/err")" "tl-classify: $O/test.tl: not a tl model file"
run "onnx: into a missing directory" 2 "'$BIN/tl-classify' -m '$O/lin.tlm' --export-onnx '$O/nodir/x.onnx'"
same "onnx: into a missing directory message" "$(cat "$T/err")" "tl-classify: $O/nodir/x.onnx: No such file or directory"
test ! -e "$O/x.onnx" && pass "onnx: refused, nothing written" || fail "onnx: refused, nothing written" "x.onnx exists"
run "onnx: tl-train --export-onnx into a directory" 2 "'$BIN/tl-train' -q -o '$O/y.tlm' --export-onnx '$O' '$O/emb.tl'"
same "onnx: tl-train --export-onnx into a directory message" "$(cat "$T/err")" "tl-train: --export-onnx $O: is a directory"
test ! -e "$O/y.tlm" && pass "onnx: refused before training" || fail "onnx: refused before training" "y.tlm exists"
run "onnx: tl-train --lr-find --export-onnx" 2 "'$BIN/tl-train' --lr-find --hidden 4 --export-onnx '$O/x.onnx' '$O/emb.tl'"
same "onnx: tl-train --lr-find --export-onnx message" "$(head -1 "$T/err")" \
    "tl-train: --lr-find writes no model to export: drop --export-onnx"
# one image input for backbones that crop alike only: inceptionv3 takes 299x299
if [ -f "$top/models/inceptionv3/model.json" ]; then
	"$BIN/tl-cat" -b -n 12 "$O/split.tl" | "$BIN/tl-embed" -m mobilenetv2+inceptionv3 2>/dev/null |
	    "$BIN/tl-train" -q -o "$O/inc.tlm" 2>/dev/null
	run "onnx: backbones of two input sizes" 2 "'$BIN/tl-classify' -m '$O/inc.tlm' --export-onnx '$O/inc.onnx'"
	same "onnx: backbones of two input sizes message" "$(cat "$T/err")" \
	    "tl-classify: $O/inc.tlm: backbones mobilenetv2 and inceptionv3 prepare images differently (224x224, 299x299): one image input cannot serve both"
else
	skip "onnx: backbones of two input sizes" "models/inceptionv3 missing: run make model"
fi
