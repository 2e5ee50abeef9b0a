# tests/cli/progress.sh - progress lines (lib/cli/progress.h): forced on by
# TL_PROGRESS=1 with the fixed clock TL_PROGRESS_CLOCK, the lines of three
# tools of one pipeline on one stderr are whole lines, each starting with its
# own tool's name, never holding another's text nor a "\r"; a known total
# gives time left, and so does a stream whose header expects a count
# (tl-stream(5) "expect", carried down the pipeline by tl-augment, tl-split
# and tl-cat); a stream without it gives the count and rate, one whose count
# is wrong the count past it without time left; off when stderr is not a
# terminal, on when it is, off on one with TL_PROGRESS=0.  The format itself:
# tests/unit/test_progress.c.
M=$top/models/mobilenetv2
if [ ! -f "$M/model.json" ]; then
	fail "progress: models" "models/mobilenetv2 missing: run make model"
	return 0 2>/dev/null || exit 0
fi
export TL_MODEL_PATH=$top/models
mkdir -p "$T/img"
for f in gradient noise shapes synthetic text; do cp "$top/tests/model/img/$f.png" "$T/img/"; done
cd "$T" || exit 1
P="TL_PROGRESS=1 TL_PROGRESS_CLOCK=5"

run progress-pipeline 0 "$P $BIN/tl-ingest --set split=train img | $P $BIN/tl-augment -k 2 |
	$P $BIN/tl-embed -m mobilenetv2 -b 2 > out.tl"
same progress-no-cr "$(tr -cd '\r' < "$T/err" | wc -c)" 0
same progress-named "$(grep -cv '^tl-\(ingest\|augment\|embed\): ' "$T/err")" 0
same progress-unmixed "$(grep -c 'tl-[a-z]*:.*tl-[a-z]*:' "$T/err")" 0
same progress-ingest "$(grep '^tl-ingest: [0-9]*/' "$T/err" | tr '\n' '|')" \
"tl-ingest: 1/5 (20%) 5.0 s/image, 0:20 left|tl-ingest: 2/5 (40%) 5.0 s/image, 0:15 left|\
tl-ingest: 3/5 (60%) 5.0 s/image, 0:10 left|tl-ingest: 4/5 (80%) 5.0 s/image, 0:05 left|\
tl-ingest: 5/5 (100%) 5.0 s/image, done in 0:25|"
# tl-augment's total is tl-ingest's expect (5); at 5 the stream might go on:
# the count alone, then the closing line
same progress-augment "$(grep '^tl-augment: ' "$T/err" | tr '\n' '|')" \
"tl-augment: 1/5 (20%) 5.0 s/image, 0:20 left|tl-augment: 2/5 (40%) 5.0 s/image, 0:15 left|\
tl-augment: 3/5 (60%) 5.0 s/image, 0:10 left|tl-augment: 4/5 (80%) 5.0 s/image, 0:05 left|\
tl-augment: 5 images, 5.0 s/image|tl-augment: 5/5 (100%) 6.0 s/image, done in 0:30|"
# tl-embed's: tl-augment's expect, 5 train records times 3 (-k 2 and the original)
same progress-embed-first "$(grep -m1 '^tl-embed: ' "$T/err")" "tl-embed: 2/15 (13%) 2.5 s/image, 0:33 left"
same progress-embed-end "$(grep '^tl-embed: ' "$T/err" | tail -n 1)" \
	"tl-embed: 15/15 (100%) 2.3 s/image, done in 0:35"

# off unless stderr is a terminal; TL_PROGRESS=0 turns it off on one
run progress-off 0 "TL_PROGRESS_CLOCK=5 $BIN/tl-ingest img > /dev/null"
same progress-off-stderr "$(cat "$T/err")" "tl-ingest: 5 read, 0 skipped"
if command -v script > /dev/null; then
	run progress-tty 0 "TL_PROGRESS_CLOCK=5 script -qec '$BIN/tl-ingest img > /dev/null' /dev/null"
	same progress-tty-lines "$(grep -c '^tl-ingest: [0-9]/5 ' "$T/out")" 5
	run progress-tty-off 0 "TL_PROGRESS=0 TL_PROGRESS_CLOCK=5 script -qec '$BIN/tl-ingest img > /dev/null' /dev/null"
	same progress-tty-off-lines "$(grep -c '^tl-ingest: [0-9]/5 ' "$T/out")" 0
fi

# fine-tuning: a line per epoch (each 5 s on the fixed clock) with time left
/usr/bin/python3 "$top/tools/demo-data.py" -n 4 letters > /dev/null 2>&1
"$BIN/tl-ingest" letters 2>/dev/null | "$BIN/tl-split" --dup-distance -1 2>/dev/null |
	"$BIN/tl-embed" -m mobilenetv2 --cut > cut.tl 2>/dev/null
run progress-finetune 0 "$P $BIN/tl-train --finetune --ft-epochs 3 -o ft.tlm cut.tl"
same progress-finetune-lines "$(grep '^tl-train: fine-tune epoch [0-9]/' "$T/err" | tr '\n' '|')" \
"tl-train: fine-tune epoch 1/3 (33%) 5.0 s/epoch, 0:10 left|tl-train: fine-tune epoch 2/3 (66%) 5.0 s/epoch, 0:05 left|\
tl-train: fine-tune epoch 3/3 (100%) 5.0 s/epoch, done in 0:15|"
run progress-finetune-quiet 0 "$P $BIN/tl-train -q --finetune --ft-epochs 3 -o ft.tlm cut.tl"
same progress-finetune-quiet-lines "$(grep -c '^tl-train: fine-tune epoch [0-9]/' "$T/err")" 0

# tl-classify after tl-ingest, in batches of 2
run progress-classify 0 "$P $BIN/tl-ingest img | $P $BIN/tl-classify -b 2 -m ft.tlm > /dev/null"
same progress-classify-named "$(grep -cv '^tl-\(ingest\|classify\): ' "$T/err")" 0
same progress-classify-lines "$(grep '^tl-classify: ' "$T/err" | tr '\n' '|')" \
"tl-classify: 2/5 (40%) 2.5 s/image, 0:08 left|tl-classify: 5/5 (100%) 2.0 s/image, done in 0:10|"

# --- the expected count carried down the stream (tl-stream(5) "expect") ---
# the expected counts in the header tl-cat --headers printed
expects() { head -n 1 "$T/out" | grep -o '"expect[a-z_]*":[0-9]*' | tr '\n' ' ' | sed 's/ $//'; }
# tl-ingest DIR | tl-embed: the total from tl-ingest's header
run progress-expect-embed 0 "$BIN/tl-ingest img 2>/dev/null | $P $BIN/tl-embed -m mobilenetv2 -b 2 > /dev/null"
same progress-expect-embed-lines "$(tr '\n' '|' < "$T/err")" \
"tl-embed: 2/5 (40%) 2.5 s/image, 0:08 left|tl-embed: 5/5 (100%) 2.0 s/image, done in 0:10|"
# the key in the header; without split folders, none of the 5 is train
run progress-expect-header 0 "$BIN/tl-ingest img 2>/dev/null | $BIN/tl-cat --headers"
same progress-expect-header-line "$(head -n 1 "$T/out")" \
	'{"tl":1,"producer":"tl-ingest 0.1.0","expect":5,"expect_train":0}'
# through tl-split and tl-augment: tl-split's count is exact and says how
# many are train, so tl-augment's is too (4 labelled records, 3 of them
# train, 1 unlabelled: 2 + 3 x 3 = 11)
mkdir -p lab/a lab/b
cp img/gradient.png img/noise.png lab/a/; cp img/shapes.png img/synthetic.png lab/b/
cp img/text.png lab/
run progress-expect-split 0 "$BIN/tl-ingest lab 2>/dev/null | $BIN/tl-split --ratio 50:50 \
	--dup-distance -1 2>/dev/null | $BIN/tl-augment -k 2 | $P $BIN/tl-embed -m mobilenetv2 -b 3 > split.tl"
same progress-expect-split-first "$(head -n 1 "$T/err")" "tl-embed: 3/11 (27%) 1.7 s/image, 0:13 left"
same progress-expect-split-end "$(tail -n 1 "$T/err")" "tl-embed: 11/11 (100%) 1.4 s/image, done in 0:15"
run progress-expect-split-header 0 "$BIN/tl-cat --headers split.tl"
same progress-expect-split-key "$(expects)" '"expect":11 "expect_train":9'
# tl-cat -b: a filter it cannot count drops the key, --split train keeps
# the train count, --head caps it
run progress-expect-cat-label 0 "$BIN/tl-cat -b --label a split.tl | $BIN/tl-cat --headers"
same progress-expect-cat-label-key "$(expects)" ""
run progress-expect-cat-train 0 "$BIN/tl-cat -b --split train split.tl | $BIN/tl-cat --headers"
same progress-expect-cat-train-key "$(expects)" '"expect":9 "expect_train":9'
run progress-expect-cat-head 0 "$BIN/tl-cat -b -n 2 split.tl | $BIN/tl-cat --headers"
same progress-expect-cat-head-key "$(expects)" '"expect":2'
# --headers shows the input's header as it is, whatever it prints
run progress-expect-cat-json 0 "$BIN/tl-cat --headers -n 0 --label a split.tl"
same progress-expect-cat-json-key "$(expects)" '"expect":11 "expect_train":9'
# tl-ingest of several folders: their files listed first, a total for all
mkdir -p more && cp img/gradient.png more/m1.png && cp img/noise.png more/m2.png
run progress-ingest-two 0 "$P $BIN/tl-ingest img more > /dev/null"
same progress-ingest-two-first "$(head -n 1 "$T/err")" "tl-ingest: 1/7 (14%) 5.0 s/image, 0:30 left"
# a stream without the key (an archive's count is unknown): the count alone
tar -cf img.tar img
run progress-expect-none 0 "$BIN/tl-ingest img.tar 2>/dev/null | $P $BIN/tl-embed -m mobilenetv2 -b 2 > /dev/null"
same progress-expect-none-lines "$(tr '\n' '|' < "$T/err")" \
"tl-embed: 2 images, 2.5 s/image|tl-embed: 5/5 (100%) 2.0 s/image, done in 0:10|"
# a wrong count breaks nothing: past it, the count without time left; below
# it, the closing line says what there was (batch 1: a line per record, the
# first after two are queued, tl-embed decoding a batch ahead)
"$BIN/tl-ingest" img 2>/dev/null | "$BIN/tl-cat" --headers --full > img.jsonl
sed '1s/"expect":5/"expect":4/' img.jsonl | "$BIN/tl-cat" --from-json > low.tl
sed '1s/"expect":5/"expect":40/' img.jsonl | "$BIN/tl-cat" --from-json > high.tl
run progress-expect-low 0 "$P $BIN/tl-embed -m mobilenetv2 -b 1 low.tl > /dev/null"
same progress-expect-low-lines "$(tr '\n' '|' < "$T/err")" \
"tl-embed: 1/4 (25%) 5.0 s/image, 0:15 left|tl-embed: 2/4 (50%) 5.0 s/image, 0:10 left|\
tl-embed: 3/4 (75%) 5.0 s/image, 0:05 left|tl-embed: 4 images, 5.0 s/image|\
tl-embed: 5/5 (100%) 5.0 s/image, done in 0:25|"
run progress-expect-high 0 "$P $BIN/tl-embed -m mobilenetv2 -b 1 high.tl > /dev/null"
same progress-expect-high-lines "$(tr '\n' '|' < "$T/err")" \
"tl-embed: 1/40 (2%) 5.0 s/image, 3:15 left|tl-embed: 2/40 (5%) 5.0 s/image, 3:10 left|\
tl-embed: 3/40 (7%) 5.0 s/image, 3:05 left|tl-embed: 4/40 (10%) 5.0 s/image, 3:00 left|\
tl-embed: 5/5 (100%) 5.0 s/image, done in 0:25|"
