# tests/lib.sh - helpers for the CLI tests (tests/cli/*.sh), sourced by tests/run.
# Every check prints "PASS name", "FAIL name: why" or "SKIP name: why" (it
# cannot run here, say for a missing program); tests/run counts them.
# $BIN is the directory of the tools under test (bin or bin-san); $TD the
# testdata directory; $T a fresh scratch directory removed by tests/run.

pass() { printf 'PASS %s\n' "$1"; }
fail() { printf 'FAIL %s: %s\n' "$1" "$2"; }

skip() { printf 'SKIP %s: %s\n' "$1" "$2"; }

# run NAME WANT_STATUS CMD...: runs CMD (through bash -o pipefail -c, so a
# pipeline's status is that of its last stage that failed: a test of a
# pipeline whose earlier stage is meant to fail says so, e.g. with
# "(tool; echo \$? > st) | ..."), keeps stdout in $T/out and stderr in
# $T/err; a status above 128 (a crash) always fails.
run() {
	_n=$1 _want=$2; shift 2
	bash -o pipefail -c "$*" >"$T/out" 2>"$T/err"; _st=$?
	if [ $_st -gt 128 ]; then fail "$_n" "crashed with status $_st: $(head -c 300 "$T/err")"; return 1; fi
	if [ "$_st" != "$_want" ]; then fail "$_n" "status $_st, want $_want: $(head -c 300 "$T/err")"; return 1; fi
	pass "$_n"
}

# same NAME GOT WANT: exact string comparison
same() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got [$2] want [$3]"; fi
}

# same_file NAME GOT_FILE WANT_FILE: exact file comparison with a diff on failure
same_file() {
	if cmp -s "$2" "$3"; then pass "$1"; else fail "$1" "$(diff "$3" "$2" | head -n 8 | tr '\n' '|')"; fi
}

# has NAME FILE PATTERN: FILE contains a line matching the fixed string PATTERN
has() {
	if grep -qF -- "$3" "$2"; then pass "$1"; else fail "$1" "no [$3] in $(head -c 300 "$2" | tr '\n' '|')"; fi
}
