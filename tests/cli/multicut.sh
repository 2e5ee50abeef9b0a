# tests/cli/multicut.sh - fine-tuning with several backbones (tl-embed -m
# mobilenetv2+centernet --cut): emb is mobilenetv2's map at its cut,
# emb_frozen centernet's pooled features; tl-train tunes mobilenetv2's tail
# with the head on [the tail's output, centernet's features] and says what
# the frozen part costs; the model records the tail and both parts, its OOD
# is per part; tl-classify on the images (mobilenetv2 to the cut, the tail,
# centernet to its feature layer) gives the verdicts of the maps tl-train
# read (probabilities within 1e-4), and on val tl-train's accuracy and log
# loss;
# --cam on the tail's map; the same bytes with 1 and 2 threads.  Refusals
# are rows of the hostile table (tests/hostile/multi.sh).  On
# testdata/shapes (4 labelled train images with 3 variants each, 2 val), 3
# epochs.
PY=/usr/bin/python3
if [ ! -f "$top/models/mobilenetv2/model.json" ] || [ ! -f "$top/models/centernet/model.json" ]; then
	fail "multicut: models" "models/mobilenetv2 or models/centernet missing: run make model"
	return 0 2>/dev/null || exit 0
fi
export TL_MODEL_PATH=$top/models
export SOURCE_DATE_EPOCH=1700000000
M=$T/mc
mkdir -p "$M"
# val: one image of each class; train: the others and 3 variants of each
"$BIN/tl-ingest" "$TD/shapes" 2>/dev/null > "$M/ing.tl"
$PY -c "
import msgpack, sys
u = msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False, max_buffer_size=1 << 30)
out = open(sys.argv[2], 'wb')
for r in u:
    if 'tl' not in r and r.get('label'):
        r['split'] = 'val' if r['id'] in ('circle/c2.png', 'square/s2.jpg') else 'train'
    out.write(msgpack.packb(r, use_bin_type=True))" "$M/ing.tl" "$M/split.tl"
"$BIN/tl-augment" -k 3 -s 224 --flip h --crop-scale 0.7:1 < "$M/split.tl" 2>/dev/null > "$M/in.tl"

run "multicut: tl-embed -m mobilenetv2+centernet --cut" 0 \
    "'$BIN/tl-embed' -m mobilenetv2+centernet --cut -b 8 < '$M/in.tl' > '$M/cut.tl'"
same "multicut: the header: mobilenetv2's map at its cut, centernet pooled at its feature layer" \
    "$("$BIN/tl-cat" --headers -n 0 "$M/cut.tl" | head -n 1 | jq -c '[.model.name, .dims, .pool, .dims_frozen, .layer, [.backbones[] | [.name, .layer, .pool, .dims]]]')" \
    '["mobilenetv2+centernet",[14,14,96],"none",[528],"block_12_add+tower_0/MobilenetV3/expanded_conv_12/expand/hard_swish/mul_1",[["mobilenetv2","block_12_add","none",[14,14,96]],["centernet","tower_0/MobilenetV3/expanded_conv_12/expand/hard_swish/mul_1","avg",[528]]]]'
same "multicut: each record: the map in emb, centernet's features in emb_frozen" \
    "$("$BIN/tl-cat" -n 1 "$M/cut.tl" | jq -c '[.emb.shape, .emb_frozen.shape]')" '[[14,14,96],[528]]'

FT="--ft-epochs 3 --ft-lr 1e-4 --ft-head-lr 1e-4 --ft-smoothing 0"
run "multicut: tl-train fine-tunes mobilenetv2 with centernet frozen" 0 \
    "TL_THREADS=1 OPENBLAS_NUM_THREADS=1 '$BIN/tl-train' $FT -o '$M/ft.tlm' '$M/cut.tl'"
cp "$T/err" "$M/train.err"
has "multicut: the cost of the tail" "$M/train.err" \
    "tl-train: fine-tuning block_12_add -> block_15_expand_relu: 7 Convs, 626432 parameters, 38.6M multiply-adds per map; 3 epochs of "
has "multicut: the cost of the frozen part, in words" "$M/train.err" \
    "tl-train: frozen centernet: 528 pooled features, 125M multiply-adds per image to its feature layer, spent once by tl-embed (and by tl-classify on each image), not per epoch"
has "multicut: says what it tuned" "$M/train.err" "tl-train: fine-tuned block_12_add -> block_15_expand_relu: 7 Convs, 626432 parameters, 3 epochs, kept epoch "
same "multicut: a tuned epoch is kept" "$(sed -n 's/.*kept epoch \([0-9]*\);.*/\1/p' "$M/train.err" | awk '{ print ($1 > 0) ? "tuned" : "epoch 0" }')" tuned
same "multicut: the model: the tail, both parts, the head on both, OOD per part" \
    "$($PY -c "
import msgpack, sys
m = msgpack.unpack(open(sys.argv[1], 'rb'))
b = m['backbone']
print(m['tail']['from'], m['tail']['to'], m['dim'], b['model']['name'], b['pool'], b['dims'],
      [(p['name'], p['pool'], p['dims']) for p in b['backbones']], m['train']['part_weight'])" "$M/ft.tlm")" \
    "block_12_add block_15_expand_relu 1488 mobilenetv2+centernet none [14, 14, 96] [('mobilenetv2', 'none', [14, 14, 96]), ('centernet', 'avg', [528])] sqrt"
# the OOD: per part, the first on mobilenetv2's own feature layer computed
# with its original weights from the cut (the OOD tail), then centernet's
same "multicut: the OOD per part on mobilenetv2's feature layer, then centernet's" \
    "$($PY -c "
import msgpack, sys
o = msgpack.unpack(open(sys.argv[1], 'rb'))['ood']
print(o['layer'], o['parts'], len(o['part_scale']), all(v > 0 for v in o['part_scale']))" "$M/ft.tlm")" \
    "block_13_expand_relu [576, 528] 2 True"
run "multicut: 2 threads" 0 "TL_THREADS=2 OPENBLAS_NUM_THREADS=2 '$BIN/tl-train' -q $FT -o '$M/ft2.tlm' '$M/cut.tl'"
same_file "multicut: the same model bytes with 1 and 2 threads" "$M/ft.tlm" "$M/ft2.tlm"

# the maps tl-train read, and the images through both backbones
"$BIN/tl-classify" -m "$M/ft.tlm" < "$M/cut.tl" 2>/dev/null | "$BIN/tl-cat" --full --strip emb,emb_frozen,pix,img > "$M/v-maps.jsonl"
run "multicut: tl-classify on maps ending with a full batch (19 of 19)" 0 \
    "'$BIN/tl-classify' -b 19 -m '$M/ft.tlm' < '$M/cut.tl' > '$M/b19.tl'"
run "multicut: tl-classify on the images" 0 "'$BIN/tl-classify' -m '$M/ft.tlm' < '$M/in.tl' > '$M/img.tl'"
"$BIN/tl-cat" --full --strip pix,img "$M/img.tl" > "$M/v-img.jsonl"
same "multicut: images and maps give the same verdicts (probabilities, OOD within 1e-4)" \
    "$($PY -c "
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
bad = [] if len(a) == len(b) == 19 else ['%d and %d records' % (len(a), len(b))]
for x, y in zip(a, b):
    d = max(abs(p - q) for p, q in zip(x['prob']['data'], y['prob']['data']))
    if x['id'] != y['id'] or x['pred'] != y['pred'] or d > 1e-4 or abs(x['ood'] - y['ood']) > 1e-4 * max(1, abs(x['ood'])):
        bad.append('%s: %s %s, prob %g apart, ood %g %g' % (x['id'], x['pred'], y['pred'], d, x['ood'], y['ood']))
print(bad[0] if bad else 'same')" "$M/v-maps.jsonl" "$M/v-img.jsonl")" same
# tl-train's val predictions: its val accuracy and calibrated log loss
# from the images' verdicts on the val records
same "multicut: the images' verdicts on val give tl-train's val accuracy and log loss" \
    "$($PY -c "
import json, math, re, sys
err = open(sys.argv[2]).read()
acc = float(re.search(r'val:   accuracy ([0-9.]+)', err).group(1))
ll = float(re.search(r'calibrated \(T = [0-9.]+\): log loss ([0-9.]+)', err).group(1))
v = [json.loads(l) for l in open(sys.argv[1])]
v = [r for r in v if r.get('split') == 'val']
cl = json.loads(sys.argv[3])
a = sum(r['pred'] == r['label'] for r in v) / max(1, len(v))
l = -sum(math.log(max(r['prob']['data'][cl.index(r['label'])], 1e-300)) for r in v) / max(1, len(v))
print('ok' if len(v) == 2 and abs(a - acc) < 1e-9 and abs(l - ll) < 1.5e-4 else 'differ: %d val, %g %g, %g %g' % (len(v), a, acc, l, ll))" \
    "$M/v-img.jsonl" "$M/train.err" "$("$BIN/tl-cat" --headers "$M/img.tl" | head -n 1 | jq -c .classes)")" ok
run "multicut: --cam on the tail's map" 0 "'$BIN/tl-classify' --cam -m '$M/ft.tlm' < '$M/in.tl' > '$M/cam.tl'"
# --explain on the first backbone (mobilenetv2) through the tuned tail,
# centernet's features constant: Grad-CAM at the cut, the verdicts unchanged
run "multicut: --explain gradcam through the tuned tail" 0 "'$BIN/tl-classify' --explain gradcam -m '$M/ft.tlm' < '$M/in.tl' > '$M/gc.tl'"
same "multicut: Grad-CAM on the first backbone's cut" "$("$BIN/tl-cat" "$M/gc.tl" | jq -c '[.cam.shape, .cam_method]' | sort -u)" \
    '[[14,14],"gradcam block_12_add"]'
same "multicut: --explain keeps the verdicts" "$("$BIN/tl-cat" -f id,pred,conf "$M/gc.tl")" "$("$BIN/tl-cat" -f id,pred,conf "$M/img.tl")"
same "multicut: the heat map is mobilenetv2's 7x7 map at the tail's end" \
    "$("$BIN/tl-cat" -f cam "$M/cam.tl" | head -n 1 | jq -c .shape)" "[7,7]"
