# tests/hostile/suite.sh - inputs of the rows of tests/README.md's hostile
# table that were checks of tests/cli/{cat,split,augment,report,bulk}.sh, made
# in the current directory (names start with s-).
printf '{"id":"a","label":"x","pred":"x","conf":0.9}\n{"id":"b","label":"y","pred":"x","conf":0.6}\n' |
	tl-cat --from-json > s-two.tl
size=$(wc -c < s-two.tl)
head -c 20 s-two.tl > s-cut.tl
head -c $((size - 1)) s-two.tl > s-cut1.tl
head -c $((size - 10)) s-two.tl > s-cut10.tl
printf '{"tl":1,"classes":["a"]}\n{"id":"1"}\n{"tl":1,"classes":["b"]}\n{"id":"2"}\n' > s-conflict.jsonl
tl-cat --from-json s-conflict.jsonl > s-conflict.tl 2>/dev/null || [ $? = 1 ]
: > s-notadir
printf '%s\n' '{"tl":1,"classes":["x","y"]}' '{"id":"1","label":"x","prob":{"dtype":"<f4","shape":[3],"data":[0.1,0.2,0.7]}}' |
	tl-cat --from-json > s-shape.tl
printf '%s\n' '{"tl":1,"classes":["x","y"]}' '{"id":"1","label":"x","pred":"x","conf":0.9}' '{"id":"2","label":"y","pred":"x","conf":0.6}' |
	tl-cat --from-json > s-set.tl
tl-report --json --bootstrap 0 s-set.tl > s-a.json
echo '{"x":1}' > s-notev.json
mkdir -p s-in
