#!/bin/sh
# tools/man-examples.sh - extracts the examples of a man page so that a test
# can run them (tests/cli/man.sh runs every man/*.[1-9] page's examples).
#
# usage: tools/man-examples.sh PAGE            print the snippets, for a person
#        tools/man-examples.sh -d DIR PAGE     write them to DIR, for the test
#
# THE CONVENTION (for everyone who writes a page under man/)
#
# Only the EXAMPLES section counts.  In it:
#   .Bd -literal ... .Ed   is one shell snippet (any number of lines);
#   .Dl command            is a snippet of one command.
# A snippet is exactly what the reader sees: the page is rendered with
# `mandoc -Tascii` and the displayed text is run, so roff escapes are undone
# the way the reader's man(1) undoes them (write \e for a backslash, \&. for a
# line starting with a dot; beware that .Dl parses its arguments: quotes
# vanish and words such as Ar or Fl become macros, so a command with quotes
# belongs in a .Bd -literal block).  No prompts: a line starting with "$ "
# is refused; output shown to the reader goes in a block of its own (ex:
# output, below).  No tabs (they become spaces, so no <<- here-documents).
#
# Each snippet runs with bash -e -o pipefail, in the order of the page, with
# standard input /dev/null, at most 900 seconds (a guard against a hang, far
# above any example's time, even on a loaded machine), PATH=$BIN:$PATH (the tools
# under test first: bin/, then bin-san/, so keep examples small) and python3
# being Debian's /usr/bin/python3 when there is one (the one `make deps`
# equips with numpy), in one scratch directory per page holding these fixtures:
#   photos/     a copy of testdata/shapes: photos/<label>/*.png|jpg, with a
#               nested folder, an image at the top, a non-image and a hidden
#               file (see testdata/make.py)
#   photos.tar.gz, photos.zip, photos.7z   the same tree as archives
#   photos.tl   the output of `tl-ingest photos/` (only once tl-ingest exists)
#   models/     the project's models/ (make model), when it exists; also
#               exported as TL_MODEL_PATH
# Snippets may use the files that earlier snippets of the page made.
#
# A snippet passes when it exits 0.  mdoc comments just before a snippet
# (lines `.\" ex: ...` in the EXAMPLES section) say more:
#   .\" ex: status N      the snippet must exit N instead (show the reader why)
#   .\" ex: requires CMD  run the snippet only when the shell command CMD
#                         succeeds in the scratch directory; otherwise it is
#                         not run and counted in the summary line
#   .\" ex: setup CMD     run CMD before the page's first snippet (extra
#                         fixtures: `.\" ex: setup mkdir incoming`); the
#                         reader does not see it, so keep it to fixtures
#   .\" ex: output        the next .Bd -literal block is not a snippet but the
#                         exact standard output of the snippet before it
# Implicit requirements, so pages can be written before their tools land: a
# snippet that names a tool tl-X is not run while cmd/tl-X.c does not exist
# (once it does, a missing bin/tl-X fails); one that names photos.tl needs
# tl-ingest likewise; one that runs tl-embed needs the models of its default
# backbone (TL_DEFAULT_BACKBONE in lib/backbone/model.h), each in models/.
#
# Output of -d DIR: DIR/N.sh (the snippet), DIR/N.meta (lines "line L",
# "status N", "requires CMD", "output" for an output block), DIR/setup.sh,
# DIR/count (the number N of blocks).  Exit 0, 1 when the page has no
# EXAMPLES section or cannot be rendered, 2 on a usage error.
set -u
prog=man-examples
usage() { echo "usage: $prog [-d DIR] PAGE" >&2; exit 2; }

dir=
while getopts d: c; do
	case $c in
	d) dir=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
page=$1
[ -r "$page" ] || { echo "$prog: $page: cannot read" >&2; exit 1; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP
[ -n "$dir" ] || dir=$tmp/out
mkdir -p "$dir" || exit 1

# Pass 1 (source): wrap every block of EXAMPLES in marker paragraphs that
# survive rendering, and write each block's metadata from the ex: comments.
awk -v dir="$dir" '
function meta(s) { printf "%s\n", s >> (dir "/" n ".meta"); close(dir "/" n ".meta") }
function begin(kind) {
	n++
	printf "" > (dir "/" n ".meta")
	meta("line " NR)
	if (kind == "output") meta("output")
	for (i = 1; i <= np; i++) meta(pend[i])
	np = 0
	print ".Pp"; print "TLEX@BEGIN@" n; print ".Pp"
}
function end() { print ".Pp"; print "TLEX@END@" n; print ".Pp" }
BEGIN { n = 0; np = 0; inex = 0; inbd = 0; out = 0; found = 0 }
/^\.Sh[ \t]/ { inex = ($0 ~ /^\.Sh[ \t]+EXAMPLES[ \t]*$/); if (inex) found = 1 }
inex && /^\.\\"[ \t]*ex:/ {
	s = $0; sub(/^\.\\"[ \t]*ex:[ \t]*/, "", s)
	if (s ~ /^setup[ \t]/) { sub(/^setup[ \t]+/, "", s); print s > (dir "/setup.sh"); next }
	if (s == "output") { out = 1; next }
	if (s ~ /^status[ \t]+[0-9]+$/ || s ~ /^requires[ \t]/) {
		sub(/[ \t]+/, " ", s); pend[++np] = s; next
	}
	printf "%s:%d: unknown ex: comment: %s\n", FILENAME, NR, s > "/dev/stderr"; bad = 1
	next
}
inex && !inbd && /^\.Bd[ \t].*-literal/ { begin(out ? "output" : "snippet"); out = 0; inbd = 1; print; next }
inex && inbd && /^\.Ed([ \t]|$)/ { print; end(); inbd = 0; next }
inex && !inbd && /^\.Dl[ \t]/ { begin("snippet"); print; end(); next }
{ print }
END {
	printf "%d\n", n > (dir "/count")
	if (!found) { printf "%s: no EXAMPLES section\n", FILENAME > "/dev/stderr"; exit 1 }
	exit bad
}' "$page" >"$tmp/marked" || exit 1
[ -f "$dir/setup.sh" ] || : >"$dir/setup.sh"

# Pass 2 (rendering): what the reader sees, overstrike removed; then the text
# between each pair of markers, its common indentation removed.
mandoc -Tascii -O width=1000 "$tmp/marked" >"$tmp/ascii" 2>"$tmp/mandoc.err" ||
	{ echo "$prog: $page: mandoc: $(head -n 3 "$tmp/mandoc.err")" >&2; exit 1; }
sed 's/.\x08//g' "$tmp/ascii" | awk -v dir="$dir" '
function flush(   i, m, s, ind, first, last) {
	ind = -1
	for (i = 1; i <= nl; i++) {
		if (buf[i] ~ /^[ ]*$/) continue
		match(buf[i], /^ */); if (ind < 0 || RLENGTH < ind) ind = RLENGTH
	}
	first = 1; while (first <= nl && buf[first] ~ /^[ ]*$/) first++
	last = nl; while (last >= first && buf[last] ~ /^[ ]*$/) last--
	printf "" > (dir "/" cur ".sh")
	for (i = first; i <= last; i++) {
		s = buf[i]; sub(/[ ]+$/, "", s)
		print substr(s, ind + 1) >> (dir "/" cur ".sh")
	}
	close(dir "/" cur ".sh")
}
/TLEX@BEGIN@[0-9]+/ { match($0, /TLEX@BEGIN@[0-9]+/); cur = substr($0, RSTART + 11, RLENGTH - 11); nl = 0; on = 1; next }
/TLEX@END@[0-9]+/ { if (on) flush(); on = 0; next }
on { buf[++nl] = $0 }
'
n=$(cat "$dir/count")
i=1
while [ "$i" -le "$n" ]; do
	[ -f "$dir/$i.sh" ] || { echo "$prog: $page: example $i lost in rendering" >&2; exit 1; }
	if ! grep -qx output "$dir/$i.meta" && grep -q '^[$] ' "$dir/$i.sh"; then
		echo "$prog: $page:$(sed -n 's/^line //p' "$dir/$i.meta"): a prompt (\"\$ \") in an example: write the commands alone (see tools/man-examples.sh)" >&2
		exit 1
	fi
	i=$((i + 1))
done

# For a person: each snippet under a comment naming its line and metadata.
if [ "$dir" = "$tmp/out" ]; then
	i=1
	while [ "$i" -le "$n" ]; do
		printf '# %s:%s\n' "$page" "$(sed -n 's/^line //p' "$dir/$i.meta")"
		sed -n '/^line /!s/^/# ex: /p' "$dir/$i.meta"
		cat "$dir/$i.sh"
		echo
		i=$((i + 1))
	done
	if [ -s "$dir/setup.sh" ]; then
		echo "# setup:"
		cat "$dir/setup.sh"
	fi
fi
exit 0
