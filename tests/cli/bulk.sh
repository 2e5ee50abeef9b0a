# tests/cli/bulk.sh - tl-bulk: a clean run into its SQLite database and a
# rerun that reads nothing; copies, touched and changed files; killed with
# SIGKILL at counted points (TL_BULK_KILL: at each step of the run in turn,
# and three times in a row inside and after a chunk's transaction), then
# rerun: every image has exactly one verdict, every file its row; a run
# finding the lock held does nothing; bad images give status 1 and are not
# read again until they change; the review folders (--review), the reviews
# read back (--record-reviews), tl-report --usage on the database, an
# archive, shards merged.  The backbone is tests/nn/tiny.onnx, so no models/
# is needed.
export PATH="$BIN:$PATH" TL_MODEL_PATH="$T/models"
mkdir -p "$T/models" "$T/in"
cp "$top/tests/nn/tiny.onnx" "$T/models/"
cp -R "$TD/shapes/." "$T/in/"
for k in 10 40 70 100 130 160; do # solid colours: distinct, deterministic
	vips black "$T/b.v" 24 16 --bands 3 && vips linear "$T/b.v" "$T/in/solid$k.png" 1 $k --uchar
done
rm -f "$T/b.v"
cc -std=c11 -D_GNU_SOURCE -I"$top/lib" -o "$T/mktlm" "$top/tests/cli/mktlm.c" "$top/build/libtl.a" \
	$(pkg-config --cflags --libs vips msgpack openblas libarchive libprotobuf-c jansson sqlite3) \
	-lm -pthread || fail bulk-mktlm "cannot build tests/cli/mktlm.c"
tl-ingest "$TD/shapes" 2>/dev/null | tl-embed -m tiny -l feat -p avg > "$T/e.tl"
{ tl-cat -b --label circle "$T/e.tl"; tl-cat -b --label square "$T/e.tl"; } > "$T/cq.tl"
"$T/mktlm" "$T/cq.tl" "$T/m.tlm" || fail bulk-mktlm "cannot make m.tlm"
NIMG=13 NFILE=14 # 14 image files, one an exact copy
M="-m '$T/m.tlm'"

q() { sqlite3 "$1/bulk.db" "$2"; }
# verdicts DIR: "sha256|pred" of every verdict, sorted
verdicts() { q "$1" "SELECT sha256, pred FROM verdicts ORDER BY sha256"; }
# files DIR: "src-relative|sha256|error" of every file row, sorted
files() { q "$1" "SELECT substr(src, length('$T/in/') + 1), sha256, coalesce(error, '') FROM files ORDER BY src"; }
# check NAME DIR: each image of the clean run has exactly one verdict and
# each file its row, with the clean run's sha256; the database is whole
check() {
	if [ "$(q "$2" 'PRAGMA integrity_check')" != ok ]; then
		fail "$1" "integrity_check: $(q "$2" 'PRAGMA integrity_check' | head -n 3 | tr '\n' '|')"
	elif [ "$(q "$2" 'SELECT sha256 FROM verdicts ORDER BY 1')" != "$(cut -d'|' -f1 "$T/ref")" ]; then
		q "$2" 'SELECT sha256 FROM verdicts ORDER BY 1' > "$T/got"
		fail "$1" "verdicts differ from once each: $(cut -d'|' -f1 "$T/ref" | diff - "$T/got" | head -n 4 | tr '\n' '|')"
	elif [ "$(files "$2")" != "$(cat "$T/reffiles")" ]; then
		fail "$1" "files differ: $(files "$2" | diff "$T/reffiles" - | head -n 4 | tr '\n' '|')"
	else pass "$1"; fi
}

run "bulk: a clean run" 0 "tl-bulk $M -d '$T/ref.d' -n 4 '$T/in'"
same "bulk: quiet without -v" "$(cat "$T/err")" ""
verdicts "$T/ref.d" > "$T/ref"
files "$T/ref.d" > "$T/reffiles"
same "bulk: every image classified once" "$(cut -d'|' -f1 "$T/ref" | sort -u | wc -l) $(wc -l < "$T/ref")" "$NIMG $NIMG"
same "bulk: every file has its row" "$(wc -l < "$T/reffiles")" "$NFILE"
same "bulk: the file rows' sha256 are the files'" \
    "$(cd "$T/in" && find . -type f ! -name '.*' ! -name '*.txt' | sed 's|^\./||' | sort | while read -r f; do printf '%s|%s|\n' "$f" "$(sha256sum < "$f" | cut -d' ' -f1)"; done)" \
    "$(cat "$T/reffiles")"
same "bulk: the schema version" "$(q "$T/ref.d" 'PRAGMA user_version')" 1
same "bulk: WAL journal" "$(q "$T/ref.d" 'PRAGMA journal_mode')" wal
same "bulk: one chunk of 4 new images a transaction" \
    "$(q "$T/ref.d" 'SELECT group_concat(verdicts) FROM chunks')" "4,4,4,1"
same "bulk: the run's row" "$(q "$T/ref.d" 'SELECT listed, read, classified, bad, status, ended IS NOT NULL FROM runs')" \
    "$NFILE|$NFILE|$NIMG|0|0|1"
same "bulk: verdicts name the model version and file" \
    "$(q "$T/ref.d" 'SELECT DISTINCT model, model_sha256 FROM verdicts')" "test-1|$(sha256sum < "$T/m.tlm" | cut -d' ' -f1)"
same "bulk: every unknown says why, no other verdict does" \
    "$(q "$T/ref.d" "SELECT count(*) FROM verdicts WHERE (pred = 'unknown') != (reject IN ('ood', 'conf'))")" 0
same "bulk: some are rejected (solid colours)" \
    "$(q "$T/ref.d" "SELECT count(*) > 0 FROM verdicts WHERE pred = 'unknown'")" 1
same "bulk: no image bytes in the database" \
    "$(q "$T/ref.d" "SELECT count(*) FROM pragma_table_info('verdicts') WHERE type = 'BLOB'")" 0

run "bulk: a rerun finds nothing new" 0 "tl-bulk -v $M -d '$T/ref.d' -n 4 '$T/in'"
same "bulk: rerun reads nothing" "$(tr '\n' '|' < "$T/err")" \
    "tl-bulk: $NFILE files listed, $NFILE unchanged, 0 read|tl-bulk: 0 classified (0 unknown), 0 bad|"
same "bulk: a rerun adds no verdict" "$(verdicts "$T/ref.d")" "$(cat "$T/ref")"
cp "$T/in/solid10.png" "$T/in/again.png"
run "bulk: an exact copy under a new name is not new" 0 "tl-bulk -v $M -d '$T/ref.d' '$T/in'"
same "bulk: the copy is read, not classified" "$(tr '\n' '|' < "$T/err")" \
    "tl-bulk: $((NFILE + 1)) files listed, $NFILE unchanged, 1 read|tl-bulk: 0 classified (0 unknown), 0 bad|"
same "bulk: the copy's row has the original's sha256" \
    "$(q "$T/ref.d" "SELECT a.sha256 = b.sha256 FROM files a, files b WHERE a.src LIKE '%/again.png' AND b.src LIKE '%/solid10.png'")" 1
rm -f "$T/in/again.png"
q "$T/ref.d" "DELETE FROM files WHERE src LIKE '%/again.png'"
touch -d '2001-02-03 04:05:06' "$T/in/solid40.png"
run "bulk: a touched file is read again" 0 "tl-bulk -v $M -d '$T/ref.d' '$T/in'"
same "bulk: touched: read, its content known" "$(tr '\n' '|' < "$T/err")" \
    "tl-bulk: $NFILE files listed, $((NFILE - 1)) unchanged, 1 read|tl-bulk: 0 classified (0 unknown), 0 bad|"
same "bulk: touched: its row has the new mtime" \
    "$(q "$T/ref.d" "SELECT mtime FROM files WHERE src LIKE '%/solid40.png'")" "$(($(date -d '2001-02-03 04:05:06' +%s) * 1000000000))"

# killed at every step in turn: at the 1st step, then (resuming) at the
# 2nd, ...: it must end within as many rounds as a clean run has steps
d=$T/ladder k=0 finished=
nstep=$(( 2 + NFILE + 2 * 4 + 4 + 4 ))
while [ $k -le $nstep ]; do
	k=$((k + 1))
	(TL_BULK_KILL=$k tl-bulk -m "$T/m.tlm" -d "$d" -n 4 "$T/in" >/dev/null 2>&1; exit $?) 2>/dev/null
	st=$?
	[ $st = 0 ] && { finished=1; break; }
	[ $st = 137 ] || { fail "bulk: killed at step $k" "status $st, want 137 (SIGKILL)"; break; }
done
[ -n "$finished" ] && pass "bulk: killed at each step in turn, done after $k runs" ||
	fail "bulk: killed at each step in turn" "not finished after $k runs"
run "bulk: a final run after $k kills" 0 "tl-bulk -v $M -d '$d' -n 4 '$T/in'"
same "bulk: after the kills nothing is left to do" "$(tail -n 1 "$T/err")" "tl-bulk: 0 classified (0 unknown), 0 bad"
check "bulk: exactly once after being killed at every step" "$d"
# (the first was killed at "locked", before its row)
same "bulk: the killed runs have no end" "$(q "$d" 'SELECT count(*) FROM runs WHERE ended IS NULL')" "$((k - 2))"

# three kills in a row: inside a chunk's transaction (its rows written, not
# committed), just after a commit, between two batches
d=$T/k3
for kill in inserted:2 committed:1 classified:3; do
	(TL_BULK_KILL=$kill tl-bulk -m "$T/m.tlm" -d "$d" -n 3 -b 2 "$T/in" >/dev/null 2>&1; exit $?) 2>/dev/null
	same "bulk: killed at $kill" "$?" 137
done
same "bulk: the killed transaction left nothing" "$(q "$d" 'SELECT count(*) FROM chunks')" 3
run "bulk: rerun after three kills" 0 "tl-bulk $M -d '$d' -n 3 '$T/in'" &&
	check "bulk: exactly once after three kills" "$d"

# the lock: a second run while one holds it does nothing (the holder says
# through a FIFO that it holds the lock, and waits on another to let go: no
# sleep, whatever the machine's load)
cp "$T/in/solid10.png" "$T/in/zz-new.png" && vips invert "$T/in/solid10.png" "$T/in/zz-new.png"
mkfifo "$T/held" "$T/release"
mkdir -p "$T/ref.d" # (the holder says "held" whatever happens: no hang)
(exec 8>>"$T/ref.d/lock" && flock 8; echo held > "$T/held"; read -r _ < "$T/release") &
holder=$!
read -r _ < "$T/held"
run "bulk: a run while the lock is held" 0 "tl-bulk -v $M -d '$T/ref.d' '$T/in'"
same "bulk: lock held: one message" "$(cat "$T/err")" "tl-bulk: $T/ref.d: another run holds the lock; nothing done"
same "bulk: nothing done while locked" "$(verdicts "$T/ref.d")" "$(cat "$T/ref")"
echo go > "$T/release"
wait "$holder"

# another model: the new image only, under its version
tl-cat -b --label circle "$T/e.tl" > "$T/c3.tl"
tl-cat -b --label square "$T/e.tl" >> "$T/c3.tl"
printf '{"id":"x","label":"triangle","emb":{"dtype":"<f4","shape":[32],"data":[%s]}}\n' \
	"$(awk 'BEGIN { for (i = 0; i < 32; i++) printf "%s%d", i ? "," : "", i % 3 }')" |
	tl-cat --from-json > "$T/tri.tl"
cat "$T/c3.tl" "$T/tri.tl" > "$T/c4.tl"
if "$T/mktlm" "$T/c4.tl" "$T/m3.tlm" 2>/dev/null; then
	run "bulk: a model with other classes" 0 "tl-bulk -v -m '$T/m3.tlm' -d '$T/ref.d' '$T/in'"
	same "bulk: it classifies the new image only" "$(tail -n 1 "$T/err" | sed 's/ (.*//')" "tl-bulk: 1 classified"
	same "bulk: the verdicts of two models side by side" \
	    "$(q "$T/ref.d" 'SELECT count(DISTINCT model_sha256) FROM verdicts')" 2
fi
mv "$T/in/zz-new.png" "$T/zz-new.png" # back for --review

# bad input: reported, status 1, the rest committed; not read again
printf 'not a png' > "$T/in/broken.png"
run "bulk: a bad image gives status 1" 1 "tl-bulk $M -d '$T/bad.d' -n 5 '$T/in'"
has "bulk: the bad image is named" "$T/err" "tl-bulk: $T/in/broken.png: "
same "bulk: the good images are all committed" "$(q "$T/bad.d" 'SELECT sha256 FROM verdicts ORDER BY 1')" "$(cut -d'|' -f1 "$T/ref")"
same "bulk: the bad image's row says why" \
    "$(q "$T/bad.d" "SELECT error IS NOT NULL FROM files WHERE src LIKE '%/broken.png'")" 1
run "bulk: a bad image is not read again" 0 "tl-bulk -v $M -d '$T/bad.d' '$T/in'"
same "bulk: ... until it changes" "$(head -n 1 "$T/err")" "tl-bulk: $((NFILE + 1)) files listed, $((NFILE + 1)) unchanged, 0 read"
cp "$T/in/solid10.png" "$T/in/broken.png" && vips invert "$T/in/solid10.png" "$T/in/broken.png" &&
	touch -d '2002-01-01' "$T/in/broken.png"
run "bulk: the mended image is classified" 0 "tl-bulk -v $M -d '$T/bad.d' '$T/in'"
same "bulk: mended: one new verdict" "$(tail -n 1 "$T/err" | sed 's/ (.*//')" "tl-bulk: 1 classified"
rm -f "$T/in/broken.png"

# review folders: the files a query selects, CONF-NAME in PRED/
mv "$T/zz-new.png" "$T/in/zz-new.png"
run "bulk: --review --pred square" 0 "tl-bulk -v -d '$T/ref.d' --review '$T/rv1' --pred square --max-conf 1"
nsq=$(q "$T/ref.d" "SELECT count(*) FROM verdicts WHERE pred = 'square'")
same "bulk: the square verdicts copied" "$(find "$T/rv1" -type f | wc -l) $(tail -n 1 "$T/err")" \
    "$nsq tl-bulk: $nsq images copied to $T/rv1, 0 not"
c2=$(q "$T/ref.d" "SELECT printf('%.2f', conf) FROM verdicts WHERE src LIKE '%/square/s2.jpg'")
same_file "bulk: a copy is the original file, named CONF-NAME" "$T/rv1/square/$c2-square_s2.jpg" "$T/in/square/s2.jpg"
run "bulk: --review --lowest 2" 0 "tl-bulk -d '$T/ref.d' --review '$T/rv2' --lowest 2"
same "bulk: the two lowest" "$(cd "$T/rv2" && find . -type f | sed 's|.*/||; s|-.*||' | sort | tr '\n' ' ')" \
    "$(q "$T/ref.d" "SELECT printf('%.2f', conf) FROM verdicts ORDER BY conf LIMIT 2" | sort | tr '\n' ' ')"
run "bulk: --review --reject ood" 0 "tl-bulk -d '$T/ref.d' --review '$T/rv3' --reject ood"
same "bulk: the unknowns for ood in unknown/" "$(find "$T/rv3/unknown" -type f | wc -l)" \
    "$(q "$T/ref.d" "SELECT count(*) FROM verdicts WHERE reject = 'ood'")"
run "bulk: --review --pred nosuch" 0 "tl-bulk -d '$T/ref.d' --review '$T/rv4' --pred nosuch"
same "bulk: nothing selected, nothing copied" "$(find "$T/rv4" -type f | wc -l)" 0
cp "$T/in/square/s2.jpg" "$T/s2.keep" && printf 'x' >> "$T/in/square/s2.jpg"
run "bulk: --review of a file changed since" 1 "tl-bulk -d '$T/ref.d' --review '$T/rv5' --pred square"
has "bulk: the changed file is named" "$T/err" "tl-bulk: $T/in/square/s2.jpg: changed since it was classified (sha256 differs): not copied"
mv "$T/s2.keep" "$T/in/square/s2.jpg"
run "bulk: --pred without --review" 2 "tl-bulk $M --pred square '$T/in'"
has "bulk: --pred without --review: message" "$T/err" "tl-bulk: --pred, --max-conf, --reject and --lowest select for --review"

rm "$T/in/zz-new.png"

# people's labels back: DIR/LABEL/FILE
mkdir -p "$T/sorted/circle" "$T/sorted/square"
cp "$T/in/circle/c1.png" "$T/in/circle/c2.png" "$T/in/circle/big/c3.png" "$T/sorted/circle/"
cp "$T/in/square/s2.jpg" "$T/sorted/square/"
cp "$T/in/solid10.png" "$T/sorted/square/"
printf 'elsewhere' > "$T/sorted/square/z-other.png"
run "bulk: --record-reviews" 0 "tl-bulk -v -d '$T/ref.d' --record-reviews '$T/sorted'"
same "bulk: reviews recorded" "$(tr '\n' '|' < "$T/err")" \
    "tl-bulk: 1 of 6 reviewed images have no verdict (kept all the same)|tl-bulk: 6 reviews recorded|"
same "bulk: the labels by sha256" "$(q "$T/ref.d" "SELECT label, count(*) FROM reviews GROUP BY 1")" "circle|3
square|3"

# tl-report --usage reads the database as it read log.jsonl
run "bulk: tl-report --usage DB" 0 "tl-report --usage '$T/ref.d/bulk.db'"
has "bulk: usage: identifications" "$T/out" "usage log $T/ref.d/bulk.db: $((NIMG + 1)) identifications"
cp "$T/out" "$T/usage.db"
run "bulk: tl-report --usage of the state directory" 0 "tl-report --usage '$T/ref.d'"
same_file "bulk: the directory is its database" "$T/out" "$T/usage.db"
q "$T/ref.d" "SELECT json_object('time', time, 'id', id, 'sha256', sha256, 'model', model, 'model_sha256', model_sha256, 'pred', pred, 'conf', conf, 'ood', ood, 'reject', reject) FROM verdicts" > "$T/log.jsonl"
run "bulk: tl-report --usage of the one-liner's JSON lines" 0 "tl-report --usage '$T/log.jsonl'"
same "bulk: the same summary from both" "$(sed 1d "$T/out" | sed '/^reviewed/,$d')" "$(sed 1d "$T/usage.db" | sed '/^reviewed/,$d')"
acc=$(q "$T/ref.d" "SELECT count(*), sum(v.pred != 'unknown'), sum(v.pred = r.label) FROM reviews r JOIN verdicts v USING (sha256) WHERE v.model = 'test-1'" | tr '|' ' ')
has "bulk: usage: the reviews' accuracy" "$T/usage.db" \
    "$(set -- $acc; printf '%-6s %-10s %8s %8s %8s' test-1 "$(date -u +%F)" "$1" "$2" "$3")"

# the state of the earlier, shell-script tl-bulk: its log.jsonl imported
# once, so nothing is classified again (the log: the one-liner's, above)
mkdir -p "$T/up.d"
grep -v zz-new "$T/log.jsonl" > "$T/up.d/log.jsonl"
printf 'not json\n{"id":"x"}\n' >> "$T/up.d/log.jsonl"
run "bulk: an earlier tl-bulk's state" 0 "tl-bulk -v $M -d '$T/up.d' '$T/in'"
same "bulk: its log imported, nothing classified again" "$(tr '\n' '|' < "$T/err")" \
    "tl-bulk: $T/up.d/log.jsonl: $NIMG verdicts of the earlier tl-bulk imported|tl-bulk: $NFILE files listed, 0 unchanged, $NFILE read|tl-bulk: 0 classified (0 unknown), 0 bad|"
same "bulk: the imported verdicts are the log's" "$(verdicts "$T/up.d")" "$(verdicts "$T/ref.d" | grep -v "^$(q "$T/ref.d" "SELECT sha256 FROM verdicts WHERE id = 'zz-new.png'")")"
run "bulk: imported once" 0 "tl-bulk -v $M -d '$T/up.d' '$T/in'"
same "bulk: imported once: no word of it" "$(head -n 1 "$T/err")" "tl-bulk: $NFILE files listed, $NFILE unchanged, 0 read"

# an archive: members known by archive!member, size and mtime
tar -c -C "$T/in" . > "$T/in.tar"
run "bulk: an archive" 0 "tl-bulk -v $M -d '$T/ar.d' '$T/in.tar'"
same "bulk: the archive's images once each" "$(q "$T/ar.d" 'SELECT count(*) FROM verdicts')" "$NIMG"
run "bulk: the archive again reads nothing" 0 "tl-bulk -v $M -d '$T/ar.d' '$T/in.tar'"
same "bulk: archive rerun" "$(head -n 1 "$T/err")" "tl-bulk: $NFILE files listed, $NFILE unchanged, 0 read"
run "bulk: --review from an archive" 0 "tl-bulk -d '$T/ar.d' --review '$T/rva' --pred square"
same "bulk: copied out of the archive" "$(find "$T/rva" -type f | wc -l)" "$(q "$T/ar.d" "SELECT count(*) FROM verdicts WHERE pred = 'square'")"

# shards: each its own database, merged
for s in 0 1 2; do
	run "bulk: shard $s/3" 0 "tl-bulk $M -d '$T/sh$s' --shard $s/3 '$T/in'"
done
same "bulk: the shards hold every file once" \
    "$(for s in 0 1 2; do q "$T/sh$s" 'SELECT src FROM files'; done | sort | uniq -d | wc -l) $(for s in 0 1 2; do q "$T/sh$s" 'SELECT src FROM files'; done | wc -l)" "0 $NFILE"
run "bulk: --merge" 0 "tl-bulk -v -d '$T/all' --merge '$T/sh0/bulk.db' '$T/sh1/bulk.db' '$T/sh2/bulk.db'"
check "bulk: the merged shards are the single run" "$T/all"
same "bulk: merged runs keep their rows" "$(q "$T/all" 'SELECT count(*) FROM runs')" 3
run "bulk: merging again adds nothing" 0 "tl-bulk -v -d '$T/all' --merge '$T/sh0/bulk.db'"
has "bulk: merging again" "$T/err" "sh0/bulk.db: 0 verdicts, 0 files added"

# the crontab line of tl-bulk(1), as a user copies it: the command after the
# five schedule fields, run by sh in its folder (/srv/zoo made a scratch one)
cron=$(awk '/^A crontab line/ { f = 1; next } f && /^\.Bd/ { g = 1; next } g && /^\.Ed/ { exit } g' \
    "$top/man/tl-bulk.1" | sed 's/\\e$/\\/' | sed -e :a -e '/\\$/N; s/\\\n//; ta' | sed 's/^[^ ]* [^ ]* [^ ]* [^ ]* [^ ]* *//')
same "bulk: the man page's crontab line found" "$(printf '%s' "$cron" | grep -c 'tl-bulk -m model.tlm')" 1
mkdir -p "$T/zoo/incoming" && cp "$T/m.tlm" "$T/zoo/model.tlm" && cp -R "$T/in/." "$T/zoo/incoming/"
run "bulk: the crontab line runs" 0 "$(printf '%s' "$cron" | sed "s|/srv/zoo|$T/zoo|")"
same "bulk: the crontab line classified every image once" \
    "$(q "$T/zoo/bulk" 'SELECT count(*), count(DISTINCT sha256) FROM verdicts')" "$NIMG|$NIMG"
run "bulk: the crontab line again: nothing new" 0 "$(printf '%s' "$cron" | sed "s|/srv/zoo|$T/zoo|")"
same "bulk: the second cron run added nothing" "$(q "$T/zoo/bulk" 'SELECT count(*) FROM verdicts')" "$NIMG"
