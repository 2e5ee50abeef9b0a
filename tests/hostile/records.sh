# tests/hostile/records.sh - inputs of the record rows of tests/README.md's
# hostile table (files rec-*), made in the current directory: values that
# are not finite in an emb or a prob, a class that only val records carry,
# and a model to classify with.
hdr='{"tl":1,"model":{"name":"fake","sha256":"00000000000000000000000000000000000000000000000000000000000000ab"},"dims":[2],"layer":"L","pool":"avg"}'
e2() { # id label split a b
	printf '{"id":"%s","label":"%s","split":"%s","emb":{"dtype":"<f4","shape":[2],"data":[%s,%s]}}\n' "$@"
}
ok() {
	echo "$hdr"
	for i in 0 1 2 3 4 5; do
		e2 a$i ant train 3.$i 0.$i
		e2 b$i bee train 0.$i 3.$i
	done
	e2 a6 ant val 3.3 0.2
	e2 b6 bee val 0.2 3.3
}
ok | tl-cat --from-json > rec-ok.tl
{ ok; e2 nan/1 ant val 3 null; } | tl-cat --from-json > rec-nanval.tl
{ ok; e2 inf/1 bee train 1e999 3; } | tl-cat --from-json > rec-inftrain.tl
{ ok; e2 w/1 wasp val 2 2; e2 w/2 wasp val 2.1 2; } | tl-cat --from-json > rec-valonly.tl
{ echo "$hdr"; e2 x ant '' 3 0; e2 nan/2 bee '' null 3; } | tl-cat --from-json > rec-nanin.tl
# tl-ingest's records (img, no emb) given to tl-train
printf '%s\n' '{"tl":1}' '{"id":"i/1","label":"ant","img":{"base64":"aGVsbG8="}}' \
    '{"id":"i/2","label":"bee","img":{"base64":"aGVsbG8="}}' | tl-cat --from-json > rec-img.tl
tl-train -q --no-ood -o rec-m.tlm rec-ok.tl 2>/dev/null
printf '%s\n' '{"tl":1,"classes":["ant","bee"]}' \
    '{"id":"p1","label":"ant","prob":{"dtype":"<f4","shape":[2],"data":[null,0.5]}}' \
    '{"id":"p2","label":"bee","prob":{"dtype":"<f4","shape":[2],"data":[0.1,0.9]}}' |
	tl-cat --from-json > rec-nanprob.tl
