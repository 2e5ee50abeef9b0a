# tests/cli/augment.sh - tl-augment: usage, which records are augmented and
# which pass through untouched, the shape of what is written, determinism
# across runs, input orders and process counts, exact flips on a picture of
# known geometry, the zoom-out guard, the contact sheet, bad records and the
# stream properties.  Transforms pixel by pixel: tests/unit/test_augment.c.

A=$BIN/tl-augment
I=$BIN/tl-ingest
C=$BIN/tl-cat

# mkimg FILE W H: white, a red top-left quarter, a blue bottom-left one
mkimg() {
	vips black "$T/m.v" "$2" "$3" --bands 3 &&
	vips linear "$T/m.v" "$T/n.v" "1 1 1" "250 250 250" --uchar &&
	vips draw_rect "$T/n.v" "255 0 0" 0 0 $(($2 / 2)) $(($3 / 2)) --fill &&
	vips draw_rect "$T/n.v" "0 0 255" 0 $(($3 / 2)) $(($2 / 2)) $(($3 - $3 / 2)) --fill &&
	vips copy "$T/n.v" "$1"
}
mkdir -p "$T/tr/ants" "$T/tr/bees" "$T/va/ants" "$T/te/bees" "$T/ns"
mkimg "$T/tr/ants/a1.png" 32 32 && mkimg "$T/tr/ants/a2.png" 80 60 &&
mkimg "$T/tr/bees/b1.png" 48 64 && mkimg "$T/va/ants/v1.png" 40 40 &&
mkimg "$T/te/bees/t1.png" 40 40 && mkimg "$T/ns/n1.png" 40 40 ||
	fail augment-fixtures "cannot make the test pictures with vips"
cd "$T" || exit 1
{ $I --set split=train tr; $I --set split=val va; $I --set split=test te; $I ns; } \
	> in.tl 2>/dev/null
# js FILE: the records as sorted JSON lines, every byte shown
js() { $C --full "$1" | LC_ALL=C sort; }

# --- usage -------------------------------------------------------------------
run augment-help 0 "$A --help"
has augment-help-usage "$T/out" "usage: tl-augment [-k copies]"
run augment-version 0 "$A --version"
same augment-version-text "$(cat "$T/out")" "tl-augment 0.1.0"
for bad in "--preset extreme" "--flip x" "--zoom 2:1" "--zoom 0" "--rotate 400" "--copies -1" \
	"--copies 0 --no-original" "--fill black" "--crop-scale 0:1" "--crop-scale 0.5:2" \
	"--brightness 2" "--cutout x" "--size 0" "--seed -3" "--max-bad lots" "--bogus"; do
	run "augment-usage[$bad]" 2 "$A $bad < in.tl"
	has "augment-usage-try[$bad]" "$T/err" "Try 'tl-augment --help'"
done
run augment-tty 2 "script -qec '$A < in.tl' $T/typescript"
has augment-tty-msg "$T/out" "refusing to write a binary stream to a terminal"

# --- what is written ----------------------------------------------------------
run augment-default 0 "$A < in.tl > out.tl"
same augment-default-stderr "$(cat "$T/err")" ""
$C -f id,split,of,aug out.tl > ids.tsv
same augment-ids "$(cut -f1 ids.tsv | tr '\n' ' ')" \
	"ants/a1.png ants/a1.png#aug1 ants/a1.png#aug2 ants/a1.png#aug3 ants/a1.png#aug4 ants/a1.png#aug5 ants/a1.png#aug6 ants/a1.png#aug7 ants/a1.png#aug8 ants/a1.png#aug9 ants/a1.png#aug10 \
ants/a2.png ants/a2.png#aug1 ants/a2.png#aug2 ants/a2.png#aug3 ants/a2.png#aug4 ants/a2.png#aug5 ants/a2.png#aug6 ants/a2.png#aug7 ants/a2.png#aug8 ants/a2.png#aug9 ants/a2.png#aug10 \
bees/b1.png bees/b1.png#aug1 bees/b1.png#aug2 bees/b1.png#aug3 bees/b1.png#aug4 bees/b1.png#aug5 bees/b1.png#aug6 bees/b1.png#aug7 bees/b1.png#aug8 bees/b1.png#aug9 bees/b1.png#aug10 \
ants/v1.png bees/t1.png n1.png "
same augment-of "$(grep '#aug3' ids.tsv | cut -f3 | tr '\n' ' ')" "ants/a1.png ants/a2.png bees/b1.png "
same augment-original-aug "$(grep -c '^ants/a1.png	train		$' ids.tsv)" 1
same augment-variants-described "$(grep '#aug' ids.tsv | cut -f4 | grep -c '^crop=')" 30
same augment-pix "$($C -f pix out.tl | grep -c '"shape":\[256,256,3\]')" 33
$C --split train -f id,img,sha256,label out.tl > keys.tsv
same augment-no-img "$(cut -f2 keys.tsv | sort -u | tr '\n' ' ')" " "
same augment-sha256-original-only "$(grep -c '#aug.*	[0-9a-f]\{64\}	' keys.tsv)/$(grep -c '^ants/a1.png	.*[0-9a-f]\{64\}' keys.tsv)" "0/1"
same augment-label-kept "$(grep '^bees/b1.png#aug2' keys.tsv | cut -f4)" "bees"
same augment-trailer "$($C --headers out.tl | tail -n 1)" '{"tl":1,"end":36}'

# not train (val, test, no split): untouched, byte for byte
$C --full in.tl | grep -v '"split":"train"' > pass.want
$C --full out.tl | grep -v '"split":"train"' > pass.got
same_file augment-passthrough "$T/pass.got" "$T/pass.want"

run augment-size 0 "$A --size 32 -k 2 --no-original < in.tl > s.tl"
same augment-size-pix "$($C -f pix s.tl | grep -c '"shape":\[32,32,3\]')" 6
same augment-no-original "$($C -f id s.tl | head -n 3 | tr '\n' ' ')" \
	"ants/a1.png#aug1 ants/a1.png#aug2 ants/a2.png#aug1 "

run augment-all 0 "$A --all -k 1 --size 16 < in.tl > all.tl"
has augment-all-loud "$T/err" "tl-augment: --all: augmenting EVERY record"
same augment-all-ids "$($C -f id all.tl | grep -c '#aug1')" 6

# --- determinism ----------------------------------------------------------------
$A --size 48 < in.tl > d1.tl 2>/dev/null
$A --size 48 < in.tl > d2.tl 2>/dev/null
if cmp -s d1.tl d2.tl; then pass augment-same-run; else fail augment-same-run "two runs differ"; fi
$C --full in.tl | tac | $C --from-json > rev.tl
$A --size 48 < rev.tl > d3.tl 2>/dev/null
js d1.tl > d1.json
js d3.tl > d3.json
same_file augment-order-free "$T/d3.json" "$T/d1.json"
# two processes, each given part of the records
$C --full in.tl | head -n 2 | $C --from-json > p1.tl
$C --full in.tl | tail -n +3 | $C --from-json > p2.tl
{ $A --size 48 < p2.tl; $A --size 48 < p1.tl; } > d4.tl 2>/dev/null
js d4.tl > d4.json
same_file augment-process-free "$T/d4.json" "$T/d1.json"
$A --size 48 --seed 7 < in.tl > d5.tl 2>/dev/null
if cmp -s d1.tl d5.tl; then fail augment-seed "--seed 7 changed nothing"; else pass augment-seed; fi

# --- transforms on a picture of known geometry ------------------------------------
# a1.png is 32x32: red top-left, blue bottom-left, white on the right
$A --preset none --flip h -k 12 --size 32 < in.tl 2>/dev/null |
	$C --split train --full | jq -c 'select(.id | startswith("ants/a1.png")) | [.aug, .pix.data]' > flip.json
# md5 of the pixels of the original mirrored, and of each kind of variant
mirrored=$(jq -c 'select(.[0] == "") | .[1] | [_nwise(96)] | map([_nwise(3)] | reverse | add) | add' flip.json | sort -u | md5sum)
same augment-flip-both-kinds "$(jq -r '.[0]' flip.json | sort -u | tr '\n' ' ')" " flip "
same augment-flip-exact "$(jq -c 'select(.[0] == "flip") | .[1]' flip.json | sort -u | md5sum)" "$mirrored"
# the original and its unflipped variants: one picture, and not a mirror-symmetric one
same augment-noflip-identity "$(jq -c 'select(.[0] == "") | .[1]' flip.json | sort -u | wc -l) $(jq -c 'select(.[0] == "") | .[1]' flip.json | sort -u | md5sum | cut -c1-32 | grep -vc "${mirrored%% *}")" "1 1"
# 32x32 with --size 16: the guard allows zoom 0.5 only when 32 * 0.5 >= --min-size
$A --preset none --zoom 0.5 -k 1 --size 16 --min-size 16 < in.tl > z.tl 2>/dev/null
same augment-guard-allows "$($C -f id,aug z.tl | grep '^ants/a1.png#aug1' | cut -f2)" "zoom=0.50"
$A --preset none --zoom 0.5 -k 1 --size 16 --min-size 17 < in.tl > z.tl 2>/dev/null
same augment-guard-raises "$($C -f id,aug z.tl | grep '^ants/a1.png#aug1' | cut -f2)" "zoom=0.54"
$A --preset none --zoom 0.5 -k 1 --size 20 < in.tl > z.tl 2>/dev/null
same augment-guard-default "$($C -f id,aug z.tl | grep '^ants/a1.png#aug1' | cut -f2)" "zoom=0.63"
run augment-guard-small-run 0 "$A --preset none --zoom 0.5 -k 1 --size 16 --min-size 32 < in.tl > z.tl"
same augment-guard-small "$($C -f id,aug z.tl | grep '^ants/a1.png#aug1' | tr '\t' ' ')" "ants/a1.png#aug1 "
run augment-fill-crop-run 0 "$A --preset heavy --fill crop --zoom 0.5:1 -k 4 --size 16 --min-size 1 < in.tl > fc.tl"
same augment-fill-crop-no-zoom-out "$($C -f aug fc.tl | grep -c 'zoom=0') of $($C -f aug fc.tl | grep -c 'zoom=')" "0 of 12"
# an explicit flag overrides the preset, the rest of the preset stays
$A --preset heavy --rotate 0 --cutout 0 -k 8 --size 16 < in.tl > h.tl 2>/dev/null
same augment-override "$($C -f aug h.tl | grep -c 'rot=\|cutout=')/$($C -f aug h.tl | grep -c 'hue=')" "0/24"

# --- the contact sheet ----------------------------------------------------------
run augment-preview 0 "$A -k 3 --size 24 --preview sheet.png < in.tl > /dev/null"
same augment-preview-size "$(vipsheader -f width sheet.png)x$(vipsheader -f height sheet.png)" \
	"$((4 * 24 + 3 * 4))x$((3 * 24 + 2 * 4))"
same augment-preview-no-temp "$(ls | grep -c 'sheet.png.tmp')" 0
run augment-preview-rows 0 "$A -k 2 --size 24 --no-original --preview sheet2.png --preview-rows 1 < in.tl > /dev/null"
same augment-preview-rows-size "$(vipsheader -f width sheet2.png)x$(vipsheader -f height sheet2.png)" \
	"$((2 * 24 + 4))x24"
run augment-preview-empty 1 "$C --split val in.tl --stream | $A --preview none.png > /dev/null"
same augment-preview-empty-msg "$(cat "$T/err")" \
	"tl-augment: --preview: no train record: no contact sheet written"
run augment-preview-unwritable 1 "$A --preview nosuchdir/s.png < in.tl > /dev/null"
has augment-preview-unwritable-msg "$T/err" "tl-augment: --preview: nosuchdir/s.png: No such file or directory"

# --- bad records and broken streams ------------------------------------------------
{ $C --full in.tl | head -n 1
  echo '{"id":"bad.png","split":"train","img":{"base64":"bm90IGFuIGltYWdl"}}'
  echo '{"id":"nothing.png","split":"train"}'
  $C --full in.tl | tail -n 1; } | $C --from-json > bad.tl
run augment-bad 1 "$A -k 1 --size 16 < bad.tl > b.tl"
same augment-bad-msg "$(cat "$T/err")" "tl-augment: bad.png: not an image: a text file
tl-augment: nothing.png: no img or pix
tl-augment: 4 read, 2 skipped"
same augment-bad-rest "$($C -f id b.tl | tr '\n' ' ')" "ants/a1.png ants/a1.png#aug1 n1.png "
run augment-bad-tolerated 0 "$A -k 1 --size 16 --max-bad 2 < bad.tl > /dev/null"
run augment-strict 1 "$A -k 1 --size 16 --strict < bad.tl > /dev/null"
# (a cut stream: tests/README.md's hostile table)

# --- stream properties ---------------------------------------------------------------
run augment-head 0 "$A < in.tl | head -c 1 > /dev/null"
same augment-head-quiet "$(cat "$T/err")" ""
run augment-no-tmp 0 "TMPDIR=/nonexistent $A --size 16 < in.tl > /dev/null"
# pix input (tl-ingest --size) works as well as img
$I --size 40 --set split=train tr > pix.tl 2>/dev/null
run augment-pix-input 0 "$A -k 1 --size 20 < pix.tl > pixout.tl"
same augment-pix-input-n "$($C -f pix pixout.tl | grep -c '"shape":\[20,20,3\]')" 6
