# tests/cli/finetune.sh - tl-train --finetune on letters (tools/demo-data.py,
# 14 of each of A B C E H): maps at the cut from tl-embed -m mobilenetv2 --cut train the
# backbone's last blocks with the head, --finetune or not; the epoch kept is the one with the
# best val log loss, and the model's head is the one trained with it; the model
# carries its tail and classifies images and cut maps alike (same verdicts,
# confidences and OOD scores); its OOD space is the backbone's own
# block_13_expand_relu (recomputed here from tl-embed's features); without training (--ft-epochs 0) the tail is the
# backbone's own, so the model agrees with a plain head on tl-embed -l
# block_15_expand_relu features (the tail's end); --cam works on the tail's map; --init continues from a
# tuned model, or keeps its tail with --ft-epochs 0; the same input and SOURCE_DATE_EPOCH give the same bytes;
# pooled embeddings with --finetune, an MLP head on maps, a model without a fine-tuning cut and
# pooled input to a tuned model are refused with clear messages.
if [ ! -f "$top/models/mobilenetv2/model.json" ]; then
	fail "finetune: models" "models/mobilenetv2 missing: run make model"
	return 0 2>/dev/null || exit 0
fi
PY=/usr/bin/python3
F=$T/ft
N=14 EP=3
case $BIN in
*-san) N=8 EP=2 ;; # memory errors show on fewer maps; the figures are the normal build's
esac
if [ "${TL_VALGRIND:-}" = 1 ]; then
	N=4 EP=1
fi
mkdir -p "$F"
$PY "$top/tools/demo-data.py" -n $N "$F/letters" > /dev/null 2>&1
"$BIN/tl-ingest" "$F/letters" 2>/dev/null | "$BIN/tl-split" --dup-distance -1 2>/dev/null > "$F/split.tl"
"$BIN/tl-augment" -k 1 -s 256 --flip none --crop-scale 0.8:1 < "$F/split.tl" 2>/dev/null > "$F/aug.tl"
"$BIN/tl-embed" -m mobilenetv2 --cut < "$F/aug.tl" > "$F/cut.tl" 2>/dev/null
same "finetune: tl-embed --cut gives the maps at block_12_add" \
    "$("$BIN/tl-cat" --headers -n 0 "$F/cut.tl" | head -n 1 | jq -c '[.layer, .pool, .dims]')" '["block_12_add","none",[14,14,96]]'

export SOURCE_DATE_EPOCH=1700000000
run "finetune: trains" 0 "'$BIN/tl-train' --finetune --ft-epochs $EP -o '$F/ft.tlm' '$F/cut.tl'"
has "finetune: says what it tuned" "$T/err" "tl-train: fine-tuned block_12_add -> block_15_expand_relu: 7 Convs, 626432 parameters, $EP epoch"
has "finetune: says whose head it is" "$T/err" "tl-train: linear head trained with the tail from the frozen fit (l2 "
has "finetune: states the cost before it starts" "$T/err" \
    "tl-train: fine-tuning block_12_add -> block_15_expand_relu: 7 Convs, 626432 parameters, 38.6M multiply-adds per map; $EP epoch"
same "finetune: no whole-network warning for the backbone's own cut" "$(grep -c 'most of the network' "$T/err")" 0
best=$(sed -n 's/.*kept epoch \([0-9]*\);.*/\1/p' "$T/err")
same "finetune: a line per epoch, and the kept one" \
    "$(grep -c 'fine-tune epoch [0-9]*: loss' "$T/err") $(test -n "$best" && echo kept)" "$EP kept"
# the kept epoch has the lowest val log loss of epochs 0..EP (0: frozen), and
# the final model's uncalibrated val log loss is that epoch's
same "finetune: the kept epoch is the best, and the model is that epoch's" \
    "$(awk -v best="$best" '
        /fine-tuned/ { for (i = 1; i <= NF; i++) if ($i == "frozen,") f = $(i - 1) }
        /fine-tune epoch/ { e = $4; sub(":", "", e); ll[e] = $NF }
        /val:   accuracy/ { v = $NF; sub(",", "", v); v = $(NF - 2); sub(",", "", v) }
        END { ll[0] = f; m = 0; for (e in ll) if (ll[e] + 0 < ll[m] + 0) m = e
              printf "%s %s", (m == best) ? "best" : "not best: " m " vs " best, (ll[best] == v) ? "same" : "differs: " ll[best] " vs " v }' "$T/err")" \
    "best same"
same "finetune: the model's tail" \
    "$($PY -c "
import msgpack, sys
m = msgpack.unpack(open(sys.argv[1], 'rb'))
t = m['tail']
print(t['from'], t['to'], len(t['params']), t['params'][0]['node'], t['params'][0]['what'], m['dim'],
      m['backbone']['layer'], m['backbone']['pool'], m['backbone']['dims'], sorted(m['train']['finetune'])[:5])" "$F/ft.tlm")" \
    "block_12_add block_15_expand_relu 14 block_13_expand W 960 block_12_add none [14, 14, 96] ['batch', 'best_epoch', 'convs', 'decay', 'epochs']"

run "finetune: same input, same bytes" 0 "'$BIN/tl-train' -q --finetune --ft-epochs $EP -o '$F/ft2.tlm' '$F/cut.tl'"
same_file "finetune: deterministic" "$F/ft.tlm" "$F/ft2.tlm"

# verdicts from cut maps and from the images themselves
"$BIN/tl-classify" -m "$F/ft.tlm" < "$F/cut.tl" 2>/dev/null | "$BIN/tl-cat" --split test -f id,pred,conf,ood > "$F/v-maps.tsv"
"$BIN/tl-classify" -m "$F/ft.tlm" < "$F/split.tl" 2>/dev/null | "$BIN/tl-cat" --split test -f id,pred,conf,ood > "$F/v-img.tsv"
same "finetune: test records classified" "$(wc -l < "$F/v-img.tsv" | tr -d ' ')" \
    "$("$BIN/tl-cat" --split test -c split "$F/split.tl" | cut -f2)"
# the two paths (the whole backbone from the image, the tail from a stored
# map) sum in float32 in another order, so the numbers may differ in the
# last digits (seen: conf 0.967859148979187 vs 0.9678592085838318): ids and
# verdicts exactly (here the top two probabilities are 0.03 or more apart
# and the OOD scores 8 or more below the threshold, so no verdict can flip),
# confidences within 1e-5, OOD scores within 1e-5 relative
same "finetune: images and cut maps give the same verdicts and OOD scores" \
    "$(paste "$F/v-maps.tsv" "$F/v-img.tsv" | awk -F'\t' '
        function abs(x) { return x < 0 ? -x : x }
        NF != 8 { print "line " NR ": " NF " fields"; exit }
        $1 != $5 || $2 != $6 { print "line " NR ": " $1 " " $2 " vs " $5 " " $6; exit }
        abs($3 - $7) > 1e-5 { print $1 ": conf " $3 " vs " $7; exit }
        abs($4 - $8) > 1e-5 * abs($8) { print $1 ": ood " $4 " vs " $8; exit }
        END { if (NR == 0) print "no records" }')" ""
same "finetune: OOD in the backbone's own features (block_13_expand_relu)" \
    "$($PY -c "
import msgpack, sys
o = msgpack.unpack(open(sys.argv[1], 'rb'))['ood']
print(o['layer'], o['mean']['shape'], o['whiten']['shape'], o['means']['shape'])" "$F/ft.tlm")" \
    "block_13_expand_relu [576] [576, 576] [5, 576]"
# the OOD score recomputed from tl-embed's own block_13_expand_relu features
"$BIN/tl-embed" -m mobilenetv2 < "$F/split.tl" 2>/dev/null | "$BIN/tl-cat" --split test --full --strip img,pix > "$F/b13.jsonl"
"$BIN/tl-classify" -m "$F/ft.tlm" < "$F/split.tl" 2>/dev/null | "$BIN/tl-cat" --split test --full --strip img,pix,prob,cam > "$F/ood.jsonl"
same "finetune: the OOD score is the Mahalanobis distance on the backbone's features (1e-3)" \
    "$($PY -c "
import json, sys, msgpack, numpy as np
m = msgpack.unpack(open(sys.argv[1], 'rb'))
t = lambda v: np.frombuffer(v['data'], v['dtype']).reshape(v['shape']).astype(np.float64)
o = m['ood']
E = np.array([json.loads(l)['emb']['data'] for l in open(sys.argv[2])])
got = np.array([json.loads(l)['ood'] for l in open(sys.argv[3])])
U = E / np.linalg.norm(E, axis=1, keepdims=True)
X = (U - t(o['mean'])) * t(o['scale'])
Z = X @ t(o['whiten']).T
d = np.sqrt(np.min([((Z - mu) ** 2).sum(1) for mu in t(o['means'])], axis=0))
print('ok' if len(got) > 0 and np.max(np.abs(d - got) / np.maximum(1, np.abs(d))) < 1e-3 else 'differ %s %s' % (d[:3], got[:3]))" "$F/ft.tlm" "$F/b13.jsonl" "$F/ood.jsonl")" ok

run "finetune: --cam on a tuned model" 0 "'$BIN/tl-classify' --cam -m '$F/ft.tlm' < '$F/split.tl' > '$F/cam.tl'"
same "finetune: the heat map is the tail's 7x7 map" \
    "$("$BIN/tl-cat" -f cam "$F/cam.tl" | head -n 1 | jq -c .shape)" "[7,7]"
# --explain: Grad-CAM at the cut (14x14) through the tuned tail, saliency
# at the input; a layer inside the tuned tail is refused
run "finetune: --explain gradcam on a tuned model" 0 "'$BIN/tl-classify' --explain gradcam -m '$F/ft.tlm' < '$F/split.tl' > '$F/gc.tl'"
same "finetune: Grad-CAM at the cut, 14x14" \
    "$("$BIN/tl-cat" "$F/gc.tl" | jq -c '[.cam.shape, .cam_method]' | sort -u)" '[[14,14],"gradcam block_12_add"]'
same "finetune: --explain keeps the tuned verdicts" \
    "$("$BIN/tl-cat" -f id,pred,conf "$F/gc.tl")" "$("$BIN/tl-cat" -f id,pred,conf "$F/cam.tl")"
run "finetune: --explain saliency on a tuned model" 0 "'$BIN/tl-classify' --explain saliency -m '$F/ft.tlm' < '$F/split.tl' > '$F/sal.tl'"
same "finetune: saliency 224x224" "$("$BIN/tl-cat" "$F/sal.tl" | jq -c '.cam.shape' | sort -u)" '[224,224]'
run "finetune: --layer inside the tuned tail" 2 "'$BIN/tl-classify' --explain gradcam --layer block_14_add -m '$F/ft.tlm' < '$F/split.tl'"
same "finetune: --layer inside the tuned tail message" "$(cat "$T/err")" \
    "tl-classify: $F/ft.tlm: --explain gradcam: mobilenetv2: --layer block_14_add: not between the input and block_12_add, the fine-tuning cut (a fine-tuned model is explained through its tuned tail from there)"

# untrained tail = the backbone: a head on the features at the tail's end
run "finetune: --ft-epochs 0" 0 "'$BIN/tl-train' --finetune --ft-epochs 0 -o '$F/ft0.tlm' '$F/cut.tl'"
"$BIN/tl-embed" -m mobilenetv2 -l block_15_expand_relu -p avg < "$F/aug.tl" 2>/dev/null > "$F/out.tl"
"$BIN/tl-train" -q -o "$F/plain.tlm" "$F/out.tl" 2>/dev/null
"$BIN/tl-classify" -m "$F/ft0.tlm" < "$F/cut.tl" 2>/dev/null | "$BIN/tl-cat" --full --strip emb,img,pix > "$F/p0.jsonl"
"$BIN/tl-classify" -m "$F/plain.tlm" < "$F/out.tl" 2>/dev/null | "$BIN/tl-cat" --full --strip emb,img,pix > "$F/p1.jsonl"
same "finetune: an untrained tail is the backbone (same best classes, probabilities within 0.01: two L-BFGS fits)" \
    "$($PY -c "
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
ok = len(a) == len(b) > 0 and all(x['id'] == y['id'] for x, y in zip(a, b))
d = max(abs(p - q) for x, y in zip(a, b) for p, q in zip(x['prob']['data'], y['prob']['data'])) if ok else -1
am = lambda v: max(range(len(v)), key=v.__getitem__)
ok = ok and all(am(x['prob']['data']) == am(y['prob']['data']) for x, y in zip(a, b))
print('ok' if ok and d < 1e-2 else 'differ: %d %d %g' % (len(a), len(b), d))" "$F/p0.jsonl" "$F/p1.jsonl")" ok

run "finetune: --init a tuned model, tail kept" 0 "'$BIN/tl-train' --init '$F/ft.tlm' --ft-epochs 0 -o '$F/i.tlm' '$F/cut.tl'"
has "finetune: --init says it kept the tail" "$T/err" "the tail block_12_add -> block_15_expand_relu of the --init model (7 Convs), not trained further"
run "finetune: --init a tuned model, tuned again" 0 "'$BIN/tl-train' --init '$F/ft.tlm' --finetune --ft-epochs 1 -o '$F/i2.tlm' '$F/cut.tl'"

# --balance in the joint epochs: with one minibatch per epoch (--batch above
# the train count) weighting each class's records by 1/count is the same as
# repeating the minority's records until the counts are equal, so the two
# runs follow the same path, epoch by epoch; ignoring --balance in the joint
# epochs leaves the first run on another (val log loss 0.79 and 2.19 where
# these are 0.73 and 0.63)
if [ "${TL_VALGRIND:-}" != 1 ] && [ "$N" = 14 ]; then # needs 20 train maps of A
$PY -c "
import msgpack, sys
u = msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False, max_buffer_size=1 << 30)
h = next(u)
keep, rep, nb = [], [], 0
for r in u:
    if 'tl' in r or r.get('label') not in ('A', 'B') or r.get('split') == 'test':
        continue
    if r['label'] == 'B' and r.get('split') == 'train':
        nb += 1
        if nb > 5:
            continue
        for k in (1, 2, 3):
            rep.append(dict(r, id=r['id'] + '#r%d' % k))
    keep.append(r)
for path, recs in ((sys.argv[2], keep), (sys.argv[3], keep + rep)):
    with open(path, 'wb') as f:
        f.write(msgpack.packb(h, use_bin_type=True))
        for r in recs:
            f.write(msgpack.packb(r, use_bin_type=True))
        f.write(msgpack.packb({'tl': 1, 'end': len(recs)}))" "$F/cut.tl" "$F/imb.tl" "$F/rep.tl"
BAL="--ft-epochs 2 --batch 64 --ft-smoothing 0 --no-standardize --l2 0.01 --no-ood"
run "finetune: --balance on an imbalanced set" 0 "'$BIN/tl-train' $BAL --balance -o '$F/bal.tlm' '$F/imb.tl'"
has "finetune: imbalanced: 20 and 5 train maps" "$T/err" "B                         5 train"
grep 'fine-tune epoch' "$T/err" | sed 's/.*log loss //' > "$F/bal.ll"
run "finetune: the minority repeated to equal counts" 0 "'$BIN/tl-train' $BAL -o '$F/rep.tlm' '$F/rep.tl'"
has "finetune: repeated: 20 and 20 train maps" "$T/err" "B                        20 train"
grep 'fine-tune epoch' "$T/err" | sed 's/.*log loss //' > "$F/rep.ll"
same "finetune: --balance weighs the joint epochs as repeating the minority would (val log loss per epoch within 0.01)" \
    "$(paste "$F/bal.ll" "$F/rep.ll" | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 0.01) bad = 1; n++ }
        END { print (n == 2 && !bad) ? "same" : "differ" }')" same
fi

# a NaN in a map: a bad record, named, and out of the fit
$PY -c "
import msgpack, struct, sys
u = msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False, max_buffer_size=1 << 30)
out = open(sys.argv[2], 'wb')
n = 0
for r in u:
    if 'tl' not in r and n == 0 and r.get('split') == 'train':
        d = bytearray(r['emb']['data'])
        d[4 * 100:4 * 101] = struct.pack('<f', float('nan'))
        r['emb']['data'] = bytes(d)
        r['id'] = 'nanmap'
        n = 1
    out.write(msgpack.packb(r, use_bin_type=True))" "$F/cut.tl" "$F/nanmap.tl"
run "finetune: a NaN in a map is a bad record" 1 "'$BIN/tl-train' -q --ft-epochs 0 -o '$F/nan.tlm' '$F/nanmap.tl'"
has "finetune: the NaN map named" "$T/err" "tl-train: nanmap: emb[0,1,4] is NaN"
has "finetune: the NaN map counted" "$T/err" " read, 1 skipped"

# a cut at the network's input makes the tail nearly the whole network: the
# cost is stated and a warning says so (6 maps, 1 epoch)
$PY -c "
import msgpack, sys
u = msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False, max_buffer_size=1 << 30)
out, seen = open(sys.argv[2], 'wb'), {}
recs = []
h = next(u)
for r in u:
    k = (r.get('label'), r.get('split'))
    if 'tl' in r or k[0] not in ('A', 'B') or k[1] not in ('train', 'val') or 'of' in r:
        continue
    seen[k] = seen.get(k, 0) + 1
    if seen[k] <= (2 if k[1] == 'train' else 1):
        recs.append(r)
out.write(msgpack.packb(h, use_bin_type=True))
for r in recs:
    out.write(msgpack.packb(r, use_bin_type=True))
out.write(msgpack.packb({'tl': 1, 'end': len(recs)}))" "$F/aug.tl" "$F/few.tl"
"$BIN/tl-embed" -m mobilenetv2 -l input_1 -p none < "$F/few.tl" > "$F/input.tl" 2>/dev/null
run "finetune: a tail from the network's input" 0 "'$BIN/tl-train' --ft-epochs 1 -o '$F/in.tlm' '$F/input.tl'"
same "finetune: the whole-network warning" "$(grep 'most of the network' "$T/err")" \
    "tl-train: the tail input_1 -> block_15_expand_relu is most of the network (46 of the 46 Convs up to its end): each epoch costs about a whole training pass of the backbone; a cut near the end (tl-embed --cut) tunes its last blocks for a fraction of that"
has "finetune: the cost of a tail from the input, stated" "$T/err" \
    "tl-train: fine-tuning input_1 -> block_15_expand_relu: 46 Convs, 1160896 parameters, 248M multiply-adds per map; 1 epoch of "

"$BIN/tl-embed" -m mobilenetv2 < "$F/split.tl" 2>/dev/null > "$F/pooled.tl"
run "finetune: pooled embeddings refused" 1 "'$BIN/tl-train' --finetune -o '$F/x.tlm' '$F/pooled.tl'"
has "finetune: pooled message" "$T/err" "tl-train: the embeddings have 576 values, the maps at block_13_expand_relu 112896: want tl-embed --cut (or -l block_13_expand_relu -p none) output"
run "finetune: maps fine-tune without --finetune" 0 "'$BIN/tl-train' --ft-epochs $EP -o '$F/nf.tlm' '$F/cut.tl'"
same_file "finetune: maps without --finetune, the same model" "$F/ft.tlm" "$F/nf.tlm"
run "finetune: an MLP head refused" 2 "'$BIN/tl-train' --finetune --hidden 8 -o '$F/x.tlm' '$F/cut.tl'"
has "finetune: MLP message" "$T/err" "tl-train: --finetune trains a linear head: drop --hidden"
# refused before any record is read: the header, then a record too small to
# be a map, which read_all would report as bad
$PY -c "
import msgpack, sys
u = msgpack.Unpacker(open(sys.argv[1], 'rb'), raw=False, max_buffer_size=1 << 30)
h, r = next(u), next(u)
r['emb'] = {'dtype': '<f4', 'shape': [1], 'data': b'\\0\\0\\0\\0'}
sys.stdout.buffer.write(msgpack.packb(h, use_bin_type=True) + msgpack.packb(r, use_bin_type=True) +
    msgpack.packb({'tl': 1, 'end': 1}))" "$F/cut.tl" > "$F/headonly.tl"
run "finetune: --norm sqrt on maps refused before reading" 1 "'$BIN/tl-train' --norm sqrt -o '$F/x.tlm' '$F/headonly.tl'"
same "finetune: --norm sqrt message" "$(cat "$T/err")" "tl-train: fine-tuning trains a linear head with --norm l2 or none (for a head on frozen features, pool the maps: tl-embed -p avg)"
run "finetune: a tail end that is no layer, refused before reading" 1 "'$BIN/tl-train' --finetune --finetune-to nosuch -o '$F/x.tlm' '$F/headonly.tl'"
has "finetune: no such end message" "$T/err" "nosuch"
run "finetune: an MLP head on maps refused" 2 "'$BIN/tl-train' --hidden 8 -o '$F/x.tlm' '$F/cut.tl'"
same "finetune: MLP on maps message" "$(cat "$T/err")" "tl-train: maps from tl-embed --cut fine-tune a linear head: drop --hidden, or give pooled embeddings"
run "finetune: tuned model on pooled input" 1 "'$BIN/tl-classify' -m '$F/ft.tlm' < '$F/pooled.tl'"
has "finetune: pooled input message" "$T/err" "(a fine-tuned model reads images, or maps from tl-embed --cut)"
run "finetune: no cut in inceptionv3's sidecar" 2 "'$BIN/tl-embed' -m inceptionv3 --cut < '$F/split.tl'"
has "finetune: no cut message" "$T/err" "tl-embed: inceptionv3: the model names no fine-tuning cut (tl-model.json \"finetune\"); give the layer with -l"
$PY -c "
import hashlib, msgpack, sys
m = msgpack.unpack(open(sys.argv[1], 'rb'))
del m['tail']
m['backbone']['dims'] = [m['dim']]
b = msgpack.packb(m, use_bin_type=True)  # its checksum made anew (tl-model(5))
open(sys.argv[2], 'wb').write(b[:-64] + hashlib.sha256(b[:-73]).hexdigest().encode())" "$F/ft.tlm" "$F/notail.tlm"
run "finetune: an OOD layer without a tail is a bad model" 2 "'$BIN/tl-classify' -m '$F/notail.tlm' < '$F/split.tl'"
has "finetune: OOD layer message" "$T/err" "notail.tlm: bad key 'ood.layer': a model without a tail"
test ! -e "$F/x.tlm" && pass "finetune: no model written on failure" || fail "finetune: no model written on failure" "x.tlm exists"
unset SOURCE_DATE_EPOCH
