# tests/cli/report.sh - tl-report on streams built here: its metrics against
# scikit-learn's on tests/report/gen.py's set (reference committed in
# tests/report/expected.json, tolerance 1e-9); "unknown" counted wrong and
# reported; intervals named; --assert (exit 3, the failing condition named);
# --history appended atomically and --compare between two evaluations (the
# records that flipped, checked against a count made here); --usage on a
# transaction log (exact text); class coverage (exact text); bad records,
# broken input and usage errors.

R=$BIN/tl-report
C=$BIN/tl-cat
PY=/usr/bin/python3
O="--ood-label other" # gen.py's out-of-distribution records
export SOURCE_DATE_EPOCH=1700000000

# lines NAME WANT: $T/out as one line, newlines shown as |
lines() { same "$1" "$(tr '\n' '|' <"$T/out")" "$2"; }
# jq_py NAME FILE EXPR WANT: a Python expression over the JSON object d of FILE
jq_py() { same "$1" "$($PY -c "import json,sys; d=json.load(open(sys.argv[1])); print(($3))" "$2" 2>&1)" "$4"; }

# --- usage -------------------------------------------------------------------
run report-help 0 "$R --help"
has report-help-usage "$T/out" "usage: tl-report [--json] [--ood-label L] [--top-k K] [--bins N] [--bootstrap N]"
run report-version 0 "$R --version"
same report-version-text "$(cat "$T/out")" "tl-report 0.1.0"
for bad in "--top-k 0" "--bins 0" "--bootstrap -1" "--seed x" "--min-count -1" "--assert accuracy" \
	"--assert 'accuracy=0.9'" "--assert 'recall[>0.9'" "--assert '>=1'" "--assert 'f1>=x'" \
	"--compare a" "--compare a b c" "--compare a --json b" "--usage log x" "--usage log --json" \
	"--usage a --compare b c" "--max-bad lots" "--bogus"; do
	run "report-usage[$bad]" 2 "$R $bad < /dev/null"
	has "report-usage-try[$bad]" "$T/err" "Try 'tl-report --help'"
done
run report-usage-assert-msg 2 "$R --assert 'accuracy=0.9' </dev/null"
has report-usage-assert-text "$T/err" "tl-report: --assert: 'accuracy=0.9': no operator (>=, <=, >, <, ==) after the name"

# --- against scikit-learn -----------------------------------------------------
$PY "$top/tests/report/gen.py" >"$T/set.jsonl"
$C --from-json <"$T/set.jsonl" >"$T/set.tl"
run report-sklearn 0 "$R --json --ood-label other --top-k 2 $T/set.tl >$T/got.json"
run report-sklearn-match 0 "$PY $top/tests/report/check.py $T/got.json $top/tests/report/expected.json 1e-9"
[ -s "$T/out" ] && echo "  $(tr '\n' '|' <"$T/out")"
jq_py report-json-counts "$T/got.json" \
	'[d["counts"][k] for k in ("records","evaluated","unlabelled","bad","ood","unknown","accepted","with_prob")]' \
	"[440, 400, 10, 0, 30, 52, 348, 400]"
jq_py report-json-methods "$T/got.json" \
	'[d["metrics"][k]["method"] for k in ("accuracy","coverage","balanced_accuracy","log_loss","auroc","top_k_accuracy")]' \
	"['wilson', 'wilson', 'bootstrap', 'bootstrap', 'bootstrap', 'wilson']"
jq_py report-json-ci "$T/got.json" \
	'all(m["lo"] <= m["value"] <= m["hi"] for m in d["metrics"].values() if m["method"])' "True"
jq_py report-json-unknown "$T/got.json" \
	'd["metrics"]["accuracy"]["value"] == d["counts"]["correct"] / d["counts"]["evaluated"] and d["metrics"]["accepted_accuracy"]["value"] == d["counts"]["correct"] / d["counts"]["accepted"]' "True"
jq_py report-json-records "$T/got.json" 'len(d["records"]), sorted(d["records"][0])' \
	"(430, ['conf', 'id', 'label', 'pred', 'reject'])"
jq_py report-json-baseline "$T/got.json" 'd["majority"], d["metrics"]["baseline"]["value"]' "('ants', 0.365)"
jq_py report-json-meta "$T/got.json" 'd["tl_report"], d["kind"], d["model"], d["backbone"], d["date"]' \
	"(1, 'evaluation', 'v1', 'synthetic', '2023-11-14T22:13:20Z')"
jq_py report-json-sha "$T/got.json" 'd["dataset_sha256"]' \
	"$(grep -v '"tl"' "$T/set.jsonl" | $PY -c '
import hashlib, json, sys
rs = [json.loads(l) for l in sys.stdin]
s = "".join("%s\t%s\n" % p for p in sorted((r["id"], r["label"]) for r in rs if r.get("label")))
print(hashlib.sha256(s.encode()).hexdigest())')"

# --- text: the same numbers, aligned; deterministic -------------------------------
run report-text 0 "$R --ood-label other --top-k 2 $T/set.tl"
cp "$T/out" "$T/text1"
has report-text-acc "$T/out" "accuracy                0.7325  [0.6871, 0.7735]  Wilson"
has report-text-unknown "$T/out" "unknown   52 of 400 predicted \"unknown\" (counted wrong in accuracy)"
has report-text-records "$T/out" "records   440 read: 400 evaluated, 10 unlabelled (not evaluated), 0 bad, 30 labelled other (OOD)"
has report-text-boot "$T/out" "bootstrap (1000, seed 0)"
has report-text-baseline "$T/out" "baseline (ants)         0.3650"
has report-text-confusion "$T/out" "confusion (rows: label, columns: prediction)"
run report-text-again 0 "$R --ood-label other --top-k 2 $T/set.tl"
same_file report-deterministic "$T/out" "$T/text1"
run report-seed 0 "$R --json --seed 5 --ood-label other --top-k 2 $T/set.tl >$T/seed5.json"
jq_py report-seed-differs "$T/seed5.json" \
	"d['metrics']['macro_f1']['lo'] != json.load(open('$T/got.json'))['metrics']['macro_f1']['lo']" "True"
run report-noboot 0 "$R $O --json --bootstrap 0 $T/set.tl >$T/noboot.json"
jq_py report-noboot-null "$T/noboot.json" 'd["metrics"]["macro_f1"]["method"], d["metrics"]["accuracy"]["method"]' "(None, 'wilson')"
run report-pipe 0 "$R $O $T/set.tl | head -c 1 >/dev/null"

# --- --assert -----------------------------------------------------------------
run report-assert-ok 0 "$R $O --assert 'accuracy>=0.7' --assert 'recall[wasps]>0.8' --assert 'unknown==52' $T/set.tl"
run report-assert-fail 3 "$R $O --assert 'accuracy>=0.93' --assert 'recall[bees]>=0.5' --assert 'log_loss<=0.1' $T/set.tl"
has report-assert-report "$T/out" "accuracy                0.7325"
same report-assert-stdout-first "$(head -c 6 "$T/out")" "model "
same report-assert-msg "$(cat "$T/err")" "tl-report: assertion failed: accuracy>=0.93: accuracy is 0.7325
tl-report: assertion failed: log_loss<=0.1: log_loss is 0.58683645"
run report-assert-noname 3 "$R $O --assert 'acuracy>=0.5' $T/set.tl"
same report-assert-noname-msg "$(cat "$T/err")" "tl-report: assertion failed: acuracy>=0.5: no metric 'acuracy'"
run report-assert-noclass 3 "$R $O --assert 'recall[moths]>=0.5' --json $T/set.tl"
same report-assert-noclass-msg "$(cat "$T/err")" "tl-report: assertion failed: recall[moths]>=0.5: no class 'moths'"
grep -v '"label": "other"' "$T/set.jsonl" | $C --from-json >"$T/inset.tl"
run report-assert-auroc 3 "$R --assert 'auroc>=0.5' $T/inset.tl"
has report-assert-auroc-msg "$T/err" "auroc>=0.5: auroc cannot be computed on this input"

# --- --history and --compare ----------------------------------------------------
mkdir -p "$T/h"
printf '{"tl_report":1,"kind":"evaluation","metrics":{}}' >"$T/h/hist.jsonl" # no newline at the end
run report-history-1 0 "$R --history $T/h/hist.jsonl --ood-label other --json $T/set.tl >$T/a.json"
$PY "$top/tests/report/gen.py" 7 v2 | $C --from-json >"$T/set2.tl"
run report-history-2 0 "$R --history $T/h/hist.jsonl --ood-label other --json $T/set2.tl >$T/b.json"
same report-history-lines "$(wc -l <"$T/h/hist.jsonl")" 3
same report-history-no-temp "$(ls -A "$T/h")" "hist.jsonl"
run report-history-json 0 "$PY -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' $T/h/hist.jsonl"
same report-history-entry "$(sed -n 3p "$T/h/hist.jsonl" | $PY -c '
import json, sys
d = json.loads(sys.stdin.read())
print(d["model"], d["date"], d["dataset_sha256"][:8], "records" in d, "top_losses" in d, round(d["metrics"]["accuracy"]["value"], 4))')" \
	"v2 2023-11-14T22:13:20Z $($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["dataset_sha256"][:8])' "$T/got.json") False False 0.7225"
run report-compare 0 "$R --compare $T/a.json $T/b.json"
has report-compare-model "$T/out" "model     v1 -> v2"
has report-compare-dataset "$T/out" "dataset   same ("
has report-compare-acc "$T/out" "accuracy                0.7325    0.7225   -0.0100"
has report-compare-class "$T/out" "recall A  recall B    change"
flips=$($PY -c '
import json, sys
a = {r["id"]: r for r in json.load(open(sys.argv[1]))["records"]}
b = {r["id"]: r for r in json.load(open(sys.argv[2]))["records"]}
ok = lambda r: r["label"] == r["pred"]
print("flipped: %d right -> wrong, %d wrong -> right" % (
    sum(ok(a[i]) and not ok(b[i]) for i in a), sum(not ok(a[i]) and ok(b[i]) for i in a)))' "$T/a.json" "$T/b.json")
has report-compare-flips "$T/out" "$flips"
has report-compare-in-both "$T/out" "records: 430 in both, 0 only in A, 0 only in B"
same report-compare-flip-lines "$(grep -c '^  img/' "$T/out")" \
	"$(echo "$flips" | sed 's/flipped: \([0-9]*\) right -> wrong, \([0-9]*\).*/\1 + \2/' | xargs expr)"
run report-compare-history 0 "$R --compare $T/a.json $T/h/hist.jsonl"
has report-compare-history-msg "$T/out" "records: B lacks the per-record list (a history entry): no flips shown"
# (a B that is no evaluation, or missing: tests/README.md's hostile table)

# --- --usage: the bulk-identification log -------------------------------------------
cat >"$T/tx.jsonl" <<'EOF'
{"time":"2024-05-01T08:00:00Z","id":"a","sha256":"00","model":"v1","pred":"ants","conf":0.95,"ood":1.0}
{"time":"2024-05-01T09:00:00Z","id":"b","sha256":"01","model":"v1","pred":"bees","conf":0.85,"ood":2.0}
{"time":"2024-05-01T10:00:00Z","id":"c","sha256":"02","model":"v1","pred":"unknown","conf":0.4,"ood":9.0,"reject":"ood"}

{"time":1714636800,"id":"d","sha256":"03","model":"v2","pred":"ants","conf":0.75,"ood":1.5}
{"time":"2024-05-02T12:00:00Z","id":"e","sha256":"04","model":"v2","pred":"ants","conf":0.99,"ood":0.5}
EOF
run report-usage 0 "$R --usage $T/tx.jsonl"
sed "s|$T/||" "$T/out" >"$T/usage.txt"
cat >"$T/usage.want" <<'EOF'
usage log tx.jsonl: 5 identifications from 2024-05-01 to 2024-05-02, 0 bad lines
unknown   1 (20.0%): 1 ood

day               n   share  unknown     rate mean conf
2024-05-01        3   60.0%        1    33.3%    0.7333
2024-05-02        2   40.0%        0     0.0%    0.8700

predicted        n   share mean conf
ants             3   60.0%    0.8967
bees             1   20.0%    0.8500
unknown          1   20.0%    0.4000

model        n   share  unknown     rate mean conf
v1           3   60.0%        1    33.3%    0.7333
v2           2   40.0%        0     0.0%    0.8700

conf           n   share
0.0-0.1        0    0.0%
0.1-0.2        0    0.0%
0.2-0.3        0    0.0%
0.3-0.4        0    0.0%
0.4-0.5        1   20.0%
0.5-0.6        0    0.0%
0.6-0.7        0    0.0%
0.7-0.8        1   20.0%
0.8-0.9        1   20.0%
0.9-1.0        2   40.0%
quantiles p10 0.5400, p50 0.8500, p90 0.9740 (5 with conf)
EOF
same_file report-usage-text "$T/usage.txt" "$T/usage.want"
printf '%s\n' '{"time":"2024-05-03","pred":"ants"}' '{"time":"yesterday","pred":"ants"}' \
	'{"time":"2024-05-03"}' 'not json' '{"time":"2024-05-03","pred":"bees","conf":2}' >>"$T/tx.jsonl"
run report-usage-bad 1 "$R --usage $T/tx.jsonl"
same report-usage-bad-msg "$(sed "s|$T/||g" "$T/err")" "tl-report: tx.jsonl:8: no \"time\" (YYYY-MM-DD... or seconds since 1970)
tl-report: tx.jsonl:9: no \"pred\" string
tl-report: tx.jsonl:10: not JSON: '[' or '{' expected near 'not'
tl-report: tx.jsonl:11: \"conf\" is not a number from 0 to 1"
has report-usage-bad-count "$T/out" "6 identifications from 2024-05-01 to 2024-05-03, 4 bad lines"
run report-usage-maxbad 0 "$R --usage $T/tx.jsonl --max-bad 4"
run report-usage-strict 1 "$R --usage $T/tx.jsonl --strict"
same report-usage-strict-out "$(cat "$T/out")" ""
# the unknowns by reason: "reject" of bulk-identify's log (absent in older logs)
printf '%s\n' '{"time":"2024-05-03","pred":"unknown","reject":"conf"}' '{"time":"2024-05-03","pred":"unknown"}' \
	'{"time":"2024-05-03","pred":"unknown","reject":"ood"}' '{"time":"2024-05-03","pred":"ants","reject":null}' \
	'{"time":"2024-05-03","pred":"unknown","reject":"bored"}' >"$T/why.jsonl"
run report-usage-why 1 "$R --usage $T/why.jsonl"
same report-usage-why-msg "$(sed "s|$T/||g" "$T/err")" 'tl-report: why.jsonl:5: "reject" is not "ood", "conf" or null'
has report-usage-why-line "$T/out" "unknown   3 (75.0%): 1 ood, 1 low confidence, 1 no reason given"

# --- class coverage: a labelled stream without verdicts ------------------------------
printf '%s\n' '{"tl":1,"classes":["ants","bees","moths"]}' '{"id":"1","label":"ants"}' \
	'{"id":"2","label":"ants"}' '{"id":"3","label":"bees"}' '{"id":"4"}' '{"id":"5","label":"ants"}' |
	$C --from-json >"$T/cov.tl"
run report-coverage 0 "$R --min-count 2 $T/cov.tl"
cat >"$T/cov.want" <<'EOF'
class coverage: 4 labelled records in 3 classes, 1 unlabelled, 0 bad
2 of 3 classes have fewer than 2 (--min-count)

class      count    short
ants           3        -
bees           1        1
moths          0        2
EOF
same_file report-coverage-text "$T/out" "$T/cov.want"
run report-coverage-default 0 "$R $T/cov.tl"
has report-coverage-default-100 "$T/out" "3 of 3 classes have fewer than 100 (--min-count)"
run report-coverage-json 0 "$R --json --min-count 2 $T/cov.tl"
jq_py report-coverage-json-keys "$T/out" 'd["kind"], d["classes"], d["classes_below"], d["min_count"]' \
	"('coverage', {'ants': 3, 'bees': 1, 'moths': 0}, 2, 2)"
run report-coverage-assert 3 "$R --min-count 2 --assert 'classes_below==0' --assert 'count[ants]>=3' $T/cov.tl"
same report-coverage-assert-msg "$(cat "$T/err")" "tl-report: assertion failed: classes_below==0: classes_below is 2"

# --- why "unknown", and top losses hold wrong verdicts only -------------------------
# a wrong verdict, a right one (loss 0.69, above both unknowns' before), an
# unknown rejected as ood and one rejected for low confidence
P() { echo "{\"dtype\":\"<f4\",\"shape\":[2],\"data\":[$1]}"; }
printf '%s\n' '{"tl":1,"classes":["ants","bees"]}' \
	"{\"id\":\"wrong\",\"label\":\"ants\",\"pred\":\"bees\",\"conf\":0.75,\"ood\":0.5,\"prob\":$(P 0.25,0.75)}" \
	"{\"id\":\"right\",\"label\":\"ants\",\"pred\":\"ants\",\"conf\":0.5,\"ood\":0.25,\"prob\":$(P 0.5,0.5)}" \
	"{\"id\":\"strange\",\"label\":\"bees\",\"pred\":\"unknown\",\"conf\":1,\"ood\":1.5,\"reject\":\"ood\",\"prob\":$(P 0,1)}" \
	"{\"id\":\"unsure\",\"label\":\"bees\",\"pred\":\"unknown\",\"conf\":0.625,\"ood\":0.25,\"reject\":\"conf\",\"prob\":$(P 0.375,0.625)}" |
	$C --from-json >"$T/why.tl"
run report-why 0 "$R --bootstrap 0 $T/why.tl"
has report-why-summary "$T/out" 'unknown   2 of 4 predicted "unknown" (counted wrong in accuracy): 1 ood, 1 low confidence'
same report-why-losses "$(sed -n '/^top losses/,$p' "$T/out")" "top losses (wrong verdicts, by -ln p(label))
  1.3863  wrong: ants -> bees (conf 0.7500)
  0.4700  unsure: bees -> unknown (rejected: low confidence 0.6250)
  0.0000  strange: bees -> unknown (rejected: ood 1.5000)"
run report-why-json 0 "$R --json --bootstrap 0 $T/why.tl"
jq_py report-why-json-counts "$T/out" \
	'[d["counts"][k] for k in ("unknown","unknown_ood","unknown_conf","unknown_unstated")]' "[2, 1, 1, 0]"
jq_py report-why-json-losses "$T/out" '[(l["id"], l["reject"]) for l in d["top_losses"]]' \
	"[('wrong', None), ('unsure', 'conf'), ('strange', 'ood')]"
jq_py report-why-json-records "$T/out" '[r["reject"] for r in d["records"]]' "[None, None, 'ood', 'conf']"
# an "unknown" that does not say why (a stream older than "reject")
printf '%s\n' '{"tl":1,"classes":["x"]}' '{"id":"1","label":"x","pred":"unknown","conf":0.3}' | $C --from-json >"$T/why-old.tl"
run report-why-unstated 0 "$R --bootstrap 0 $T/why-old.tl"
has report-why-unstated-summary "$T/out" 'unknown   1 of 1 predicted "unknown" (counted wrong in accuracy): 1 no reason given'
has report-why-unstated-line "$T/out" '       -  1: x -> unknown (rejected: no reason given)'

# --- verdicts without labels: a summary of the predictions, not class coverage -------
printf '%s\n' '{"tl":1,"classes":["ants","bees","wasps"]}' \
	'{"id":"a1","pred":"ants","conf":0.9,"ood":0.5}' '{"id":"a2","pred":"ants","conf":0.7,"ood":0.75}' \
	'{"id":"b1","pred":"bees","conf":0.6,"ood":0.25}' \
	'{"id":"o1","pred":"unknown","conf":0.95,"ood":2.5,"reject":"ood"}' \
	'{"id":"c1","pred":"unknown","conf":0.4,"ood":1,"reject":"conf"}' | $C --from-json >"$T/unl.tl"
run report-unlabelled 0 "$R --show 3 $T/unl.tl"
same report-unlabelled-text "$(cat "$T/out")" 'model     (not named)
records   5 read: 5 with a verdict and no label, 0 bad
          no labels: what was predicted, not how well
unknown   2 of 5 predicted "unknown": 1 ood, 1 low confidence

predicted        n   share
ants             2   40.0%
bees             1   20.0%
wasps            0    0.0%
unknown          2   40.0%

confidence of the best class (5 with conf)
p10 0.4800  p25 0.6000  p50 0.7000  p75 0.9000  p90 0.9300

review first: lowest confidence
  0.4000  c1: unknown (rejected: low confidence 0.4000)
  0.6000  b1: bees (conf 0.6000)
  0.7000  a2: ants (conf 0.7000)

review first: highest ood
  2.5000  o1: unknown (rejected: ood 2.5000)
  1.0000  c1: unknown (rejected: low confidence 0.4000)
  0.7500  a2: ants (conf 0.7000)'
same report-unlabelled-quiet "$(cat "$T/err")" ""
run report-unlabelled-json 0 "$R --json --show 2 $T/unl.tl"
jq_py report-unlabelled-json-keys "$T/out" \
	'd["kind"], d["classes"], [d["counts"][k] for k in ("predicted","unknown","unknown_ood","unknown_conf")], sorted(d["conf_quantiles"])' \
	"('predictions', {'ants': 2, 'bees': 1, 'wasps': 0}, [5, 2, 1, 1], ['p10', 'p25', 'p50', 'p75', 'p90'])"
jq_py report-unlabelled-json-review "$T/out" \
	'[(r["id"], r["reject"]) for r in d["review"]["lowest_conf"]], [r["id"] for r in d["review"]["highest_ood"]]' \
	"([('c1', 'conf'), ('b1', None)], ['o1', 'c1'])"
jq_py report-unlabelled-json-dataset "$T/out" 'd["dataset_sha256"]' "$(printf 'a1\t\na2\t\nb1\t\nc1\t\no1\t\n' | sha256sum | cut -d' ' -f1)"
run report-unlabelled-html 0 "$R --html $T/unl.html $T/unl.tl"
has report-unlabelled-html-counts "$T/unl.html" '5 records read: 5 with a verdict and no label, 0 bad; 2 predicted "unknown": 1 ood, 1 low confidence</p>'
has report-unlabelled-html-review "$T/unl.html" '<td class="txt">o1</td><td class="txt">unknown</td><td class="num">0.9500</td><td class="num">2.5000</td><td class="txt">ood</td>'
# the page's headline: counts, not accuracy (no model named: none in the title)
has report-unlabelled-html-title "$T/unl.html" '<title>unl.tl: 5 predictions without labels</title>'
same report-unlabelled-html-headline "$(grep -o '<div class="headline">.*' "$T/unl.html")" \
'<div class="headline"><div><span>dataset</span><b>unl.tl</b><small>sha256 b4acec3caed6a4b9 (ids, labels)</small></div><div><span>model</span><b>not named</b></div><div><span>predictions</span><b>5</b><small>without labels, of 5 read</small></div><div><span>ants</span><b>2</b><small>40.0%</small></div><div><span>bees</span><b>1</b><small>20.0%</small></div><div><span>wasps</span><b>0</b><small>0.0%</small></div><div><span>unknown</span><b>2</b><small>40.0%: 1 ood, 1 low confidence</small></div></div>'
# six classes: the four most predicted (ties in class order), the others together
printf '%s\n' '{"tl":1,"classes":["a","b","c","d","e","f"],"classifier":{"name":"s.tlm"}}' '{"id":"1","pred":"f"}' \
	'{"id":"2","pred":"f"}' '{"id":"3","pred":"e"}' '{"id":"4","pred":"b"}' '{"id":"5","pred":"b"}' \
	'{"id":"6","pred":"b"}' '{"id":"7","pred":"a"}' '{"id":"8","pred":"c"}' '{"id":"9","pred":"d"}' |
	$C --from-json >"$T/six.tl"
run report-unlabelled-html-six 0 "$R --html $T/six.html $T/six.tl"
has report-unlabelled-html-six-title "$T/six.html" '<title>six.tl — s.tlm: 9 predictions without labels</title>'
has report-unlabelled-html-six-boxes "$T/six.html" '<div><span>b</span><b>3</b><small>33.3%</small></div><div><span>f</span><b>2</b><small>22.2%</small></div><div><span>a</span><b>1</b><small>11.1%</small></div><div><span>c</span><b>1</b><small>11.1%</small></div><div><span>2 other classes</span><b>2</b><small>22.2%</small></div><div><span>unknown</span><b>0</b><small>0.0%</small></div></div>'
# --coverage still asks for class coverage
run report-unlabelled-coverage 0 "$R --coverage $T/unl.tl"
has report-unlabelled-coverage-text "$T/out" "class coverage: 0 labelled records in 3 classes, 5 unlabelled, 0 bad"

# --- unknown counting and bad input -------------------------------------------------
printf '%s\n' '{"tl":1,"classes":["x","y"]}' \
	'{"id":"1","label":"x","pred":"x","conf":0.9}' '{"id":"2","label":"x","pred":"unknown","conf":0.3}' \
	'{"id":"3","label":"y","pred":"unknown","conf":0.2}' '{"id":"4","label":"y","pred":"y","conf":0.8}' \
	'{"id":"5","pred":"y"}' '{"id":"6","label":"y"}' '{"id":"7","label":"z","pred":"y"}' \
	'{"id":"8","label":"x","pred":"x","conf":"high"}' |
	$C --from-json >"$T/mixed.tl"
run report-bad 1 "$R --json --bootstrap 0 $T/mixed.tl"
same report-bad-msg "$(cat "$T/err")" "tl-report: 7: label 'z' is not one of the header's classes
tl-report: 8: conf is not a number from 0 to 1
tl-report: 6: no pred and no prob
tl-report: 8 read, 1 unlabelled, 3 bad"
jq_py report-bad-counts "$T/out" \
	'd["counts"]["evaluated"], d["counts"]["unknown"], d["counts"]["unlabelled"], d["counts"]["bad"], d["metrics"]["accuracy"]["value"], d["metrics"]["coverage"]["value"], d["metrics"]["accepted_accuracy"]["value"]' \
	"(4, 2, 1, 3, 0.5, 0.5, 1.0)"
run report-bad-maxbad 0 "$R --max-bad 3 $T/mixed.tl"
has report-bad-maxbad-text "$T/out" "unknown   2 of 4 predicted \"unknown\" (counted wrong in accuracy)"
run report-bad-maxbad-pct 1 "$R --max-bad 30% $T/mixed.tl"
run report-bad-strict 1 "$R --strict $T/mixed.tl"
same report-bad-strict-out "$(cat "$T/out")" ""
# (a cut stream, empty input, a prob of the wrong shape: tests/README.md's
# hostile table)
printf '%s\n' '{"tl":1,"classes":["x","y"]}' '{"id":"1","label":"x","prob":"high"}' | $C --from-json >"$T/strprob.tl"
run report-prob-not-tensor 1 "$R $T/strprob.tl"
has report-prob-not-tensor-msg "$T/err" "tl-report: 1: prob: tensor is not a map"
