#!/bin/sh
# tools/deps.sh - installs Debian packages, in two sets:
#   sh tools/deps.sh        (make deps) what building tl, running its tools,
#                           the demo and the pipelines need
#   sh tools/deps.sh test   (make deps-test, which make check runs first)
#                           also what the tests, fuzzers and benchmarks need:
#                           peers (PyTorch, ONNX and its conformance data),
#                           mandoc, clang, archivers, chromium, ...
# Node.js and npm come with the machine (nodesource build); they are not
# installed from Debian, whose npm would conflict with it.
set -e
# build: compiler, pkg-config and the -dev packages of the Makefile's PKGS
# (onnx.proto from libonnx-dev, protoc-c); run: the vips CLI
# (pipelines/hymenoptera/foreign.sh, the demo's letters) with numpy and fonts;
# sqlite3, the CLI that runs tl-bulk(1)'s queries
RUN="build-essential pkg-config libvips-dev libvips-tools libglib2.0-dev libopenblas-dev
libmsgpack-dev libarchive-dev libjansson-dev libprotobuf-c-dev protobuf-c-compiler
libonnx-dev python3-numpy fonts-dejavu-core fonts-dejavu-extra fonts-liberation2
fonts-freefont-ttf parallel libsqlite3-dev sqlite3"
TEST="libonnx-testdata mandoc jq zip p7zip-full python3-torch python3-torchvision
python3-pil python3-onnx python3-sklearn python3-msgpack time clang chromium"
case ${1:-run} in
run) PKGS=$RUN what=deps ;;
test) PKGS="$RUN $TEST" what=deps-test ;;
*) echo "usage: tools/deps.sh [run|test]" >&2; exit 2 ;;
esac
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "$what: all installed"
else
	echo "$what: installing$missing"
	SUDO=
	[ "$(id -u)" = 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends $missing
fi
# the tests' npm peers (tests/peers/package-lock.json pins them by sha512):
# onnxruntime-node, which runs tl's ONNX exports (tests/cli/onnx.sh)
peers=$(cd "$(dirname "$0")/.." && pwd)/tests/peers
if [ "$what" = deps-test ] && [ ! -d "$peers/node_modules/onnxruntime-node" ]; then
	command -v npm > /dev/null || { echo "$what: npm missing (Node.js comes with the machine)" >&2; exit 1; }
	echo "$what: npm ci in tests/peers (onnxruntime-node)"
	(cd "$peers" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
