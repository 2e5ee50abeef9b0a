# tests/cli/bulk.sh - pipelines/bulk-identify: a clean run and a rerun that
# finds nothing new; killed with SIGKILL before each command it runs, again
# and again (the script alone, or its whole process group; the kill points
# are counted, not timed), also while rolling back an interrupted chunk, in
# the middle of an append, and three times in a row at steps of the commit
# protocol (TL_BULK_KILL), then rerun: every image is in results.tl and in
# log.jsonl exactly once, with the verdict of a clean run; a run finding the
# lock held does nothing; the results are one stream tl-cat filters and
# extracts; a model with other classes is refused; bad images give status 1
# and the rest are committed.  The backbone is tests/nn/tiny.onnx, so no
# models/ is needed.
B=$top/pipelines/bulk-identify
export PATH="$BIN:$PATH" TL_MODEL_PATH="$T/models"
mkdir -p "$T/models" "$T/in"
cp "$top/tests/nn/tiny.onnx" "$T/models/"
cp -R "$TD/shapes/." "$T/in/"
for k in 10 40 70 100 130 160; do # solid colours: distinct, deterministic
	vips black "$T/b.v" 24 16 --bands 3 && vips linear "$T/b.v" "$T/in/solid$k.png" 1 $k --uchar
done
rm -f "$T/b.v"
cc -std=c11 -D_GNU_SOURCE -I"$top/lib" -o "$T/mktlm" "$top/tests/cli/mktlm.c" "$top/build/libtl.a" \
	$(pkg-config --cflags --libs vips msgpack openblas libarchive libprotobuf-c jansson) \
	-lm -pthread || fail bulk-mktlm "cannot build tests/cli/mktlm.c"
tl-ingest "$TD/shapes" 2>/dev/null | tl-embed -m tiny -l feat -p avg > "$T/e.tl"
{ tl-cat -b --label circle "$T/e.tl"; tl-cat -b --label square "$T/e.tl"; } > "$T/cq.tl"
"$T/mktlm" "$T/cq.tl" "$T/m.tlm" || fail bulk-mktlm "cannot make m.tlm"
NIMG=13 # 14 files, one an exact copy

# verdicts SRC: "sha256<TAB>pred" of a results stream, sorted
verdicts() { tl-cat -f sha256,pred "$1" | sort; }
# check NAME STATE: results.tl holds each image of the clean run exactly
# once, log.jsonl the same verdicts line for line, and nothing of the
# protocol is left behind.  (Verdicts are not compared with the clean run's:
# chunks, hence batches, differ after a kill.)
check() {
	if ! verdicts "$2/results.tl" > "$T/got" 2>"$T/cerr"; then
		fail "$1" "results.tl unreadable: $(head -c 200 "$T/cerr")"; return
	fi
	jq -r '"\(.sha256)\t\(.pred)"' "$2/log.jsonl" | sort > "$T/glog"
	if [ "$(cut -f1 "$T/got")" != "$(cut -f1 "$T/ref")" ]; then
		fail "$1" "images differ from once each: $(cut -f1 "$T/ref" | diff - "$T/got" | head -n 4 | tr '\n' '|')"
	elif ! cmp -s "$T/glog" "$T/got"; then fail "$1" "log differs: $(diff "$T/got" "$T/glog" | head -n 4 | tr '\n' '|')"
	elif [ -e "$2/intent" ] || [ -e "$2/tmp" ]; then fail "$1" "intent or tmp/ left behind"
	else pass "$1"; fi
}

run "bulk: a clean run" 0 "'$B' -m '$T/m.tlm' -d '$T/ref.d' -n 4 '$T/in'"
same "bulk: quiet without -v" "$(cat "$T/err")" ""
verdicts "$T/ref.d/results.tl" > "$T/ref"
same "bulk: every image classified once" "$(cut -d' ' -f1 "$T/ref" | sort -u | wc -l) $(wc -l < "$T/ref")" "$NIMG $NIMG"
same "bulk: one segment per chunk of 4" "$(grep -a -o 'tl-classify [0-9.]*' "$T/ref.d/results.tl" | wc -l)" 4
same "bulk: log line keys" "$(head -n 1 "$T/ref.d/log.jsonl" | jq -c 'keys_unsorted')" \
    '["time","id","sha256","model","model_sha256","pred","conf","ood","reject"]'
same "bulk: log says why each unknown was rejected, as results.tl does" \
    "$(jq -r '"\(.sha256)\t\(.pred)\t\(.reject // "")"' "$T/ref.d/log.jsonl" | sort)" \
    "$(tl-cat -f sha256,pred,reject "$T/ref.d/results.tl" | sort)"
same "bulk: some are rejected (solid colours), each with its reason" \
    "$(jq -r 'select(.pred == "unknown") | .reject' "$T/ref.d/log.jsonl" | grep -vc '^ood$\|^conf$') $(grep -c '"pred":"unknown"' "$T/ref.d/log.jsonl")" \
    "0 $(jq -r 'select(.reject != null) | .id' "$T/ref.d/log.jsonl" | wc -l)"
same "bulk: log names the model version and file" \
    "$(jq -r '.model + " " + .model_sha256' "$T/ref.d/log.jsonl" | sort -u)" "test-1 $(sha256sum < "$T/m.tlm" | cut -d' ' -f1)"
cp "$T/ref.d/results.tl" "$T/ref.tl"
run "bulk: a rerun finds nothing new" 0 "'$B' -v -m '$T/m.tlm' -d '$T/ref.d' -n 4 '$T/in'"
has "bulk: rerun says so" "$T/err" "bulk-identify: 0 new images"
same_file "bulk: a rerun appends nothing" "$T/ref.d/results.tl" "$T/ref.tl"
cp "$T/in/solid10.png" "$T/in/again.png"
run "bulk: an exact copy under a new name is not new" 0 "'$B' -v -m '$T/m.tlm' -d '$T/ref.d' '$T/in'"
has "bulk: copy skipped" "$T/err" "bulk-identify: 0 new images"
rm -f "$T/in/again.png"

# killed twice in a row mid-commit
d=$T/k-twice
(TL_BULK_KILL=appended:2 "$B" -m "$T/m.tlm" -d "$d" -n 3 "$T/in"; exit $?) >/dev/null 2>&1
(TL_BULK_KILL=logged:1 "$B" -m "$T/m.tlm" -d "$d" -n 3 "$T/in"; exit $?) >/dev/null 2>&1
(TL_BULK_KILL=intent:2 "$B" -m "$T/m.tlm" -d "$d" -n 3 "$T/in"; exit $?) >/dev/null 2>&1
run "bulk: rerun after three kills" 0 "'$B' -m '$T/m.tlm' -d '$d' -n 3 '$T/in'" &&
	check "bulk: exactly once after three kills" "$d"

# torn appends: killed in the middle of writing results.tl or log.jsonl
# (made here: half of the segment or of its log lines appended by hand)
for k in intent:2 appended:1; do
	d=$T/torn-${k%:*}
	(TL_BULK_KILL=$k "$B" -m "$T/m.tlm" -d "$d" -n 4 "$T/in"; exit $?) >/dev/null 2>&1
	case $k in
	intent*) f=results.tl s=seg.tl ;;
	*) f=log.jsonl s=seg.jsonl ;;
	esac
	head -c $(($(wc -c < "$d/tmp/$s") / 2)) "$d/tmp/$s" >> "$d/$f"
	run "bulk: rerun after a torn append to $f" 0 "'$B' -m '$T/m.tlm' -d '$d' -n 4 '$T/in'" &&
		check "bulk: exactly once after a torn append to $f" "$d"
done

# the lock: a second run while one holds it does nothing (the holder says
# through a FIFO that it holds the lock, and waits on another to let go: no
# sleep, whatever the machine's load)
cp "$T/ref.d/results.tl" "$T/before.tl"
mkfifo "$T/held" "$T/release"
(exec 8>>"$T/ref.d/lock"; flock 8; echo held > "$T/held"; read -r _ < "$T/release") &
holder=$!
read -r _ < "$T/held"
run "bulk: a run while the lock is held" 0 "'$B' -v -m '$T/m.tlm' -d '$T/ref.d' '$T/in'"
has "bulk: lock held message" "$T/err" "bulk-identify: $T/ref.d: another run holds the lock; nothing done"
same "bulk: nothing else said" "$(wc -l < "$T/err")" 1
same_file "bulk: nothing done while locked" "$T/ref.d/results.tl" "$T/before.tl"
echo go > "$T/release"
wait "$holder"

# the results are for people: filters and extraction for labelling
run "bulk: tl-cat reads the results as one stream" 0 "tl-cat -c pred '$T/ref.d/results.tl'"
nsq=$(awk -F'\t' '$2 == "square"' "$T/ref" | wc -l)
run "bulk: tl-cat --pred --max-conf --extract" 0 \
    "tl-cat --pred square --max-conf 1 --extract '$T/review' '$T/ref.d/results.tl'"
same "bulk: the square predictions extracted" "$(find "$T/review" -type f | wc -l)" "$nsq"
run "bulk: tl-cat --extract everything" 0 "tl-cat --extract '$T/all' '$T/ref.d/results.tl'"
same_file "bulk: extracted bytes are the original file" "$(find "$T/all" -name 'square_s2.jpg')" "$T/in/square/s2.jpg"
run "bulk: --max-conf 0.6 keeps the unsure" 0 "tl-cat --max-conf 0.6 -f id '$T/ref.d/results.tl'"
same "bulk: unsure ones" "$(wc -l < "$T/out")" \
    "$(jq -r 'select(.conf <= 0.6) | .id' "$T/ref.d/log.jsonl" | wc -l)"

# a model with other classes would break the stream: refused
tl-cat -b --label circle "$T/e.tl" > "$T/c3.tl"
tl-cat -b --label square "$T/e.tl" >> "$T/c3.tl"
printf '{"id":"x","label":"triangle","emb":{"dtype":"<f4","shape":[32],"data":[%s]}}\n' \
	"$(awk 'BEGIN { for (i = 0; i < 32; i++) printf "%s%d", i ? "," : "", i % 3 }')" |
	tl-cat --from-json > "$T/tri.tl"
tl-cat --headers -n 0 "$T/e.tl" > /dev/null
cat "$T/c3.tl" "$T/tri.tl" > "$T/c4.tl"
if "$T/mktlm" "$T/c4.tl" "$T/m3.tlm" 2>/dev/null; then
	cp "$T/in/solid10.png" "$T/in/zz-new.png" && vips invert "$T/in/solid10.png" "$T/in/zz-new.png"
	run "bulk: a model with other classes is refused" 2 "'$B' -m '$T/m3.tlm' -d '$T/ref.d' '$T/in'"
	has "bulk: other classes message" "$T/err" "the model's classes differ from those of"
	same_file "bulk: results untouched by the refused model" "$T/ref.d/results.tl" "$T/before.tl"
	rm -f "$T/in/zz-new.png"
fi

# bad input: reported, status 1, the rest committed (a missing model or
# folder, a bad -n: the hostile table of tests/README.md)
printf 'not a png' > "$T/in/broken.png"
run "bulk: a bad image gives status 1" 1 "'$B' -m '$T/m.tlm' -d '$T/bad.d' -n 5 '$T/in'"
has "bulk: the bad image is named" "$T/err" "broken.png"
check "bulk: the good images are all committed" "$T/bad.d"
rm -f "$T/in/broken.png"
run "bulk: bad tl-classify option" 2 "'$B' -m '$T/m.tlm' -d '$T/u2.d' '$T/in' --no-such-option"
same "bulk: nothing committed on a tl-classify failure" "$(wc -c < "$T/u2.d/results.tl")" 0

# The ladders below run the script some 90 times, the same tool runs as a
# clean run: under the sanitizers (or valgrind) they would add only time.
case $BIN in */bin) ;; *) return 0 ;; esac

# Killed before the Nth command it starts, whatever that command is: every
# program the script runs is, on PATH, a wrapper (made here) that counts the
# commands in $KW/count and at the $KW_AT-th SIGKILLs the script alone (its
# children finish orphaned, still holding the lock) or its whole process
# group ($KW_MODE), then runs the command.  No sleep, no timing: the kill
# points are counted, so every run kills at the same places.
KW=$T/kw
mkdir -p "$KW"
for c in flock truncate sync rm mkdir mv cat awk sed head cut grep wc date tl-cat tl-ingest tl-classify; do
	real=$(command -v "$c") || { fail "bulk: kill wrappers" "no $c on PATH"; continue; }
	cat > "$KW/$c" <<EOF
#!/bin/sh
exec 7>>"$KW/count.lock"
/usr/bin/flock 7
read -r n < "$KW/count"
n=\$((n + 1))
echo "\$n" > "$KW/count"
exec 7>&-
if [ "\$n" = "\${KW_AT:-0}" ]; then
	read -r _ _ _ _ pg _ < /proc/\$\$/stat
	if [ "\$KW_MODE" = group ]; then kill -KILL -"\$pg"; else kill -KILL "\$pg"; fi
fi
exec "$real" "\$@"
EOF
	chmod +x "$KW/$c"
done
# kwrun DIR AT MODE: a run in its own session (so that its group is not
# ours), killed at the AT-th command (0: never); waits for the orphans (they
# hold the lock); the status is the script's
kwrun() {
	echo 0 > "$KW/count"
	(KW_AT=$2 KW_MODE=$3 PATH="$KW:$PATH" setsid -w "$B" -m "$T/m.tlm" -d "$1" -n 4 "$T/in" >/dev/null 2>&1; exit $?) 2>/dev/null
	_kst=$?
	mkdir -p "$1" && flock "$1/lock" true
	return $_kst
}
kwrun "$T/kw-clean" 0 group
ncmd=$(cat "$KW/count")
check "bulk: the wrappers change nothing" "$T/kw-clean"

# the ladder: killed at the 1st command, then (resuming) at the 2nd, ...; it
# must end within as many rounds as a clean run has commands
for mode in alone group; do
	d=$T/kw-$mode k=0 finished=
	while [ $k -le "$ncmd" ]; do
		k=$((k + 1))
		kwrun "$d" $k $mode
		st=$?
		[ $st = 0 ] && { finished=1; break; }
		[ $st = 137 ] || { fail "bulk: killed at command $k ($mode)" "status $st, want 137 (SIGKILL)"; break; }
	done
	[ -n "$finished" ] || fail "bulk: killed at each command ($mode)" "not finished after $k rounds ($ncmd commands in a clean run)"
	run "bulk: final run after $k kills at each command ($mode)" 0 "'$B' -m '$T/m.tlm' -d '$d' -n 4 '$T/in'" &&
		check "bulk: exactly once after $k kills at each command ($mode)" "$d"
done

# killed again while rolling back an interrupted chunk: at the 1st command,
# then at the 2nd, ... as long as the intent is there
for mode in alone group; do
	d=$T/kr-$mode k=0
	(TL_BULK_KILL=appended:2 "$B" -m "$T/m.tlm" -d "$d" -n 4 "$T/in"; exit $?) >/dev/null 2>&1
	while [ -e "$d/intent" ] && [ $k -lt 40 ]; do
		k=$((k + 1))
		kwrun "$d" $k $mode
	done
	same "bulk: killed in the rollback until it completes ($mode)" "$(test -e "$d/intent" && echo "intent still there" || echo done)" done
	run "bulk: rerun after $k kills in the rollback ($mode)" 0 "'$B' -m '$T/m.tlm' -d '$d' -n 4 '$T/in'" &&
		check "bulk: exactly once after $k kills in the rollback ($mode)" "$d"
done
