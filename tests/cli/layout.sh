# tests/cli/layout.sh - lib/'s folders include only what lib/README.md's
# table lets them ("may include"): code calls downward, never against the
# grain; a header without a folder must be in the includer's own folder; every
# folder of lib/ is in the table.  Once, for the normal build (the source is
# the same for both).
case $BIN in */bin-san) return 0 2>/dev/null || exit 0 ;; esac
lay_table=$(sed -n '/<!-- layout:begin -->/,/<!-- layout:end -->/p' "$top/lib/README.md" |
	awk -F'|' '$2 ~ /`[a-z]+\/`/ { f = $2; gsub(/[` \/]/, "", f); print f ":" $5 }')
[ -n "$lay_table" ] || fail "layout: table" "no layout table in lib/README.md"
for lay_dir in "$top"/lib/*/; do
	lay_f=$(basename "$lay_dir")
	lay_may=$(printf '%s\n' "$lay_table" | sed -n "s/^$lay_f://p")
	if ! printf '%s\n' "$lay_table" | grep -q "^$lay_f:"; then
		fail "layout: $lay_f/" "not in lib/README.md's table"; continue
	fi
	lay_bad=$(grep -n '^#include "' "$lay_dir"*.[ch] | while IFS= read -r lay_l; do
		lay_inc=$(printf '%s\n' "$lay_l" | sed 's/.*#include "\([^"]*\)".*/\1/')
		case $lay_inc in
		*/*) lay_to=${lay_inc%%/*}
		     case " $lay_f $lay_may " in *" $lay_to "*) ;; *) printf '%s; ' "${lay_l#"$top"/}" ;; esac ;;
		onnx.pb-c.h) ;; # generated into the build tree
		*) [ -f "$lay_dir$lay_inc" ] || printf '%s; ' "${lay_l#"$top"/}" ;;
		esac
	done)
	if [ -z "$lay_bad" ]; then pass "layout: $lay_f/ includes only $lay_f${lay_may:+ and$lay_may}"
	else fail "layout: $lay_f/" "against the grain: $lay_bad"; fi
done
lay_loose=$(ls "$top"/lib/*.[ch] 2>/dev/null)
same "layout: no source file loose in lib/" "$lay_loose" ""

# README's Layout map names files that exist (a move or split must update it)
lay_missing=$(sed -n '/^## Layout/,/^Environment:/p' "$top/README.md" |
	grep -o '`[a-z]*/[a-z_]*\.[ch]`' | tr -d '`' | sort -u | while read -r lay_p; do
		[ -f "$top/lib/$lay_p" ] || printf '%s ' "$lay_p"
	done)
same "layout: README's Layout map names existing lib/ files" "$lay_missing" ""

# a function tl_X_* is in X.c, or its file's row of lib/README.md's prefix
# table names X
lay_pre=$(sed -n '/<!-- prefixes:begin -->/,/<!-- prefixes:end -->/p' "$top/lib/README.md" |
	awk -F'|' '$2 ~ /`[a-z]+\/[a-z_*]+\.c`/ { f = $2; gsub(/[` ]/, "", f); print f ":" $3 }')
lay_stray=$(for lay_c in "$top"/lib/*/*.c; do
	lay_rel=${lay_c#"$top"/lib/} lay_b=$(basename "$lay_c" .c)
	lay_ok=" $(printf '%s\n' "$lay_pre" | awk -F: -v f="$lay_rel" -v d="${lay_rel%/*}/*.c" \
		'$1 == f || $1 == d { printf "%s ", $2 }') "
	grep -oE '^tl_[a-z0-9]+(_[a-z0-9_]*)?\(' "$lay_c" | sed 's/^tl_//; s/[_(].*//' | sort -u |
	while read -r lay_p; do
		[ "$lay_p" = "$lay_b" ] && continue
		case $lay_ok in *" $lay_p "*) ;; *) printf '%s: tl_%s_*; ' "$lay_rel" "$lay_p" ;; esac
	done
done)
same "layout: every tl_X_* function is in X.c or listed in lib/README.md" "$lay_stray" ""
