# tests/cli/classify.sh - tl-classify: the verdict keys and header on a
# synthetic model (tests/cli/mktlm.c: a nearest-centroid head made here, no
# tl-train needed) over synthetic emb streams from tl-cat --from-json;
# rejection (--min-conf, the model's OOD threshold, --ood-threshold,
# --no-reject), --top, temperature; spatial maps pooled here and their CAM
# peaking where the evidence is; exit statuses and messages.  Then, on the
# mobilenetv2 (models/), images in: the same verdict as tl-embed -m mobilenetv2 |
# tl-classify, --cam, --cam-dir heat maps.  The man page's examples run in
# tests/cli/man.sh.
C=$BIN/tl-classify
M=$T/mktlm
cc -std=c11 -D_GNU_SOURCE -I"$top/lib" -o "$M" "$top/tests/cli/mktlm.c" "$top/build/libtl.a" \
	$(pkg-config --cflags --libs vips msgpack openblas libarchive libprotobuf-c jansson) \
	-lm -pthread || fail classify-mktlm "cannot build tests/cli/mktlm.c"
SHA=00000000000000000000000000000000000000000000000000000000000000ab
OTHER=00000000000000000000000000000000000000000000000000000000000000cd
hdr() { # sha dims pool
	printf '{"tl":1,"model":{"name":"fake","sha256":"%s"},"dims":%s,"layer":"L","pool":"%s"}\n' "$1" "$2" "$3"
}
v3() { # id label a b c
	printf '{"id":"%s","label":"%s","emb":{"dtype":"<f4","shape":[3],"data":[%s,%s,%s]}}\n' "$@"
}
{
	hdr $SHA '[3]' avg
	for i in 0 1 2 3; do
		v3 a$i ant $((3 + i % 2)).$i 0.1 0
		v3 b$i bee 0 $((3 + i % 2)).$i 0.2
	done
} | "$BIN/tl-cat" --from-json > "$T/train.tl"
"$M" "$T/train.tl" "$T/m.tlm" || fail classify-mktlm "cannot make m.tlm"
"$M" -t 3 "$T/train.tl" "$T/hot.tlm"
"$M" -o none "$T/train.tl" "$T/nood.tlm"
"$M" -H 4 "$T/train.tl" "$T/mlp.tlm"
"$M" -n l2 "$T/train.tl" "$T/l2.tlm"
# test records: clear ants and bees, an ambiguous one, a stranger
{
	hdr $SHA '[3]' avg
	v3 ant1 ant 3.5 0.1 0
	v3 bee1 bee 0 3.5 0.2
	v3 mid "" 1.7 1.7 0.1
	v3 far "" 40 -30 9
} | "$BIN/tl-cat" --from-json > "$T/test.tl"

run "classify: emb stream" 0 "'$C' -m '$T/m.tlm' '$T/test.tl' > '$T/o.tl'"
"$BIN/tl-cat" "$T/o.tl" > "$T/o.jsonl"
same "classify: pred" "$(jq -r .pred "$T/o.jsonl" | tr '\n' ' ')" "ant bee unknown unknown "
same "classify: keys added, others kept" "$(head -n 1 "$T/o.jsonl" | jq -c 'keys')" \
    '["conf","emb","id","label","ood","pred","prob"]'
same "classify: prob is <f4 [K] summing to 1" \
    "$("$BIN/tl-cat" --full "$T/o.tl" | head -n 1 | jq -c '[.prob.dtype, .prob.shape, (.prob.data | add * 1000 | round)]')" \
    '["<f4",[2],1000]'
same "classify: conf is the best probability" \
    "$("$BIN/tl-cat" --full "$T/o.tl" | jq -c '((.prob.data | max) - .conf) | fabs < 1e-7' | sort -u)" true
same "classify: header classes and classifier" \
    "$("$BIN/tl-cat" --headers "$T/o.tl" | head -n 1 | jq -c '[.classes, .classifier.name, (.classifier.sha256 | length), .classifier.version, .model.sha256 == "'$SHA'"]')" \
    '[["ant","bee"],"m.tlm",64,"test-1",true]'
same "classify: header classifier names the backbone" \
    "$("$BIN/tl-cat" --headers "$T/o.tl" | head -n 1 | jq -r .classifier.backbone)" fake
same "classify: classifier sha256 is the file's" \
    "$("$BIN/tl-cat" --headers "$T/o.tl" | head -n 1 | jq -r .classifier.sha256)" \
    "$(sha256sum < "$T/m.tlm" | cut -d' ' -f1)"
same "classify: why unknown (reject)" "$(jq -r '.reject // "-"' "$T/o.jsonl" | tr '\n' ' ')" "- - ood ood "

# input classes the model does not know: a warning naming both lists, the
# output's classes are the model's; a subset of the model's is quiet
{ printf '{"tl":1,"classes":["ant","bee","wasp"],"model":{"name":"fake","sha256":"%s"},"dims":[3],"layer":"L","pool":"avg"}\n' $SHA
  v3 ant1 ant 3.5 0.1 0; v3 w1 wasp 0 0 3; } | "$BIN/tl-cat" --from-json > "$T/wasp.tl"
run "classify: input classes the model lacks" 0 "'$C' -m '$T/m.tlm' '$T/wasp.tl' > '$T/wo.tl'"
same "classify: input classes warning" "$(cat "$T/err")" \
    "tl-classify: the input's classes [ant, bee, wasp] are not all among the model's [ant, bee]; the output header has the model's"
same "classify: output classes are the model's" "$("$BIN/tl-cat" --headers "$T/wo.tl" | head -n 1 | jq -c .classes)" '["ant","bee"]'
{ printf '{"tl":1,"classes":["bee"],"model":{"name":"fake","sha256":"%s"},"dims":[3],"layer":"L","pool":"avg"}\n' $SHA
  v3 bee1 bee 0 3.5 0.2; } | "$BIN/tl-cat" --from-json > "$T/bees.tl"
run "classify: input classes a subset of the model's" 0 "'$C' -m '$T/m.tlm' '$T/bees.tl' > /dev/null"
same "classify: no warning for a subset" "$(cat "$T/err")" ""

# mid: conf 0.51, ood 1.7 (the model's threshold is 0.39); far: conf 1.0, ood 92
run "classify: --no-reject" 0 "'$C' -m '$T/m.tlm' --no-reject '$T/test.tl' | '$BIN/tl-cat' -f pred,reject > '$T/nr'"
same "classify: --no-reject keeps the best class" "$(cut -f1 "$T/nr" | tr '\n' ' ')" "ant bee ant bee "
same "classify: --no-reject adds no reject key" "$(cut -f2 "$T/nr" | sort -u)" ""
run "classify: --min-conf 0.9" 0 "'$C' -m '$T/m.tlm' --min-conf 0.9 --ood-threshold 1e9 '$T/test.tl' | '$BIN/tl-cat' -f pred,reject > '$T/mc'"
same "classify: --min-conf rejects the unsure" "$(tr '\t' : < "$T/mc" | tr '\n' ' ')" "ant: bee: unknown:conf bee: "
run "classify: --ood-threshold 0" 0 "'$C' -m '$T/m.tlm' --ood-threshold 0 '$T/test.tl' | '$BIN/tl-cat' -f pred,reject > '$T/ot'"
same "classify: --ood-threshold 0 rejects all" "$(tr '\t' : < "$T/ot" | tr '\n' ' ')" "unknown:ood unknown:ood unknown:ood unknown:ood "
same "classify: the model's threshold lets the training data in" \
    "$("$C" -m "$T/m.tlm" "$T/train.tl" | "$BIN/tl-cat" -c pred | tr '\t\n' ': ')" "ant:4 bee:4 "
run "classify: no OOD statistics" 0 "'$C' -m '$T/nood.tlm' '$T/test.tl' > '$T/no.tl'"
same "classify: no ood key without OOD statistics" "$("$BIN/tl-cat" "$T/no.tl" | jq -c 'has("ood")' | sort -u)" false
run "classify: --ood-threshold needs OOD statistics" 2 "'$C' -m '$T/nood.tlm' --ood-threshold 3 '$T/test.tl'"
has "classify: no OOD statistics message" "$T/err" "--ood-threshold: the model has no OOD statistics"

# top-K: sorted, K clamped to the number of classes
same "classify: --top 1" "$("$C" -m "$T/m.tlm" --top 1 "$T/test.tl" | "$BIN/tl-cat" | head -n 1 | jq -c '[(.top | length), .top[0][0]]')" '[1,"ant"]'
same "classify: --top 5 gives all K, best first" \
    "$("$C" -m "$T/m.tlm" --top 5 "$T/test.tl" | "$BIN/tl-cat" | sed -n 2p | jq -c '[.top[][0], (.top[0][1] >= .top[1][1]), (.top[0][1] == .conf)]')" \
    '["bee","ant",true,true]'
run "classify: --top 0 is a usage error" 2 "'$C' -m '$T/m.tlm' --top 0 '$T/test.tl'"

# temperature: a hotter model is less sure of the same verdict
same "classify: temperature lowers conf" \
    "$("$C" -m "$T/hot.tlm" --no-reject "$T/test.tl" | "$BIN/tl-cat" -f pred,conf | head -n 1 | cut -f1),$(awk -v a="$("$C" -m "$T/hot.tlm" "$T/test.tl" | "$BIN/tl-cat" -f conf | head -n 1)" -v b="$(jq -r .conf "$T/o.jsonl" | head -n 1)" 'BEGIN { print (a < b) }')" "ant,1"
run "classify: l2-normalised model" 0 "'$C' -m '$T/l2.tlm' '$T/train.tl' | '$BIN/tl-cat' -c pred > '$T/l2'"
same "classify: l2 model on its training data" "$(tr '\t\n' ': ' < "$T/l2")" "ant:4 bee:4 "

# spatial maps [2,2,3] whose average is a training vector: pooled here, the
# same verdict; the CAM of pred peaks where the evidence was put
m223() { # id label cell(0..3) ch value: value*4 at cell's channel ch, else as the pooled vector
	_c=$3 _ch=$4 _v=$5 _d=
	for i in 0 1 2 3; do for ch in 0 1 2; do
		case $ch in 0) x=0 ;; 1) x=0.1 ;; 2) x=0 ;; esac
		[ "$2" = bee ] && case $ch in 0) x=0 ;; 1) x=0 ;; 2) x=0.2 ;; esac
		[ "$ch" = "$_ch" ] && { [ "$i" = "$_c" ] && x=$(awk -v v="$_v" 'BEGIN { print v * 4 }') || x=0; }
		_d=$_d${_d:+,}$x
	done; done
	printf '{"id":"%s","label":"%s","emb":{"dtype":"<f4","shape":[2,2,3],"data":[%s]}}\n' "$1" "$2" "$_d"
}
{
	hdr $SHA '[2,2,3]' none
	m223 antmap ant 0 0 3.5
	m223 beemap bee 3 1 3.5
	m223 antmap2 ant 2 0 4
} | "$BIN/tl-cat" --from-json > "$T/map.tl"
run "classify: [H,W,C] maps pooled as the model wants" 0 "'$C' -m '$T/m.tlm' --cam '$T/map.tl' > '$T/mo.tl'"
same "classify: maps give the pooled verdict" "$("$BIN/tl-cat" -f pred "$T/mo.tl" | tr '\n' ' ')" "ant bee ant "
same "classify: map conf = pooled conf" "$("$BIN/tl-cat" -f conf "$T/mo.tl" | head -n 1)" "$(jq -r .conf "$T/o.jsonl" | head -n 1)"
same "classify: cam is |u1 [2,2]" "$("$BIN/tl-cat" "$T/mo.tl" | head -n 1 | jq -c '[.cam.dtype, .cam.shape]')" '["|u1",[2,2]]'
same "classify: cam peaks where the evidence is" \
    "$("$BIN/tl-cat" --full "$T/mo.tl" | jq -r '.cam.data | index(max)' | tr '\n' ' ')" "0 3 2 "
same "classify: cam is min-max normalised" \
    "$("$BIN/tl-cat" --full "$T/mo.tl" | jq -c '[.cam.data | min, max]' | sort -u)" "[0,255]"
run "classify: --cam on an L2 model" 0 "'$C' -m '$T/l2.tlm' --cam '$T/map.tl' > '$T/ml2.tl'"
same "classify: L2 model's cam peaks where the evidence is" \
    "$("$BIN/tl-cat" --full "$T/ml2.tl" | jq -r '.cam.data | index(max)' | tr '\n' ' ')" "0 3 2 "

# errors
run "classify: no -m" 2 "'$C' < '$T/test.tl'"
has "classify: no -m message" "$T/err" "no model: give -m model.tlm"
run "classify: missing model file" 2 "'$C' -m '$T/nosuch.tlm' < '$T/test.tl'"
has "classify: missing model message" "$T/err" "tl-classify: $T/nosuch.tlm: cannot open"
head -c 200 "$T/m.tlm" > "$T/cut.tlm"
run "classify: truncated model file" 2 "'$C' -m '$T/cut.tlm' < '$T/test.tl'"
has "classify: truncated model message" "$T/err" "truncated model file"
printf 'hello, I am not a model\n' > "$T/junk.tlm"
run "classify: corrupted model file" 2 "'$C' -m '$T/junk.tlm' < '$T/test.tl'"
has "classify: corrupted model message" "$T/err" "$T/junk.tlm: "
# a model file with flipped bits: refused by its checksum (tl-model(5)).
# flip IN OUT OFFSET:XOR ...: OUT is IN with those bytes XORed
flip() {
	/usr/bin/python3 -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read())
for a in sys.argv[3:]:
    o, x = map(int, a.split(":"))
    b[o % len(b)] ^= x
open(sys.argv[2], "wb").write(b)' "$@"
}
size=$(wc -c < "$T/m.tlm")
for f in 0:1 1:128 $((size / 3)):4 $((size / 2)):16 $((size - 74)):1 $((size - 1)):2; do
	flip "$T/m.tlm" "$T/f.tlm" "$f"
	run "classify: a flipped bit at ${f%:*} of $size" 2 "'$C' -m '$T/f.tlm' < '$T/test.tl'"
	same "classify: flipped bit at ${f%:*} message" "$(cat "$T/err")" "tl-classify: $T/f.tlm: corrupted (checksum mismatch)"
done
flip "$T/m.tlm" "$T/f.tlm" 40:1 $((size / 4)):2 $((size / 2)):8 $((size / 2 + 1)):64 $((size - 80)):128
run "classify: five flipped bits in the body" 2 "'$C' -m '$T/f.tlm' < '$T/test.tl'"
same "classify: five flipped bits message" "$(cat "$T/err")" "tl-classify: $T/f.tlm: corrupted (checksum mismatch)"
# 20 single bytes changed at offsets drawn with a fixed seed, over the whole
# file (the checksum's own frame included): every one refused, status 2
caught=0 said=
for f in $(/usr/bin/python3 -c 'import random, sys
r = random.Random(20)
print(" ".join("%d:%d" % (r.randrange(int(sys.argv[1])), r.randrange(1, 256)) for _ in range(20)))' "$size"); do
	flip "$T/m.tlm" "$T/f.tlm" "$f"
	"$C" -m "$T/f.tlm" < "$T/test.tl" > /dev/null 2> "$T/err"
	st=$?
	if [ $st = 2 ] && grep -q "^tl-classify: $T/f.tlm: " "$T/err"; then caught=$((caught + 1))
	else said="$said ${f%:*}:status=$st:$(head -c 100 "$T/err")"; fi
done
same "classify: 20 single-byte changes of the model, all refused" "$caught$said" 20
flip "$T/m.tlm" "$T/f.tlm" 0:0
same_file "classify: the test's flip changes nothing with XOR 0" "$T/f.tlm" "$T/m.tlm"

{ hdr $OTHER '[3]' avg; v3 x ant 1 2 3; } | "$BIN/tl-cat" --from-json > "$T/other.tl"
run "classify: emb of another backbone" 1 "'$C' -m '$T/m.tlm' '$T/other.tl' > '$T/x.tl'"
has "classify: another backbone message" "$T/err" \
    "tl-classify: $T/m.tlm: backbone differs (sha256): the model wants embeddings of fake sha256 ${SHA%b}, layer L, pool avg, dims [3]; the stream has fake sha256 ${OTHER%d}, layer L, pool avg, dims [3]"
same "classify: nothing written for another backbone" "$(wc -c < "$T/x.tl")" 0
{ hdr $SHA '[3]' max; v3 x ant 1 2 3; } | "$BIN/tl-cat" --from-json > "$T/maxpool.tl"
run "classify: emb pooled differently" 1 "'$C' -m '$T/m.tlm' '$T/maxpool.tl'"
has "classify: pool named in the message" "$T/err" "backbone differs (pool): the model wants embeddings of fake sha256 000000000000, layer L, pool avg, dims [3]; the stream has fake sha256 000000000000, layer L, pool max, dims [3]"
{ hdr $SHA '[3]' avg; v3 ok ant 3 0 0; printf '{"id":"noemb","label":"ant"}\n'
  printf '{"id":"short","emb":{"dtype":"<f4","shape":[2],"data":[1,2]}}\n'; v3 ok2 bee 0 3 0; } |
	"$BIN/tl-cat" --from-json > "$T/bad.tl"
run "classify: records without emb are bad records" 1 "'$C' -m '$T/m.tlm' '$T/bad.tl' > '$T/b.tl'"
has "classify: no emb message" "$T/err" "tl-classify: noemb: no emb to classify"
has "classify: wrong emb size message" "$T/err" "tl-classify: short: emb has 2 values, the header says 3"
has "classify: summary line" "$T/err" "tl-classify: 4 read, 2 skipped, 2 classified, "
same "classify: the good records still flow" "$("$BIN/tl-cat" -f id "$T/b.tl" | tr '\n' ' ')" "ok ok2 "
run "classify: --max-bad 2 tolerates them" 0 "'$C' -m '$T/m.tlm' --max-bad 2 '$T/bad.tl' > /dev/null"
run "classify: --strict stops at the first" 1 "'$C' -m '$T/m.tlm' --strict '$T/bad.tl' > /dev/null"
# a NaN or an infinity in an emb, pooled or a map: a bad record named with
# the value's index; the records around it flow
{ hdr $SHA '[3]' avg; v3 ok ant 3 0 0
  printf '{"id":"nan","emb":{"dtype":"<f4","shape":[3],"data":[1,null,0]}}\n'; v3 ok2 bee 0 3 0; } |
	"$BIN/tl-cat" --from-json > "$T/nan.tl"
run "classify: a NaN emb is a bad record" 1 "'$C' -m '$T/m.tlm' '$T/nan.tl' > '$T/n.tl'"
same "classify: NaN message" "$(grep -v ' read, ' "$T/err")" "tl-classify: nan: emb[1] is NaN"
same "classify: the records around the NaN flow" "$("$BIN/tl-cat" -f id "$T/n.tl" | tr '\n' ' ')" "ok ok2 "
{ hdr $SHA '[2,2,3]' none; m223 antmap ant 0 0 3.5
  printf '{"id":"infmap","emb":{"dtype":"<f4","shape":[2,2,3],"data":[0,0,0,0,0,0,0,0,0,0,1e999,0]}}\n'; } |
	"$BIN/tl-cat" --from-json > "$T/infmap.tl"
run "classify: an infinite map value is a bad record" 1 "'$C' -m '$T/m.tlm' '$T/infmap.tl' > '$T/n.tl'"
has "classify: infinite map message" "$T/err" "tl-classify: infmap: emb[1,1,1] is inf"
same "classify: the map before it flows" "$("$BIN/tl-cat" -f id "$T/n.tl")" "antmap"
{ hdr $SHA '[3]' avg; printf '{"id":"str","emb":"x"}\n'; } | "$BIN/tl-cat" --from-json > "$T/stremb.tl"
run "classify: emb not a tensor" 1 "'$C' -m '$T/m.tlm' '$T/stremb.tl' > /dev/null"
has "classify: emb not a tensor message (one prefix)" "$T/err" "tl-classify: str: emb: tensor is not a map"
run "classify: --cam on pooled emb" 2 "'$C' -m '$T/m.tlm' --cam '$T/test.tl'"
has "classify: --cam on pooled emb says why" "$T/err" "--cam needs the feature map, but the input's emb is pooled"
run "classify: --cam with an MLP head" 2 "'$C' -m '$T/mlp.tlm' --cam '$T/map.tl'"
has "classify: --cam MLP message" "$T/err" "CAM needs a linear head"
run "classify: MLP head classifies" 0 "'$C' -m '$T/mlp.tlm' '$T/test.tl' > /dev/null"
run "classify: --min-conf out of range" 2 "'$C' -m '$T/m.tlm' --min-conf 1.5 '$T/test.tl'"
head -c 150 "$T/test.tl" > "$T/cut.tl"
run "classify: truncated input" 1 "'$C' -m '$T/m.tlm' < '$T/cut.tl' > /dev/null"
has "classify: truncated message" "$T/err" "truncated stream"
run "classify: --help" 0 "'$C' --help"
has "classify: --help shows the usage" "$T/out" "usage: tl-classify -m model.tlm"

# bounded memory: peak RSS on a 110 MB stream within 10 MB of that on a tiny
# one (prlimit --as cannot be used: OpenBLAS spins on failing mmaps)
if [ -x /usr/bin/time ] && [ "$BIN" = "$top/bin" ]; then
	awk 'BEGIN { printf "{\"tl\":1,\"model\":{\"name\":\"fake\",\"sha256\":\"%s\"},\"dims\":[3],\"layer\":\"L\",\"pool\":\"avg\"}\n", "'$SHA'"
	    for (i = 0; i < 200000; i++) printf "{\"id\":\"r%d\",\"pad\":\"%0500d\",\"emb\":{\"dtype\":\"<f4\",\"shape\":[3],\"data\":[%d,1,0]}}\n", i, 0, i % 5 }' |
		"$BIN/tl-cat" --from-json > "$T/big.tl"
	small=$(/usr/bin/time -f %M "$C" -m "$T/m.tlm" "$T/test.tl" 2>&1 >/dev/null | tail -n 1)
	big=$(/usr/bin/time -f %M "$C" -m "$T/m.tlm" "$T/big.tl" 2>&1 >/dev/null | tail -n 1)
	if [ "$big" -lt $((small + 10240)) ]; then pass "classify: streams (peak RSS ${big} KB on 110 MB, ${small} KB on 4 records)"
	else fail "classify: streams" "peak RSS ${big} KB on 110 MB, ${small} KB on 4 records"; fi
	rm -f "$T/big.tl"
fi

# a backbone that computes a NaN (tests/nn/tiny.onnx with the bias of the
# first channel of its "feat" Conv set to NaN, at byte 22034 of the file):
# each image is a bad record, never a verdict on a NaN embedding
mkdir -p "$T/nan"
cp "$top/tests/nn/tiny.onnx" "$T/nan/tiny.onnx"
printf '\000\000\300\177' | dd of="$T/nan/tiny.onnx" bs=1 seek=22034 conv=notrunc 2>/dev/null
"$BIN/tl-ingest" "$TD/shapes" > "$T/s.tl" 2>/dev/null
"$BIN/tl-embed" -m "$top/tests/nn/tiny.onnx" -l feat -p avg < "$T/s.tl" 2>/dev/null |
	"$BIN/tl-cat" --headers --full | jq -c 'select(.tl or .label)' |
	sed "s/$(sha256sum < "$top/tests/nn/tiny.onnx" | cut -c1-64)/$(sha256sum < "$T/nan/tiny.onnx" | cut -c1-64)/" |
	"$BIN/tl-cat" --from-json > "$T/tiny.tl"
"$M" "$T/tiny.tl" "$T/tiny.tlm" || fail classify-mktlm "cannot make tiny.tlm"
run "classify: a backbone computing NaN: bad records" 1 "'$C' -m '$T/tiny.tlm' --backbone '$T/nan/tiny.onnx' < '$T/s.tl' > '$T/n.tl'"
has "classify: backbone NaN message" "$T/err" "tl-classify: circle/c1.png: the backbone's output: emb[0] is NaN"
has "classify: backbone NaN summary" "$T/err" "tl-classify: 7 read, 7 skipped, 0 classified, 0 unknown"
same "classify: no verdict on a NaN embedding" "$("$BIN/tl-cat" -c id "$T/n.tl" | wc -l | tr -d ' ')" 0

# --explain usage errors, and a backbone with a node the tail cannot
# differentiate (tiny.onnx's MaxPool between its input and feat)
run "classify: --explain unknown" 2 "'$C' -m '$T/m.tlm' --explain lime '$T/test.tl'"
has "classify: --explain unknown message" "$T/err" "tl-classify: --explain: 'lime' is not cam, gradcam, saliency or activations"
run "classify: --layer without --explain" 2 "'$C' -m '$T/m.tlm' --layer x '$T/test.tl'"
has "classify: --layer without --explain message" "$T/err" "tl-classify: --layer is for --explain gradcam or activations"
run "classify: --layer with saliency" 2 "'$C' -m '$T/m.tlm' --explain saliency --layer x '$T/test.tl'"
has "classify: --layer with saliency message" "$T/err" "tl-classify: --layer: saliency is always the input's"
run "classify: activations without --cam-dir" 2 "'$C' -m '$T/m.tlm' --explain activations '$T/test.tl'"
has "classify: activations without --cam-dir message" "$T/err" "tl-classify: --explain activations makes pictures only: give --cam-dir DIR"
run "classify: --explain through a MaxPool" 2 "'$C' -m '$T/tiny.tlm' --backbone '$T/nan/tiny.onnx' --explain saliency < '$T/s.tl'"
same "classify: --explain through a MaxPool names the node" "$(cat "$T/err")" \
    "tl-classify: $T/tiny.tlm: --explain saliency: tiny: image -> feat: node '/pool/MaxPool' (MaxPool): not supported in a trainable tail"

# mobilenetv2 (tl-embed -m): images in
if [ ! -f "$top/models/mobilenetv2/model.json" ]; then
	fail "classify: models" "models/mobilenetv2 missing: run make model"
	return 0 2>/dev/null || exit 0
fi
export TL_MODEL_PATH=$top/models
"$BIN/tl-ingest" "$TD/shapes" > "$T/s.tl" 2>/dev/null
"$BIN/tl-embed" -m mobilenetv2 < "$T/s.tl" > "$T/e.tl"
"$BIN/tl-cat" -b --label circle "$T/e.tl" > "$T/cq.tl"
"$BIN/tl-cat" -b --label square "$T/e.tl" >> "$T/cq.tl"
"$M" "$T/cq.tl" "$T/shapes.tlm" || fail classify-mktlm "cannot make shapes.tlm"
run "classify: images through the model's backbone" 0 "'$C' -m '$T/shapes.tlm' < '$T/s.tl' > '$T/si.tl'"
"$C" -m "$T/shapes.tlm" < "$T/e.tl" > "$T/se.tl"
same "classify: images = tl-embed | tl-classify" \
    "$("$BIN/tl-cat" -f id,pred,conf,ood "$T/si.tl")" "$("$BIN/tl-cat" -f id,pred,conf,ood "$T/se.tl")"
same "classify: labelled shapes get their label" \
    "$("$BIN/tl-cat" -f label,pred "$T/si.tl" | awk -F'\t' '$1 != "" && $1 != $2' | wc -l)" 0
same "classify: images are kept, no emb added" "$("$BIN/tl-cat" "$T/si.tl" | head -n 1 | jq -c '[has("img"), has("emb")]')" '[true,false]'
same "classify: image output header has no backbone model" \
    "$("$BIN/tl-cat" --headers "$T/si.tl" | head -n 1 | jq -c '[has("model"), .classes, .classifier.backbone]')" '[false,["circle","square"],"mobilenetv2"]'
same "classify: tl-report names the backbone of images classified" \
    "$("$BIN/tl-report" --json < "$T/si.tl" | jq -r .backbone)" mobilenetv2
run "classify: --cam-dir" 0 "'$C' -m '$T/shapes.tlm' --cam-dir '$T/cams' < '$T/s.tl' > '$T/sc.tl'"
same "classify: cam of the default layer's 14x14 map" "$("$BIN/tl-cat" "$T/sc.tl" | jq -c '.cam.shape' | sort -u)" "[14,14]"
same "classify: --cam does not change the verdict" \
    "$("$BIN/tl-cat" -f id,pred,conf "$T/sc.tl")" "$("$BIN/tl-cat" -f id,pred,conf "$T/si.tl")"
same "classify: one heat map per image" "$(ls "$T/cams" | tr '\n' ' ')" \
    "circle_big_c3.png.png circle_c1.png.png circle_c2.png.png root.png.png square_dark_s3.png.png square_s1-copy.png.png square_s2.jpg.png "
same "classify: heat map has the image's size" "$(vipsheader -f width "$T/cams/circle_c1.png.png")x$(vipsheader -f height "$T/cams/circle_c1.png.png")" "64x48"
# --explain: Grad-CAM at the sidecar's cut (block_12_add, 14x14), saliency
# at the input (224x224), activations as a PNG grid of 4 x 4 cells of 224
# px; the method in cam_method; the verdicts unchanged
run "classify: --explain gradcam" 0 "'$C' -m '$T/shapes.tlm' --explain gradcam --cam-dir '$T/gc' < '$T/s.tl' > '$T/sg.tl'"
same "classify: gradcam cam and cam_method" "$("$BIN/tl-cat" "$T/sg.tl" | jq -c '[.cam.shape, .cam_method]' | sort -u)" \
    '[[14,14],"gradcam block_12_add"]'
same "classify: --explain does not change the verdict" \
    "$("$BIN/tl-cat" -f id,pred,conf "$T/sg.tl")" "$("$BIN/tl-cat" -f id,pred,conf "$T/si.tl")"
same "classify: one Grad-CAM heat map per image" "$(ls "$T/gc" | wc -l | tr -d ' ')" 7
same "classify: gradcam is min-max normalised" \
    "$("$BIN/tl-cat" --full "$T/sg.tl" | jq -c '[.cam.data | min, max]' | sort -u)" "[0,255]"
run "classify: --explain gradcam --layer block_5_add" 0 "'$C' -m '$T/shapes.tlm' --explain gradcam --layer block_5_add < '$T/s.tl' > '$T/s5.tl'"
same "classify: gradcam on block_5_add is 28x28" "$("$BIN/tl-cat" "$T/s5.tl" | jq -c '[.cam.shape, .cam_method]' | sort -u)" \
    '[[28,28],"gradcam block_5_add"]'
run "classify: --explain saliency" 0 "'$C' -m '$T/shapes.tlm' --explain saliency < '$T/s.tl' > '$T/ss.tl'"
same "classify: saliency is 224x224" "$("$BIN/tl-cat" "$T/ss.tl" | jq -c '[.cam.shape, .cam_method]' | sort -u)" \
    '[[224,224],"saliency"]'
same "classify: saliency clipped at its 99th percentile: 1% of it at 255" \
    "$("$BIN/tl-cat" --full "$T/ss.tl" | jq -c '[.cam.data[] | select(. == 255)] | length >= 502' | sort -u)" true
run "classify: --explain activations" 0 "'$C' -m '$T/shapes.tlm' --explain activations --cam-dir '$T/act' < '$T/s.tl' > '$T/sa.tl'"
same "classify: activations: a grid PNG, no cam, the 16 channels in acts" \
    "$(vipsheader -f width "$T/act/circle_c1.png.png")x$(vipsheader -f height "$T/act/circle_c1.png.png") $("$BIN/tl-cat" "$T/sa.tl" | jq -c '[has("cam"), .acts.dtype, .acts.shape, .cam_method]' | sort -u)" \
    '896x896 [false,"|u1",[16,14,14],"activations block_12_add"]'
"$M" -H 4 "$T/cq.tl" "$T/shapes-mlp.tlm" || fail classify-mktlm "cannot make shapes-mlp.tlm"
run "classify: --explain gradcam with an MLP head" 0 "'$C' -m '$T/shapes-mlp.tlm' --explain gradcam < '$T/s.tl' > '$T/sm.tl'"
same "classify: MLP gradcam" "$("$BIN/tl-cat" "$T/sm.tl" | jq -c '.cam.shape' | sort -u)" '[14,14]'
run "classify: --explain on embeddings" 2 "'$C' -m '$T/shapes.tlm' --explain gradcam < '$T/e.tl'"
same "classify: --explain on embeddings message" "$(cat "$T/err")" \
    "tl-classify: --explain gradcam needs the images (records with img or pix), not embeddings"
run "classify: --layer not in the backbone" 2 "'$C' -m '$T/shapes.tlm' --explain gradcam --layer nosuch < '$T/s.tl'"
same "classify: --layer not in the backbone message" "$(cat "$T/err")" \
    "tl-classify: $T/shapes.tlm: --explain gradcam: mobilenetv2: --layer nosuch: no such layer up to block_13_expand_relu (tl-embed --list-layers lists them)"
run "classify: --layer is the features' own" 0 "'$C' -m '$T/shapes.tlm' --explain gradcam --layer block_13_expand_relu < '$T/s.tl' > /dev/null"
printf '{"id":"noimage","label":"circle"}\n' | "$BIN/tl-cat" --from-json | cat "$T/s.tl" - > "$T/sn.tl"
run "classify: an image record without image" 1 "'$C' -m '$T/shapes.tlm' < '$T/sn.tl' > /dev/null"
has "classify: no image message" "$T/err" "tl-classify: noimage: no emb, img or pix to classify"
# decoding threads: an undecodable image mid-stream at batch 2 is reported
# in its place; the verdicts and their order do not depend on --decoders
printf '{"id":"junk.jpg","img":{"base64":"aGVsbG8gd29ybGQ="}}\n' | "$BIN/tl-cat" --from-json > "$T/junk.tl"
"$BIN/tl-cat" -b -n 2 "$T/s.tl" | cat - "$T/junk.tl" "$T/s.tl" > "$T/sj.tl"
for d in 0 3; do
	run "classify: --decoders $d, an undecodable image" 1 "'$C' -m '$T/shapes.tlm' -b 2 --decoders $d < '$T/sj.tl' > '$T/sj$d.tl'"
	has "classify: --decoders $d names it" "$T/err" "tl-classify: junk.jpg: not an image: a text file"
done
same "classify: --decoders 0 and 3 give the same verdicts" \
    "$("$BIN/tl-cat" -f id,pred,conf,ood "$T/sj0.tl")" "$("$BIN/tl-cat" -f id,pred,conf,ood "$T/sj3.tl")"
same "classify: --decoders keeps the order" "$("$BIN/tl-cat" -f id "$T/sj3.tl" | tr '\n' ' ')" \
    "$("$BIN/tl-cat" -n 2 -f id "$T/s.tl" | tr '\n' ' ')$("$BIN/tl-cat" -f id "$T/s.tl" | tr '\n' ' ')"
run "classify: backbone not found" 2 "TL_MODEL_PATH=/nonexistent '$C' -m '$T/shapes.tlm' --backbone nosuch < '$T/s.tl'"
has "classify: backbone not found message" "$T/err" "the model's backbone"
cp -R "$top/models/mobilenetv2" "$T/mn2" && echo " " >> "$T/mn2/model.json"
run "classify: a backbone file changed" 2 "'$C' -m '$T/shapes.tlm' --backbone '$T/mn2' < '$T/s.tl'"
same "classify: changed backbone message" "$(cat "$T/err")" \
    "tl-classify: $T/shapes.tlm: the model's backbone: $T/mn2/model.json: corrupted (sha256 mismatch; run make model)"
# the same change recorded in its tl-model.json: another backbone, not a corrupted one
sed -i "s/\"model.json\": \"[0-9a-f]*\"/\"model.json\": \"$(sha256sum < "$T/mn2/model.json" | cut -d' ' -f1)\"/" "$T/mn2/tl-model.json"
run "classify: a different backbone file" 2 "'$C' -m '$T/shapes.tlm' --backbone '$T/mn2' < '$T/s.tl'"
has "classify: different backbone message" "$T/err" "backbone differs (sha256)"
