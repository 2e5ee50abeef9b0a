# tests/cli/scratch.sh - training from scratch: tl-embed -m scratch[:N]
# --cut gives the prepared image as the map (no model files); tl-train
# --from-scratch trains the whole small CNN from random weights (drawn from
# --seed: another seed, other weights; none of them the builder's, which
# --finetune --ft-epochs 0 keeps) and the model classifies images and maps
# alike; --from-scratch on -m mobilenetv2 --cut trains the backbone's tail
# from random weights; the bad combinations refused with their messages.
PY=/usr/bin/python3
S=$T/scratch
mkdir -p "$S"
$PY "$top/tools/demo-data.py" -n 8 "$S/letters" > /dev/null 2>&1
"$BIN/tl-ingest" "$S/letters" 2>/dev/null | "$BIN/tl-split" --dup-distance -1 2>/dev/null > "$S/split.tl"
"$BIN/tl-augment" -k 1 -s 48 < "$S/split.tl" 2>/dev/null > "$S/aug.tl"

run "scratch: --cut without model files" 0 "TL_MODEL_PATH=/nonexistent '$BIN/tl-embed' -m scratch:16 --cut < '$S/aug.tl' > '$S/cut.tl'"
same "scratch: the map is the image" \
    "$("$BIN/tl-cat" --headers -n 0 "$S/cut.tl" | head -n 1 | jq -c '[.model, .layer, .pool, .dims, .preprocess.width, .preprocess.scale]')" \
    "[{\"name\":\"scratch:16\",\"sha256\":\"$(printf scratch:16 | sha256sum | cut -c1-64)\"},\"input\",\"none\",[16,16,3],16,\"imagenet\"]"
run "scratch: pooled features of the random network" 0 "'$BIN/tl-embed' -m scratch:16 < '$S/split.tl' > '$S/pooled.tl'"
same "scratch: its feature layer" \
    "$("$BIN/tl-cat" --headers -n 0 "$S/pooled.tl" | head -n 1 | jq -c '[.layer, .dims]')" '["relu5",[256]]'

export SOURCE_DATE_EPOCH=1700000000
run "scratch: trains" 0 "'$BIN/tl-train' --from-scratch --ft-epochs 2 -o '$S/s0.tlm' '$S/cut.tl'"
has "scratch: says so before" "$T/err" "tl-train: from scratch: the 5 Convs' weights drawn at random (He normal, seed 0)"
has "scratch: says so after" "$T/err" "tl-train: trained from scratch input -> relu5: 5 Convs, 978496 parameters, 2 epochs, kept epoch "
has "scratch: the cost" "$T/err" "tl-train: fine-tuning input -> relu5: 5 Convs, 978496 parameters, 1.53M multiply-adds per map"
same "scratch: no whole-network warning" "$(grep -c 'most of the network' "$T/err")" 0
run "scratch: another seed" 0 "'$BIN/tl-train' --from-scratch --ft-epochs 2 --seed 1 -o '$S/s1.tlm' '$S/cut.tl'"
run "scratch: the builder's weights (--finetune --ft-epochs 0)" 0 "'$BIN/tl-train' --finetune --ft-epochs 0 -o '$S/b.tlm' '$S/cut.tl'"
same "scratch: the model's tail, its meta, and every weight tensor unlike the builder's and the other seed's" \
    "$($PY -c "
import msgpack, sys
a, b, c = (msgpack.unpack(open(f, 'rb')) for f in sys.argv[1:4])
t = a['tail']
w = lambda m: [p['value']['data'] for p in m['tail']['params'] if p['what'] == 'W']
f = a['train']['finetune']
print(t['from'], t['to'], len(t['params']), f['from_scratch'], f['lr'], f['head_lr'], f['wd'], 'from_scratch' in c['train']['finetune'],
      all(x != y for x, y in zip(w(a), w(c))), all(x != y for x, y in zip(w(a), w(b))), len(w(a)) == len(w(b)) == 5)" \
        "$S/s0.tlm" "$S/s1.tlm" "$S/b.tlm")" \
    "input relu5 10 True 0.003 0.003 0.1 False True True True"
run "scratch: classifies images" 0 "TL_MODEL_PATH=/nonexistent '$BIN/tl-classify' -m '$S/s0.tlm' < '$S/split.tl' > '$S/c-img.tl'"
run "scratch: classifies maps" 0 "'$BIN/tl-classify' -m '$S/s0.tlm' < '$S/cut.tl' > '$S/c-map.tl'"
"$BIN/tl-cat" --split test -f id,pred,conf "$S/c-img.tl" > "$S/p-img.tsv"
"$BIN/tl-cat" --split test -f id,pred,conf "$S/c-map.tl" > "$S/p-map.tsv"
same "scratch: images and maps classified alike" \
    "$(test -s "$S/p-img.tsv" && cmp -s "$S/p-img.tsv" "$S/p-map.tsv" && echo same)" "same"
same "scratch: every image gets a class of the model" \
    "$("$BIN/tl-cat" -f pred "$S/c-img.tl" | grep -cvE '^(A|B|C|E|H|unknown)$')" 0
run "scratch: the same seed, the same model bytes" 0 \
    "'$BIN/tl-train' -q --from-scratch --ft-epochs 2 -o '$S/s0b.tlm' '$S/cut.tl' && cmp '$S/s0.tlm' '$S/s0b.tlm'"

# the backbone's architecture from random weights
if [ -f "$top/models/mobilenetv2/model.json" ]; then
	"$BIN/tl-embed" -m mobilenetv2 --cut < "$S/split.tl" > "$S/mcut.tl" 2>/dev/null
	run "scratch: mobilenetv2's tail from random weights" 0 \
	    "'$BIN/tl-train' --from-scratch --ft-epochs 1 -o '$S/m.tlm' '$S/mcut.tl'"
	has "scratch: mobilenetv2's tail said" "$T/err" \
	    "tl-train: trained from scratch block_12_add -> block_15_expand_relu: 7 Convs, 626432 parameters, 1 epoch"
	run "scratch: mobilenetv2's from scratch classifies" 0 "'$BIN/tl-classify' -m '$S/m.tlm' < '$S/split.tl' > /dev/null"
fi

# refused
for a in "--init '$S/s0.tlm':--from-scratch starts from random weights: drop --init" \
         "--hidden 8:--from-scratch trains a linear head: drop --hidden" \
         "--ft-epochs 0:--from-scratch with --ft-epochs 0 would keep random weights: give 1 or more" \
         "--lr-find --hidden 8:--lr-find: --from-scratch is not covered; it sweeps the MLP head's rate on pooled embeddings (--hidden N)"; do
	run "scratch: ${a%%:*} refused" 2 "'$BIN/tl-train' --from-scratch ${a%%:*} $(case $a in --lr-find*) ;; *) echo "-o '$S/x.tlm'" ;; esac) '$S/cut.tl'"
	same "scratch: ${a%%:*} message" "$(head -n 1 "$T/err")" "tl-train: ${a#*:}"
done
run "scratch: pooled features refused" 1 "'$BIN/tl-train' --from-scratch -o '$S/x.tlm' '$S/pooled.tl'"
same "scratch: pooled features message" "$(cat "$T/err")" \
    "tl-train: the embeddings are at relu5, the end of scratch:16's tail: fine-tuning reads the maps at its cut, input (tl-embed --cut)"
"$BIN/tl-embed" -m pixels:8 < "$S/split.tl" > "$S/px.tl" 2>/dev/null
run "scratch: raw pixels refused" 1 "'$BIN/tl-train' --from-scratch -o '$S/x.tlm' '$S/px.tl'"
same "scratch: raw pixels message" "$(cat "$T/err")" "tl-train: backbone pixels:8 is raw pixels: no network to fine-tune"
for n in 15 257 x ""; do
	run "scratch: size '$n' refused" 2 "'$BIN/tl-embed' -m scratch:$n < /dev/null"
	same "scratch: size '$n' message" "$(cat "$T/err")" "tl-embed: 'scratch:$n': want scratch:N, N from 16 to 256"
done
test -e "$S/x.tlm" && fail "scratch: a refused run wrote no model" "$S/x.tlm exists"
unset SOURCE_DATE_EPOCH
