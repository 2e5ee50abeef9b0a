# tests/cli/hostile.sh - runs the table of hostile cases in tests/README.md:
# every row between the "hostile:begin" and "hostile:end" markers is one
# case: | case | command | status | stderr |.  The command runs under bash
# with pipefail in a scratch directory that tests/hostile/*.sh filled first
# (each script makes the inputs of its rows, and fails loudly if it cannot),
# with the tools under test first on PATH; "\|" in a cell is a pipe.  The case
# passes when the status is the one in the table and stderr holds the text of
# the last column (a fixed string; empty means stderr must be empty).
H=$T/hostile
mkdir -p "$H"
for s in "$top"/tests/hostile/*.sh; do
	[ -f "$s" ] || continue
	if (cd "$H" && PATH="$BIN:$PATH" sh -e "$s") > "$T/setup.out" 2>&1; then
		pass "hostile: setup $(basename "$s")"
	else
		fail "hostile: setup $(basename "$s")" "$(tail -c 300 "$T/setup.out" | tr '\n' '|')"
	fi
done
sed -n '/<!-- hostile:begin -->/,/<!-- hostile:end -->/p' "$top/tests/README.md" |
    grep '^| ' | sed 1d | sed 's/\\|/\x01/g' > "$T/cases"
n=0
while IFS='|' read -r _ name cmd want msg _; do
	n=$((n + 1))
	name=$(printf '%s' "$name" | sed 's/^ *//; s/ *$//; s/`//g')
	cmd=$(printf '%s' "$cmd" | sed 's/^ *`//; s/` *$//' | tr '\001' '|')
	want=$(printf '%s' "$want" | tr -d ' ')
	msg=$(printf '%s' "$msg" | sed 's/^ *//; s/ *$//; s/^`//; s/`$//' | tr '\001' '|')
	(cd "$H" && PATH="$BIN:$PATH" bash -o pipefail -c "$cmd") > "$T/h.out" 2> "$T/h.err" < /dev/null
	st=$?
	if [ "$st" -gt 128 ]; then
		fail "hostile: $name" "crashed with status $st: $(head -c 300 "$T/h.err")"
	elif [ "$st" != "$want" ]; then
		fail "hostile: $name" "status $st, want $want: $(head -c 300 "$T/h.err" | tr '\n' '|')"
	elif [ -z "$msg" ] && [ -s "$T/h.err" ]; then
		fail "hostile: $name" "stderr not empty: $(head -c 300 "$T/h.err" | tr '\n' '|')"
	elif [ -n "$msg" ] && ! grep -qF -- "$msg" "$T/h.err"; then
		fail "hostile: $name" "no [$msg] in $(head -c 300 "$T/h.err" | tr '\n' '|')"
	else
		pass "hostile: $name"
	fi
done < "$T/cases"
[ "$n" -gt 0 ] && pass "hostile: table has $n cases" || fail "hostile: table" "no case found in tests/README.md"
