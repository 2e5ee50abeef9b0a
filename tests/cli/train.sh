# tests/cli/train.sh - tl-train on synthetic embeddings (bench/train/synth.py):
# it trains and says what it used and ignored, holds out 20% without a val
# split, is byte-for-byte deterministic under SOURCE_DATE_EPOCH, appends
# --log lines, continues from --init (new classes allowed, another backbone
# refused), and fails cleanly on bad models, records, streams and flags.
PY=/usr/bin/python3
SYN="$PY $top/bench/train/synth.py"
$SYN --n 600 --dim 16 --classes 3 --sep 1.5 --test 0.1 > "$T/s.tl"

# tl-ingest's output straight into tl-train: one message saying what to do
run "train: image records" 1 "'$BIN/tl-ingest' '$top/testdata/shapes' 2>/dev/null | '$BIN/tl-train' -o '$T/img.tlm'"
same "train: image records: one line, run tl-embed first" "$(cat "$T/err")" \
    "tl-train: circle/big/c3.png: an image, not an embedding (no emb): run tl-embed first, as in tl-ingest DIR | tl-embed | tl-train -o m.tlm"
run "train: trains" 0 "'$BIN/tl-train' -o '$T/m.tlm' '$T/s.tl'"
has "train: counts what it ignored" "$T/err" "ignored: 53 test, 0 unlabelled, 0 other"
has "train: summary of val" "$T/err" "tl-train: val:   accuracy 1.0000"
has "train: says where the model went" "$T/err" "tl-train: wrote $T/m.tlm (version "
same "train: model keys" "$($PY -c "import msgpack,sys; m=msgpack.unpack(open(sys.argv[1],'rb')); print(m['tlm'], m['classes'], m['dim'], m['backbone']['model']['name'], m['head']['type'], sorted(m['train']['counts']))" "$T/m.tlm")" \
    "1 ['c0', 'c1', 'c2'] 16 synth linear ['c0', 'c1', 'c2']"

SOURCE_DATE_EPOCH=1700000000 "$BIN/tl-train" -q -o "$T/d1.tlm" "$T/s.tl" 2>"$T/d1.err"
SOURCE_DATE_EPOCH=1700000000 "$BIN/tl-train" -q -o "$T/d2.tlm" "$T/s.tl" 2>/dev/null
same_file "train: same input and SOURCE_DATE_EPOCH, same bytes" "$T/d1.tlm" "$T/d2.tlm"
same "train: version tag from the date and content" \
    "$($PY -c "import msgpack,sys; m=msgpack.unpack(open(sys.argv[1],'rb')); print(m['version'][:16], m['created'])" "$T/d1.tlm")" \
    "20231114T221320- 2023-11-14T22:13:20Z"
run "train: --version-tag" 0 "'$BIN/tl-train' -q --version-tag v7 -o '$T/v.tlm' '$T/s.tl'"
has "train: --version-tag used" "$T/err" "(version v7)"

run "train: --log appends" 0 "'$BIN/tl-train' -q --log '$T/log.jsonl' -o '$T/m.tlm' '$T/s.tl' && '$BIN/tl-train' -q --log '$T/log.jsonl' --hidden 16 --epochs 30 --lr 0.01 -o '$T/mlp.tlm' '$T/s.tl'"
same "train: --log lines" "$(jq -c '[.head, .metrics.val.accuracy > 0.9, .counts.c0.val > 0, (.version|length) > 0]' "$T/log.jsonl" | tr '\n' ' ')" \
    '["linear",true,true,true] ["mlp",true,true,true] '

$SYN --n 300 --dim 16 --classes 3 --sep 1.5 --val 0 > "$T/noval.tl"
run "train: no val split" 0 "'$BIN/tl-train' -o '$T/n.tlm' '$T/noval.tl'"
has "train: says it held out 20%" "$T/err" "(no val split: 20% of train held out)"
has "train: held out per class" "$T/err" "c0                       80 train     20 val"

$SYN --n 300 --dim 16 --labels c0,c1,c2,c3 --sep 1.5 --seed 1 > "$T/new.tl"
run "train: --init with a new class" 0 "'$BIN/tl-train' --init '$T/m.tlm' -o '$T/i.tlm' '$T/new.tl'"
has "train: --init inherits the shared classes" "$T/err" "--init: weights of 3 of 4 classes inherited"
$SYN --n 300 --dim 16 --classes 3 --sha 1111111111111111111111111111111111111111111111111111111111111111 > "$T/other.tl"
run "train: --init refuses another backbone" 1 "'$BIN/tl-train' --init '$T/m.tlm' -o '$T/x.tlm' '$T/other.tl'"
has "train: --init message" "$T/err" "tl-train: --init $T/m.tlm: backbone differs (sha256): the model wants embeddings of synth sha256 000000000000, layer feat, pool avg, dims [16]; the stream has synth sha256 111111111111, layer feat, pool avg, dims [16]"
head -c 700 "$T/m.tlm" > "$T/cut.tlm"
run "train: --init truncated model is a usage error" 2 "'$BIN/tl-train' --init '$T/cut.tlm' -o '$T/x.tlm' '$T/s.tl'"
has "train: truncated model message" "$T/err" "tl-train: $T/cut.tlm: truncated model file"
run "train: --init missing model" 2 "'$BIN/tl-train' --init '$T/nosuch.tlm' -o '$T/x.tlm' '$T/s.tl'"
$PY -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[len(b) // 2] ^= 32; open(sys.argv[2], "wb").write(b)' "$T/m.tlm" "$T/flip.tlm"
run "train: --init corrupted model is a usage error" 2 "'$BIN/tl-train' --init '$T/flip.tlm' -o '$T/x.tlm' '$T/s.tl'"
same "train: corrupted model message" "$(cat "$T/err")" "tl-train: $T/flip.tlm: corrupted (checksum mismatch)"
same "train: the checksum is the sha256 of the bytes before its key (tl-model(5))" \
    "$($PY -c 'import hashlib, msgpack, sys; b = open(sys.argv[1], "rb").read(); m = msgpack.unpackb(b); print(list(m)[-1], m["sha256"] == hashlib.sha256(b[:-73]).hexdigest())' "$T/d1.tlm")" "sha256 True"
run "train: --init on a stream is refused" 2 "'$BIN/tl-train' --init '$T/s.tl' -o '$T/x.tlm' '$T/s.tl'"
has "train: stream as model message" "$T/err" "not a tl model file"
test ! -e "$T/x.tlm" && pass "train: no model written on failure" || fail "train: no model written on failure" "x.tlm exists"

printf '{"id":"bad/1","label":"c0","split":"train"}\n' | "$BIN/tl-cat" --from-json > "$T/bad.tl"
cat "$T/s.tl" "$T/bad.tl" > "$T/mixed.tl"
run "train: a record without emb gives status 1" 1 "'$BIN/tl-train' -q -o '$T/b.tlm' '$T/mixed.tl'"
has "train: bad record message" "$T/err" "tl-train: bad/1: no emb"
has "train: summary line" "$T/err" "tl-train: 601 read, 1 skipped"
run "train: --max-bad 1 tolerates it" 0 "'$BIN/tl-train' -q --max-bad 1 -o '$T/b.tlm' '$T/mixed.tl'"
head -c 3000 "$T/s.tl" > "$T/cut.tl"
run "train: truncated stream" 1 "'$BIN/tl-train' -o '$T/x.tlm' '$T/cut.tl'"
has "train: truncated stream message" "$T/err" "truncated stream"
$SYN --n 50 --dim 4 --labels only > "$T/one.tl"
run "train: one class" 1 "'$BIN/tl-train' -o '$T/x.tlm' '$T/one.tl'"
has "train: one class message" "$T/err" "tl-train: 1 class: a classifier needs at least 2"
# a NaN or an infinity in an emb, val or train: a bad record named with the
# value's index, counted, and kept out of the fit (the model is the one
# made without it, byte for byte)
hdr=$("$BIN/tl-cat" --headers -n 0 "$T/s.tl" | head -n 1)
v15=$(printf '0.5,%.0s' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
{
	echo "$hdr"
	printf '{"id":"nan/1","label":"c0","split":"val","emb":{"dtype":"<f4","shape":[16],"data":[%snull]}}\n' "$v15"
} | "$BIN/tl-cat" --from-json > "$T/nan.tl"
cat "$T/s.tl" "$T/nan.tl" > "$T/snan.tl"
run "train: a NaN emb among val records gives status 1" 1 "'$BIN/tl-train' -q -o '$T/b.tlm' '$T/snan.tl'"
has "train: the NaN record named" "$T/err" "tl-train: nan/1: emb[15] is NaN"
has "train: the NaN record counted" "$T/err" "tl-train: 601 read, 1 skipped"
run "train: --max-bad 1 tolerates the NaN record" 0 \
    "SOURCE_DATE_EPOCH=1700000000 '$BIN/tl-train' -q --max-bad 1 -o '$T/nan.tlm' '$T/snan.tl'"
same_file "train: the NaN record is out of the fit: the same model as without it" "$T/d1.tlm" "$T/nan.tlm"
{
	echo "$hdr"
	printf '{"id":"inf/1","label":"c1","split":"train","emb":{"dtype":"<f4","shape":[4,4],"data":[%s-1e999]}}\n' "$v15"
} | "$BIN/tl-cat" --from-json | cat "$T/s.tl" - > "$T/sinf.tl"
run "train: an infinite emb among train records gives status 1" 1 "'$BIN/tl-train' -q -o '$T/b.tlm' '$T/sinf.tl'"
has "train: the infinite value named" "$T/err" "tl-train: inf/1: emb[3,3] is -inf"
# a class only val records carry is refused, naming it
{
	echo "$hdr"
	printf '{"id":"w/%d","label":"wasp","split":"val","emb":{"dtype":"<f4","shape":[16],"data":[%s1]}}\n' 1 "$v15" 2 "$v15"
} | "$BIN/tl-cat" --from-json | cat "$T/s.tl" - > "$T/wasp.tl"
run "train: a class with val records and no train record" 1 "'$BIN/tl-train' -q -o '$T/x.tlm' '$T/wasp.tl'"
same "train: val-only class message" "$(cat "$T/err")" \
    "tl-train: class 'wasp' (2 val) has val records but no train record: give it train images, or drop its val records"
# the temperature at its search bound: said, with what it means
has "train: says the temperature stopped at 0.05" "$T/d1.err" \
    "tl-train: the temperature stopped at its search bound 0.05: val asks for sharper probabilities still"
# val labelled unlike train (same class means, labels rotated): every val
# record confidently wrong
$SYN --n 300 --dim 16 --sep 1.5 --val 0 > "$T/rot.tl"
$SYN --n 90 --dim 16 --sep 1.5 --val 1 --labels c1,c2,c0 >> "$T/rot.tl"
run "train: val labelled unlike train" 0 "'$BIN/tl-train' -q -o '$T/rot.tlm' '$T/rot.tl'"
has "train: says the temperature stopped at 20" "$T/err" \
    "tl-train: the temperature stopped at its search bound 20: val asks for flatter probabilities still (the model is confidently wrong on much of val: a head that learnt little, or val unlike train); they are flattened toward 1/3 only that far"
# an output that cannot be written fails before any record is read (the
# input here is truncated: reading it would fail with status 1)
run "train: -o in a missing directory" 2 "'$BIN/tl-train' -o '$T/nodir/x.tlm' '$T/cut.tl'"
same "train: -o missing directory message" "$(cat "$T/err")" "tl-train: -o $T/nodir/x.tlm: No such file or directory"
run "train: -o a directory" 2 "'$BIN/tl-train' -o '$T' '$T/cut.tl'"
same "train: -o directory message" "$(cat "$T/err")" "tl-train: -o $T: is a directory"
run "train: --log in a missing directory" 2 "'$BIN/tl-train' --log '$T/nodir/log' -o '$T/x.tlm' '$T/cut.tl'"
same "train: --log missing directory message" "$(cat "$T/err")" "tl-train: --log $T/nodir/log: No such file or directory"
test -z "$(ls -A "$T" | grep '^\.x\.tlm')" && pass "train: no temporary file left" || fail "train: no temporary file left" "$(ls -A "$T")"
run "train: no -o" 2 "'$BIN/tl-train' '$T/s.tl'"
has "train: no -o message" "$T/err" "no model file: give -o FILE"
run "train: bad --norm" 2 "'$BIN/tl-train' --norm cube -o '$T/x.tlm' '$T/s.tl'"
run "train: bad --keep" 2 "'$BIN/tl-train' --keep 2 -o '$T/x.tlm' '$T/s.tl'"
run "train: --help" 0 "'$BIN/tl-train' --help"
has "train: --help usage" "$T/out" "usage: tl-train -o model.tlm"

# -o onto something that is not a regular file (/dev/null, a FIFO) writes into
# it: the atomic rename used to replace the FIFO (and /dev/null) with a file
mkfifo "$T/fifo"
timeout 60 cat "$T/fifo" > "$T/fromfifo" & _reader=$!
run "train: -o a FIFO" 0 "'$BIN/tl-train' -q -o '$T/fifo' '$T/s.tl'"
wait $_reader
test -p "$T/fifo" && pass "train: -o a FIFO leaves the FIFO" || fail "train: -o a FIFO leaves the FIFO" "replaced by $(ls -l "$T/fifo")"
same "train: -o a FIFO, the model came through it" \
    "$($PY -c "import msgpack,sys; print(msgpack.unpack(open(sys.argv[1],'rb'))['classes'])" "$T/fromfifo")" "['c0', 'c1', 'c2']"
