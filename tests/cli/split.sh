# tests/cli/split.sh - tl-split on streams built here from JSON Lines
# (tl-cat --from-json) with synthetic phash and sha256 values: stability when
# records are added, removed and reordered; byte-identical reruns;
# stratification (binomial by default, within 1 with --exact); duplicate
# groups never crossing splits; k-fold partitions; -o files and --dups;
# --min-count, --holdout-small, --ignore-label, unlabelled records; the exact
# stderr report; bad records, broken input and usage errors.

S=$BIN/tl-split
C=$BIN/tl-cat
PY=/usr/bin/python3

# lines NAME WANT: $T/out as one line, newlines shown as |
lines() { same "$1" "$(tr '\n' '|' <"$T/out")" "$2"; }
# tsv FILE STREAM FIELDS: the fields of a stream as TSV in FILE
# tsv OUT IN FIELDS: the fields of IN's records as TSV in OUT (at least one
# line: the checks that read it must not pass on nothing)
tsv() { $C -f "$3" "$2" >"$1" && [ -s "$1" ] || fail "tsv ${2##*/}" "tl-cat -f $3 failed or printed nothing"; }

# gen.py N CLASSES [START] [PHASH]: N records "cK/NNNNN" (K = i mod CLASSES,
# the ids sorted the other way round from input order), label "cK"; with
# PHASH, 1 in 5 is a near-copy (2 to 8 bits off) of an earlier picture, of
# another class 1 time in 20, and 1 in 50 shares a sha256 with its predecessor
cat >"$T/gen.py" <<'EOF'
import json, random, sys
n, k = int(sys.argv[1]), int(sys.argv[2])
start = int(sys.argv[3]) if len(sys.argv) > 3 else 0
ph = len(sys.argv) > 4
rnd = random.Random(42)
pics = []
for i in range(start, start + n):
    lab = "c%d" % (i % k)
    r = {"id": "%s/%05d" % (lab, 99999 - i), "label": lab}
    if ph:
        if pics and rnd.random() < 0.2:
            j = rnd.randrange(len(pics))
            h = pics[j]
            for b in rnd.sample(range(64), rnd.choice([2, 4, 6, 8])):
                h ^= 1 << b
            if rnd.random() < 0.05:
                r["label"] = "c%d" % ((i + 1) % k)
        else:
            h = rnd.getrandbits(64)
        pics.append(h)
        r["phash"] = "%016x" % h
        sha = "%064x" % (i // 2 if rnd.random() < 0.02 else 10**9 + i)
        r["sha256"] = sha
    print(json.dumps(r))
EOF

# --- usage -------------------------------------------------------------------
run split-help 0 "$S --help"
has split-help-usage "$T/out" "usage: tl-split [--ratio R | --train F --val F --test F | --folds K --fold I [--test F]]"
run split-version 0 "$S --version"
same split-version-text "$(cat "$T/out")" "tl-split 0.1.0"
for bad in "--ratio 1" "--ratio a:b" "--ratio 0:0" "--ratio 1:1:1:1" "--ratio 80:-20" \
	"--train 0.5 --val 0.2 --test 0.2" "--train 1.5" "--ratio 80:20 --train 0.8" \
	"--folds 5" "--folds 5 --fold 5" "--fold 1" "--folds 1 --fold 0" "--folds 3 --fold 0 --val 0.2" \
	"--folds 3 --fold 0 --test 1" "--holdout-small" "-o foo=x" "-o train=" "-o train" \
	"-o train=a -o train=b" "--dup-distance 65" "--dup-distance -2" "--seed -1" "--min-count x" \
	"--max-bad lots" "--bogus"; do
	run "split-usage[$bad]" 2 "$S $bad < /dev/null"
	has "split-usage-try[$bad]" "$T/err" "Try 'tl-split --help'"
done
run split-usage-sum 2 "$S --train 0.5 --val 0.2 --test 0.2 < /dev/null"
has split-usage-sum-msg "$T/err" "tl-split: --train, --val and --test add up to 0.9, not 1"
if command -v script >/dev/null; then
	$C --from-json >"$T/one.tl" <<'EOF'
{"id":"a","label":"x"}
EOF
	run split-tty 0 "script -qec '$S $T/one.tl; echo status=\$?' $T/typescript"
	has split-tty-msg "$T/out" "refusing to write a binary stream to a terminal"
	has split-tty-status "$T/out" "status=2"
	run split-tty-o 0 "script -qec '$S -o train=$T/tty-train.tl $T/one.tl; echo status=\$?' $T/typescript"
	has split-tty-o-status "$T/out" "status=0"
	run split-tty-o-file 0 "$C -f id,split $T/tty-train.tl"
	lines split-tty-o-file-text 'a	train|'
else
	skip split-tty "no script(1) (util-linux) to make a terminal"
fi

# --- the exact report, on a small stream ------------------------------------------
sha=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
cat >"$T/small.jsonl" <<EOF
{"tl":1,"producer":"test","classes":["ants","bees"]}
{"id":"ants/a1","label":"ants","phash":"ff00ff00ff00ff00","sha256":"$sha"}
{"id":"ants/a2","label":"ants","phash":"ff00ff00ff00ff03"}
{"id":"ants/a3","label":"ants","phash":"0f0f0f0f0f0f0f0f"}
{"id":"ants/a0","label":"ants","phash":"f0f0f0f0f0f0f0f0","sha256":"$sha"}
{"id":"bees/b1","label":"bees","split":"old"}
{"id":"bees/b2","label":"bees","group":"g1"}
{"id":"bees/b3","label":"bees","group":"g1"}
{"id":"bees/b4","label":"bees","phash":"ff00ff00ff00ff0f"}
{"id":"u1","split":"kept"}
{"id":"x1","label":"unknown"}
{"id":"wasps/w1","label":"wasps"}
{"id":"wasps/w2","label":"wasps"}
{"tl":1,"end":12}
EOF
run split-small-json 0 "$C --from-json $T/small.jsonl > $T/small.tl"
run split-small 0 "$S --min-count 3 --ignore-label unknown --dups $T/pairs.tl $T/small.tl > $T/s.tl"
same split-small-stderr "$(cat "$T/err")" "tl-split: class wasps: 2 records, fewer than --min-count 3: dropped
tl-split: 2 duplicate groups (6 records) kept together
tl-split: group ants/a0: 4 records (val): ants/a1 ants/a2 ants/a0 bees/b4 (labels differ)
tl-split: group g1: 2 records (train): bees/b2 bees/b3
tl-split: label   total   train     val    test dropped
tl-split: ants        4       1       3       0       0
tl-split: bees        4       3       1       0       0
tl-split: wasps       2       0       0       0       2
tl-split: (all)      10       4       4       0       2
tl-split: 1 unlabelled and 1 ignored records passed through without a split
tl-split: 12 read, 0 skipped"
run split-small-out 0 "$C --headers $T/s.tl"
same split-small-stdout "$(cat "$T/out")" '{"tl":1,"producer":"tl-split 0.1.0","classes":["ants","bees"],"split":{"train":0.7,"val":0.15,"test":0.15,"seed":0,"exact":false,"dup_distance":10,"min_count":3},"expect":10,"expect_train":4}
{"id":"ants/a1","label":"ants","phash":"ff00ff00ff00ff00","sha256":"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff","group":"ants/a0","split":"val"}
{"id":"ants/a2","label":"ants","phash":"ff00ff00ff00ff03","group":"ants/a0","split":"val"}
{"id":"ants/a3","label":"ants","phash":"0f0f0f0f0f0f0f0f","split":"train"}
{"id":"ants/a0","label":"ants","phash":"f0f0f0f0f0f0f0f0","sha256":"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff","group":"ants/a0","split":"val"}
{"id":"bees/b1","label":"bees","split":"train"}
{"id":"bees/b2","label":"bees","group":"g1","split":"train"}
{"id":"bees/b3","label":"bees","group":"g1","split":"train"}
{"id":"bees/b4","label":"bees","phash":"ff00ff00ff00ff0f","group":"ants/a0","split":"val"}
{"id":"u1","split":"kept"}
{"id":"x1","label":"unknown"}
{"tl":1,"end":10}'
run split-small-pairs 0 "$C $T/pairs.tl"
lines split-small-pairs-text '{"id":"ants/a1","other":"ants/a2","distance":2}|{"id":"ants/a1","other":"ants/a0","distance":32}|{"id":"ants/a1","other":"bees/b4","distance":4}|{"id":"ants/a2","other":"bees/b4","distance":2}|'
run split-small-holdout 0 "$S --min-count 3 --holdout-small --ignore-label unknown $T/small.tl | $C -f id,split --label wasps"
lines split-small-holdout-text 'wasps/w1	holdout|wasps/w2	holdout|'
has split-small-holdout-col "$T/err" "tl-split: label   total   train     val    test holdout"
has split-small-holdout-msg "$T/err" "tl-split: class wasps: 2 records, fewer than --min-count 3: split holdout"
run split-small-nodup 0 "$S --dup-distance -1 $T/small.tl | $C -c group"
lines split-small-nodup-groups '	8|ants/a0	2|g1	2|'
run split-small-seed 0 "$S --seed 12345 $T/small.tl | $C -b --label ants | $C --headers -n 0"
has split-small-seed-header "$T/out" '"seed":12345'

# --- stability and determinism ---------------------------------------------------
$PY "$T/gen.py" 3000 3 >"$T/a.jsonl"
$PY "$T/gen.py" 300 3 3000 >"$T/new.jsonl"
run split-gen 0 "$C --from-json $T/a.jsonl > $T/a.tl && cat $T/a.jsonl $T/new.jsonl | $C --from-json > $T/b.tl"
run split-gen-rm 0 "awk 'NR % 7 != 3' $T/a.jsonl | $C --from-json > $T/rm.tl && tac $T/a.jsonl | $C --from-json > $T/rev.tl"
for mode in "" "--exact" "--folds 4 --fold 1 --test 0.1" "--folds 4 --fold 1 --exact"; do
	run "split-stable-run[$mode]" 0 "$S $mode $T/a.tl > $T/a.out && $S $mode $T/b.tl > $T/b.out && $S $mode $T/rm.tl > $T/rm.out && $S $mode $T/rev.tl > $T/rev.out"
	tsv "$T/a.tsv" "$T/a.out" id,split
	tsv "$T/b.tsv" "$T/b.out" id,split
	tsv "$T/rm.tsv" "$T/rm.out" id,split
	tsv "$T/rev.tsv" "$T/rev.out" id,split
	added=$(sort "$T/b.tsv" | join - "$(sort "$T/a.tsv" >"$T/as.tsv"; echo "$T/as.tsv")" | awk '$2 != $3' | wc -l)
	removed=$(sort "$T/rm.tsv" | join - "$T/as.tsv" | awk '$2 != $3' | wc -l)
	case $mode in
	*exact*) # moves only near the cuts: a few dozen of 3000 at most
		[ "$added" -le 60 ] && pass "split-stable-add[$mode]" || fail "split-stable-add[$mode]" "$added moved"
		[ "$removed" -le 60 ] && pass "split-stable-remove[$mode]" || fail "split-stable-remove[$mode]" "$removed moved" ;;
	*)
		same "split-stable-add[$mode]" "$added" 0
		same "split-stable-remove[$mode]" "$removed" 0 ;;
	esac
	same "split-stable-order[$mode]" "$(sort "$T/rev.tsv" | cmp - "$T/as.tsv" && echo same)" same
	run "split-identical[$mode]" 0 "$S $mode $T/a.tl > $T/a2.out"
	same_file "split-identical-bytes[$mode]" "$T/a2.out" "$T/a.out"
done
run split-order 0 "$C -f id $T/rev.out | head -n 2"
lines split-order-text 'c2/97000|c1/97001|'

# --- stratification ---------------------------------------------------------------
# per class of 1000: default within 4 standard deviations of the ratio,
# --exact within 1; the ratio forms agree
for mode in "" "--exact" "--ratio 80:20" "--ratio 80:20 --exact" "--train 0.5 --val 0.3" "--ratio 50:30:20 --exact"; do
	run "split-strat-run[$mode]" 0 "$S $mode $T/a.tl 2>&1 >/dev/null | sed -n 's/^tl-split: c[0-9] *//p'"
	case $mode in
	*--exact*) tol=1 ;;
	*) tol=4 ;;
	esac
	case $mode in
	*80:20*) r="0.8 0.2 0" ;;
	*0.5*|*50:30*) r="0.5 0.3 0.2" ;;
	*) r="0.7 0.15 0.15" ;;
	esac
	v=$(awk -v tol=$tol -v r="$r" 'BEGIN { split(r, p, " ") }
		{ for (k = 1; k <= 3; k++) { e = $1 * p[k]; sd = sqrt($1 * p[k] * (1 - p[k]));
		  lim = tol == 1 ? 1 : tol * sd; d = $(k + 1) - e; if (d < 0) d = -d;
		  if (d > lim + 1e-9) print "class " NR " split " k ": " $(k + 1) " for " e } }' "$T/out")
	same "split-strat[$mode]" "$v" ""
	same "split-strat-classes[$mode]" "$(wc -l <"$T/out")" 3
done
run split-ratio-same 0 "$S --ratio 7:1.5:1.5 $T/a.tl > $T/r1.out && $S --train 0.7 --val 0.15 $T/a.tl > $T/r2.out"
run split-ratio-default 0 "$S $T/a.tl > $T/r0.out"
same_file split-ratio-same-bytes "$T/r1.out" "$T/r0.out"
run split-ratio-train-val 0 "$C -f id,split $T/r2.out > $T/r2.tsv && $C -f id,split $T/r0.out > $T/r0.tsv"
same_file split-ratio-train-val-same "$T/r2.tsv" "$T/r0.tsv"

# --- duplicate groups ---------------------------------------------------------------
$PY "$T/gen.py" 2000 4 0 phash >"$T/d.jsonl"
run split-dup-gen 0 "$C --from-json $T/d.jsonl > $T/d.tl"
for mode in "" "--exact" "--folds 3 --fold 2"; do
	run "split-dup-run[$mode]" 0 "$S $mode --dups $T/dp.tl $T/d.tl > $T/d.out"
	tsv "$T/d.tsv" "$T/d.out" id,split,group
	# no group crosses splits; the group is its smallest id
	v=$(awk -F '\t' '$3 != "" { if (($3 in s) && s[$3] != $2) print "group " $3 " crosses"; s[$3] = $2;
		if (!($3 in m) || $1 < m[$3]) m[$3] = $1 }
		END { for (g in m) if (m[g] != g) print "group " g " is not its smallest id " m[g] }' "$T/d.tsv")
	same "split-dup-whole[$mode]" "$v" ""
	# every pair of --dups is in one group, at most 10 bits apart
	tsv "$T/dp.tsv" "$T/dp.tl" id,other,distance
	v=$(awk -F '\t' 'NR == FNR { g[$1] = $3; next } g[$1] == "" || g[$1] != g[$2] || $3 > 10 { print }' \
		"$T/d.tsv" "$T/dp.tsv" | head -n 3)
	same "split-dup-pairs[$mode]" "$v" ""
done
ng=$(cut -f3 "$T/d.tsv" | grep -c .)
[ "$ng" -gt 500 ] && pass split-dup-many || fail split-dup-many "only $ng records in groups"
has split-dup-summary "$T/err" "duplicate groups ("
has split-dup-capped "$T/err" "more groups"
same split-dup-lines "$(grep -c ': group ' "$T/err")" 20
run split-dup-distance 0 "$S --dup-distance 4 $T/d.tl | $C -f group | grep -c ."
[ "$(cat "$T/out")" -lt "$ng" ] && pass split-dup-distance-fewer || fail split-dup-distance-fewer "$(cat "$T/out") >= $ng"
# an upstream group is honoured
printf '{"id":"p/1","label":"a","group":"patient7"}\n{"id":"p/2","label":"a","group":"patient7"}\n{"id":"p/3","label":"a","group":"patient7"}\n{"id":"p/4","label":"a"}\n' >"$T/g.jsonl"
for seed in 1 2 3 4 5 6 7 8; do
	run "split-upstream[$seed]" 0 "$C --from-json $T/g.jsonl | $S --seed $seed | $C -f split,group | sort -u | grep -c patient7"
	same "split-upstream-one[$seed]" "$(cat "$T/out")" 1
done

# --- k-fold -------------------------------------------------------------------------
for mode in "" "--exact"; do
	: >"$T/folds.tsv"
	for i in 0 1 2 3 4; do
		$S --folds 5 --fold $i $mode --test 0.2 "$T/a.tl" 2>/dev/null | $C -f id,split >>"$T/folds.tsv"
	done
	v=$(awk '{ n[$1 " " $2]++ } END { for (k in n) { split(k, f, " ");
		if (f[2] == "val" && n[k] != 1) print k " val " n[k];
		if (f[2] == "test" && n[k] != 5) print k " test " n[k];
		if (f[2] == "train" && n[k] != 4) print k " train " n[k] } }' "$T/folds.tsv" | head -n 3)
	same "split-folds-partition[$mode]" "$v" ""
	same "split-folds-records[$mode]" "$(cut -f1 "$T/folds.tsv" | sort -u | wc -l)" 3000
done
run split-folds-table 0 "$S --folds 5 --fold 0 --exact $T/a.tl 2>&1 >/dev/null | sed -n 2,3p"
lines split-folds-table-text 'tl-split: label   total   train     val dropped|tl-split: c0       1000     800     200       0|'

# --- -o files ------------------------------------------------------------------------
run split-o 0 "$S -o train=$T/tr.tl -o val=$T/va.tl -o test=$T/te.tl $T/a.tl > $T/all.tl"
run split-o-count 0 "$C -c split $T/tr.tl $T/va.tl $T/te.tl"
v=$($C -c split "$T/all.tl" | tr '\n' '|')
lines split-o-counts "$v"
run split-o-each 0 "$C -f split $T/va.tl | sort -u"
lines split-o-each-text 'val|'
run split-o-header 0 "$C --headers -n 0 $T/tr.tl"
has split-o-header-split "$T/out" '"split":{"train":0.7'
same split-o-no-temp "$(ls -a "$T" | grep -c '^\.tr\.tl\.')" 0
run split-o-fail 1 "$S -o train=$T/nodir/tr.tl $T/a.tl > /dev/null"
has split-o-fail-msg "$T/err" "tl-split: $T/nodir/tr.tl: No such file or directory"
run split-o-atomic 1 "$S -o train=$T/tr2.tl -o val=$T/nodir/va.tl $T/a.tl > /dev/null"
same split-o-atomic-none "$(ls "$T" | grep -c '^tr2.tl')" 0
# -o to a named pipe (as to /dev/null or /dev/stdout): written through, not
# replaced by a regular file; fd 3 holds it open for reading and writing, so
# opening it does not block, and what was written waits in it
mkfifo "$T/fifo"
exec 3<>"$T/fifo"
run split-o-fifo 0 "$S -o test=$T/fifo $T/a.tl > /dev/null"
same split-o-fifo-kept "$(test -p "$T/fifo" && echo fifo || ls -l "$T/fifo")" fifo
run split-o-fifo-read 0 "dd iflag=nonblock bs=1M count=1 <&3 2>/dev/null | $C -c split"
same split-o-fifo-text "$(cat "$T/out")" "$($C -c split "$T/te.tl")"
exec 3<&-
run split-head 0 "$S -o test=$T/te2.tl $T/a.tl | head -c 1 > /dev/null"
run split-head-file 0 "$C -c split $T/te2.tl"
has split-head-file-count "$T/out" "test	"

# --- passthrough and bad records ------------------------------------------------------
run split-none 0 "$S --ignore-label unknown --ignore-label other $T/small.tl | $C -f id,split --label unknown"
lines split-none-text 'x1	|'
run split-empty 0 "$C -b -n 0 $T/small.tl | $S | $C --headers"
has split-empty-end "$T/out" '{"tl":1,"end":0}'
$PY -c '
import msgpack, sys
o = sys.stdout.buffer
for m in [{"tl": 1}, {"id": "a", "label": "x"}, {"label": "x"}, {"id": 7}, {"id": "b", "label": 3},
          {"id": "a", "label": "y"}, {"id": "c", "label": "x", "phash": "f"},
          {"id": "d", "label": "x", "sha256": b"123"}, {"id": "e", "label": "x"}, {"tl": 1, "end": 8}]:
    o.write(msgpack.packb(m))' >"$T/bad.tl"
run split-bad 1 "$S $T/bad.tl > $T/bad.out"
cp "$T/err" "$T/bad.err"
run split-bad-ids 0 "$C -f id,split $T/bad.out"
lines split-bad-ids-text 'a	train|e	train|'
same split-bad-msgs "$(sed -n '1,6p;$p' "$T/bad.err")" "tl-split: record 2: no \"id\"
tl-split: record 3: \"id\" is not a string
tl-split: b: \"label\" is not a string
tl-split: a: id seen before
tl-split: c: \"phash\" is not an unsigned integer
tl-split: d: \"sha256\" is not 32 bytes of bin
tl-split: 8 read, 6 skipped"
run split-bad-budget 0 "$S --max-bad 6 $T/bad.tl > /dev/null"
run split-bad-strict 1 "$S --strict $T/bad.tl > $T/strict.tl"
same split-bad-strict-empty "$(wc -c <"$T/strict.tl")" 0
has split-bad-strict-msg "$T/err" "stopping at the first bad record"
size=$(wc -c <"$T/a.tl")
run split-truncated 1 "head -c $((size / 2)) $T/a.tl | $S > $T/tr.out"
has split-truncated-msg "$T/err" "tl-split: stdin: truncated stream"
same split-truncated-empty "$(wc -c <"$T/tr.out")" 0
# (text and a missing file: tests/README.md's hostile table)

# --- records that come with a split (tl-ingest's split folders) keep it ---------
X=1111111111111111111111111111111111111111111111111111111111111111
Y=2222222222222222222222222222222222222222222222222222222222222222
cat >"$T/given.jsonl" <<EOF2
{"tl":1,"producer":"test"}
{"id":"a1","label":"ants","split":"train"}
{"id":"a2","label":"ants","split":"val"}
{"id":"a3","label":"ants","split":"test"}
{"id":"b1","label":"bees","split":"train"}
{"id":"b2","label":"bees","split":"val"}
{"id":"n1","label":"ants"}
{"id":"n2","label":"bees"}
{"id":"d1","label":"ants","split":"train","sha256":"$X"}
{"id":"d2","label":"ants","split":"val","sha256":"$X"}
{"id":"d3","label":"ants","sha256":"$Y"}
{"id":"d4","label":"ants","split":"test","sha256":"$Y"}
{"tl":1,"end":11}
EOF2
run split-given-json 0 "$C --from-json $T/given.jsonl > $T/given.tl"
run split-given 0 "$S $T/given.tl | $C -f id,split,group"
lines split-given-recs "a1	train	|a2	val	|a3	test	|b1	train	|b2	val	|n1	train	|n2	train	|d1	train	d1|d2	val	d1|d3	test	d3|d4	test	d3|"
same split-given-stderr "$(cat "$T/err")" "tl-split: 2 duplicate groups (4 records) kept together
tl-split: group d1: 2 records (train): d1 d2
tl-split: group d3: 2 records (test): d3 d4
tl-split: 8 records keep the split they came with; --resplit to assign again
tl-split: 1 duplicate group came with different splits
tl-split: group d1: came with different splits, each keeps its own: d1 (train) d2 (val)
tl-split: label   total   train     val    test dropped
tl-split: ants        8       3       2       3       0
tl-split: bees        3       2       1       0       0
tl-split: (all)      11       5       3       3       0
tl-split: 11 read, 0 skipped"
# --exact counts the given splits as placed; the others fill in around them
run split-given-exact 0 "$S --exact $T/given.tl | $C -f id,split | grep ^n"
lines split-given-exact-recs "n1	train|n2	train|"
# --resplit: every record as if it had come without a split
run split-resplit 0 "$S --resplit $T/given.tl | $C -f id,split > $T/re.txt"
run split-resplit-none 0 "$C -b --strip split $T/given.tl | $S | $C -f id,split > $T/none.txt"
same_file split-resplit-same "$T/re.txt" "$T/none.txt"
run split-resplit-stderr 0 "$S --resplit $T/given.tl 2>&1 >/dev/null | grep -c 'keep the split' || true"
lines split-resplit-quiet "0|"
# end to end: tl-ingest's split folders through tl-split, splits kept
if [ -x "$BIN/tl-ingest" ]; then
	mkdir -p "$T/sd/train/ants" "$T/sd/train/bees" "$T/sd/val/ants" "$T/sd/valid/bees" "$T/sd/test/ants"
	cp "$TD/shapes/circle/c1.png" "$T/sd/train/ants/a1.png"
	cp "$TD/shapes/circle/c2.png" "$T/sd/train/bees/b1.png"
	cp "$TD/shapes/square/s2.jpg" "$T/sd/val/ants/a2.jpg"
	cp "$TD/shapes/circle/big/c3.png" "$T/sd/valid/bees/b2.png"
	cp "$TD/shapes/square/dark/s3.png" "$T/sd/test/ants/a3.png"
	run split-folders 0 "$BIN/tl-ingest $T/sd 2>/dev/null | $S | $C -f id,label,split"
	lines split-folders-recs "test/ants/a3.png	ants	test|train/ants/a1.png	ants	train|train/bees/b1.png	bees	train|val/ants/a2.jpg	ants	val|valid/bees/b2.png	bees	val|"
	has split-folders-kept "$T/err" "tl-split: 5 records keep the split they came with; --resplit to assign again"
fi
