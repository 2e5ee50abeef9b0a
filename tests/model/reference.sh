#!/bin/sh
# tests/model/reference.sh - regenerates the committed tfjs reference outputs
# that the Keras-engine test compares against:
#   mobilenetv2.json  the 224x224 images of img/ through models/mobilenetv2
#   inceptionv3.json  img/synthetic299.png through models/inceptionv3
# with tools/tfjs-reference.js (@tensorflow/tfjs cpu backend, pinned in
# package.json), features and probabilities to 7 significant digits.
# Needs `make model` and `npm ci` at the top of the tree.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
[ -d models/mobilenetv2 ] && [ -d models/inceptionv3 ] || { echo "reference.sh: no models/: run make model" >&2; exit 1; }
[ -d node_modules/@tensorflow/tfjs ] || { echo "reference.sh: no node_modules: run npm ci" >&2; exit 1; }
d=tests/model
node tools/tfjs-reference.js --digits 7 --model models/mobilenetv2 \
	$d/img/gradient.png $d/img/noise.png $d/img/shapes.png $d/img/synthetic.png $d/img/text.png \
	>$d/mobilenetv2.json.tmp
node tools/tfjs-reference.js --digits 7 --model models/inceptionv3 $d/img/synthetic299.png >$d/inceptionv3.json.tmp
mv $d/mobilenetv2.json.tmp $d/mobilenetv2.json
mv $d/inceptionv3.json.tmp $d/inceptionv3.json
