# tests/cli/multi.sh - features of several backbones at once (tl-embed -m
# mobilenetv2+inceptionv3): emb is the parts' own embeddings concatenated,
# the header describes every part, tl-train and tl-classify round-trip a
# model of both (emb stream and images give the same verdicts), a model of
# a+b refuses a stream of a alone or of b+a naming the part, maps of the
# first backbone with the others' pooled features (-p none) give the same
# verdicts and CAM as images.  Bad spellings of -m are rows of the hostile
# table (tests/hostile/multi.sh).  On testdata/shapes (7 images): inceptionv3
# runs at 299 px.
PY=/usr/bin/python3
if [ ! -f "$top/models/mobilenetv2/model.json" ] || [ ! -f "$top/models/inceptionv3/model.json" ]; then
	fail "multi: models" "models/mobilenetv2 or models/inceptionv3 missing: run make model"
	return 0 2>/dev/null || exit 0
fi
export TL_MODEL_PATH=$top/models
AB=mobilenetv2+inceptionv3
"$BIN/tl-ingest" "$TD/shapes" > "$T/in.tl" 2>/dev/null

run "multi: embeds with two backbones" 0 "'$BIN/tl-embed' -m $AB -b 4 < '$T/in.tl' > '$T/ab.tl'"
"$BIN/tl-embed" -m mobilenetv2 < "$T/in.tl" > "$T/a.tl" 2>/dev/null
"$BIN/tl-embed" -m inceptionv3 -b 4 < "$T/in.tl" > "$T/b.tl" 2>/dev/null

# emb of a+b = emb of a then emb of b, record by record (the same networks
# on the same prepared pixels: equal up to the engine's batch arithmetic)
if w=$($PY - "$T/a.tl" "$T/b.tl" "$T/ab.tl" <<'PYEOF'
import msgpack, struct, sys
def embs(path):
    out = {}
    with open(path, "rb") as f:
        for r in msgpack.Unpacker(f, raw=False):
            if "emb" in r:
                d = r["emb"]["data"]
                out[r["id"]] = struct.unpack("<%df" % (len(d) // 4), d)
    return out
a, b, ab = (embs(p) for p in sys.argv[1:4])
assert len(ab) == 7 and set(ab) == set(a) == set(b), (len(ab), sorted(ab))
worst = 0.0
for k, v in ab.items():
    want = a[k] + b[k]
    assert len(v) == len(want) == 576 + 2048, len(v)
    scale = max(abs(x) for x in want)
    worst = max(worst, max(abs(x - y) for x, y in zip(v, want)) / (1e-6 * scale))
print("%.3f" % worst)
sys.exit(0 if worst <= 1.0 else 1)
PYEOF
); then pass "multi: emb = the parts' embs concatenated (worst $w of 1e-6)"
else fail "multi: emb = the parts' embs concatenated" "$w"; fi

SA=$("$BIN/tl-cat" --headers "$T/a.tl" | head -n 1 | jq -r .model.sha256)
SB=$("$BIN/tl-cat" --headers "$T/b.tl" | head -n 1 | jq -r .model.sha256)
same "multi: header model, dims, layer, pool" \
    "$("$BIN/tl-cat" --headers "$T/ab.tl" | head -n 1 | jq -c '[.model.name, .dims, .layer, .pool, has("preprocess"), has("dims_frozen")]')" \
    '["mobilenetv2+inceptionv3",[2624],"block_13_expand_relu+mixed9","avg",false,false]'
same "multi: header model sha256 = sha256 of the parts' joined by +" \
    "$("$BIN/tl-cat" --headers "$T/ab.tl" | head -n 1 | jq -r .model.sha256)" \
    "$(printf '%s+%s' "$SA" "$SB" | sha256sum | cut -d' ' -f1)"
same "multi: header backbones" \
    "$("$BIN/tl-cat" --headers "$T/ab.tl" | head -n 1 | jq -c '[.backbones[] | [.name, (.sha256 | length), .layer, .pool, .dims, .preprocess.width, .preprocess.resize, .preprocess.scale]]')" \
    '[["mobilenetv2",64,"block_13_expand_relu","avg",[576],224,"crop","[0,1]"],["inceptionv3",64,"mixed9","avg",[2048],299,"crop","[0,1]"]]'
same "multi: each part's sha256 is its own header's" \
    "$("$BIN/tl-cat" --headers "$T/ab.tl" | head -n 1 | jq -r '[.backbones[].sha256] | join(" ")')" "$SA $SB"
same "multi: one backbone's header has no backbones" \
    "$("$BIN/tl-cat" --headers "$T/a.tl" | head -n 1 | jq -c '[has("backbones"), .dims, has("preprocess")]')" '[false,[576],true]'
run "multi: -m a+b --squash applies to every part" 0 \
    "'$BIN/tl-embed' -m $AB -b 4 --squash < '$T/in.tl' | '$BIN/tl-cat' --headers | head -n 1 | jq -c '[.backbones[].preprocess.resize]'"
same "multi: --squash in every part's preprocess" "$(cat "$T/out")" '["squash","squash"]'

# train on a+b, classify its stream and its images
run "multi: trains on two backbones" 0 "'$BIN/tl-train' -q -o '$T/ab.tlm' '$T/ab.tl'"
same "multi: the model records every backbone" \
    "$($PY -c "import msgpack,sys; b=msgpack.unpack(open(sys.argv[1],'rb'))['backbone']; print(b['model']['name'], b['dims'], [(p['name'], p['layer'], p['dims'], p['preprocess']['width']) for p in b['backbones']])" "$T/ab.tlm")" \
    "mobilenetv2+inceptionv3 [2624] [('mobilenetv2', 'block_13_expand_relu', [576], 224), ('inceptionv3', 'mixed9', [2048], 299)]"
same "multi: the model's train map says the part weight" \
    "$($PY -c "import msgpack,sys; print(msgpack.unpack(open(sys.argv[1],'rb'))['train']['part_weight'])" "$T/ab.tlm")" sqrt
run "multi: classifies the emb stream" 0 "'$BIN/tl-classify' -m '$T/ab.tlm' < '$T/ab.tl' | '$BIN/tl-cat' -f id,pred,conf > '$T/v-emb.tsv'"
run "multi: classifies the images" 0 "'$BIN/tl-classify' -m '$T/ab.tlm' -b 3 < '$T/in.tl' | '$BIN/tl-cat' -f id,pred,conf > '$T/v-img.tsv'"
rnd() { awk -F'\t' '{ printf "%s\t%s\t%.4f\n", $1, $2, $3 }' "$1"; }
same "multi: images give the emb stream's verdicts" "$(rnd "$T/v-img.tsv")" "$(rnd "$T/v-emb.tsv")"
same "multi: 7 verdicts" "$(wc -l < "$T/v-emb.tsv" | tr -d ' ')" 7

# the parts checked one by one
run "multi: a model of a+b refuses a stream of a" 1 "'$BIN/tl-classify' -m '$T/ab.tlm' < '$T/a.tl'"
has "multi: a alone: message" "$T/err" \
    "tl-classify: $T/ab.tlm: backbone differs (backbones): the model wants embeddings of 2 backbones, mobilenetv2+inceptionv3; the stream has 1, mobilenetv2"
"$BIN/tl-embed" -m inceptionv3+mobilenetv2 -b 4 < "$T/in.tl" > "$T/ba.tl" 2>/dev/null
run "multi: a model of a+b refuses a stream of b+a" 1 "'$BIN/tl-classify' -m '$T/ab.tlm' < '$T/ba.tl'"
has "multi: b+a: message names part 1" "$T/err" \
    "tl-classify: $T/ab.tlm: backbone differs (part 1 of 2: sha256): the model wants mobilenetv2 sha256 ${SA%"${SA#????????????}"}, layer block_13_expand_relu, pool avg there; the stream has inceptionv3 sha256 ${SB%"${SB#????????????}"}, layer mixed9, pool avg"
run "multi: --init of a+b refuses a stream of a" 1 "'$BIN/tl-train' --init '$T/ab.tlm' -o '$T/x.tlm' '$T/a.tl'"
has "multi: --init message" "$T/err" "tl-train: --init $T/ab.tlm: backbone differs (backbones)"
run "multi: a model of a refuses a stream of a+b" 1 \
    "'$BIN/tl-train' -q -o '$T/a.tlm' '$T/a.tl' && '$BIN/tl-classify' -m '$T/a.tlm' < '$T/ab.tl'"
has "multi: a model of a: message" "$T/err" "backbone differs (backbones): the model wants embeddings of 1 backbone, mobilenetv2; the stream has 2, mobilenetv2+inceptionv3"

# maps: the first backbone's map in emb, the others pooled in emb_frozen
run "multi: -p none" 0 "'$BIN/tl-embed' -m $AB -b 4 -p none < '$T/in.tl' > '$T/map.tl'"
same "multi: -p none header" \
    "$("$BIN/tl-cat" --headers "$T/map.tl" | head -n 1 | jq -c '[.dims, .dims_frozen, .pool, [.backbones[].pool], [.backbones[].dims]]')" \
    '[[14,14,576],[2048],"none",["none","avg"],[[14,14,576],[2048]]]'
same "multi: -p none records" \
    "$("$BIN/tl-cat" "$T/map.tl" | head -n 1 | jq -c '[.emb.shape, .emb_frozen.shape]')" '[[14,14,576],[2048]]'
# maps of several backbones are fine-tuned from where the first was cut, the
# others frozen (tests/cli/multicut.sh); here without joint epochs
run "multi: tl-train fine-tunes on maps of several backbones" 0 "'$BIN/tl-train' --ft-epochs 0 -o '$T/x.tlm' '$T/map.tl'"
has "multi: tl-train maps message" "$T/err" \
    "tl-train: the tail block_13_expand_relu -> block_15_expand_relu (6 Convs) with the backbone's own weights (--ft-epochs 0)"
run "multi: classifies maps" 0 "'$BIN/tl-classify' -m '$T/ab.tlm' < '$T/map.tl' | '$BIN/tl-cat' -f id,pred,conf > '$T/v-map.tsv'"
same "multi: maps give the pooled stream's verdicts" "$(rnd "$T/v-map.tsv")" "$(rnd "$T/v-emb.tsv")"
run "multi: --cam on maps" 0 "'$BIN/tl-classify' -m '$T/ab.tlm' --cam < '$T/map.tl' | '$BIN/tl-cat' --full | jq -c '[.id, .cam]' > '$T/cam-map.tsv'"
run "multi: --cam on images" 0 "'$BIN/tl-classify' -m '$T/ab.tlm' --cam -b 3 < '$T/in.tl' | '$BIN/tl-cat' --full | jq -c '[.id, .cam]' > '$T/cam-img.tsv'"
same "multi: CAM of images = CAM of maps" "$(md5sum < "$T/cam-img.tsv")" "$(md5sum < "$T/cam-map.tsv")"
same "multi: CAM is the first backbone's map, 14x14" \
    "$("$BIN/tl-classify" -m "$T/ab.tlm" --cam < "$T/map.tl" | "$BIN/tl-cat" | head -n 1 | jq -c .cam.shape)" '[14,14]'
run "multi: --cam on pooled features of a+b" 2 "'$BIN/tl-classify' -m '$T/ab.tlm' --cam < '$T/ab.tl'"
has "multi: --cam pooled message" "$T/err" \
    "give tl-classify the images, or maps from tl-embed -m mobilenetv2+inceptionv3 -p none"

# OOD per backbone: a block per part, each part's distance scaled by its
# val quantile, the score their maximum
same "multi: the model's OOD is per backbone" \
    "$($PY -c "import msgpack,sys; o=msgpack.unpack(open(sys.argv[1],'rb'))['ood']; print(o['parts'], len(o['part_scale']), all(s > 0 for s in o['part_scale']))" "$T/ab.tlm")" \
    "[576, 2048] 2 True"
same "multi: the model of one backbone has one OOD space" \
    "$($PY -c "import msgpack,sys; print('parts' in msgpack.unpack(open(sys.argv[1],'rb'))['ood'])" "$T/a.tlm")" False
# the same model with parts that do not add up, sealed with its checksum
$PY - "$T/ab.tlm" "$T/badparts.tlm" <<'PYEOF'
import hashlib, msgpack, sys
m = msgpack.unpack(open(sys.argv[1], "rb"), raw=False)
del m["sha256"]
m["ood"]["parts"] = [576, 2047]
b = msgpack.packb({**m, "sha256": "0" * 64}, use_bin_type=True)[:-73]
open(sys.argv[2], "wb").write(b + bytes([0xa6]) + b"sha256" + bytes([0xd9, 64]) + hashlib.sha256(b).hexdigest().encode())
PYEOF
run "multi: OOD parts that do not add up are refused" 2 "'$BIN/tl-classify' -m '$T/badparts.tlm' < '$T/ab.tl'"
has "multi: OOD parts message" "$T/err" "tl-classify: $T/badparts.tlm: bad key 'ood.parts': do not add up to the OOD space's size"
same "multi: --cam on images leaves no emb or emb_frozen" \
    "$("$BIN/tl-classify" -m "$T/ab.tlm" --cam -b 3 < "$T/in.tl" | "$BIN/tl-cat" | head -n 1 | jq -c '[has("emb"), has("emb_frozen"), has("cam")]')" '[false,false,true]'
run "multi: a model of a+b pooled max" 0 "'$BIN/tl-embed' -m $AB -b 4 -p max < '$T/in.tl' > '$T/max.tl' && '$BIN/tl-train' -q -o '$T/max.tlm' '$T/max.tl'"
run "multi: a model pooled max refuses maps whose frozen part is averaged" 1 "'$BIN/tl-classify' -m '$T/max.tlm' < '$T/map.tl'"
has "multi: frozen pool message" "$T/err" "backbone differs (part 2 of 2: pool): the model wants inceptionv3 sha256 ${SB%"${SB#????????????}"}, layer mixed9, pool max there; the stream has inceptionv3 sha256 ${SB%"${SB#????????????}"}, layer mixed9, pool avg"
