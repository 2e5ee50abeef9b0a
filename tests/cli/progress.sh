# tests/cli/progress.sh - progress lines (lib/cli/progress.h): forced on by
# TL_PROGRESS=1 with the fixed clock TL_PROGRESS_CLOCK, the lines of three
# tools of one pipeline on one stderr are whole lines, each starting with its
# own tool's name, never holding another's text nor a "\r"; a known total
# gives time left, a stream on a pipe the count and rate; off when stderr is
# not a terminal, on when it is, off on one with TL_PROGRESS=0.  The format
# itself: tests/unit/test_progress.c.
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
same progress-augment "$(grep '^tl-augment: ' "$T/err" | tr '\n' '|')" \
"tl-augment: 1 image, 5.0 s/image|tl-augment: 2 images, 5.0 s/image|tl-augment: 3 images, 5.0 s/image|\
tl-augment: 4 images, 5.0 s/image|tl-augment: 5 images, 5.0 s/image|"
same progress-embed-first "$(grep -m1 '^tl-embed: ' "$T/err")" "tl-embed: 2 images, 2.5 s/image"
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
"tl-classify: 2 images, 2.5 s/image|tl-classify: 5/5 (100%) 2.0 s/image, done in 0:10|"
