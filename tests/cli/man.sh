# tests/cli/man.sh - the man pages: every man/*.[1-9] is `mandoc -Tlint
# -Wwarning` clean, and every snippet of its EXAMPLES section runs and exits
# as the page says.  How examples are written, which fixtures they find and
# when one is not run: tools/man-examples.sh (the convention for page authors).
#
# Lines: "PASS man-lint PAGE", "PASS man-example PAGE#N" (N counts the page's
# blocks), and for each page a summary line of how many examples ran and which
# were not run and why (a tool not written yet, no models/, a requires: line;
# each such example also prints "SKIP man-example PAGE#N: why").

man_pybin=$T/man-pybin # python3 = Debian's, which make deps and deps-test equip
mkdir -p "$man_pybin"
[ -x /usr/bin/python3 ] && ln -sf /usr/bin/python3 "$man_pybin/python3"
man_path=$BIN:$man_pybin:$PATH

# the backbones of tl-embed's default (lib/backbone/model.h), which a snippet running
# tl-embed needs
man_models=$(sed -n 's/^#define TL_DEFAULT_BACKBONE "\(.*\)"/\1/p' "$top/lib/backbone/model.h" | tr + ' ')

# man_head FILE: the start of FILE on one line, for a FAIL message
man_head() { head -c 300 "$1" | tr "\n" "|"; }

# man_words FILE: the words of a snippet that stand where a command can
man_words() { tr -s ' \t|;&()`<>' '\n' <"$1"; }

# man_needs FILE SCRATCH: prints why the snippet cannot run yet ("fail: why"
# when that is an error), or nothing
man_needs() {
	_tools=$(man_words "$1" | grep -x 'tl-[a-z][a-z0-9-]*' | sort -u)
	grep -q 'photos\.tl' "$1" && _tools="$_tools tl-ingest"
	for _t in $_tools; do
		if [ -x "$BIN/$_t" ]; then
			continue
		elif [ -f "$top/cmd/$_t.c" ]; then
			echo "fail: cmd/$_t.c exists but $BIN/$_t was not built"; return
		else
			echo "$_t not written yet"; return
		fi
	done
	case " $_tools " in
	*" tl-embed "*)
		for _m in $man_models; do
			[ -d "$2/models/$_m" ] || { echo "no models/$_m"; return; }
		done ;;
	esac
	sed -n 's/^requires //p' "${1%.sh}.meta" | while IFS= read -r _c; do
		(cd "$2" && PATH=$man_path sh -c "$_c") </dev/null >/dev/null 2>&1 ||
			{ echo "requires $_c"; break; }
	done
}

# man_fixtures DIR: the scratch directory of tools/man-examples.sh
man_fixtures() {
	mkdir -p "$1" || return 1
	if [ -d "$TD/shapes" ]; then
		cp -R "$TD/shapes" "$1/photos" || return 1
	else
		echo "man: no $TD/shapes: photos/ is missing"
	fi
	for _x in tar.gz zip 7z; do
		[ -f "$TD/shapes.$_x" ] && { cp "$TD/shapes.$_x" "$1/photos.$_x" || return 1; }
	done
	if [ -x "$BIN/tl-ingest" ] && [ -d "$1/photos" ]; then
		(cd "$1" && PATH=$man_path tl-ingest photos/ >photos.tl 2>fixture.err) </dev/null
		_st=$?
		if [ $_st -gt 1 ]; then
			fail "man-fixture photos.tl" "tl-ingest photos/: status $_st: $(man_head "$1/fixture.err")"
			return 1
		fi
		rm -f "$1/fixture.err"
	fi
	[ -d "$top/models" ] && ln -s "$top/models" "$1/models"
	return 0
}

for man_page in "$top"/man/*.[1-9]; do
	[ -f "$man_page" ] || continue
	man_name=${man_page##*/}

	mandoc -Tlint -Wwarning "$man_page" >"$T/lint" 2>&1
	_st=$?
	if [ $_st -eq 0 ] && [ ! -s "$T/lint" ]; then
		pass "man-lint $man_name"
	else
		fail "man-lint $man_name" "status $_st: $(head -n 5 "$T/lint" | sed "s|$top/||" | tr '\n' '|')"
	fi
	# what man(1) shows on an 80-column terminal: no line groff cannot break
	if command -v groff >/dev/null; then
		groff -man -Tutf8 -ww "$man_page" 2>&1 >/dev/null | sed "s|$top/||" >"$T/groff"
		if [ ! -s "$T/groff" ]; then
			pass "man-groff $man_name"
		else
			fail "man-groff $man_name" "$(head -n 5 "$T/groff" | tr '\n' '|')"
		fi
	fi

	man_ex=$T/ex.$man_name man_run=$T/run.$man_name
	if ! sh "$top/tools/man-examples.sh" -d "$man_ex" "$man_page" 2>"$T/exerr"; then
		fail "man-example $man_name" "cannot extract: $(man_head "$T/exerr")"
		continue
	fi
	man_fixtures "$man_run" || continue
	if [ -s "$man_ex/setup.sh" ]; then
		if ! (cd "$man_run" && PATH=$man_path bash -e "$man_ex/setup.sh") </dev/null >"$T/out" 2>&1; then
			fail "man-example $man_name" "ex: setup failed: $(man_head "$T/out")"
			continue
		fi
	fi

	man_n=$(cat "$man_ex/count") man_ran=0 man_not=0 man_out=0 man_why= man_prev=
	i=1
	while [ "$i" -le "$man_n" ]; do
		_f=$man_ex/$i.sh _m=$man_ex/$i.meta
		_line=$(sed -n 's/^line //p' "$_m")
		_name="man-example $man_name#$i"
		if grep -qx output "$_m"; then
			man_out=$((man_out + 1))
			# the expected stdout of the snippet before it
			if [ -z "$man_prev" ]; then
				fail "$_name" "line $_line: ex: output follows no snippet"
			elif [ "$man_prev" != skipped ]; then
				if cmp -s "$man_prev" "$_f"; then pass "$_name"; else
					fail "$_name" "line $_line: output differs (< page, > got): $(diff "$_f" "$man_prev" | head -n 8 | tr '\n' '|')"
				fi
			fi
			man_prev=
			i=$((i + 1)); continue
		fi
		_why=$(man_needs "$_f" "$man_run")
		case $_why in
		fail:*)
			fail "$_name" "line $_line: ${_why#fail: }"
			man_prev=skipped
			i=$((i + 1)); continue ;;
		esac
		if [ -n "$_why" ]; then
			skip "$_name" "line $_line: $_why"
			man_not=$((man_not + 1)) man_why="$man_why #$i ($_why)" man_prev=skipped
			i=$((i + 1)); continue
		fi
		_want=$(sed -n 's/^status //p' "$_m")
		(cd "$man_run" && PATH=$man_path TL_MODEL_PATH=$top/models \
			timeout 900 bash -e -o pipefail "$_f") </dev/null >"$man_ex/$i.stdout" 2>"$man_ex/$i.stderr"
		_st=$?
		man_ran=$((man_ran + 1)) man_prev=$man_ex/$i.stdout
		if [ $_st -eq 124 ]; then
			fail "$_name" "line $_line: timed out after 900 s"
		elif [ $_st -gt 128 ]; then
			fail "$_name" "line $_line: crashed with status $_st: $(man_head "$man_ex/$i.stderr")"
		elif [ $_st -ne "${_want:-0}" ]; then
			fail "$_name" "line $_line: status $_st, want ${_want:-0}: $(man_head "$man_ex/$i.stderr")"
		else
			pass "$_name"
		fi
		i=$((i + 1))
	done
	echo "man $man_name: $man_ran of $((man_n - man_out)) examples run, $man_not not run${man_why:+:$man_why}"
done

# NAME says what the tool does: tl-train also fine-tunes
if grep -q '^\.Nd .*fine-tune' "$top/man/tl-train.1"; then
	pass "man: tl-train's NAME says it fine-tunes"
else
	fail "man: tl-train's NAME says it fine-tunes" "$(grep '^\.Nd' "$top/man/tl-train.1")"
fi
