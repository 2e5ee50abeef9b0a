# tests/cli/report-html.sh - tl-report --html on gen.py's stream with images
# and CAMs (tests/report/html_fixture.py): the page is written atomically
# beside the unchanged text report; every <svg> is well-formed XML; the
# sections and chart titles are there; nothing is fetched (no "http" but the
# SVG namespace, no script, every image a data: URI); ids and labels are
# escaped; the top losses are shown as JPEG thumbnails, with a heat map for
# those carrying a CAM; the headline and title (dataset named by the
# records' src, else the file; model; accuracy with the text report's
# interval); no font named in the charts; confusion cells at 2 and 4
# classes; the thumbnails' grid with and without CAMs (a box for a missing
# image); history, usage and class coverage pages; memory bounded by --show
# images, not by the stream.  Then (bin/ only) Chromium
# renders the page headless and the screenshot must not be blank.

R=$BIN/tl-report
C=$BIN/tl-cat
PY=/usr/bin/python3
export SOURCE_DATE_EPOCH=1700000000

# page_check NAME FILE WANT...: the page's facts as Python prints them
page_facts() {
	$PY - "$1" <<'EOF'
import re, sys, xml.etree.ElementTree as ET
page = open(sys.argv[1], encoding="utf-8").read()
svgs = re.findall(r"<svg\b.*?</svg>", page, re.S)
bad = 0
for s in svgs:
    try:
        ET.fromstring(s)
    except ET.ParseError as e:
        bad += 1
        print("svg not well-formed:", e, s[:200], file=sys.stderr)
rest = page.replace('xmlns="http://www.w3.org/2000/svg"', "")
srcs = re.findall(r'\bsrc="([^"]*)"', page)
print("svg", len(svgs), "bad", bad)
print("http", rest.lower().count("http"), "script", page.lower().count("<script"),
      "link", page.lower().count("<link"), "url(", page.count("url("))
print("src", len(srcs), "data", sum(s.startswith("data:image/jpeg;base64,/9j/") for s in srcs))
print("doctype", page.startswith("<!DOCTYPE html>"), "end", page.rstrip().endswith("</html>"))
EOF
}

# --- the evaluation page -----------------------------------------------------------
$PY "$top/tests/report/gen.py" | $PY "$top/tests/report/html_fixture.py" "$top" >"$T/set.jsonl"
$C --from-json <"$T/set.jsonl" >"$T/set.tl"
mkdir -p "$T/p"
for v in 7:v0 9:v0.5; do
	$PY "$top/tests/report/gen.py" "${v%%:*}" "${v#*:}" | $PY "$top/tests/report/html_fixture.py" "$top" |
		$C --from-json | $R --ood-label other --history "$T/p/hist.jsonl" >/dev/null
done
run html-text 0 "$R --ood-label other $T/set.tl"
cp "$T/out" "$T/text"
run html-page 0 "$R --ood-label other --history $T/p/hist.jsonl --html $T/p/page.html $T/set.tl"
same_file html-text-unchanged "$T/out" "$T/text"
same html-no-temp "$(ls -A "$T/p" | tr '\n' ' ')" "hist.jsonl page.html "
page_facts "$T/p/page.html" >"$T/facts" 2>"$T/facts.err"
# 2 heat maps, per class, reliability, right/wrong, threshold, 2 history
has html-svg-count "$T/facts" "svg 8 bad 0"
same html-svg-wellformed "$(cat "$T/facts.err")" ""
has html-no-network "$T/facts" "http 0 script 0 link 0 url( 0"
has html-doc "$T/facts" "doctype True end True"
for t in '<h2>Headline metrics</h2>' '<h2>Confusion matrix</h2>' '>Counts</text>' \
	'>Row-normalised (recall on the diagonal)</text>' '<h2>Per-class precision, recall and F1</h2>' \
	'<h2>Calibration</h2>' '>Reliability (15 bins, ECE ' '>Confidence of right and wrong verdicts</text>' \
	'<h2>Coverage and accuracy as the confidence threshold rises</h2>' '<h2>Most confused pairs</h2>' \
	'<h2>Top losses</h2>' '<h2>History</h2>' '>Accuracy and macro F1</text>' '>F1 per class</text>' \
	'<td class="num">0.7325</td>' '3 evaluations of'; do
	has "html-has[$t]" "$T/p/page.html" "$t"
done
# escaped: the odd id and class, never raw
has html-escaped-id "$T/p/page.html" "<b>&lt;b&gt;&amp;&quot;odd&#39; id&lt;/b&gt;</b>"
has html-escaped-class "$T/p/page.html" ">w&lt;a&gt;s&amp;p&#39;s &quot;x&quot;</text>"
same html-no-raw "$(grep -c '<b>&"odd\|w<a>s' "$T/p/page.html")" 0
# thumbnails: the 10 top losses, plus a heat map for each with a cam
run html-json 0 "$R --ood-label other --json $T/set.tl"
want=$($PY - "$T/out" "$T/set.jsonl" <<'EOF'
import json, sys
top = [t["id"] for t in json.load(open(sys.argv[1]))["top_losses"]]
cam = {r["id"] for r in map(json.loads, open(sys.argv[2])) if "cam" in r}
print("src", len(top) + sum(i in cam for i in top), "data", len(top) + sum(i in cam for i in top))
EOF
)
has html-thumbs "$T/facts" "$want"
same html-thumb-size "$(grep -o '<img width="[0-9]*" height="[0-9]*"' "$T/p/page.html" | sort -u | tr '\n' '|')" \
	'<img width="120" height="160"|<img width="160" height="107"|<img width="160" height="120"|'
has html-heatmap-alt "$T/p/page.html" 'alt="&lt;b&gt;&amp;&quot;odd&#39; id&lt;/b&gt; (heat map)"'

# the headline: dataset (the input file: the records carry no src), model
# (the header's backbone, the classifier's file and version), accuracy with
# the text report's Wilson interval, records; the same as <title> and <h1>
acc=$($PY - "$T/out" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))["metrics"]["accuracy"]
print("accuracy %.1f%% (%.1f\u2013%.1f%%)" % (100 * a["value"], 100 * a["lo"], 100 * a["hi"]))
EOF
)
same html-title-acc "$acc" "accuracy 73.2% (68.7–77.4%)"
has html-title "$T/p/page.html" "<title>set.tl — synthetic head: $acc</title>"
has html-h1 "$T/p/page.html" "<h1>set.tl — synthetic head: $acc</h1>"
same html-headline "$(grep -o '<div class="headline">.*' "$T/p/page.html")" \
'<div class="headline"><div><span>dataset</span><b>set.tl</b><small>sha256 0dd845f09de13a93 (ids, labels)</small></div><div><span>model</span><b>synthetic head</b><small>gen.tlm · version v1</small></div><div><span>accuracy</span><b>73.2%</b><small>95% interval 68.7–77.4%</small></div><div><span>records</span><b>400</b><small>evaluated, of 440 read</small></div></div>'
has html-footer-version "$T/p/page.html" "<footer>made by tl-report 0.1.0</footer>"
same html-no-font-family "$(grep -c 'font-family' "$T/p/page.html")" 0
# the confusion matrices of 4 classes (5 columns): cells of 360 / 5 px
same html-cells-4 "$(grep -o '<rect [^>]*fill="rgb' "$T/p/page.html" | grep -c 'width="72.0" height="72.0"')" 40
# thumbnails in a grid of fixed cells, a caption under each: with CAMs two
# 160 px boxes a cell, without one
shots() {
	grep -o '<div class="shots[^"]*">' "$1"
	grep -o '<figure class="shot"><div class="thumbs">\(<span class="thumb"><img [^>]*></span>\)*</div><figcaption>' "$1" |
		awk -F'<span class="thumb">' '{ n[NF - 1]++ } END { for (k in n) print n[k], "with", k }' | sort
}
same html-grid-cam "$(shots "$T/p/page.html")" '<div class="shots cam">
3 with 2
7 with 1'
has html-grid-css "$T/p/page.html" '.shots{display:grid;grid-template-columns:repeat(auto-fill,178px);gap:14px}.shots.cam{grid-template-columns:repeat(auto-fill,344px)}'
has html-thumb-css "$T/p/page.html" '.thumb{display:flex;width:160px;height:160px;align-items:center;justify-content:center;'
# the method of each map named under it: "cam" for a bare cam, else the
# record's cam_method (tl-classify --explain)
same html-map-named "$(grep -o '<br>map: [^<]*</figcaption>' "$T/p/page.html" | sort | uniq -c | sed 's/^ *//')" \
    '3 <br>map: cam</figcaption>'
has html-map-note "$T/p/page.html" "with the map of what the network looked at where the record carries one, its method named under it"
$C --headers --full "$T/set.tl" | jq -c 'if .cam then .cam_method = "gradcam block_12_add" else . end' |
	$C --from-json >"$T/gc.tl"
run html-gradcam 0 "$R --ood-label other --html $T/p/gc.html $T/gc.tl"
same html-map-named-gradcam "$(grep -o '<br>map: [^<]*</figcaption>' "$T/p/gc.html" | sort | uniq -c | sed 's/^ *//')" \
    '3 <br>map: gradcam block_12_add</figcaption>'
# a layer's channels (tl-classify --explain activations: acts, no cam) as
# the second picture, named
$C --headers --full "$T/set.tl" |
	jq -c 'if .cam then del(.cam) | .acts = {"dtype":"|u1","shape":[2,2,2],"data":[0,255,0,255,255,0,255,0]} | .cam_method = "activations block_12_add" else . end' |
	$C --from-json >"$T/acts.tl"
run html-acts 0 "$R --ood-label other --html $T/p/acts.html $T/acts.tl"
same html-acts-named "$(grep -o '<br>map: [^<]*</figcaption>' "$T/p/acts.html" | sort | uniq -c | sed 's/^ *//')" \
    '3 <br>map: activations block_12_add</figcaption>'
same html-acts-grid "$(shots "$T/p/acts.html")" '<div class="shots cam">
3 with 2
7 with 1'
$C -b --strip cam "$T/set.tl" >"$T/nocam.tl"
run html-nocam 0 "$R --ood-label other --html $T/p/nocam.html $T/nocam.tl"
same html-grid-nocam "$(shots "$T/p/nocam.html")" '<div class="shots">
10 with 1'

# the dataset named by the records: src less id is the folder tl-ingest
# read (a split folder with its parent), or the archive; else (src not
# ending in /ID or !ID, src the id itself) the file; on stdin without
# src, none: the title without it
P2() { echo "{\"dtype\":\"<f4\",\"shape\":[2],\"data\":[$1]}"; }
hdr='{"tl":1,"classes":["ants","bees"],"classifier":{"name":"hy.tlm","version":"v7","backbone":"centernet+mobilenetv2"}}'
two() { # two ROOT-AND-SEPARATOR: 4 records, 3 right
	printf '%s\n' "$hdr" \
		"{\"id\":\"ants/a1.jpg\",\"src\":\"$1ants/a1.jpg\",\"label\":\"ants\",\"pred\":\"ants\",\"conf\":0.75,\"prob\":$(P2 0.75,0.25)}" \
		"{\"id\":\"ants/a2.jpg\",\"src\":\"$1ants/a2.jpg\",\"label\":\"ants\",\"pred\":\"bees\",\"conf\":0.5,\"prob\":$(P2 0.5,0.5)}" \
		"{\"id\":\"bees/b1.jpg\",\"src\":\"$1bees/b1.jpg\",\"label\":\"bees\",\"pred\":\"bees\",\"conf\":0.75,\"prob\":$(P2 0.25,0.75)}" \
		"{\"id\":\"bees/b2.jpg\",\"src\":\"$1bees/b2.jpg\",\"label\":\"bees\",\"pred\":\"bees\",\"conf\":1,\"prob\":$(P2 0,1)}" |
		$C --from-json
}
for c in '/data/hymenoptera/val/:hymenoptera/val' '/data/Hymenoptera/TEST/:Hymenoptera/TEST' \
	'rel/photos/:photos' '/data/photos.zip!:photos.zip' 'val/:val' 'nowhere:two.tl' ':two.tl'; do
	two "${c%%:*}" >"$T/two.tl"
	run "html-name[${c%%:*}]" 0 "$R --bootstrap 0 --html $T/two.html $T/two.tl"
	has "html-name-title[${c%%:*}]" "$T/two.html" "<title>${c#*:} — centernet+mobilenetv2 head: accuracy 75.0% (30.1–95.4%)</title>"
done
two "/data/hymenoptera/val/" | $C -b --strip src >"$T/two.tl"
run html-name-none 0 "$R --bootstrap 0 --html $T/two.html <$T/two.tl"
has html-name-none-title "$T/two.html" "<title>centernet+mobilenetv2 head: accuracy 75.0% (30.1–95.4%)</title>"
has html-name-none-box "$T/two.html" "<div><span>dataset</span><b>not named</b>"
# 2 classes (3 columns): cells of 80 px, counts and row percentages at
# 14 px, the column labels across
same html-cells-2 "$(grep -o '<rect [^>]*fill="rgb' "$T/two.html" | grep -c 'width="80.0" height="80.0"')" 12
same html-cells-2-text "$(grep -o '<text [^>]*font-size="14.0" fill="#[0-9a-f]*">[0-9%]*</text>' "$T/two.html" | sed 's/.*">//; s/<.*//' | tr '\n' ' ')" \
	"1 1 2 50% 50% 0% 0% 100% 0% "
same html-cells-2-labels "$(grep -o '<text [^>]*>\(ants\|bees\|unknown\)</text>' "$T/two.html" | grep -c rotate)" 0
# a top loss without an image among others with one: a box saying so
pix='{"dtype":"|u1","shape":[2,2,3],"data":[0,0,0,255,255,255,0,0,0,255,255,255]}'
printf '%s\n' "$hdr" "{\"id\":\"w1\",\"label\":\"ants\",\"pred\":\"bees\",\"conf\":0.75,\"pix\":$pix}" \
	'{"id":"w2","label":"bees","pred":"ants","conf":0.5}' | $C --from-json >"$T/pix.tl"
run html-noimage 0 "$R --bootstrap 0 --html $T/pix.html $T/pix.tl"
same html-noimage-boxes "$(grep -o '<figure class="shot"><div class="thumbs"><span class="thumb">\(<img [^>]*>\|no image\)' "$T/pix.html" | sed 's/<img .*/<img>/')" \
'<figure class="shot"><div class="thumbs"><span class="thumb"><img>
<figure class="shot"><div class="thumbs"><span class="thumb">no image'
{ two /data/hymenoptera/val/; two /d/more/; two /d/third/; two /d/fourth/; } >"$T/four.tl"
run html-name-four 0 "$R --bootstrap 0 --html $T/two.html $T/four.tl"
has html-name-four-title "$T/two.html" "<title>hymenoptera/val, more, third, ... — centernet+mobilenetv2 head: accuracy 75.0% ("

# --show caps the gallery; --show 0 shows none
run html-show 0 "$R --ood-label other --show 3 --html $T/p/three.html $T/set.tl"
same html-show-3 "$(grep -c '<figure class="shot">' "$T/p/three.html")" 3
run html-show0 0 "$R --ood-label other --show 0 --html $T/p/none.html $T/set.tl"
same html-show-0 "$(grep -c '<img' "$T/p/none.html")" 0

# a page that cannot be written: exit 1, the text still out, an old page kept
echo old >"$T/p/keep.html"
chmod 555 "$T/p"
if [ -w "$T/p" ]; then :; else
	run html-unwritable 1 "$R --ood-label other --html $T/p/keep.html $T/set.tl"
	has html-unwritable-msg "$T/err" "tl-report: --html: $T/p/keep.html"
	same html-unwritable-kept "$(cat "$T/p/keep.html")" old
fi
chmod 755 "$T/p"
run html-nodir 1 "$R --ood-label other --html $T/nodir/x.html $T/set.tl"
same html-nodir-msg "$(cat "$T/err")" "tl-report: --html: $T/nodir/x.html: No such file or directory"
run html-compare 2 "$R --compare a b --html x"

# --- why "unknown": the counts by reason, each top loss's reason, no right verdict --
P() { echo "{\"dtype\":\"<f4\",\"shape\":[2],\"data\":[$1]}"; }
printf '%s\n' '{"tl":1,"classes":["ants","bees"]}' \
	"{\"id\":\"wrong\",\"label\":\"ants\",\"pred\":\"bees\",\"conf\":0.75,\"prob\":$(P 0.25,0.75)}" \
	"{\"id\":\"right\",\"label\":\"ants\",\"pred\":\"ants\",\"conf\":0.5,\"prob\":$(P 0.5,0.5)}" \
	"{\"id\":\"strange\",\"label\":\"bees\",\"pred\":\"unknown\",\"conf\":1,\"ood\":1.5,\"reject\":\"ood\",\"prob\":$(P 0,1)}" \
	"{\"id\":\"unsure\",\"label\":\"bees\",\"pred\":\"unknown\",\"conf\":0.625,\"reject\":\"conf\",\"prob\":$(P 0.375,0.625)}" |
	$C --from-json >"$T/why.tl"
run html-why 0 "$R --bootstrap 0 --html $T/why.html $T/why.tl"
has html-why-counts "$T/why.html" '4 records read: 4 evaluated, 0 unlabelled, 0 bad; 2 predicted "unknown": 1 ood, 1 low confidence</p>'
same html-why-losses "$(grep -o '<figcaption>.*</figcaption>' "$T/why.html")" \
'<figcaption><b>wrong</b><br>label <span class="ok">ants</span> &rarr; predicted <span class="bad">bees</span><br>confidence 0.7500 &middot; loss 1.3863</figcaption>
<figcaption><b>unsure</b><br>label <span class="ok">bees</span> &rarr; predicted <span class="bad">unknown</span><br>rejected: low confidence<br>confidence 0.6250 &middot; loss 0.4700</figcaption>
<figcaption><b>strange</b><br>label <span class="ok">bees</span> &rarr; predicted <span class="bad">unknown</span><br>rejected: ood 1.5000<br>confidence 1.0000 &middot; loss 0.0000</figcaption>'

# --- usage and class coverage pages ------------------------------------------------
printf '%s\n' '{"time":"2024-05-01T08:00:00Z","pred":"ants","conf":0.95}' \
	'{"time":"2024-05-01T09:00:00Z","pred":"<bees>","conf":0.85}' \
	'{"time":"2024-05-02T10:00:00Z","pred":"unknown","conf":0.4,"reject":"ood"}' \
	'{"time":"2024-05-03T10:00:00Z","pred":"ants","conf":0.7,"model":"v2"}' >"$T/tx.jsonl"
run html-usage 0 "$R --usage $T/tx.jsonl --html $T/usage.html"
has html-usage-text "$T/out" "usage log $T/tx.jsonl: 4 identifications from 2024-05-01 to 2024-05-03, 0 bad lines"
page_facts "$T/usage.html" >"$T/facts"
has html-usage-svg "$T/facts" "svg 3 bad 0"
has html-usage-no-network "$T/facts" "http 0 script 0 link 0 url( 0"
for t in '>Identifications per day</text>' '>Unknown rate per day</text>' '<h2>Per predicted class</h2>' \
	'<h2>Per model</h2>' '>&lt;bees&gt;</text>' '4 identifications from 2024-05-01 to 2024-05-03, 1 unknown (25.0%; 1 ood), 0 bad lines'; do
	has "html-usage-has[$t]" "$T/usage.html" "$t"
done
printf '%s\n' '{"tl":1,"classes":["ants","b&es"]}' '{"id":"1","label":"ants"}' '{"id":"2","label":"b&es"}' |
	$C --from-json >"$T/cov.tl"
run html-coverage 0 "$R --min-count 2 --html $T/cov.html $T/cov.tl"
page_facts "$T/cov.html" >"$T/facts"
has html-coverage-svg "$T/facts" "svg 1 bad 0"
has html-coverage-class "$T/cov.html" "<td class=\"txt\">b&amp;es</td>"

# --- memory: --show images kept, whatever the stream's length -----------------------
# 300 wrong verdicts each with a 390 kB image (not decodable: shown as a note)
# against 10 of them: peak RSS within 12 MB
if [ "$BIN" != "$top/bin" ]; then
	: # peak RSS means nothing under the sanitizers or valgrind
elif [ ! -x /usr/bin/time ]; then
	skip html-bounded-memory "no /usr/bin/time (GNU time) to measure the peak RSS"
else
	big() {
		awk -v n="$1" 'BEGIN { s = "AAAAAAAA"; while (length(s) < 400000) s = s s
			print "{\"tl\":1,\"classes\":[\"a\",\"b\"]}"
			for (i = 0; i < n; i++) printf "{\"id\":\"r%d\",\"label\":\"a\",\"pred\":\"b\",\"conf\":0.%d,\"img\":{\"base64\":\"%s\"}}\n", i, 100 + i % 800, s }' |
			$C --from-json
	}
	big 10 >"$T/small.tl"
	big 300 >"$T/large.tl"
	small=$(/usr/bin/time -f %M $R --show 3 --html "$T/m.html" "$T/small.tl" 2>&1 >/dev/null | tail -n 1)
	large=$(/usr/bin/time -f %M $R --show 3 --html "$T/m.html" "$T/large.tl" 2>&1 >/dev/null | tail -n 1)
	if [ $((large - small)) -lt 12000 ]; then pass html-bounded-memory
	else fail html-bounded-memory "peak RSS $small kB on 4 MB, $large kB on 118 MB"; fi
	has html-undecodable-note "$T/m.html" "image not shown: "
	same html-undecodable-count "$(grep -c '<figure class="shot">' "$T/m.html")" 3
	rm -f "$T/small.tl" "$T/large.tl"
fi

# --- rendered by a real browser (not under the sanitizers: pointless there) ---------
case $BIN in */bin-san) return 0 ;; esac
if ! command -v chromium >/dev/null; then
	fail html-chromium "chromium is not installed: run make deps-test"
	return 0
fi
# (timeout: a guard against a hang, far above the few seconds it takes even
# on a loaded machine)
timeout 600 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$T/chrome" --screenshot="$T/page.png" --window-size=1200,3000 \
	"file://$T/p/page.html" >"$T/chrome.log" 2>&1
if [ -s "$T/page.png" ]; then pass html-chromium; else fail html-chromium "no screenshot: $(tail -n 3 "$T/chrome.log" | tr '\n' '|')"; fi
same html-shot-size "$(vipsheader -f width "$T/page.png") $(vipsheader -f height "$T/page.png")" "1200 3000"
# a blank page is one flat colour: deviation 0; a page of text and charts
# is mostly white (mean high) with much contrast
avg=$(vips avg "$T/page.png") dev=$(vips deviate "$T/page.png")
same html-shot-not-blank "$(echo "$avg $dev" | awk '{ print ($1 > 180 && $1 < 254 && $2 > 20) ? "yes" : "no: avg " $1 ", deviation " $2 }')" yes
# the top band (title and metrics) and the lower half (charts) both hold ink
vips crop "$T/page.png" "$T/top.png" 0 0 1200 600
vips crop "$T/page.png" "$T/low.png" 0 1500 1200 1500
same html-shot-parts "$(vips deviate "$T/top.png" | awk '{ print ($1 > 10) ? "ink" : "blank" }') $(vips deviate "$T/low.png" | awk '{ print ($1 > 10) ? "ink" : "blank" }')" "ink ink"
