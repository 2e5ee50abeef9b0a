# tests/hostile/expect.sh - inputs of the "header expect" rows of
# tests/README.md's hostile table, made in the current directory: streams of
# three records whose header's advisory counts (tl-stream(5) "expect",
# "expect_train") are not counts, are out of range, or are wrong.
x() { printf '{"tl":1,%s}\n{"id":"a"}\n{"id":"b"}\n{"id":"c"}\n' "$2" | tl-cat --from-json > "$1"; }
x expect-str.tl '"expect":"many"'
x expect-neg.tl '"expect":-3'
x expect-float.tl '"expect":2.5'
x expect-huge.tl '"expect":18446744073709551615'
x expect-map.tl '"expect":{"n":3}'
x expect-low.tl '"expect":1'
x expect-over.tl '"expect":3,"expect_train":9'
