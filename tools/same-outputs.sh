#!/bin/sh
# tools/same-outputs.sh - does a change leave tl's outputs alone?  Builds two
# revisions in scratch clones, runs `make demo`'s pipeline and
# pipelines/hymenoptera (fine-tuned and frozen) with each, in the same
# directory so that paths inside the streams agree, and compares every output
# file (streams, model files, reports, HTML, logs) with cmp.  For refactors,
# which promise the same bytes; a change that means to alter results will
# differ, and this says where.
#
# usage: tools/same-outputs.sh [-q] OLD [NEW]
#   OLD, NEW  git revisions (NEW: the working tree's HEAD)
#   -q        the small demo only (20 letters a class, mobilenetv2, a short
#             fine-tuning and an MLP head; about a minute), not the default
#             backbone's demo and hymenoptera (15-20 minutes on 2 cores)
#   DATA=dir  hymenoptera's folder (default ../shared/data/hymenoptera)
#   MODELS=dir  the backbones (default: this tree's models/, from make model)
#
# Prints "same: N files" and exits 0, or lists the differing files and
# exits 1.  SOURCE_DATE_EPOCH is fixed, so model versions and dates agree.
set -eu
quick=0
[ "${1:-}" = -q ] && { quick=1; shift; }
[ $# -ge 1 ] || { echo "usage: tools/same-outputs.sh [-q] OLD [NEW]" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
old=$1 new=${2:-HEAD}
DATA=${DATA:-$top/../shared/data/hymenoptera}
MODELS=${MODELS:-$top/models}
[ -d "$MODELS" ] || { echo "same-outputs: $MODELS: no models (run make model)" >&2; exit 2; }
[ $quick = 1 ] || [ -d "$DATA" ] || { echo "same-outputs: $DATA: no such folder (set DATA)" >&2; exit 2; }
scratch=$(mktemp -d)
trap 'git -C "$top" worktree prune; rm -rf "$scratch"' EXIT
export SOURCE_DATE_EPOCH=1700000000 TL_MODEL_PATH="$MODELS" TL_THREADS=2 OPENBLAS_NUM_THREADS=1

# run REV NAME: REV's outputs into $scratch/out-NAME (made in $scratch/run)
run() {
	src=$scratch/src-$2 out=$scratch/out-$2 w=$scratch/run
	git -C "$top" worktree add -q --detach "$src" "$1"
	make -s -C "$src" -j2 all >/dev/null
	rm -rf "$w"; mkdir -p "$w"
	if [ $quick = 1 ]; then
		make -s --no-print-directory -C "$src/pipelines/demo" BIN="$src/bin" OUT="$w/demo" \
			PER_CLASS=20 EMBED_FLAGS='-m mobilenetv2' > "$w/demo.log" 2>&1
		(cd "$w/demo" && B=$src/bin &&
		 $B/tl-embed -m mobilenetv2 --cut < aug.tl > cut.tl &&
		 $B/tl-train --ft-epochs 2 --log train.jsonl -o ft.tlm cut.tl 2> ft.err &&
		 $B/tl-classify -m ft.tlm < test-img.tl > ft-test.tl &&
		 $B/tl-train --hidden 16 --epochs 20 --log train.jsonl -o mlp.tlm emb.tl 2> mlp.err &&
		 $B/tl-cat --full --headers emb.tl > emb.jsonl &&
		 $B/tl-report --json --history history.jsonl test.tl > report.json && rm cut.tl)
	else
		make -s --no-print-directory -C "$src/pipelines/demo" BIN="$src/bin" OUT="$w/demo" > "$w/demo.log" 2>&1
		make -s -C "$src/pipelines/hymenoptera" DATA="$(cd "$DATA" && pwd)" OUT="$w/hym" \
			BIN="$src/bin" all frozen > "$w/hym.log" 2>&1
		rm -rf "$w/hym/foreign"
	fi
	rm -rf "$w/demo/letters" "$w/demo/files.txt" "$w/demo/letters.stamp"
	sed -i "s#$src#TREE#g" "$w"/*.log
	mv "$w" "$out"
	git -C "$top" worktree remove --force "$src"
}
run "$old" old
run "$new" new
if diff -r -q "$scratch/out-old" "$scratch/out-new" > "$scratch/diff"; then
	echo "same: $(find "$scratch/out-new" -type f | wc -l) files"
else
	sed "s#$scratch/out-##g" "$scratch/diff"
	exit 1
fi
