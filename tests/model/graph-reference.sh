#!/bin/sh
# tests/model/graph-reference.sh - regenerates the committed tfjs reference
# outputs that the graph-model test (tests/unit/test_tfgraph.c) compares
# against: centernet.json and rvm.json, the 224x224 images shapes.png and
# synthetic.png of img/ through models/centernet and models/rvm at four
# layers each (early, mid, the feature layer, the end of the backbone), with
# tools/tfjs-graph-reference.js (@tensorflow/tfjs cpu backend, pinned in
# package.json), to 7 significant digits.  The layer lists here and in
# test_tfgraph.c are the same.  Needs `make model` (or $TL_GRAPH_MODELS: a
# directory holding centernet/ and rvm/) and `npm ci` at the top of the tree.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
m=${TL_GRAPH_MODELS:-models}
[ -d "$m/centernet" ] && [ -d "$m/rvm" ] || { echo "graph-reference.sh: no $m/centernet or $m/rvm: run make model" >&2; exit 1; }
[ -d node_modules/@tensorflow/tfjs ] || { echo "graph-reference.sh: no node_modules: run npm ci" >&2; exit 1; }
d=tests/model
c=tower_0/MobilenetV3
node tools/tfjs-graph-reference.js --digits 7 --model "$m/centernet" \
	--layer $c/Conv/hard_swish/mul_1 --layer $c/expanded_conv_5/add \
	--layer $c/expanded_conv_12/expand/hard_swish/mul_1 --layer $c/expanded_conv_14/add \
	$d/img/shapes.png $d/img/synthetic.png >$d/centernet.json.tmp
r=StatefulPartitionedCall/matting_network_wrapper/StatefulPartitionedCall/mobile_net_v3_encoder
node tools/tfjs-graph-reference.js --digits 7 --model "$m/rvm" \
	--layer $r/conv_bn_activation/hardswish/mul --layer $r/inverted_residual_5/add \
	--layer $r/inverted_residual_12/sequential_12/conv_bn_activation_36/hardswish_13/mul \
	--layer $r/inverted_residual_14/add \
	$d/img/shapes.png $d/img/synthetic.png >$d/rvm.json.tmp
mv $d/centernet.json.tmp $d/centernet.json
mv $d/rvm.json.tmp $d/rvm.json
