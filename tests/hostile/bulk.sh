# tests/hostile/bulk.sh - inputs of tl-bulk's rows of the hostile table
# (names start with b-): state directories whose bulk.db is damaged, of a
# newer schema, or another program's database, and a model and a folder.
mkdir -p b-in b-corrupt b-newer b-other b-empty
printf 'P5\n2 2\n255\n\001\002\003\004' > b-in/a.pgm
cp "$top/testdata/shapes/circle/c1.png" b-in/c1.png
head -c 4096 /dev/urandom > b-corrupt/bulk.db
printf 'SQLite format 3\000' | cat - b-corrupt/bulk.db | head -c 8192 > b-corrupt/bulk.db.t
mv b-corrupt/bulk.db.t b-corrupt/bulk.db
sqlite3 b-newer/bulk.db 'PRAGMA user_version = 7; CREATE TABLE verdicts (sha256 TEXT);'
sqlite3 b-other/bulk.db 'CREATE TABLE songs (title TEXT);'
: > b-model.tlm
