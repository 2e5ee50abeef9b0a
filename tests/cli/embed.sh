# tests/cli/embed.sh - tl-embed on mobilenetv2 (-m): features and the
# package's own probabilities agree with @tensorflow/tfjs (tests/model/*.json,
# made by tests/model/reference.sh) through the whole ingest | embed path;
# batch size and thread count do not change a bit; layers, pooling, header;
# bad records and bad usage.  Without -m, the default backbone
# (TL_DEFAULT_BACKBONE, lib/backbone/model.h): its header, pooled and with --cut.
# mobilenetv2's feature layer (block_13_expand_relu,
# chosen by bench/transfer/run) is not the tfjs reference's out_relu, so the
# reference comparison names its layer.
PY=/usr/bin/python3
M=$top/models/mobilenetv2
if [ ! -f "$M/model.json" ]; then
	fail "embed: models" "models/mobilenetv2 missing: run make model"
	return 0 2>/dev/null || exit 0
fi
export TL_MODEL_PATH=$top/models
mkdir -p "$T/img"
for f in gradient noise shapes synthetic text; do cp "$top/tests/model/img/$f.png" "$T/img/"; done
"$BIN/tl-ingest" "$T/img" > "$T/in.tl" 2>/dev/null

# compare JSONL-with-emb to the tfjs reference: key is the JSON field holding
# the reference vector of each image
cmp_ref() { # name file key
	$PY - "$2" "$top/tests/model/mobilenetv2.json" "$3" <<'PYEOF'
import json, sys
ref = {im["file"]: im for im in json.load(open(sys.argv[2]))["images"]}
worst = 0.0
for line in open(sys.argv[1]):
    r = json.loads(line)
    got, want = r["emb"]["data"], ref[r["id"]][sys.argv[3]]
    assert len(got) == len(want), (len(got), len(want))
    scale = max(abs(w) for w in want)
    for g, w in zip(got, want):
        # 1e-4 relative to the largest value, as the engines' summation orders differ
        worst = max(worst, abs(g - w) / (1e-4 * scale))
print("%.3f" % worst)
sys.exit(0 if worst <= 1.0 else 1)
PYEOF
}

run "embed: out_relu features" 0 "'$BIN/tl-embed' -m mobilenetv2 -l out_relu -p avg < '$T/in.tl' > '$T/o.tl'"
"$BIN/tl-cat" --full "$T/o.tl" > "$T/e.jsonl"
if w=$(cmp_ref x "$T/e.jsonl" features); then pass "embed: features match tfjs to 1e-4 (worst $w of the tolerance)"
else fail "embed: features match tfjs" "worst $w of the tolerance"; fi

run "embed: probabilities layer" 0 "'$BIN/tl-embed' -m mobilenetv2 -l dense_3 < '$T/in.tl' | '$BIN/tl-cat' --full > '$T/p.jsonl'"
if w=$(cmp_ref x "$T/p.jsonl" probs); then pass "embed: 5-class probabilities match tfjs (worst $w of the tolerance)"
else fail "embed: 5-class probabilities match tfjs" "worst $w"; fi

run "embed: mobilenetv2 features" 0 "'$BIN/tl-embed' -m mobilenetv2 < '$T/in.tl' > '$T/e.tl'"
"$BIN/tl-embed" -m mobilenetv2 -b 1 -j 1 < "$T/in.tl" > "$T/b1.tl" 2>/dev/null
"$BIN/tl-embed" -m mobilenetv2 -b 3 -j 2 < "$T/in.tl" > "$T/b3.tl" 2>/dev/null
same_file "embed: batch 1 x 1 thread = batch 32 x default threads" "$T/b1.tl" "$T/e.tl"
same_file "embed: batch 3 x 2 threads = batch 32" "$T/b3.tl" "$T/e.tl"

same "embed: header model and dims" \
    "$("$BIN/tl-cat" --headers "$T/e.tl" | head -n 1 | jq -c '[.model.name, (.model.sha256|length), .dims, .layer, .pool, .preprocess.width]')" \
    '["mobilenetv2",64,[576],"block_13_expand_relu","avg",224]'
same "embed: img removed, other keys kept" \
    "$("$BIN/tl-cat" "$T/e.tl" | head -n 1 | jq -c 'keys')" \
    '["emb","height","id","phash","sha256","src","width"]'
same "embed: --keep-image keeps img" \
    "$("$BIN/tl-embed" -m mobilenetv2 --keep-image < "$T/in.tl" | "$BIN/tl-cat" | head -n 1 | jq -c 'has("img")')" true

same "embed: --layer gives the spatial map" \
    "$("$BIN/tl-embed" -m mobilenetv2 -l block_13_expand_relu < "$T/in.tl" | "$BIN/tl-cat" | head -n 1 | jq -c '.emb.shape')" \
    '[14,14,576]'
same "embed: --pool avgmax doubles the vector" \
    "$("$BIN/tl-embed" -m mobilenetv2 -p avgmax < "$T/in.tl" | "$BIN/tl-cat" | head -n 1 | jq -c '.emb.shape')" '[1152]'
same "embed: --list-layers" "$("$BIN/tl-embed" -m mobilenetv2 --list-layers | grep '^block_13_expand_relu	')" \
    "block_13_expand_relu	Conv	14,14,576	default: the features tl-embed pools"
same "embed: --list-layers marks the cut and the tail's end" \
    "$("$BIN/tl-embed" -m mobilenetv2 --list-layers | awk -F '\t' 'NF > 3 { print $1 "=" $4 }' | tr '\n' ' ')" \
    "block_12_add=--cut: fine-tuning's input block_13_expand_relu=default: the features tl-embed pools block_15_expand_relu=fine-tuning's end "
run "embed: an unknown --layer" 2 "'$BIN/tl-embed' -m mobilenetv2 -l nosuch < '$T/in.tl'"
has "embed: an unknown --layer points to --list-layers" "$T/err" \
    "tl-embed: --layer: nosuch: no such layer in mobilenetv2 (tl-embed -m mobilenetv2 --list-layers lists them)"
run "embed: an unknown --layer of a graph model" 2 "'$BIN/tl-embed' -m centernet -l nosuch < '$T/in.tl'"
has "embed: an unknown --layer of a graph model, message" "$T/err" \
    "tl-embed: --layer: nosuch: no such layer in centernet (tl-embed -m centernet --list-layers lists them)"

# without -m: the default backbone, centernet and mobilenetv2 (TL_DEFAULT_BACKBONE):
# their pooled features concatenated; with --cut, centernet's map at its cut
# and mobilenetv2's pooled features in emb_frozen
run "embed: the default backbone" 0 "'$BIN/tl-embed' < '$T/in.tl' > '$T/d.tl'"
same "embed: the default backbone's header" \
    "$("$BIN/tl-cat" --headers "$T/d.tl" | head -n 1 | jq -c '[.model.name, .dims, .pool, [.backbones[] | [.name, .dims]]]')" \
    '["centernet+mobilenetv2",[1104],"avg",[["centernet",[528]],["mobilenetv2",[576]]]]'
same "embed: the default backbone's features" "$("$BIN/tl-cat" -n 1 "$T/d.tl" | jq -c .emb.shape)" '[1104]'
run "embed: the default backbone, --cut" 0 "'$BIN/tl-embed' --cut < '$T/in.tl' > '$T/dc.tl'"
same "embed: the default backbone's cut: centernet's map at expanded_conv_11/add, mobilenetv2 frozen" \
    "$("$BIN/tl-cat" --headers "$T/dc.tl" | head -n 1 | jq -c '[.model.name, .dims, .dims_frozen, [.backbones[] | [.name, .layer, .pool, .dims]][0]]')" \
    '["centernet+mobilenetv2",[14,14,88],[576],["centernet","tower_0/MobilenetV3/expanded_conv_11/add","none",[14,14,88]]]'
same "embed: the default backbone's cut, each record" \
    "$("$BIN/tl-cat" -n 1 "$T/dc.tl" | jq -c '[.emb.shape, .emb_frozen.shape]')" '[[14,14,88],[576]]'
# -l and --list-layers take one backbone: without -m, what to do
run "embed: --layer without -m" 2 "'$BIN/tl-embed' -l block_13_expand_relu < '$T/in.tl'"
has "embed: --layer without -m message" "$T/err" \
    "tl-embed: --layer: the default backbone, centernet+mobilenetv2, is several: give one with -m"
run "embed: --list-layers without -m" 2 "'$BIN/tl-embed' --list-layers"
has "embed: --list-layers without -m message" "$T/err" \
    "tl-embed: --list-layers: the default backbone, centernet+mobilenetv2, is several: give one with -m"

# a record whose img is not an image: reported, dropped, the rest flow
printf '{"id":"junk.jpg","img":{"base64":"aGVsbG8gd29ybGQ="}}\n' | "$BIN/tl-cat" --from-json > "$T/junk.tl"
cat "$T/in.tl" "$T/junk.tl" > "$T/mixed.tl"
run "embed: a bad record gives status 1" 1 "'$BIN/tl-embed' -m mobilenetv2 < '$T/mixed.tl' > '$T/m.tl'"
has "embed: bad record message" "$T/err" "tl-embed: junk.jpg: not an image"
has "embed: summary line" "$T/err" "tl-embed: 6 read, 1 skipped"
same "embed: the good records still flow" "$("$BIN/tl-cat" -c label "$T/m.tl" | awk -F'\t' '{s+=$2} END {print s}')" 5
run "embed: --max-bad 1 tolerates it" 0 "'$BIN/tl-embed' -m mobilenetv2 --max-bad 1 < '$T/mixed.tl' > /dev/null"

# decoding threads (--decoders, lib/backbone/feed.h) run a batch ahead of the
# network: with 0 (decode between batches), the default 1 and 3 threads, at
# batch 2 with the bad record in the middle, the same bytes come out, the
# records in their order, the bad one reported in its place
"$BIN/tl-cat" -b -n 3 "$T/in.tl" > "$T/head.tl" 2>/dev/null
cat "$T/head.tl" "$T/junk.tl" "$T/in.tl" > "$T/mid.tl"
for d in 0 1 3; do
	run "embed: --decoders $d, a bad record mid-stream" 0 "'$BIN/tl-embed' -m mobilenetv2 -b 2 --decoders $d --max-bad 1 < '$T/mid.tl' > '$T/dec$d.tl'"
	has "embed: --decoders $d names it" "$T/err" "tl-embed: junk.jpg: not an image: a text file"
done
same_file "embed: --decoders 0 and 1 give the same bytes" "$T/dec0.tl" "$T/dec1.tl"
same_file "embed: --decoders 0 and 3 give the same bytes" "$T/dec0.tl" "$T/dec3.tl"
same "embed: --decoders keeps the order" "$("$BIN/tl-cat" -f id "$T/dec3.tl" | tr '\n' ' ')" \
    "$("$BIN/tl-cat" -f id "$T/head.tl" "$T/in.tl" | tr '\n' ' ')"
run "embed: --decoders -1 is a usage error" 2 "'$BIN/tl-embed' -m mobilenetv2 --decoders -1 < '$T/in.tl'"

run "embed: -V" 0 "'$BIN/tl-embed' -V"
same "embed: -V prints the version" "$(cat "$T/out")" "tl-embed 0.1.0"
run "embed: -h" 0 "'$BIN/tl-embed' -h"
has "embed: -h prints the usage" "$T/out" "usage: tl-embed [-m model]"
has "embed: -h names the default backbone" "$T/out" "joined by '+' (centernet+mobilenetv2)"
run "embed: unknown model is a usage error" 2 "'$BIN/tl-embed' -m nosuch < '$T/in.tl'"
has "embed: unknown model message" "$T/err" "model 'nosuch' not found"
run "embed: unknown layer is a usage error" 2 "'$BIN/tl-embed' -m mobilenetv2 -l no_such_layer < '$T/in.tl'"
run "embed: bad pool" 2 "'$BIN/tl-embed' -m mobilenetv2 -p median < '$T/in.tl'"
head -c 3000 "$T/in.tl" > "$T/cut.tl"
run "embed: truncated input" 1 "'$BIN/tl-embed' -m mobilenetv2 < '$T/cut.tl' > /dev/null"
has "embed: truncated message" "$T/err" "truncated stream"
run "embed: empty input" 1 "'$BIN/tl-embed' -m mobilenetv2 < /dev/null > /dev/null"

# a backbone corrupted on disk: every file is checked against the sha256
# tl-model.json recorded when make model wrote it, before a weight is used
for f in model.json:0 model.json:60000 group1-shard1of1.bin:0 group1-shard1of1.bin:1300000 \
	group1-shard1of1.bin:2619460; do
	rm -rf "$T/bb" && mkdir "$T/bb" && cp -R "$M" "$T/bb/" || fail "embed: copy the backbone" "$M"
	$PY -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[int(sys.argv[2])] ^= 8; open(p, "wb").write(b)' \
	    "$T/bb/mobilenetv2/${f%:*}" "${f#*:}"
	run "embed: backbone $f flipped" 2 "TL_MODEL_PATH='$T/bb' '$BIN/tl-embed' -m mobilenetv2 < '$T/in.tl' > /dev/null"
	same "embed: backbone $f flipped message" "$(cat "$T/err")" \
	    "tl-embed: $T/bb/mobilenetv2/${f%:*}: corrupted (sha256 mismatch; run make model)"
done
rm -rf "$T/bb" && mkdir "$T/bb" && cp -R "$M" "$T/bb/" && rm "$T/bb/mobilenetv2/group1-shard1of1.bin"
run "embed: backbone shard missing" 2 "TL_MODEL_PATH='$T/bb' '$BIN/tl-embed' -m mobilenetv2 < '$T/in.tl' > /dev/null"
same "embed: backbone shard missing message" "$(cat "$T/err")" \
    "tl-embed: $T/bb/mobilenetv2/group1-shard1of1.bin: missing (tl-model.json records it; run make model)"
rm -rf "$T/bb"

# An ONNX model without a sidecar and a fixed 32x32 input: images are prepared
# at the network's size (regression: they were prepared at 224x224 and read as
# 32x32, so later images of a batch saw another image's pixels).
"$BIN/tl-ingest" "$TD/shapes" > "$T/sh.tl" 2>/dev/null
"$BIN/tl-embed" -m "$top/tests/nn/tiny.onnx" -l feat -p avg -b 1 < "$T/sh.tl" | "$BIN/tl-cat" --full > "$T/t1.jsonl"
"$BIN/tl-embed" -m "$top/tests/nn/tiny.onnx" -l feat -p avg -b 3 < "$T/sh.tl" | "$BIN/tl-cat" --full > "$T/t3.jsonl"
if $PY - "$T/t1.jsonl" "$T/t3.jsonl" <<'PYEOF'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b) > 3, (len(a), len(b))
for x, y in zip(a, b):
    assert x["id"] == y["id"]
    d = max(abs(p - q) for p, q in zip(x["emb"]["data"], y["emb"]["data"]))
    assert d <= 1e-6, (x["id"], d)
PYEOF
then pass "embed: onnx fixed input, batch 1 = batch 3"; else fail "embed: onnx fixed input, batch 1 = batch 3" "embeddings differ"; fi
same "embed: onnx input size from the graph" \
    "$("$BIN/tl-embed" -m "$top/tests/nn/tiny.onnx" < "$T/sh.tl" | "$BIN/tl-cat" --headers | head -n 1 | jq -c '[.preprocess.width, .preprocess.height, .preprocess.scale]')" \
    '[32,32,"imagenet"]'

# --scale [0,255]: the pixel values as they are (mul 1, add 0, exactly)
same "embed: --scale [0,255] in the header" \
    "$("$BIN/tl-embed" -m "$top/tests/nn/tiny.onnx" --scale '[0,255]' < "$T/sh.tl" | "$BIN/tl-cat" --headers | head -n 1 | jq -c '[.preprocess.scale, .preprocess.mul, .preprocess.add]')" \
    '["[0,255]",[1,1,1],[0,0,0]]'
run "embed: unknown scale" 2 "'$BIN/tl-embed' -m '$top/tests/nn/tiny.onnx' --scale '[0,25]' < '$T/sh.tl' > /dev/null"
same "embed: unknown scale message" "$(cat "$T/err")" \
    "tl-embed: unknown scale '[0,25]' (want [0,1], [-1,1], imagenet or [0,255])"

# a backbone that computes a NaN (tiny.onnx with the bias of the first
# channel of its "feat" Conv set to NaN, at byte 22034 of the file): no
# embedding holding one is written; each record is bad, named with the value
mkdir -p "$T/nan"
cp "$top/tests/nn/tiny.onnx" "$T/nan/tiny.onnx"
printf '\000\000\300\177' | dd of="$T/nan/tiny.onnx" bs=1 seek=22034 conv=notrunc 2>/dev/null
run "embed: a backbone computing NaN: bad records" 1 "'$BIN/tl-embed' -m '$T/nan/tiny.onnx' -l feat -p none < '$T/sh.tl' > '$T/nan.tl'"
has "embed: NaN message" "$T/err" "tl-embed: circle/c1.png: the backbone's output: emb[0,0,0] is NaN"
has "embed: NaN summary" "$T/err" "tl-embed: 7 read, 7 skipped"
same "embed: no NaN embedding written" "$("$BIN/tl-cat" -c id "$T/nan.tl" | wc -l | tr -d ' ')" 0
run "embed: --max-bad 7 tolerates them" 0 "'$BIN/tl-embed' -m '$T/nan/tiny.onnx' -l feat -p avg --max-bad 7 < '$T/sh.tl' > /dev/null"
