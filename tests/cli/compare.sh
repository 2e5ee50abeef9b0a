# tests/cli/compare.sh - pipelines/compare.mk on a small letters folder
# (tools/demo-data.py, 8 of each of A B C E H; small sizes and epochs, the
# frozen and fine-tuned methods on mobilenetv2): every stage's file, the
# table's rows in order with the evaluated split (test: tl-split gave one)
# and its count, the page; make again trains nothing; a split without test
# is evaluated on val; no DATA refused; tl-report --methods' bad lists.
if [ ! -f "$top/models/mobilenetv2/model.json" ]; then
	fail "compare: models" "models/mobilenetv2 missing: run make model"
	return 0 2>/dev/null || exit 0
fi
PY=/usr/bin/python3
C=$T/compare
mkdir -p "$C"
$PY "$top/tools/demo-data.py" -n 8 "$C/letters" > /dev/null 2>&1
MK="make --no-print-directory -f '$top/pipelines/compare.mk' BIN='$BIN' DATA='$C/letters' OUT='$C/out' \
    BACKBONE=mobilenetv2 AUG_FLAGS='-k 1 -s 48' SCRATCH=scratch:16 PIXELS=pixels:8 \
    FT_FLAGS='--ft-epochs 1' SCRATCH_FLAGS='--ft-epochs 2'"

run "compare: runs" 0 "$MK"
for f in split.tl eval.split methods.tsv compare.txt compare.html \
         frozen.tl frozen.tlm frozen.json frozen.prep frozen.time finetune.tl finetune.tlm finetune.json \
         finetune.prep finetune.time scratch.tl scratch.tlm scratch.json scratch.prep scratch.time \
         pixels.tl pixels.tlm pixels.json pixels.prep pixels.time; do
	test -s "$C/out/$f" || fail "compare: $f" "missing or empty"
done
same "compare: evaluated on test" "$(cat "$C/out/eval.split")" test
ntest=$("$BIN/tl-cat" --split test -f id "$C/out/split.tl" | wc -l)
same "compare: the table, one row per method in order, on test, n the test records" \
    "$(awk 'NR == 1 { print $1, $2, $3, $4; next } { print $1, $2, $3 }' "$C/out/compare.txt")" \
    "method split n accuracy
frozen test $ntest
finetune test $ntest
scratch test $ntest
pixels test $ntest"
same "compare: printed at the end" "$(tail -n 5 "$T/out")" "$(cat "$C/out/compare.txt")"
has "compare: says what it evaluated" "$T/out" "== compare: $C/letters, evaluated on test ($C/out/compare.html)"
same "compare: each method's embeddings" \
    "$(for m in frozen finetune scratch pixels; do "$BIN/tl-cat" --headers -n 0 "$C/out/$m.tl" | head -n 1 | jq -r '[.model.name, .layer] | join(" ")'; done)" \
    "mobilenetv2 block_13_expand_relu
mobilenetv2 block_12_add
scratch:16 input
pixels:8 pixels"
same "compare: the models: frozen head, fine-tuned tail, from-scratch tail, pixels head" \
    "$($PY -c "
import msgpack, sys
for f in sys.argv[1:]:
    m = msgpack.unpack(open(f, 'rb'))
    ft = m['train'].get('finetune', {})
    print(len(m.get('tail', {}).get('params', [])) > 0, ft.get('from_scratch', False))" \
        "$C/out/frozen.tlm" "$C/out/finetune.tlm" "$C/out/scratch.tlm" "$C/out/pixels.tlm")" \
    "False False
True False
True True
False False"
same "compare: the page names every method" \
    "$(grep -o '<td class="txt">\(frozen\|finetune\|scratch\|pixels\)</td>' "$C/out/compare.html" | tr '\n' ' ')" \
    '<td class="txt">frozen</td> <td class="txt">finetune</td> <td class="txt">scratch</td> <td class="txt">pixels</td> '
has "compare: the page's title" "$C/out/compare.html" "<title>letters: 4 methods on one split</title>"
maj=$(jq .metrics.baseline.value "$C/out/frozen.json")
has "compare: the page's majority-class line" "$C/out/compare.html" \
    "Always answering the majority class: $(awk -v m="$maj" 'BEGIN { printf "%.1f", 100 * m }')%."
run "compare: again, nothing trained" 0 "$MK"
same "compare: again: no stage reran" "$(grep -c '^== [a-z]*: tl-' "$T/out")" 0

# no test split: val
run "compare: a split without test" 0 "$MK OUT='$C/val' SPLIT_FLAGS='--ratio 80:20' METHODS=pixels"
same "compare: evaluated on val" "$(cat "$C/val/eval.split") $(sed -n 2p "$C/val/compare.txt" | awk '{ print $1, $2, $3 }')" \
    "val pixels val $("$BIN/tl-cat" --split val -f id "$C/val/split.tl" | wc -l)"

run "compare: no DATA refused" 2 "make --no-print-directory -f '$top/pipelines/compare.mk' OUT='$C/none'"
has "compare: no DATA message" "$T/err" "set DATA to a folder of images, one folder per class"
test -e "$C/none" && fail "compare: no DATA made nothing" "$C/none exists"

# tl-report --methods
printf 'a\ttest\t%s\t1.5\t2\n' "$C/out/pixels.json" > "$C/ok.tsv"
run "compare: --methods" 0 "'$BIN/tl-report' --methods '$C/ok.tsv'"
same "compare: --methods table" "$(sed -n 2p "$T/out" | awk '{ print $1, $2, $8, $9 }')" "a test 1.5 2.0"
printf 'a\ttest\t%s\t1.5\n' "$C/out/pixels.json" > "$C/four.tsv"
run "compare: --methods, four fields" 1 "'$BIN/tl-report' --methods '$C/four.tsv'"
same "compare: --methods, four fields message" "$(cat "$T/err")" \
    "tl-report: $C/four.tsv:1: want NAME, SPLIT, REPORT.json, PREPARE and TRAIN seconds separated by tabs"
printf 'a\ttest\t%s\t-1\t2\n' "$C/out/pixels.json" > "$C/neg.tsv"
run "compare: --methods, negative seconds" 1 "'$BIN/tl-report' --methods '$C/neg.tsv'"
has "compare: --methods, negative seconds message" "$T/err" "neg.tsv:1: want NAME, SPLIT"
printf 'a\ttest\t%s\t1\t2\n' "$C/out/pixels.tlm" > "$C/notjson.tsv"
run "compare: --methods, a report that is not one" 1 "'$BIN/tl-report' --methods '$C/notjson.tsv'"
has "compare: --methods, not a report message" "$T/err" "tl-report: $C/out/pixels.tlm: not JSON"
: > "$C/empty.tsv"
run "compare: --methods, no methods" 1 "'$BIN/tl-report' --methods '$C/empty.tsv'"
same "compare: --methods, no methods message" "$(cat "$T/err")" "tl-report: $C/empty.tsv: no methods"
run "compare: --methods with a stream refused" 2 "'$BIN/tl-report' --methods '$C/ok.tsv' '$C/out/split.tl'"
has "compare: --methods with a stream message" "$T/err" "tl-report: --methods takes the list alone (and --title, --html)"
run "compare: --title alone refused" 2 "'$BIN/tl-report' --title x < /dev/null"
has "compare: --title alone message" "$T/err" "tl-report: --title goes with --methods"
