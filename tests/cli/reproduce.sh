# tests/cli/reproduce.sh - the same input gives the same model file, byte for
# byte, on any thread count, under load and whichever kernel OpenBLAS picks
# (OPENBLAS_CORETYPE): a small fine-tune (letters from tools/demo-data.py,
# maps from tl-embed -m mobilenetv2 --cut, 2 epochs) with 1, 2 and 3 threads (TL_THREADS,
# and OPENBLAS_NUM_THREADS as it was the count before), with OpenBLAS's kernels for
# Haswell and for Sandybridge (no FMA) instead of this CPU's, and beside two
# CPU-bound processes; the maps themselves are the same with 1 and 2 threads
# and under load.  Fine-tuning by SGD is chaotic: a product rounded
# differently once gives other weights.
if [ ! -f "$top/models/mobilenetv2/model.json" ]; then
	fail "reproduce: models" "models/mobilenetv2 missing: run make model"
	return 0 2>/dev/null || exit 0
fi
R=$T/rep
N=8 EP=2
case $BIN in
*-san) N=4 ;; # the sums' order is the same code on either build
esac
if [ "${TL_VALGRIND:-}" = 1 ]; then
	N=4 EP=1
fi
mkdir -p "$R"
/usr/bin/python3 "$top/tools/demo-data.py" -n $N "$R/letters" > /dev/null 2>&1
"$BIN/tl-ingest" "$R/letters" 2>/dev/null | "$BIN/tl-split" --dup-distance -1 2>/dev/null |
    "$BIN/tl-augment" -k 1 -s 256 --crop-scale 0.8:1 > "$R/aug.tl" 2>/dev/null

# busy N CMD...: runs CMD beside N CPU-bound processes (ended by their ids;
# timeout ends them too if this shell is killed)
busy() {
	_n=$1 _pids=; shift
	while [ "$_n" -gt 0 ]; do
		timeout 600 sh -c 'while :; do :; done' &
		_pids="$_pids $!" _n=$((_n - 1))
	done
	"$@"; _st=$?
	kill $_pids 2>/dev/null
	wait $_pids 2>/dev/null
	return $_st
}

"$BIN/tl-embed" -m mobilenetv2 --cut -j 1 < "$R/aug.tl" > "$R/cut.tl" 2>/dev/null
"$BIN/tl-embed" -m mobilenetv2 --cut -j 2 < "$R/aug.tl" > "$R/cut2.tl" 2>/dev/null
busy 2 "$BIN/tl-embed" -m mobilenetv2 --cut -j 2 < "$R/aug.tl" > "$R/cut3.tl" 2>/dev/null
same "reproduce: a map for every record" "$("$BIN/tl-cat" -c split "$R/cut.tl")" \
    "$("$BIN/tl-cat" -c split "$R/aug.tl")"
same_file "reproduce: tl-embed --cut, 1 and 2 threads: the same maps" "$R/cut.tl" "$R/cut2.tl"
same_file "reproduce: tl-embed --cut, 2 threads under load: the same maps" "$R/cut.tl" "$R/cut3.tl"

export SOURCE_DATE_EPOCH=1700000000
# train NAME [VAR=VALUE...]: tl-train on the maps with that environment
train() {
	_name=$1; shift
	run "reproduce: trains ($*)" 0 "env $* '$BIN/tl-train' --ft-epochs $EP -o '$R/$_name.tlm' '$R/cut.tl'"
}
train t1 TL_THREADS=1 OPENBLAS_NUM_THREADS=1
has "reproduce: fine-tuned" "$T/err" "tl-train: fine-tuned block_12_add -> block_15_expand_relu: 7 Convs, 626432 parameters, $EP epochs"
train t2 TL_THREADS=2 OPENBLAS_NUM_THREADS=2
train t3 TL_THREADS=3 OPENBLAS_NUM_THREADS=3
train hw TL_THREADS=2 OPENBLAS_NUM_THREADS=2 OPENBLAS_CORETYPE=Haswell
train sb TL_THREADS=2 OPENBLAS_NUM_THREADS=2 OPENBLAS_CORETYPE=Sandybridge
busy 2 train load TL_THREADS=2 OPENBLAS_NUM_THREADS=2
same_file "reproduce: 1 and 2 threads, the same model" "$R/t1.tlm" "$R/t2.tlm"
same_file "reproduce: 1 and 3 threads, the same model" "$R/t1.tlm" "$R/t3.tlm"
same_file "reproduce: OpenBLAS's Haswell kernels, the same model" "$R/t1.tlm" "$R/hw.tlm"
same_file "reproduce: OpenBLAS's Sandybridge kernels, the same model" "$R/t1.tlm" "$R/sb.tlm"
same_file "reproduce: beside two busy processes, the same model" "$R/t1.tlm" "$R/load.tlm"
unset SOURCE_DATE_EPOCH
