# tests/hostile/reject.sh - inputs of the "reject" rows of tests/README.md's
# hostile table (files why-*), made in the current directory: an "unknown"
# verdict whose reason is neither "ood" nor "conf", or not a string.
printf '%s\n' '{"tl":1,"classes":["x"]}' '{"id":"1","label":"x","pred":"unknown","reject":"bored"}' |
	tl-cat --from-json > why-word.tl
printf '%s\n' '{"tl":1,"classes":["x"]}' '{"id":"1","label":"x","pred":"unknown","reject":7}' |
	tl-cat --from-json > why-num.tl
