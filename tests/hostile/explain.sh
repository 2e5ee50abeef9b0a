# tests/hostile/explain.sh - inputs of the tl-classify --explain rows of
# tests/README.md's hostile table, made in the current directory:
# ex-tiny.onnx (tests/nn/tiny.onnx, a MaxPool between its input and its
# feature layer "feat": no tail can differentiate it), ex-img.tl (the
# shapes), ex-tiny.tlm (a head on its pooled feat).
cp "$top/tests/nn/tiny.onnx" ex-tiny.onnx
tl-ingest "$TD/shapes" > ex-img.tl 2>/dev/null
tl-embed -m ./ex-tiny.onnx -l feat -p avg < ex-img.tl 2>/dev/null | tl-train -q -o ex-tiny.tlm
test -s ex-tiny.tlm
