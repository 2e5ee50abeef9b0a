# tests/cli/lrfind.sh - tl-train --lr-find on synthetic embeddings
# (bench/train/synth.py): the table has a row per rate, the rates go
# exactly exponentially from start to end, the smoothed loss falls then
# rises on a separable set, the suggestion lies strictly inside the sweep,
# is one of its rates and is the same for the same seed, the SVG chart is
# written and names its axes, no model is written, and the options it does
# not go with are usage errors with exact messages.  On maps (tl-embed --cut
# of letters, when models/ has mobilenetv2) it sweeps fine-tuning's rate:
# the same table, rates and chart, the suggestion one of the swept rates and
# the head's rate in the ratio --ft-head-lr / --ft-lr; an MLP head on maps
# is refused.
PY=/usr/bin/python3
$PY "$top/bench/train/synth.py" --n 600 --dim 16 --classes 3 --sep 1.5 --test 0.1 > "$T/s.tl"
U="usage: tl-train -o model.tlm"

run "lrfind: a short sweep" 0 "'$BIN/tl-train' --lr-find --hidden 16 --lr-find-steps 40 --lr-find-start 1e-5 --lr-find-end 1e-2 '$T/s.tl'"
same "lrfind: header and one row per rate" "$(head -1 "$T/out") $(wc -l < "$T/out")" "$(printf 'lr\tloss\tsmoothed') 41"
same "lrfind: rates exponential from start to end" "$($PY -c '
import sys
r = [float(l.split()[0]) for l in open(sys.argv[1]).readlines()[1:]]
n = len(r)
print(all(abs(x - 1e-5 * 1000 ** (i / (n - 1))) <= 1e-6 * x for i, x in enumerate(r)), r[0], r[-1])' "$T/out")" "True 1e-05 0.01"
has "lrfind: it ran them all" "$T/err" "tl-train: learning-rate sweep: 40 of 40 rates, 1e-05 to 0.01"

run "lrfind: the default sweep, with a chart" 0 "'$BIN/tl-train' --lr-find --hidden 16 --seed 3 --lr-find-plot '$T/lr.svg' '$T/s.tl'"
cp "$T/out" "$T/t1" && cp "$T/err" "$T/e1"
same "lrfind: the smoothed loss falls then rises" "$($PY -c '
import sys
s = [float(l.split()[2]) for l in open(sys.argv[1]).readlines()[1:]]
m = s.index(min(s))
print(0 < m < len(s) - 1, min(s) < 0.8 * s[0], s[-1] > 2 * min(s))' "$T/out")" "True True True"
same "lrfind: the suggestion lies strictly inside the sweep and is one of its rates" "$($PY -c '
import re, sys
r = [float(l.split()[0]) for l in open(sys.argv[1]).readlines()[1:]]
x = float(re.search(r"suggested --lr (\S+)", open(sys.argv[2]).read()).group(1))
print(1e-7 < x < 10, any(abs(x - v) <= 5e-3 * v for v in r))' "$T/out" "$T/err")" "True True"
has "lrfind: the rule and the default rate" "$T/err" "(fastai's valley: half way down the longest descent of the smoothed loss); tl-train's --lr is 0.001 (the default)"
has "lrfind: says where the chart went" "$T/err" "tl-train: wrote $T/lr.svg"
same "lrfind: the chart is SVG and names its axes" \
    "$(head -c 4 "$T/lr.svg") $(grep -c 'learning rate (log10)' "$T/lr.svg") $(grep -c 'training loss' "$T/lr.svg")" "<svg 1 1"
run "lrfind: again with the same seed" 0 "'$BIN/tl-train' --lr-find --hidden 16 --seed 3 --lr-find-plot '$T/lr2.svg' '$T/s.tl'"
same_file "lrfind: same seed, same table" "$T/out" "$T/t1"
same "lrfind: same seed, same suggestion" "$(grep suggested "$T/err")" "$(grep suggested "$T/e1")"
same_file "lrfind: same seed, same chart" "$T/lr2.svg" "$T/lr.svg"
run "lrfind: another seed" 0 "'$BIN/tl-train' --lr-find --hidden 16 --seed 4 '$T/s.tl'"
cmp -s "$T/out" "$T/t1" && fail "lrfind: another seed, another sweep" "same table" || pass "lrfind: another seed, another sweep"
same "lrfind: no model, no stray files" "$(ls -A "$T" | grep -c tlm)" "0"

# what it does not go with
run "lrfind: with -o" 2 "'$BIN/tl-train' --lr-find --hidden 16 -o '$T/m.tlm' '$T/s.tl'"
same "lrfind: with -o message" "$(head -2 "$T/err")" "tl-train: --lr-find writes no model: drop -o
$U [--hidden N [--dropout P] [--epochs N] [--batch N] [--lr R]]"
test ! -e "$T/m.tlm" && pass "lrfind: with -o, no model" || fail "lrfind: with -o, no model" "m.tlm exists"
run "lrfind: the linear head" 2 "'$BIN/tl-train' --lr-find '$T/s.tl'"
same "lrfind: the linear head message" "$(head -1 "$T/err")" "tl-train: --lr-find: the linear head is fit by L-BFGS, which has no learning rate: add --hidden N for the MLP head, or give maps from tl-embed --cut to sweep fine-tuning's"
run "lrfind: --finetune on pooled embeddings" 1 "'$BIN/tl-train' --lr-find --finetune '$T/s.tl'"
same "lrfind: --finetune on pooled embeddings message" "$(head -1 "$T/err")" "tl-train: model 'synth' not found in $top/share/tl/models, /usr/local/share/tl/models, ./models (set TL_MODEL_PATH, or run 'make model' then 'make install' for the default backbones)"
run "lrfind: --log" 2 "'$BIN/tl-train' --lr-find --hidden 16 --log '$T/l.jsonl' '$T/s.tl'"
same "lrfind: --log message" "$(head -1 "$T/err")" "tl-train: --lr-find writes no model for --log to describe: drop --log"
run "lrfind: start not below end" 2 "'$BIN/tl-train' --lr-find --hidden 16 --lr-find-start 1 --lr-find-end 0.1 '$T/s.tl'"
same "lrfind: start not below end message" "$(head -1 "$T/err")" "tl-train: --lr-find-start 1 is not below --lr-find-end 0.1"
run "lrfind: one step" 2 "'$BIN/tl-train' --lr-find --hidden 16 --lr-find-steps 1 '$T/s.tl'"
has "lrfind: one step message" "$T/err" "--lr-find-steps"
run "lrfind: sweep options without --lr-find" 2 "'$BIN/tl-train' -o '$T/m.tlm' --lr-find-plot '$T/x.svg' '$T/s.tl'"
same "lrfind: sweep options without --lr-find message" "$(head -1 "$T/err")" "tl-train: --lr-find-steps, -start, -end and -plot go with --lr-find"
mkdir "$T/dir.svg"
run "lrfind: the chart's path is a directory" 2 "'$BIN/tl-train' --lr-find --hidden 16 --lr-find-plot '$T/dir.svg' '$T/s.tl'"
same "lrfind: the chart's path is a directory message" "$(cat "$T/err")" "tl-train: --lr-find-plot $T/dir.svg: is a directory"
# maps, as tl-embed --cut writes them, sweep fine-tuning, whose head is linear
{ echo '{"tl":1,"model":{"name":"toy","sha256":"0"},"dims":[1,1,2],"layer":"x","pool":"none"}'
  echo '{"id":"a","label":"ant","split":"train","emb":{"dtype":"<f4","shape":[1,1,2],"data":[1.0,2.0]}}'
} | "$BIN/tl-cat" --from-json > "$T/maps.tl"
run "lrfind: maps with an MLP head" 2 "'$BIN/tl-train' --lr-find --hidden 4 '$T/maps.tl'"
same "lrfind: maps with an MLP head message" "$(cat "$T/err")" "tl-train: --lr-find on maps sweeps fine-tuning's rate, which trains a linear head: drop --hidden, or give pooled embeddings (tl-embed -p avg)"
run "lrfind: maps of a backbone not here" 1 "'$BIN/tl-train' --lr-find '$T/maps.tl'"
has "lrfind: maps of a backbone not here message" "$T/err" "tl-train: model 'toy' not found in "

# fine-tuning's sweep on letters' maps at mobilenetv2's cut
if [ ! -f "$top/models/mobilenetv2/model.json" ]; then
	skip "lrfind: fine-tuning" "models/mobilenetv2 missing: run make model"
	return 0 2>/dev/null || exit 0
fi
/usr/bin/python3 "$top/tools/demo-data.py" -n 8 "$T/letters" > /dev/null 2>&1
"$BIN/tl-ingest" "$T/letters" 2>/dev/null | "$BIN/tl-split" --dup-distance -1 2>/dev/null |
    "$BIN/tl-embed" -m mobilenetv2 --cut > "$T/cut.tl" 2>/dev/null
run "lrfind: fine-tuning's sweep" 0 "'$BIN/tl-train' --lr-find --lr-find-steps 30 --lr-find-plot '$T/ft.svg' '$T/cut.tl'"
n=$(sed -n 's/.*learning-rate sweep: \([0-9]*\) of 30 rates, 1e-07 to .*/\1/p' "$T/err")
same "lrfind: fine-tuning: header and one row per rate run" "$(head -1 "$T/out") $(($(wc -l < "$T/out") - 1))" "$(printf 'lr\tloss\tsmoothed') $n"
has "lrfind: fine-tuning: states what it sweeps" "$T/err" \
    "tl-train: learning-rate sweep of fine-tuning block_12_add -> block_15_expand_relu: 7 Convs, 626432 parameters, 38.6M multiply-adds per map; at most 30 steps of 32 maps: about "
same "lrfind: fine-tuning: rates exponential from 1e-7 to 10 in 30 steps, the suggestion one of them" "$(/usr/bin/python3 -c '
import re, sys
r = [float(l.split()[0]) for l in open(sys.argv[1]).readlines()[1:]]
e = open(sys.argv[2]).read()
m = re.search(r"suggested --ft-lr (\S+) --ft-head-lr (\S+) \(fastai.s valley: half way down the longest descent of the smoothed loss; the head.s rate keeps its ratio 1 to the tail.s\); tl-train.s --ft-lr is 0.001 \(the default\)", e)
x, h = float(m.group(1)), float(m.group(2))
print(all(abs(v - 1e-7 * 1e8 ** (i / 29)) <= 1e-6 * v for i, v in enumerate(r)), 2 <= len(r) <= 30,
      r[0] <= x <= r[-1], any(abs(x - v) <= 5e-3 * v for v in r), x == h)' "$T/out" "$T/err")" "True True True True True"
same "lrfind: fine-tuning: the chart names the tail's rate" \
    "$(grep -c "learning rate of the tail&#39;s last Conv (log10)" "$T/ft.svg") $(grep -c 'fine-tuning, one batch per rate' "$T/ft.svg") $(grep -c -- '--ft-lr' "$T/ft.svg")" "1 1 1"
cp "$T/out" "$T/ft1"
run "lrfind: fine-tuning: the head's rate in ratio" 0 "'$BIN/tl-train' -q --lr-find --lr-find-steps 30 --ft-head-lr 2e-3 '$T/cut.tl'"
same "lrfind: fine-tuning: the head's rate in ratio 2" "$(/usr/bin/python3 -c '
import re, sys
m = re.search(r"suggested --ft-lr (\S+) --ft-head-lr (\S+) .*keeps its ratio 2 to", open(sys.argv[1]).read())
print(abs(float(m.group(2)) - 2 * float(m.group(1))) <= 0.01 * float(m.group(2)))' "$T/err")" "True"
run "lrfind: fine-tuning: again, the same table" 0 "'$BIN/tl-train' -q --lr-find --lr-find-steps 30 '$T/cut.tl'"
same_file "lrfind: fine-tuning: same seed, same table" "$T/out" "$T/ft1"
same "lrfind: fine-tuning: no model" "$(ls -A "$T" | grep -c tlm)" "0"
run "lrfind: fine-tuning with -o" 2 "'$BIN/tl-train' --lr-find -o '$T/m.tlm' '$T/cut.tl'"
same "lrfind: fine-tuning with -o message" "$(head -1 "$T/err")" "tl-train: --lr-find writes no model: drop -o"
