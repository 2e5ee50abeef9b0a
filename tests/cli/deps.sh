# tests/cli/deps.sh - the two package sets of tools/deps.sh: `make deps` (build
# and run) holds none of the test-only packages, `make deps-test` holds both,
# and make check installs the test set before it builds.  Once (normal build).
case $BIN in */bin-san) return 0 2>/dev/null || exit 0 ;; esac
deps_set() { sed -n "/^$1=\"/,/\"\$/p" "$top/tools/deps.sh" | tr -d '"' | sed "s/^$1=//" | tr -s ' \n' '\n' | grep .; }
deps_run=$(deps_set RUN) deps_test=$(deps_set TEST)
for deps_p in python3-torch python3-torchvision python3-pil python3-onnx libonnx-testdata mandoc clang chromium jq; do
	if printf '%s\n' "$deps_run" | grep -qx "$deps_p"; then fail "deps: $deps_p only for tests" "in make deps' set"
	elif printf '%s\n' "$deps_test" | grep -qx "$deps_p"; then pass "deps: $deps_p only for tests"
	else fail "deps: $deps_p only for tests" "in neither set"; fi
done
for deps_p in libvips-dev libmsgpack-dev libopenblas-dev libarchive-dev libjansson-dev libprotobuf-c-dev \
	protobuf-c-compiler libonnx-dev libglib2.0-dev pkg-config libvips-tools python3-numpy fonts-dejavu-core; do
	if printf '%s\n' "$deps_run" | grep -qx "$deps_p"; then pass "deps: $deps_p for make deps"
	else fail "deps: $deps_p for make deps" "not in the run set"; fi
done
run "deps: run set installed" 0 "sh '$top/tools/deps.sh'"
has "deps: run set says so" "$T/out" "deps: all installed"
run "deps: test set installed" 0 "sh '$top/tools/deps.sh' test"
has "deps: test set says so" "$T/out" "deps-test: all installed"
run "deps: unknown set refused" 2 "sh '$top/tools/deps.sh' all"
has "deps: unknown set usage" "$T/err" "usage: tools/deps.sh [run|test]"
same "deps: make check installs the test set first" \
	"$(make -s -n -C "$top" check 2>/dev/null | grep -m1 -o 'tools/deps.sh test')" "tools/deps.sh test"
# tools/deps-time.sh (the README's figures for a fresh machine) needs root: a
# user gets a one-line reason, before anything is made
run "deps: deps-time refuses a user" 2 "setpriv --reuid=65534 --regid=65534 --clear-groups sh '$top/tools/deps-time.sh'"
same "deps: deps-time says why" "$(cat "$T/err")" "deps-time: run as root (sudo tools/deps-time.sh)"
has "deps: README cites deps-time" "$top/README.md" "sudo tools/deps-time.sh"
