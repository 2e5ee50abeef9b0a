# tests/cli/lrfind.sh - tl-train --lr-find on synthetic embeddings
# (bench/train/synth.py): the table has a row per rate, the rates go
# exactly exponentially from start to end, the smoothed loss falls then
# rises on a separable set, the suggestion lies strictly inside the sweep,
# is one of its rates and is the same for the same seed, the SVG chart is
# written and names its axes, no model is written, and the options it does
# not go with are usage errors with exact messages.
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
same "lrfind: the linear head message" "$(head -1 "$T/err")" "tl-train: --lr-find: the linear head is fit by L-BFGS, which has no learning rate: add --hidden N for the MLP head"
run "lrfind: --finetune" 2 "'$BIN/tl-train' --lr-find --finetune '$T/s.tl'"
same "lrfind: --finetune message" "$(head -1 "$T/err")" "tl-train: --lr-find: fine-tuning is not covered; it sweeps the MLP head's rate on pooled embeddings (--hidden N)"
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
# maps, as tl-embed --cut writes them, would fine-tune: not covered
{ echo '{"tl":1,"model":{"name":"toy","sha256":"0"},"dims":[1,1,2],"layer":"x","pool":"none"}'
  echo '{"id":"a","label":"ant","split":"train","emb":{"dtype":"<f4","shape":[1,1,2],"data":[1.0,2.0]}}'
} | "$BIN/tl-cat" --from-json > "$T/maps.tl"
run "lrfind: maps" 2 "'$BIN/tl-train' --lr-find --hidden 4 '$T/maps.tl'"
same "lrfind: maps message" "$(cat "$T/err")" "tl-train: --lr-find: fine-tuning (maps from tl-embed --cut) is not covered; it sweeps the MLP head's rate on pooled embeddings (tl-embed -p avg)"
