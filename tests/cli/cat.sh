# tests/cli/cat.sh - tl-cat: JSON, TSV, counts, filters, --stream, --extract
# and --from-json, on streams built here from JSON (so no other tool is
# needed); the --full round trip byte for byte; broken and hostile input with
# exact statuses and messages.  Expected outputs are in tests/golden/cat/
# (TL_UPDATE_GOLDEN=1 rewrites them from the current output: read the diff).

C=$BIN/tl-cat
G=$top/tests/golden/cat

# golden NAME: $T/out equals tests/golden/cat/NAME
golden() {
	if [ -n "${TL_UPDATE_GOLDEN:-}" ]; then cp "$T/out" "$G/$1"; fi
	same_file "cat-golden-$1" "$T/out" "$G/$1"
}
# lines NAME WANT: $T/out as one line, newlines shown as |
lines() { same "$1" "$(tr '\n' '|' <"$T/out")" "$2"; }

png_b64=iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAADUlEQVQImWPgEpEDIgABgwB5f9CzTgAAAABJRU5ErkJggg==
sha=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
cat >"$T/in.jsonl" <<EOF
{"tl":1,"producer":"test","classes":["ants","bees"]}
{"id":"ants/a1.png","src":"photos/ants/a1.png","label":"ants","split":"train","sha256":"$sha","phash":"fe00000000000001","width":2,"height":1,"img":{"base64":"$png_b64"}}
{"id":"ants/a2.jpg","label":"ants","split":"val","pred":"ants","conf":0.93,"emb":{"dtype":"<f4","shape":[3],"data":[0.5,-1.25,null]}}

{"id":"bees/b1.jpg","label":"bees","split":"train","pred":"ants","conf":0.51,"prob":{"dtype":"<f4","shape":[2],"data":[0.51,0.49]}}
{"id":"bees/b2.jpg","label":"bees","split":"test","pred":"bees","conf":1.0,"aug":"flip,rot=-7.5","of":"bees/b1.jpg","pix":{"dtype":"|u1","shape":[1,2,3],"data":[10,20,30,40,50,60]}}
{"id":"odd\tname\n\"q\"/../\u00e9\ud83d\ude00","pred":"unknown","conf":0.2,"ood":3.5,"flags":[true,false,null],"meta":{"n":-7,"h":{"dtype":"<f2","shape":[2],"data":[0.5,-2]},"i":{"dtype":"<i4","shape":[2],"data":[-3,4]}}}
{"id":"u1"}
{"tl":1,"end":6}
EOF

# --- usage -------------------------------------------------------------------
run cat-help 0 "$C --help"
has cat-help-usage "$T/out" "usage: tl-cat [-b | -c field | -f fields | -x dir]"
run cat-version 0 "$C --version"
same cat-version-text "$(cat "$T/out")" "tl-cat 0.1.0"
run cat-V 0 "$C -V"
same cat-V-text "$(cat "$T/out")" "tl-cat 0.1.0"
for bad in "-b -f id" "-c label -x d" "--full -f id" "--headers -b" "-n -1" "-n x" \
	"--min-conf abc" "--max-bad many" "-f id,,label" "--strip ''" "--bogus"; do
	run "cat-usage[$bad]" 2 "$C $bad $T/in.jsonl < /dev/null"
	has "cat-usage-try[$bad]" "$T/err" "Try 'tl-cat --help'"
done
if command -v script >/dev/null; then
	run cat-tty 0 "script -qec '$C -b --from-json $T/in.jsonl; echo status=\$?' $T/typescript"
	has cat-tty-msg "$T/out" "refusing to write a binary stream to a terminal"
	has cat-tty-status "$T/out" "status=2"
else
	skip cat-tty "no script(1) (util-linux) to make a terminal"
fi

# --- JSON Lines to a stream, and the views of it -------------------------------
run cat-from-json 0 "$C --from-json < $T/in.jsonl > $T/x.tl"
run cat-json 0 "$C $T/x.tl"
golden json.out
run cat-full 0 "$C --full --headers $T/x.tl"
golden full.out
run cat-jq 0 "$C $T/x.tl | jq -c . > $T/jq.out"
same cat-jq-lines "$(wc -l <"$T/jq.out")" 6
run cat-jq-full 0 "$C --full --headers $T/x.tl | jq -e . > /dev/null"
run cat-jq-tsv 0 "$C -f meta,emb,img $T/x.tl | cut -f2 | grep . | jq -e . > /dev/null"

run cat-roundtrip 0 "$C --full --headers $T/x.tl | $C --from-json > $T/y.tl"
same_file cat-roundtrip-bytes "$T/y.tl" "$T/x.tl"
run cat-roundtrip-noheader 0 "$C --full $T/x.tl | $C --from-json | $C --full > $T/z.out"
run cat-full-noheader 0 "$C --full $T/x.tl"
same_file cat-roundtrip-noheader-data "$T/z.out" "$T/out"
run cat-noheader-producer 0 "$C --full $T/x.tl | $C --from-json | $C --headers -n 0"
lines cat-noheader-producer-text '{"tl":1,"producer":"tl-cat 0.1.0"}|{"tl":1,"end":0}|'
run cat-jq-select 0 "$C --full --headers $T/x.tl | jq -c 'select(.tl or .label == \"ants\")' | $C --from-json | $C -f id"
lines cat-jq-select-ids 'ants/a1.png|ants/a2.jpg|'
run cat-jq-select-header 0 "$C --full --headers $T/x.tl | jq -c 'select(.tl or .label == \"ants\")' | $C --from-json | $C --headers -n 0"
lines cat-jq-select-header-text '{"tl":1,"producer":"test","classes":["ants","bees"]}|{"tl":1,"end":0}|'

# --- TSV, counts, head, filters ------------------------------------------------
run cat-tsv 0 "$C -f id,label,split,pred,conf,sha256,phash,missing,flags $T/x.tl"
golden tsv.out
run cat-count-label 0 "$C --count label $T/x.tl"
lines cat-count-label-text '	2|ants	2|bees	2|'
# the field forgotten: a file name is not taken as the field
run cat-count-file 2 "$C --count $T/x.tl < $T/x.tl"
has cat-count-file-msg "$T/err" "tl-cat: --count: '$T/x.tl' is a file, not a field: tl-cat --count FIELD $T/x.tl (FIELD such as label)"
run cat-count-pred 0 "$C -c pred $T/x.tl"
lines cat-count-pred-text '	2|ants	2|bees	1|unknown	1|'
run cat-count-split 0 "$C -c split --label ants $T/x.tl"
lines cat-count-split-text 'train	1|val	1|'
run cat-head 0 "$C -n 2 -f id $T/x.tl"
lines cat-head-ids 'ants/a1.png|ants/a2.jpg|'
run cat-head-0 0 "$C --head 0 $T/x.tl"
lines cat-head-0-empty ''
run cat-split 0 "$C --split train -f id $T/x.tl"
lines cat-split-ids 'ants/a1.png|bees/b1.jpg|'
run cat-pred 0 "$C --pred ants --label bees -f id $T/x.tl"
lines cat-pred-ids 'bees/b1.jpg|'
run cat-min-conf 0 "$C --min-conf 0.51 -f id,conf $T/x.tl"
lines cat-min-conf-ids 'ants/a2.jpg	0.93|bees/b1.jpg	0.51|bees/b2.jpg	1.0|'
run cat-max-conf 0 "$C --max-conf 0.51 -f id $T/x.tl"
lines cat-max-conf-ids 'bees/b1.jpg|odd\tname\n"q"/../é😀|'
run cat-conf-range 0 "$C --min-conf 0.3 --max-conf 0.95 -c label $T/x.tl"
lines cat-conf-range-count 'ants	1|bees	1|'
run cat-strip 0 "$C --strip img,pix,emb,prob,meta,sha256 $T/x.tl | jq -c 'keys | map(select(. == \"img\" or . == \"pix\" or . == \"emb\" or . == \"prob\" or . == \"meta\" or . == \"sha256\"))' | sort -u"
lines cat-strip-gone '[]|'

# --- streams out, concatenated streams in --------------------------------------
run cat-stream 0 "$C -b --label ants --strip img $T/x.tl > $T/ants.tl"
run cat-stream-read 0 "$C --headers $T/ants.tl"
golden stream.out
run cat-stream-head 0 "$C -b -n 1 $T/x.tl | $C -c label"
lines cat-stream-head-count 'ants	1|'
run cat-concat 0 "$C -c label $T/x.tl - $T/ants.tl < $T/x.tl"
lines cat-concat-count '	4|ants	6|bees	4|'
run cat-concat-cat 0 "cat $T/x.tl $T/x.tl | $C -f id | wc -l"
same cat-concat-cat-lines "$(tr -d ' ' <"$T/out")" 12

# --- broken and hostile input (cut, empty, missing, text: tests/README.md) -------
run cat-broken-later 1 "$C -f id $T/x.tl $T/nonexistent.tl"
same cat-broken-later-out "$(wc -l <"$T/out")" 6

cat >"$T/bad.jsonl" <<'EOF'
{"id":"ok1"}
[1,2]
{"id":"x",
{"id":"s","img":{"bin":5}}
{"id":"t","emb":{"dtype":"<f4","shape":[2],"min":0,"max":1,"mean":0.5}}
{"label":"no id"}
{"id":"ok2","e":{"dtype":"<f4","shape":[2],"data":[1,2,3]}}
{"id":"ok3"}
EOF
run cat-bad-json 1 "$C --from-json $T/bad.jsonl > $T/bad.tl"
same cat-bad-json-msgs "$(cat "$T/err")" "tl-cat: $T/bad.jsonl:2: not a JSON object
tl-cat: $T/bad.jsonl:3: malformed JSON at byte 10: expected a string key
tl-cat: $T/bad.jsonl:4: img: a summary ({\"bin\": n}) cannot be read back; print with tl-cat --full
tl-cat: $T/bad.jsonl:5: emb: a tensor summary cannot be read back; print with tl-cat --full
tl-cat: $T/bad.jsonl:6: a record needs a string \"id\"
tl-cat: $T/bad.jsonl:7: e: 3 values for 2 elements of the shape
tl-cat: 8 read, 6 skipped"
run cat-bad-json-ids 0 "$C -f id $T/bad.tl"
lines cat-bad-json-ids 'ok1|ok3|'
run cat-bad-json-budget 0 "$C --from-json --max-bad 6 $T/bad.jsonl | $C -c id"
lines cat-bad-json-budget-count 'ok1	1|ok3	1|'
run cat-bad-json-strict 1 "$C --from-json --strict $T/bad.jsonl | $C -c id"
same cat-bad-json-strict-msgs "$(sed -n '1p;$p' "$T/err" | tr '\n' '|')" \
	"tl-cat: $T/bad.jsonl:2: not a JSON object|tl-cat: stdin: truncated stream (no trailer after 1 records: did the tool before this one fail?)|"
printf '{"id":"a\377b\\u0001"}\n' >"$T/utf8.jsonl"
run cat-bad-utf8 0 "$C --from-json $T/utf8.jsonl | $C"
same cat-bad-utf8-text "$(cat "$T/out")" '{"id":"a�b\u0001"}'
run cat-bad-utf8-jq 0 "jq -e . < $T/out"

# --- --extract -------------------------------------------------------------------
run cat-extract 1 "cd $T && $C -x ex/sub x.tl"
golden extract.out
same cat-extract-msgs "$(cat "$T/err")" "tl-cat: ants/a2.jpg: no img or pix to extract
tl-cat: bees/b1.jpg: no img or pix to extract
tl-cat: odd	name \"q\"/../é😀: no img or pix to extract
tl-cat: u1: no img or pix to extract
tl-cat: 6 read, 4 skipped"
printf '%s' "$png_b64" | base64 -d >"$T/a1.png"
same_file cat-extract-img "$T/ex/sub/ants/ants_a1.png" "$T/a1.png"
if command -v vips >/dev/null; then
	same cat-extract-pix "$(vips getpoint "$T/ex/sub/bees/bees_b2.jpg.png" 1 0)" "40 50 60 "
else
	skip cat-extract-pix "no vips(1) (libvips-tools) to read the PNG"
fi
same cat-extract-files "$(cd "$T/ex" && find . | sort | tr '\n' ' ')" \
	". ./sub ./sub/ants ./sub/ants/ants_a1.png ./sub/bees ./sub/bees/bees_b2.jpg.png "
printf '{"id":"../../x","label":"..","img":{"base64":"aGk="}}\n{"id":"/abs/.x.jpg","label":"/","img":{"base64":"/9j/"}}\n' >"$T/evil.jsonl"
run cat-extract-evil 0 "$C --from-json $T/evil.jsonl | $C -x $T/ev"
lines cat-extract-evil-paths "$T/ev/_./_._.._x.bin|$T/ev/_/_abs_.x.jpg|"
same cat-extract-evil-contained "$(find "$T" -name '*x.bin' -o -name '*x.jpg' | grep -vc "^$T/ev/")" 0
run cat-extract-again 0 "$C --from-json $T/evil.jsonl | $C -x $T/ev"
same cat-extract-no-temp "$(find "$T/ev" -name '.tl-extract*' | wc -l)" 0

# --- streaming: a closed reader ends tl-cat quietly ----------------------------
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "{\"id\":\"r%d\",\"label\":\"l%d\",\"conf\":0.5}\n", i, i % 3 }' >"$T/big.jsonl"
run cat-big 0 "$C --from-json $T/big.jsonl > $T/big.tl"
run cat-head-c 0 "($C $T/big.tl; echo \$? > $T/head.st) | head -c 1 > /dev/null"
same cat-head-c-status "$(cat "$T/head.st")" 0
same cat-head-c-quiet "$(cat "$T/err")" ""
run cat-big-count 0 "$C -c label $T/big.tl"
lines cat-big-count-text 'l0	6667|l1	6667|l2	6666|'
