# tests/hostile/stream.sh - inputs of the stream rows of tests/README.md's
# hostile table, made in the current directory.
printf '{"id":"a","label":"x"}\n{"id":"b","label":"y"}\n' | tl-cat --from-json > two.tl
head -c 20 two.tl > cut.tl
printf 'not msgpack at all\n' > text.tl
