# tests/hostile/methods.sh - inputs of the "methods" and "scratch" rows of
# tests/README.md's hostile table (files m-*), made in the current directory:
# lists for tl-report --methods (four fields, seconds that are not a plain
# number, a report that is not JSON, a missing report, 65 methods) beside a
# good evaluation; maps said to be scratch:16's input at the wrong size.
printf '%s\n' '{"tl":1,"classes":["a","b"]}' '{"id":"1","label":"a","pred":"a","conf":0.9}' \
	'{"id":"2","label":"b","pred":"a","conf":0.6}' | tl-cat --from-json > m-ver.tl
tl-report --json m-ver.tl > m-ok.json
printf 'x\ttest\tm-ok.json\t1\n' > m-four.tsv
printf 'x\ttest\tm-ok.json\t1e999\t2\n' > m-inf.tsv
printf 'x\ttest\tm-ok.json\tnan\t2\n' > m-nan.tsv
printf 'x\ttest\tm-ver.tl\t1\t2\n' > m-notjson.tsv
printf 'x\ttest\tm-none.json\t1\t2\n' > m-missing.tsv
i=0
while [ $i -lt 65 ]; do printf 'x%d\ttest\tm-ok.json\t1\t2\n' $i; i=$((i + 1)); done > m-many.tsv
sha=$(printf scratch:16 | sha256sum | cut -c1-64)
printf '%s\n' "{\"tl\":1,\"model\":{\"name\":\"scratch:16\",\"sha256\":\"$sha\"},\"dims\":[8,8,3],\"layer\":\"input\",\"pool\":\"none\"}" \
	'{"id":"1","label":"a","split":"train","emb":{"dtype":"<f4","shape":[8,8,3],"data":[0]}}' |
	tl-cat --from-json > m-small.tl 2>/dev/null || true
test -s m-small.tl
