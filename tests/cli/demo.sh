# tests/cli/demo.sh - make demo's pipeline (pipelines/demo/Makefile) on a
# small version of its letters (20 of each of A B C E H, one augmented
# variant per train image) into $T: every stage writes its stream with the
# expected records, the model exists, the test accuracy is far above chance
# (0.2 for five letters) and tl-report agrees with the verdicts; make again
# redoes nothing, new train options redo train, classify and report only;
# the letters are the same bytes when made again; a missing DATA is a clear
# error.  Under TL_VALGRIND=1 (make valgrind) the letters are fewer (6 of
# each, no variants) and the accuracy is not judged, which it says; on the
# sanitizer build too (6 of each, one variant each): it checks the memory of
# the same stages, the normal build their numbers.
# tl-embed's default backbone (lib/backbone/model.h): the demo embeds with it
demo_bb=$(sed -n 's/^#define TL_DEFAULT_BACKBONE "\(.*\)"/\1/p' "$top/lib/backbone/model.h")
for _m in $(echo "$demo_bb" | tr + ' '); do
	if [ ! -f "$top/models/$_m/model.json" ]; then
		fail "demo: models" "models/$_m missing: run make model"
		return 0 2>/dev/null || exit 0
	fi
done
N=20 K=1 judge=1
if [ "${TL_VALGRIND:-}" = 1 ]; then
	N=6 K=0 judge=
	echo "demo: under valgrind: $N letters of each, no variants, accuracy not judged"
fi
case $BIN in */bin-san)
	N=6 judge=
	echo "demo: sanitizer build: $N letters of each, accuracy not judged" ;;
esac
O=$T/demo
D="make --no-print-directory -C '$top/pipelines/demo' BIN='$BIN' OUT='$O' PER_CLASS=$N COPIES=$K"
C=$BIN/tl-cat

# count FILE FIELD: "value=count" pairs on one line, sorted by value
count() { "$C" -c "$2" "$1" 2>/dev/null | awk -F'\t' '{ printf "%s%s=%s", (NR > 1 ? " " : ""), $1, $2 }'; }

run "demo: the pipeline runs" 0 "$D" || cat "$T/err" | tail -n 5 | sed 's/^/  /'
cp "$T/out" "$T/first.out"
for s in "data:" "1/7 ingest" "2/7 split" "3/7 augment" "4/7 embed" "5/7 train" "6/7 classify" "7/7 report"; do
	has "demo: stage header $s" "$T/first.out" "== $s"
done
has "demo: ends with the report's path" "$T/first.out" "report: $O/report"

same "demo: letters" "$(find "$O/letters" -name '*.png' | wc -l | tr -d ' ')" $((5 * N))
same "demo: img.tl per label" "$(count "$O/img.tl" label)" "A=$N B=$N C=$N E=$N H=$N"
same "demo: images are 128x128" "$("$C" -c width "$O/img.tl" | tr '\t' =) $("$C" -c height "$O/img.tl" | tr '\t' =)" \
	"128=$((5 * N)) 128=$((5 * N))"

# the split: train, val and test all present, summing to every image
sp=$(count "$O/split.tl" split)
tr=$(echo "$sp" | sed -n 's/.*train=\([0-9]*\).*/\1/p')
va=$(echo "$sp" | sed -n 's/.*val=\([0-9]*\).*/\1/p')
te=$(echo "$sp" | sed -n 's/.*test=\([0-9]*\).*/\1/p')
if [ -n "$tr" ] && [ -n "$va" ] && [ -n "$te" ] && [ "$va" -gt 0 ] && [ "$te" -gt 0 ] && [ $((tr + va + te)) -eq $((5 * N)) ]; then
	pass "demo: split.tl has train, val and test"
else
	fail "demo: split.tl has train, val and test" "[$sp] for $((5 * N)) images"
	tr=0 va=0 te=0
fi
same "demo: aug.tl: train and its variants, val and test" "$(count "$O/aug.tl" split)" \
	"test=$te train=$((tr * (1 + K))) val=$va"
same "demo: emb.tl: the same records" "$(count "$O/emb.tl" split)" "test=$te train=$((tr * (1 + K))) val=$va"
same "demo: emb.tl: all with features" "$("$C" -f emb "$O/emb.tl" | grep -c '"shape":\[1104\]')" $((tr * (1 + K) + va + te))
same "demo: emb.tl: the default backbone's" "$("$C" --headers "$O/emb.tl" | head -n 1 | jq -c '[.model.name, .dims]')" \
	"[\"$demo_bb\",[1104]]"
test -s "$O/model.tlm" && pass "demo: model.tlm" || fail "demo: model.tlm" "no model"
same "demo: test-img.tl: the test split" "$(count "$O/test-img.tl" split)" "test=$te"
same "demo: test.tl: a verdict on each" "$("$C" -f pred "$O/test.tl" | grep -c .)" "$te"
has "demo: report.txt" "$O/report.txt" "accuracy"

# accuracy from the verdicts, and tl-report's
acc=$("$C" -f label,pred "$O/test.tl" | awk -F'\t' '{ n++; ok += $1 == $2 } END { printf "%.4f", n ? ok / n : 0 }')
racc=$("$BIN/tl-report" --json "$O/test.tl" 2>/dev/null | jq -r '.metrics.accuracy.value')
same "demo: tl-report's accuracy is the verdicts'" "$(printf '%.4f' "$racc")" "$acc"
if [ -z "$judge" ]; then
	echo "demo: test accuracy $acc on $te images (not judged here)"
elif awk -v a="$acc" 'BEGIN { exit !(a >= 0.6) }'; then
	pass "demo: test accuracy $acc >= 0.6 (chance 0.2)"
else
	fail "demo: test accuracy far above chance" "$acc on $te images, want >= 0.6"
fi

# make again: nothing to redo; new train options: train, classify, report
run "demo: again" 0 "$D"
same "demo: again redoes nothing" "$(grep '^== ' "$T/out" | tr '\n' '|')" ""
has "demo: again shows the report" "$T/out" "report: $O/report"
run "demo: new train options" 0 "$D TRAIN_FLAGS=--balance"
same "demo: new train options redo train, classify, report" "$(grep '^== ' "$T/out" | cut -d: -f1 | tr '\n' '|')" \
	"== 5/7 train|== 6/7 classify|== 7/7 report|"

# the letters are a function of (seed, letter, index): the first two A and B
# come out the same when made alone
/usr/bin/python3 "$top/tools/demo-data.py" -n 2 --letters AB "$T/ab" 2>"$T/err"
ok=1
for f in "$T/ab"/A/* "$T/ab"/B/*; do
	cmp -s "$f" "$O/letters/${f#"$T/ab/"}" || { ok=0; fail "demo: letters deterministic" "${f#"$T/ab/"} differs or is missing: $(head -c 200 "$T/err")"; break; }
done
[ $ok = 1 ] && pass "demo: letters deterministic"

run "demo: missing DATA" 2 "$D DATA='$T/nosuch'"
has "demo: missing DATA message" "$T/err" "$T/nosuch: no such directory (set DATA)"
