# tests/hostile/tfgraph.sh - inputs of the TF.js graph-model rows of
# tests/README.md's hostile table, made in the current directory from the
# fuzz seed of a small graph (tests/fuzz/corpus/tfgraph: cut node, newline,
# model.json, NUL, shard): tg/ cut at a TopKV2, tgs/ with a short shard.
for d in tg tgs; do
	mkdir -p $d
	printf '{"name": "%s", "input": {"height": 8, "width": 8}, "scale": "[0,1]", "features": {"layer": "m"}}\n' $d >$d/tl-model.json
done
/usr/bin/python3 - "$top/tests/fuzz/corpus/tfgraph/unsupported" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
b = b[b.index(b"\n") + 1:]
j, w = b.split(b"\0", 1)
for d, shard in (("tg", w), ("tgs", w[:-4])):
    open(d + "/model.json", "wb").write(j.replace(b'"TopKV2"', b'"TopKV2"' if d == "tg" else b'"Mean"'))
    open(d + "/w.bin", "wb").write(shard)
PY
