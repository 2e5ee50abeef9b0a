# tests/cli/shard.sh - tl-ingest --shard K/N and tl-shard(1) (pipelines/shard,
# pipelines/embed.sbatch): the shards of a folder, a file list and an archive
# hold every image exactly once, each where tl_walk_shard's hash puts it (a
# golden list: the hash must never change) and there whatever else the
# folder holds; the header's expect counts are the shard's; bad --shard
# values are usage errors.  A 4-shard embed run by GNU parallel (and through
# --sshlogin ':'), merged, equals the single-process stream as a set of
# records; so does the Slurm script run with SLURM_ARRAY_TASK_ID and
# SLURM_ARRAY_TASK_COUNT set as Slurm sets them (no Slurm needed).  Exact
# duplicates in two shards are both kept (documented).  A failing shard
# leaves no file; merge names a missing shard; COMMAND without $TL_SHARD is
# refused.
export PATH="$BIN:$PATH"
I=$BIN/tl-ingest
C=$BIN/tl-cat
S=$BIN/tl-shard
ids() { "$C" -f id "$@" | sort; }

# which shard of 3 every id of testdata/shapes is in: fixed forever
"$I" --keep-duplicates "$TD/shapes" 2>/dev/null | "$C" -f id > "$T/all.ids"
: > "$T/union"
for k in 0 1 2; do
	run "shard: tl-ingest --shard $k/3" 0 "'$I' --keep-duplicates --shard $k/3 '$TD/shapes' > '$T/s$k.tl'"
	"$C" -f id "$T/s$k.tl" | tr '\n' ' ' > "$T/s$k.ids"
	"$C" -f id "$T/s$k.tl" >> "$T/union"
	same "shard: shard $k/3's header expects its own images" \
	    "$("$C" --headers -n 0 "$T/s$k.tl" | head -n 1 | jq -c .expect)" "$("$C" -f id "$T/s$k.tl" | wc -l)"
done
same "shard: shard 0 of 3 (golden)" "$(cat "$T/s0.ids")" "circle/big/c3.png circle/c1.png square/s1-copy.png square/s1.png square/s2.jpg "
same "shard: shard 1 of 3 (golden)" "$(cat "$T/s1.ids")" ""
same "shard: shard 2 of 3 (golden)" "$(cat "$T/s2.ids")" "circle/c2.png root.png square/dark/s3.png "
same "shard: the 3 shards hold every image once" "$(sort "$T/union" | tr '\n' ' ')" "$(sort "$T/all.ids" | tr '\n' ' ')"

# the same id lands in the same shard when the folder holds more
cp -r "$TD/shapes" "$T/more"
for i in 1 2 3 4 5 6 7 8 9; do cp "$TD/shapes/circle/c1.png" "$T/more/new$i.png"; done
"$I" --keep-duplicates --shard 0/3 "$T/more" 2>/dev/null | "$C" -f id | grep -v '^new' | tr '\n' ' ' > "$T/m0"
same "shard: a bigger folder keeps each old image's shard" "$(cat "$T/m0")" "$(cat "$T/s0.ids")"
same "shard: the bigger folder's 3 shards hold its 17 images once" \
    "$(for k in 0 1 2; do "$I" --keep-duplicates --shard $k/3 "$T/more" 2>/dev/null | "$C" -f id; done | sort -u | wc -l)" 17

# an archive (one pass, members of other shards passed over) and a list
for src in shapes.tar.gz shapes.zip; do
	same "shard: $src's shards are the folder's" \
	    "$(for k in 0 1 2; do "$I" --keep-duplicates --shard $k/3 "$TD/$src" 2>/dev/null | "$C" -f id | tr '\n' ' '; echo "|"; done)" \
	    "$(for k in 0 1 2; do cat "$T/s$k.ids"; echo "|"; done)"
done
(cd "$TD/shapes" && find . -name '*.png' -o -name '*.jpg' | sed 's|^\./||' | sort) > "$T/list"
same "shard: a file list's shards hold every listed file once" \
    "$(cd "$TD/shapes" && for k in 0 1 2 3; do "$I" --keep-duplicates --shard $k/4 --list "$T/list" 2>/dev/null | "$C" -f id; done | sort | tr '\n' ' ')" \
    "$(sort "$T/list" | tr '\n' ' ')"
run "shard: --shard 1/1 is everything" 0 "'$I' --keep-duplicates --shard 0/1 '$TD/shapes' 2>/dev/null | '$C' -f id"
same "shard: --shard 0/1's images" "$(tr '\n' ' ' < "$T/out")" "$(tr '\n' ' ' < "$T/all.ids")"

for bad in "3/3|--shard's K: 3 is out of range [0, 2]" "1|--shard: '1' is not K/N" \
    "a/2|--shard's K: 'a' is not a whole number" "0/0|--shard's N: 0 is out of range [1, 1000000]" \
    "-1/2|--shard's K: -1 is out of range [0, 1]"; do
	run "shard: --shard ${bad%%|*} is a usage error" 2 "'$I' --shard '${bad%%|*}' '$TD/shapes'"
	has "shard: --shard ${bad%%|*}'s message" "$T/err" "tl-ingest: ${bad#*|}"
done

# a 4-shard embed by GNU parallel equals the single-process one as a set of records
E="tl-ingest --keep-duplicates --shard \$TL_SHARD \"$TD/shapes\" | tl-embed -m pixels:8"
"$I" --keep-duplicates "$TD/shapes" 2>/dev/null | "$BIN/tl-embed" -m pixels:8 2>/dev/null | "$C" | sort > "$T/single.json"
if command -v parallel > /dev/null; then
	run "shard: tl-shard parallel -n 4 -j 2" 0 "'$S' parallel -n 4 -j 2 -o '$T/p' '$E'"
	same "shard: four shard files, nothing else" "$(ls -A "$T/p" | tr '\n' ' ')" \
	    "shard-0-of-4.tl shard-1-of-4.tl shard-2-of-4.tl shard-3-of-4.tl "
	run "shard: tl-shard merge" 0 "'$S' merge -n 4 -o '$T/p' > '$T/merged.tl'"
	same "shard: the merged stream has one header" "$("$C" --headers "$T/merged.tl" | grep -c '"tl"')" 2
	"$C" "$T/merged.tl" | sort > "$T/merged.json"
	same_file "shard: merged = single process, as a set of records" "$T/merged.json" "$T/single.json"
	run "shard: tl-shard parallel -S : (parallel's --sshlogin, this machine)" 0 \
	    "'$S' parallel -n 2 -S : -o '$T/ssh' '$E' && '$S' merge -n 2 -o '$T/ssh' | '$C' | sort > '$T/ssh.json'"
	same_file "shard: --sshlogin's merged = single process" "$T/ssh.json" "$T/single.json"
	# without --keep-duplicates an exact copy in another shard stays
	run "shard: shards without --keep-duplicates" 0 \
	    "'$S' parallel -n 4 -o '$T/d' 'tl-ingest --shard \$TL_SHARD \"$TD/shapes\"' && '$S' merge -n 4 -o '$T/d' | '$C' -f id | sort > '$T/d.ids'"
	same "shard: an exact copy in another shard is kept" "$(grep -c 's1' "$T/d.ids")" 2
	run "shard: a failing shard fails the run" 1 "'$S' parallel -n 2 -o '$T/f' 'tl-ingest --shard \$TL_SHARD \"$T/nowhere\"'"
	has "shard: the failing shard's message" "$T/err" "tl-shard: 2 shards in $T/f: one failed (its message above)"
	same "shard: a failed shard leaves no file" "$(ls -A "$T/f" | grep -c shard-)" 0
else
	skip "shard: tl-shard parallel" "GNU parallel is not installed (make deps)"
fi

# a Slurm job array, task by task, as Slurm would set them
for k in 0 1 2 3; do
	run "shard: embed.sbatch as array task $k of 4" 0 \
	    "SLURM_ARRAY_TASK_ID=$k SLURM_ARRAY_TASK_COUNT=4 sh '$top/pipelines/embed.sbatch' '$TD/shapes' '$T/slurm' -m pixels:8"
done
run "shard: merge the Slurm shards" 0 "'$S' merge -n 4 -o '$T/slurm' | '$C' | sort > '$T/slurm.json'"
"$I" "$TD/shapes" 2>/dev/null | "$BIN/tl-embed" -m pixels:8 2>/dev/null | "$C" | sort > "$T/single-dedup.json"
grep -v '"id":"square/s1.png"' "$T/slurm.json" > "$T/slurm-dedup.json" # s1.png is s1-copy.png's copy, in another shard
same_file "shard: Slurm's merged = single process (but the copy)" "$T/slurm-dedup.json" "$T/single-dedup.json"
run "shard: tl-shard run -k 1 -n 4 (no Slurm variables)" 0 "'$S' run -k 1 -n 4 -o '$T/one' '$E'"
same "shard: run writes shard-1-of-4.tl only" "$(ls -A "$T/one" | tr '\n' ' ')" "shard-1-of-4.tl "

run "shard: merge with a shard missing" 1 "'$S' merge -n 4 -o '$T/one'"
same "shard: merge names the missing shard" "$(cat "$T/err")" \
    "tl-shard: $T/one/shard-0-of-4.tl: missing (shard 0 of 4 not run, or failed)"
same "shard: merge with a shard missing writes nothing" "$(wc -c < "$T/out")" 0
run "shard: COMMAND without \$TL_SHARD" 2 "'$S' run -k 0 -n 2 -o '$T/x' 'tl-ingest photos/'"
same "shard: its message" "$(cat "$T/err")" \
    'tl-shard: COMMAND does not use $TL_SHARD: every shard would take the whole input'
run "shard: -k beyond -n" 2 "'$S' run -k 2 -n 2 -o '$T/x' '$E'"
same "shard: -k beyond -n's message" "$(cat "$T/err")" "tl-shard: -k: shard 2 of 2 (K counts from 0)"
run "shard: run outside Slurm without -k" 2 "env -u SLURM_ARRAY_TASK_ID '$S' run -n 2 -o '$T/x' '$E'"
same "shard: without -k's message" "$(cat "$T/err")" "tl-shard: no -k K (nor SLURM_ARRAY_TASK_ID)"
run "shard: a COMMAND that fails" 1 "'$S' run -k 0 -n 1 -o '$T/x' 'false \$TL_SHARD'"
same "shard: its message" "$(cat "$T/err")" "tl-shard: shard 0 of 1: COMMAND failed (status 1); nothing written"
same "shard: the failed COMMAND left nothing" "$(ls -A "$T/x" | wc -l)" 0
run "shard: tl-shard --help" 0 "'$S' --help"
has "shard: --help's usage" "$T/out" "usage: tl-shard run [-k K] [-n N] -o DIR COMMAND"
run "shard: tl-shard -V" 0 "'$S' -V"
same "shard: -V" "$(cat "$T/out")" "tl-shard $("$C" --version | cut -d' ' -f2)"
run "shard: an unknown mode" 2 "'$S' split -n 2 -o x"
has "shard: an unknown mode's message" "$T/err" "tl-shard: 'split' is not run, parallel or merge"
