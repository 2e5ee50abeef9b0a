# tests/cli/train.sh - tl-train on synthetic embeddings (bench/train/synth.py):
# it trains and says what it used and ignored, holds out 20% without a val
# split, is byte-for-byte deterministic under SOURCE_DATE_EPOCH, appends
# --log lines, continues from --init (new classes allowed, another backbone
# refused), and fails cleanly on bad models, records, streams and flags.
PY=/usr/bin/python3
SYN="$PY $top/bench/train/synth.py"
$SYN --n 600 --dim 16 --classes 3 --sep 1.5 --test 0.1 > "$T/s.tl"

run "train: trains" 0 "'$BIN/tl-train' -o '$T/m.tlm' '$T/s.tl'"
has "train: counts what it ignored" "$T/err" "ignored: 53 test, 0 unlabelled, 0 other"
has "train: summary of val" "$T/err" "tl-train: val:   accuracy 1.0000"
has "train: says where the model went" "$T/err" "tl-train: wrote $T/m.tlm (version "
same "train: model keys" "$($PY -c "import msgpack,sys; m=msgpack.unpack(open(sys.argv[1],'rb')); print(m['tlm'], m['classes'], m['dim'], m['backbone']['model']['name'], m['head']['type'], sorted(m['train']['counts']))" "$T/m.tlm")" \
    "1 ['c0', 'c1', 'c2'] 16 synth linear ['c0', 'c1', 'c2']"

SOURCE_DATE_EPOCH=1700000000 "$BIN/tl-train" -q -o "$T/d1.tlm" "$T/s.tl" 2>/dev/null
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
run "train: no -o" 2 "'$BIN/tl-train' '$T/s.tl'"
has "train: no -o message" "$T/err" "no model file: give -o FILE"
run "train: bad --norm" 2 "'$BIN/tl-train' --norm cube -o '$T/x.tlm' '$T/s.tl'"
run "train: bad --keep" 2 "'$BIN/tl-train' --keep 2 -o '$T/x.tlm' '$T/s.tl'"
run "train: --help" 0 "'$BIN/tl-train' --help"
has "train: --help usage" "$T/out" "usage: tl-train -o model.tlm"
