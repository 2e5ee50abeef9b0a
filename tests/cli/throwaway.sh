# tests/cli/throwaway.sh - pipelines/throwaway.mk on letters (tools/demo-data.py):
# labelled A B C (10 each) and E (1, under MIN_COUNT 2: dropped), a pool of
# 16 other letters (E among them, which the model does not know: unsure
# verdicts), a circle, in folders (ignored) and odd names (space, quote,
# dollar, an exact copy), frozen mobilenetv2 features.  The model exists and knows A
# B C; every pool image is in review/PRED/ exactly once, named CONF-NAME with
# its stream's pred and conf (printf %.2f); make again does nothing; the
# look-alike and mass removal one-liners of the Makefile's header do what
# they say; CLASS limits the review, redoing only it; an unreadable pool
# image stops the run (INGEST_FLAGS='--max-bad 1' goes on); two ids with
# the same file name are refused; a missing POOL is a clear error.
if [ ! -f "$top/models/mobilenetv2/model.json" ]; then
	fail "throwaway: models" "models/mobilenetv2 missing: run make model"
	return 0 2>/dev/null || exit 0
fi
export TL_MODEL_PATH=$top/models
MK=$top/pipelines/throwaway.mk
C=$BIN/tl-cat
O=$T/o
/usr/bin/python3 "$top/tools/demo-data.py" -n 10 -s 64 --letters ABCE "$T/L" > /dev/null
find "$T/L/E" -type f ! -name '000-*' -delete
/usr/bin/python3 "$top/tools/demo-data.py" -n 4 -s 64 --seed 7 --letters ABCE "$T/gen" > /dev/null
mkdir -p "$T/P/sub dir"
i=0
for f in "$T"/gen/*/*.png; do
	i=$((i + 1))
	case $i in
	1) cp "$f" "$T/P/it's \$HOME x.png" ;;
	2) cp "$f" "$T/P/sub dir/p$i.png" ;;
	*) cp "$f" "$T/P/p$i.png" ;;
	esac
done
cp "$T/P/p3.png" "$T/P/p3-copy.png" # an exact copy: reviewed too
cp "$TD/shapes/circle/c1.png" "$T/P/circle.png"
NPOOL=18
D="make --no-print-directory -f '$MK' BIN='$BIN' DATA='$T/L' POOL='$T/P' OUT='$O' EMBED_FLAGS='-m mobilenetv2'"

run "throwaway: the pipeline runs" 0 "$D" || tail -n 5 "$T/err" | sed 's/^/  /'
cp "$T/out" "$T/first.out"
same "throwaway: stages" "$(grep '^== ' "$T/first.out" | cut -d: -f1 | tr '\n' '|')" \
	"== 1/5 ingest and split|== 2/5 embed|== 3/5 train|== 4/5 classify|== 5/5 review|"
has "throwaway: E dropped by --min-count 2" "$T/err" "tl-split: class E: 1 record, fewer than --min-count 2"
has "throwaway: ends with the review folder" "$T/first.out" "review: $O/review"
test -s "$O/model.tlm" && pass "throwaway: model.tlm" || fail "throwaway: model.tlm" "no model"
same "throwaway: the model's classes" "$("$C" --headers -n 0 "$O/pool.tl" | head -n 1 | jq -c .classes)" '["A","B","C"]'
same "throwaway: every pool image classified" "$("$C" -f id "$O/pool.tl" | wc -l)" "$NPOOL"

# what review/ must hold: PRED/CONF-NAME for each record, NAME the id with
# '/' as '_' (tl-cat -x), CONF printf %.2f of the stream's conf
"$C" -f pred,conf,id "$O/pool.tl" | while IFS='	' read -r p c id; do
	printf '%s/%.2f-%s\n' "$p" "$c" "$(printf '%s' "$id" | tr / _)"
done | sort > "$T/want"
(cd "$O/review" && find . -type f | sed 's|^\./||' | sort) > "$T/got"
same_file "throwaway: review/PRED/CONF-NAME, each pool image once" "$T/got" "$T/want"
same "throwaway: nothing lost, none twice" "$(sed 's|^[^/]*/[0-9.]*-||' "$T/got" | sort -u | wc -l) $(wc -l < "$T/got")" \
	"$NPOOL $NPOOL"
same "throwaway: classes are folders, nothing else" \
	"$(cd "$O/review" && ls -A | tr '\n' ' ')" "$("$C" -f pred "$O/pool.tl" | sort -u | tr '\n' ' ')"
same "throwaway: odd names kept" "$(sed -n "s|^[A-Z]*/[0-9.]*-||p" "$T/got" | grep -c "^it's \\\$HOME x.png\$\|^sub dir_p2.png\$\|^p3-copy.png\$")" 3
same "throwaway: the bytes are the pool's" "$(cmp "$(find "$O/review" -name '*-p3-copy.png')" "$T/P/p3.png" && echo same)" same

run "throwaway: again" 0 "$D"
same "throwaway: again redoes nothing" "$(grep '^== ' "$T/out" | tr '\n' '|')" ""

# look-alikes: the header's one-liner, for the most predicted class: with
# [0.01, 1] all of its images; with HI just under its lowest confidence
# fewer (the bounds matter; the model's confidences may well all be 1.0)
cl=$("$C" -c pred "$O/pool.tl" | sort -t'	' -k2,2nr -k1,1 | head -n 1 | cut -f1)
lo=0.01 low=$("$C" --pred "$cl" -f conf "$O/pool.tl" | sort -g | head -n 1)
line=$(sed -n 's/^#  *\(tl-cat --pred A --min-conf .*\)$/\1/p' "$MK")
same "throwaway: the look-alike one-liner is in the header" "$line" "tl-cat --pred A --min-conf 0.5 --max-conf 0.9 -f id,conf throwaway/pool.tl"
for hi in 1 "$(awk -v c="$low" 'BEGIN { printf "%.6f", c - 0.000001 }')"; do
	cmd=$(printf '%s\n' "$line" | sed "s|--pred A|--pred $cl|; s|--min-conf 0.5|--min-conf $lo|; s|--max-conf 0.9|--max-conf $hi|; s|throwaway/|$O/|")
	"$C" -f id,pred,conf "$O/pool.tl" | awk -F'\t' -v a="$cl" -v lo="$lo" -v hi="$hi" '$2 == a && $3 >= lo && $3 <= hi { print $1 "\t" $3 }' > "$T/look"
	run "throwaway: look-alikes of $cl in [$lo, $hi]" 0 "$BIN/$cmd"
	same_file "throwaway: look-alikes of $cl in [$lo, $hi]: the ids" "$T/out" "$T/look"
	wc -l < "$T/look" >> "$T/nlook"
done
same "throwaway: look-alikes: all, then fewer" "$(head -n 1 "$T/nlook") $(awk 'NR == 1 { a = $1 } NR == 2 { print ($1 < a) }' "$T/nlook")" \
	"$("$C" --pred "$cl" -f id "$O/pool.tl" | wc -l) 1"
run "throwaway: make lookalike" 0 "$D lookalike CLASS=$cl LO=$lo HI=$hi"
same_file "throwaway: make lookalike is the one-liner" "$T/out" "$T/look"
run "throwaway: lookalike needs CLASS" 2 "$D lookalike"
has "throwaway: lookalike message" "$T/err" "lookalike: set CLASS"

# the one-liners are the same in pipelines/README and README.md
for l in "tl-cat --pred A --min-conf 0.5 --max-conf 0.9 -f id,conf throwaway/pool.tl" \
	"find throwaway/review -type f -name '0.[0-4]*' -delete"; do
	has "throwaway: pipelines/README: $l" "$top/pipelines/README" "$l"
	has "throwaway: README.md: $l" "$top/README.md" "$(echo "$l" | cut -c1-40)"
done

# mass removal: the header's one-liner, then make leaves it alone
line=$(sed -n 's/^#  *\(find throwaway\/review .*\)$/\1/p' "$MK")
same "throwaway: the removal one-liner is in the header" "$line" "find throwaway/review -type f -name '0.[0-4]*' -delete"
# (on names made here too, the model's own confidences being what they are)
mkdir -p "$T/fake/throwaway/review/A" "$T/fake/throwaway/review/unknown"
for n in A/0.00-a.png A/0.49-b.png A/0.50-c.png A/1.00-d.png "unknown/0.05-it's x.png" unknown/0.93-e.png; do
	: > "$T/fake/throwaway/review/$n"
done
run "throwaway: mass removal (made names)" 0 "cd '$T/fake' && $line"
same "throwaway: under 0.50 removed (made names)" "$(cd "$T/fake/throwaway/review" && find . -type f | sort | tr '\n' ' ')" \
	"./A/0.50-c.png ./A/1.00-d.png ./unknown/0.93-e.png "
run "throwaway: mass removal" 0 "$(printf '%s\n' "$line" | sed "s|throwaway/|$O/|")"
awk -F/ '{ c = $2; sub(/-.*/, "", c) } c + 0 >= 0.5' "$T/want" > "$T/kept"
(cd "$O/review" && find . -type f | sed 's|^\./||' | sort) > "$T/got"
same_file "throwaway: only the candidates of 0.50 and more are left" "$T/got" "$T/kept"
run "throwaway: again after the removal" 0 "$D"
same "throwaway: the removal stays" "$(grep -c '^== ' "$T/out"; find "$O/review" -type f | wc -l)" "0
$(wc -l < "$T/kept")"

# CLASS: the review of one class only, nothing else redone
run "throwaway: CLASS=$cl" 0 "$D CLASS=$cl"
same "throwaway: CLASS redoes the review only" "$(grep '^== ' "$T/out" | cut -d: -f1 | tr '\n' '|')" "== 5/5 review|"
(cd "$O/review" && find . -type f | sed 's|^\./||' | sort) > "$T/got"
grep "^$cl/" "$T/want" > "$T/wcl"
same_file "throwaway: CLASS=$cl: its candidates, all of them" "$T/got" "$T/wcl"

# an unreadable pool image stops the run, leaving no file of the stage;
# INGEST_FLAGS='--max-bad 1' goes on without it
printf 'not a png' > "$T/P/broken.png"
run "throwaway: a bad pool image" 2 "$D"
has "throwaway: the bad image is named" "$T/err" "tl-ingest: $T/P/broken.png: not an image"
same "throwaway: no pool.tl after the failure" "$(ls "$O" | grep -c '^pool\.tl')" 0
run "throwaway: --max-bad 1" 0 "$D INGEST_FLAGS='--max-bad 1'"
same "throwaway: --max-bad 1: the others reviewed" "$(find "$O/review" -type f | wc -l) $(find "$O/review" -name '*broken*' | wc -l)" \
	"$NPOOL 0"
rm "$T/P/broken.png"

# two ids that give the same file name (a/b.png, a_b.png: the same image,
# the same verdict) would lose one: refused, nothing of the stage left
mkdir -p "$T/P/a"
cp "$T/P/p3.png" "$T/P/a/b.png" && cp "$T/P/p3.png" "$T/P/a_b.png"
run "throwaway: two ids, one file name" 2 "$D"
has "throwaway: two ids, one file name: said" "$T/err" "$O/review: two ids give the same file name $("$C" -f id,pred "$O/pool.tl" | awk -F'\t' '$1 == "a_b.png" { print $2 }')/a_b.png: rename one"
same "throwaway: nothing of the failed review left" "$(ls "$O" | grep '^review' | tr '\n' ' ')" "review review.flags "
rm -r "$T/P/a" "$T/P/a_b.png"

run "throwaway: missing POOL" 2 "$D POOL='$T/nosuch'"
has "throwaway: missing POOL message" "$T/err" "$T/nosuch: no such directory (set POOL)"
