#!/bin/sh
# tools/deps.sh - installs the Debian packages tl builds, tests and benchmarks
# with (make deps).  Node.js and npm come with the machine (nodesource build);
# they are not installed from Debian, whose npm would conflict with it.
set -e
PKGS="build-essential pkg-config libvips-dev libvips-tools libglib2.0-dev libopenblas-dev
libmsgpack-dev libarchive-dev libjansson-dev libprotobuf-c-dev protobuf-c-compiler
libonnx-dev libonnx-testdata mandoc jq zip p7zip-full fonts-dejavu-core
fonts-dejavu-extra fonts-liberation2 fonts-freefont-ttf
python3-torch python3-torchvision python3-onnx python3-numpy python3-sklearn
python3-msgpack time clang chromium"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && { echo "deps: all installed"; exit 0; }
echo "deps: installing$missing"
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing
