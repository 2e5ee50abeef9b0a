# tests/cli/pixels.sh - tl-embed -m pixels[:N], the raw-pixel baseline (no
# network, no model files): header and dims; a flat colour gives exactly
# c/255 in every pixel, R G B in that order; --squash; the stream trains,
# classifies and reports like any; tl-classify -m model.tlm on images
# rebuilds pixels:N from the model; the usage errors.
E=$BIN/tl-embed
mkdir -p "$T/px/flat"
# a 64x48 PNG of one colour (51, 102, 204): 0.2, 0.4, 0.8
/usr/bin/python3 - "$T/px/flat/flat.png" <<'PYEOF'
import struct, sys, zlib
w, h = 64, 48
raw = b"".join(b"\0" + bytes((51, 102, 204)) * w for _ in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PYEOF
"$BIN/tl-ingest" "$T/px/flat" > "$T/px/flat.tl" 2>/dev/null

run "pixels: embeds without a model" 0 "TL_MODEL_PATH=/nonexistent '$E' -m pixels:4 < '$T/px/flat.tl' > '$T/px/f4.tl'"
same "pixels: header" \
    "$("$BIN/tl-cat" --headers "$T/px/f4.tl" | head -n 1 | jq -c '[.model, .dims, .layer, .pool, .preprocess.width, .preprocess.height, .preprocess.resize, .preprocess.scale]')" \
    "[{\"name\":\"pixels:4\",\"sha256\":\"$(printf pixels:4 | sha256sum | cut -c1-64)\"},[48],\"pixels\",\"none\",4,4,\"crop\",\"[0,1]\"]"
same "pixels: a flat colour is c/255, R G B per pixel" \
    "$("$BIN/tl-cat" --full "$T/px/f4.tl" | jq -c '[.emb.shape, (.emb.data | [range(0; 48; 3) as $i | .[$i:$i+3] | map(. * 1000 | round)] | unique), has("img")]')" \
    '[[48],[[200,400,800]],false]'
same "pixels: every value c/255 to float32's precision" \
    "$("$BIN/tl-cat" --full "$T/px/f4.tl" | jq -c '[.emb.data | to_entries[] | (.value - [51, 102, 204][.key % 3] / 255 | fabs) < 1e-7] | unique')" '[true]'

run "pixels: default size 32, --squash" 0 "'$E' -m pixels --squash < '$T/px/flat.tl' > '$T/px/f32.tl'"
same "pixels: 32 x 32 x 3, squashed" \
    "$("$BIN/tl-cat" --headers "$T/px/f32.tl" | head -n 1 | jq -c '[.model.name, .dims, .preprocess.resize]')" \
    '["pixels:32",[3072],"squash"]'

# images -> pixels:8 -> a head; classify its embeddings and its images
"$BIN/tl-ingest" "$TD/shapes" > "$T/px/shapes.tl" 2>/dev/null
run "pixels: shapes embedded" 0 "'$E' -m pixels:8 < '$T/px/shapes.tl' > '$T/px/e.tl'"
run "pixels: tl-train on pixels" 0 "'$BIN/tl-train' -o '$T/px/m.tlm' '$T/px/e.tl'"
has "pixels: the head fits its training images" "$T/err" "tl-train: train: accuracy 1.0000"
run "pixels: tl-classify the embeddings" 0 "'$BIN/tl-classify' -m '$T/px/m.tlm' < '$T/px/e.tl' > '$T/px/c-emb.tl'"
run "pixels: tl-classify the images (pixels:8 rebuilt from the model)" 0 \
    "TL_MODEL_PATH=/nonexistent '$BIN/tl-classify' -m '$T/px/m.tlm' < '$T/px/shapes.tl' > '$T/px/c-img.tl'"
"$BIN/tl-cat" -f id,pred "$T/px/c-emb.tl" > "$T/px/p-emb.tsv"
"$BIN/tl-cat" -f id,pred "$T/px/c-img.tl" > "$T/px/p-img.tsv"
same "pixels: images and embeddings classified alike" "$(wc -l < "$T/px/p-img.tsv") $(cmp -s "$T/px/p-img.tsv" "$T/px/p-emb.tsv" && echo same)" "7 same"
run "pixels: tl-report" 0 "'$BIN/tl-report' < '$T/px/c-emb.tl'"

# usage
U="pixels is raw pixels, no network (no layers to cut, list or pool)"
for a in "--cut:--cut" "--layer:-l x" "--list-layers:--list-layers" "--pool:-p avg"; do
	run "pixels: ${a%%:*} refused" 2 "'$E' -m pixels ${a#*:} < /dev/null"
	has "pixels: ${a%%:*} message" "$T/err" "tl-embed: ${a%%:*}: $U"
done
run "pixels: in an ensemble refused" 2 "'$E' -m mobilenetv2+pixels:8 < /dev/null"
has "pixels: ensemble message" "$T/err" "tl-embed: --model: pixels:8: raw pixels are a baseline of their own, not part of several backbones"
for n in 3 129 x 8x ""; do
	run "pixels: size '$n' refused" 2 "'$E' -m pixels:$n < /dev/null"
	same "pixels: size '$n' message" "$(cat "$T/err")" "tl-embed: 'pixels:$n': want pixels:N, N from 4 to 128"
done

# nothing to fine-tune; another size is another backbone
run "pixels: --finetune refused" 1 "'$BIN/tl-train' --finetune -o '$T/px/ft.tlm' '$T/px/e.tl'"
same "pixels: --finetune message" "$(cat "$T/err")" "tl-train: backbone pixels:8 is raw pixels: no network to fine-tune"
run "pixels: another size refused by the model" 2 "'$BIN/tl-classify' --backbone pixels:16 -m '$T/px/m.tlm' < '$T/px/shapes.tl' > /dev/null"
has "pixels: another size message" "$T/err" "tl-classify: $T/px/m.tlm: backbone pixels:16: backbone differs (sha256, dims): the model wants embeddings of pixels:8 sha256 "
