# tests/cli/experiment.sh - pipelines/experiment.mk on letters
# (tools/demo-data.py: A B C, 12 each), raw-pixel features to be quick:
# every stage's file holds what it should (counts by split, variants of
# train only, features of each, a model, verdicts of the test images, a
# report); make again runs nothing; new options rerun their stage and what
# follows, nothing before it; a new image reruns everything; make -j2 gives
# the same verdicts; a failing stage leaves no file; bad settings are refused.
MK=$top/pipelines/experiment.mk
C=$BIN/tl-cat
/usr/bin/python3 "$top/tools/demo-data.py" -n 12 -s 64 --letters ABC "$T/L" > /dev/null
X="make --no-print-directory -f '$MK' BIN='$BIN' DATA='$T/L' EMBED_FLAGS='-m pixels:8' AUGMENT_FLAGS='-k 2 -s 64'"
stages() { grep '^== ' "$T/out" | cut -d' ' -f2 | tr '\n' ' '; }

run "experiment: the pipeline runs" 0 "cd '$T' && $X"
same "experiment: every stage ran, in order" "$(stages)" "1/7 2/7 3/7 4/7 5/7 6/7 7/7 "
has "experiment: the report's accuracy is printed" "$T/out" "accuracy  "
E=$T/experiment
same "experiment: ingest.tl holds the 36 images" "$("$C" -f id "$E/ingest.tl" | wc -l)" 36
"$C" -c split "$E/split.tl" | sort > "$T/splits"
tr=$(awk '$1 == "train" { print $2 }' "$T/splits"); va=$(awk '$1 == "val" { print $2 }' "$T/splits")
te=$(awk '$1 == "test" { print $2 }' "$T/splits")
same "experiment: split.tl: train + val + test = 36" "$((tr + va + te))" 36
same "experiment: split.tl has a test split" "$([ "${te:-0}" -gt 0 ] && echo yes)" yes
same "experiment: augment.tl: each train image and 2 variants, val and test once" \
    "$("$C" -f id "$E/augment.tl" | wc -l)" "$((3 * tr + va + te))"
same "experiment: augment.tl's val and test untouched" \
    "$("$C" --split val -f id,sha256 "$E/augment.tl" | sort | md5sum)" "$("$C" --split val -f id,sha256 "$E/split.tl" | sort | md5sum)"
same "experiment: embed.tl: 192 pixel features for each" \
    "$("$C" -f emb "$E/embed.tl" | grep -c '"shape":\[192\]')" "$((3 * tr + va + te))"
same "experiment: model.tlm made" "$(test -s "$E/model.tlm" && echo yes)" yes
same "experiment: eval.tl: a verdict for each test image" \
    "$("$C" -f id,pred "$E/eval.tl" | awk -F'\t' '$2 != ""' | wc -l)" "$te"
same "experiment: eval.tl holds only test" "$("$C" -c split "$E/eval.tl" | cut -f1)" test
has "experiment: report.txt" "$E/report.txt" "accuracy on accepted"
has "experiment: report.html" "$E/report.html" "<html"
same "experiment: no temporary file left" "$(ls -A "$E" | grep -c tmp)" 0
"$C" -f id,pred,conf "$E/eval.tl" > "$T/verdicts.j1"

run "experiment: make again" 0 "cd '$T' && $X"
same "experiment: make again runs no stage" "$(stages)" ""
run "experiment: new TRAIN_FLAGS" 0 "cd '$T' && $X TRAIN_FLAGS='--l2 0.5'"
same "experiment: new TRAIN_FLAGS rerun train, classify, report" "$(stages)" "5/7 6/7 7/7 "
run "experiment: new CLASSIFY_FLAGS" 0 "cd '$T' && $X TRAIN_FLAGS='--l2 0.5' CLASSIFY_FLAGS='--no-reject'"
same "experiment: new CLASSIFY_FLAGS rerun classify, report" "$(stages)" "6/7 7/7 "
same "experiment: --no-reject reached tl-classify" "$("$C" -f pred "$E/eval.tl" | grep -c unknown)" 0
run "experiment: new AUGMENT_FLAGS" 0 "cd '$T' && $X TRAIN_FLAGS='--l2 0.5' CLASSIFY_FLAGS='--no-reject' AUGMENT_FLAGS='-k 1 -s 64'"
same "experiment: new AUGMENT_FLAGS rerun augment to report" "$(stages)" "3/7 4/7 5/7 6/7 7/7 "
cp "$T/L/A/$(ls "$T/L/A" | head -n 1)" "$T/L/A/zz-new.png"
run "experiment: a new image" 0 "cd '$T' && $X TRAIN_FLAGS='--l2 0.5' CLASSIFY_FLAGS='--no-reject' AUGMENT_FLAGS='-k 1 -s 64'"
same "experiment: a new image reruns every stage" "$(stages)" "1/7 2/7 3/7 4/7 5/7 6/7 7/7 "
rm "$T/L/A/zz-new.png"

run "experiment: make -j2 from clean" 0 "cd '$T' && $X -j2 OUT=j2"
same "experiment: -j2 ran every stage" "$(stages | wc -w)" 7
"$C" -f id,pred,conf "$T/j2/eval.tl" > "$T/verdicts.j2"
same_file "experiment: -j2's verdicts = -j1's" "$T/verdicts.j2" "$T/verdicts.j1"

run "experiment: a failing stage" 2 "cd '$T' && $X OUT=bad TRAIN_FLAGS='--no-such-option'"
has "experiment: the failing tool's message" "$T/err" "tl-train: unrecognized option '--no-such-option'"
same "experiment: the failed stage left no file" "$(ls -A "$T/bad" | grep -c 'model\|eval\|report')" 0
same "experiment: the stages before it stayed" "$(ls "$T/bad" | grep -c '\.tl$')" 4
run "experiment: no DATA" 2 "cd '$T' && $X DATA='$T/none' OUT=none"
has "experiment: no DATA's message" "$T/err" "$T/none: no such directory (set DATA)"
run "experiment: AUGMENT=maybe" 2 "cd '$T' && $X AUGMENT=maybe"
has "experiment: AUGMENT=maybe's message" "$T/err" "AUGMENT=maybe: yes or no"
run "experiment: an empty EVAL_SPLIT" 2 "cd '$T' && $X EVAL_SPLIT=holdout"
has "experiment: an empty EVAL_SPLIT's message" "$T/err" "no record in split holdout"
run "experiment: AUGMENT=no" 0 "cd '$T' && $X OUT=noaug AUGMENT=no"
same_file "experiment: AUGMENT=no: augment.tl is split.tl" "$T/noaug/augment.tl" "$T/noaug/split.tl"
