# tests/cli/ingest.sh - tl-ingest: sources and naming, normalisation of every
# pixel format, hostile input with exact messages and statuses, the stream
# properties (no temp files, head -c 1, bounded memory).  The man page's
# examples run in tests/cli/man.sh.
# Records are read back with tests/cli/tldump.c, built here.

I=$BIN/tl-ingest
D=$T/tldump
cc -std=c11 -D_GNU_SOURCE -I"$top/lib" -o "$D" "$top/tests/cli/tldump.c" \
	"$top/build/lib/core/err.o" "$top/build/lib/core/rec.o" "$top/build/lib/stream/stream.o" \
	"$top/build/lib/core/tensor.o" $(pkg-config --cflags --libs msgpack) -lm ||
	fail ingest-tldump "cannot build tests/cli/tldump.c"

# field NAME FILE: the values of field NAME of each record of a tldump, one a line
field() { sed -n "/^# /!s/.*\(^\|	\)$1=\([^	]*\).*/\2/p" "$2"; }
# rec ID FILE: the tldump line of record ID
rec() { grep "^id=$1	" "$2"; }
# hamming HEX HEX: differing bits of two 64-bit hashes
hamming() { # in 32-bit halves: the shell's arithmetic is signed 64-bit
	_x=$(( (0x${1%????????} ^ 0x${2%????????}) << 32 | (0x${1#????????} ^ 0x${2#????????}) ))
	_n=0 _i=0
	while [ $_i -lt 64 ]; do _n=$(( _n + ((_x >> _i) & 1) )); _i=$((_i + 1)); done
	echo $_n
}
# fields ID FILE NAME...: the values of fields NAME... of record ID, TAB-separated
fields() {
	_id=$1 _f=$2; shift 2
	_line=$(rec "$_id" "$_f") _out=
	for _k; do
		_v=$(printf '%s\n' "$_line" | field "$_k" /dev/stdin)
		_out="${_out:+$_out	}$_k=$_v"
	done
	printf '%s\n' "$_out"
}

# --- usage -------------------------------------------------------------------
run ingest-help 0 "$I --help"
has ingest-help-usage "$T/out" "usage: tl-ingest [--strict]"
has ingest-help-splitdirs "$T/out" "--no-split-folders top folders named train, val, ... are labels, not splits"
run ingest-version 0 "$I --version"
same ingest-version-text "$(cat "$T/out")" "tl-ingest 0.1.0"
for bad in "" "--size 0 x" "--size abc x" "--crop diagonal --size 8 x" "--fit x" \
	"--set noequals x" "--set id=x x" "--max-bad many x" "--max-pixels -1 x" "--bogus x"; do
	run "ingest-usage[$bad]" 2 "$I $bad"
	has "ingest-usage-try[$bad]" "$T/err" "Try 'tl-ingest --help'"
done
run ingest-tty 2 "script -qec '$I $TD/shapes' /dev/null"
has ingest-tty-msg "$T/out" "refusing to write a binary stream to a terminal"

# --- a folder-per-class directory ---------------------------------------------
cd "$top" || exit 1
run ingest-dir 0 "$I testdata/shapes | $D > $T/d.txt"
same ingest-dir-ids "$(field id "$T/d.txt" | tr '\n' ' ')" \
	"circle/big/c3.png circle/c1.png circle/c2.png root.png square/dark/s3.png square/s1-copy.png square/s2.jpg "
same ingest-dir-labels "$(cut -f1,3 "$T/d.txt" | grep -c 'label=circle')/$(grep -c 'label=square' "$T/d.txt")/$(rec root.png "$T/d.txt" | grep -c label=)" "3/3/0"
same ingest-dir-src "$(field src "$T/d.txt" | sed -n 2p)" "testdata/shapes/circle/c1.png"
same ingest-dir-stderr "$(cat "$T/err")" "tl-ingest: testdata/shapes/square/s1.png: duplicate of square/s1-copy.png
tl-ingest: 8 read, 0 skipped, 1 duplicate dropped"
same ingest-sha256-c1 "$(rec circle/c1.png "$T/d.txt" | field sha256 /dev/stdin)" \
	"$(sha256sum testdata/shapes/circle/c1.png | cut -d' ' -f1)"
same ingest-sha256-s2 "$(rec square/s2.jpg "$T/d.txt" | field sha256 /dev/stdin)" \
	"$(sha256sum testdata/shapes/square/s2.jpg | cut -d' ' -f1)"
same ingest-size-c2 "$(rec circle/c2.png "$T/d.txt" | cut -f5,6)" "width=48	height=64"
same ingest-size-s2 "$(rec square/s2.jpg "$T/d.txt" | cut -f5,6)" "width=60	height=40"
same ingest-img-bytes "$(rec square/s2.jpg "$T/d.txt" | field img /dev/stdin)" \
	"bin:$(wc -c < testdata/shapes/square/s2.jpg)"
# expect: the 8 image files listed, an upper bound of the 7 records (a
# duplicate dropped); none under a train folder
same ingest-header "$(head -n 1 "$T/d.txt")" "# tl=1	producer=tl-ingest 0.1.0	expect=8	expect_train=0"
same ingest-keys "$(rec circle/c1.png "$T/d.txt" | sed 's/=[^	]*//g')" \
	"id	src	label	sha256	width	height	phash	img"
run ingest-dir-slash 0 "$I testdata/shapes/ | $D > $T/d2.txt"
same ingest-dir-slash-src "$(field src "$T/d2.txt" | sed -n 1p)" "testdata/shapes/circle/big/c3.png"

run ingest-label 0 "$I --label thing --set split=val --set note=a=b testdata/shapes | $D > $T/l.txt"
same ingest-label-all "$(field label "$T/l.txt" | sort -u)" "thing"
same ingest-set "$(fields root.png "$T/l.txt" label split note)" "label=thing	split=val	note=a=b"
run ingest-keep-dups 0 "$I --keep-duplicates testdata/shapes | $D > $T/k.txt"
same ingest-keep-dups-n "$(grep -c '^id=' "$T/k.txt")" 8
same ingest-keep-dups-stderr "$(cat "$T/err")" "tl-ingest: 8 read, 0 skipped"

# --- archives give the same records, src aside ----------------------------------
# (and expect aside: an archive is read in one pass, its count unknown)
cut -f1,3- "$T/d.txt" | sed '1s/	expect[a-z_]*=[0-9]*//g' > "$T/d.nosrc"
for a in tar.gz zip 7z; do
	run "ingest-archive-$a" 0 "$I testdata/shapes.$a | $D > $T/a.txt"
	cut -f1,3- "$T/a.txt" | sort > "$T/a.nosrc"
	sort "$T/d.nosrc" > "$T/d.sorted"
	same_file "ingest-archive-$a-records" "$T/a.nosrc" "$T/d.sorted"
	same "ingest-archive-$a-header" "$(head -n 1 "$T/a.txt")" "# tl=1	producer=tl-ingest 0.1.0"
	same "ingest-archive-$a-src" "$(field src "$T/a.txt" | grep c1.png)" "testdata/shapes.$a!circle/c1.png"
	same "ingest-archive-$a-dup" "$(head -n 1 "$T/err")" \
		"tl-ingest: testdata/shapes.$a!square/s1.png: duplicate of square/s1-copy.png"
done
same ingest-targz-order "$(field id "$T/d.txt")" "$($I testdata/shapes.tar.gz 2>/dev/null | $D | field id /dev/stdin)"

# --- file lists ---------------------------------------------------------------
run ingest-list-stdin 0 "$I - < testdata/shapes.list | $D > $T/s.txt"
same ingest-list-ids "$(field id "$T/s.txt" | tr '\n' ' ')" \
	"testdata/shapes/circle/c1.png testdata/shapes/root.png testdata/shapes/square/s2.jpg "
same ingest-list-labels "$(cut -f1,3 "$T/s.txt" | sed -n '2p;4p' | cut -f2)" "label=round
label=square"
same ingest-list-nolabel "$(rec testdata/shapes/root.png "$T/s.txt" | grep -c label=)" 0
run ingest-list-file 0 "$I --list testdata/shapes.list | $D > $T/s2.txt"
same_file ingest-list-same "$T/s2.txt" "$T/s.txt"
printf 'testdata/nosuch.png\tx\r\n\ntestdata/shapes/root.png\n' > "$T/bad.list"
run ingest-list-missing 1 "$I --list $T/bad.list > $T/s3.tl"
$D "$T/s3.tl" > "$T/s3.txt"
same ingest-list-missing-msg "$(cat "$T/err")" "tl-ingest: testdata/nosuch.png: No such file or directory
tl-ingest: 2 read, 1 skipped"
same ingest-list-missing-rest "$(field id "$T/s3.txt")" "testdata/shapes/root.png"
run ingest-nosource 1 "$I nosuch"
same ingest-nosource-msg "$(cat "$T/err")" "tl-ingest: nosuch: No such file or directory
tl-ingest: 1 read, 1 skipped"
run ingest-id-twice 1 "$I testdata/shapes testdata/shapes/"
has ingest-id-twice-msg "$T/err" "tl-ingest: testdata/shapes/circle/c1.png: id 'circle/c1.png' already used by testdata/shapes/circle/c1.png"
has ingest-id-twice-sum "$T/err" "tl-ingest: 16 read, 7 skipped, 2 duplicates dropped"

# --- hostile and unusual files ------------------------------------------------
bad_err="tl-ingest: testdata/bad/badcrc.png: cannot decode: libpng read error
tl-ingest: testdata/bad/empty.jpg: empty file
tl-ingest: testdata/bad/huge.png: image too large: 100000x100000 pixels, limit 100000000
tl-ingest: testdata/bad/text.jpg: not an image: a text file
tl-ingest: testdata/bad/truncated.jpg: cannot decode: Premature end of input file
tl-ingest: testdata/bad/truncated.png: cannot decode: libpng read error
tl-ingest: 16 read, 6 skipped"
run ingest-bad 1 "$I --size 32 --fit testdata/bad > $T/b.tl"
$D "$T/b.tl" > "$T/b.txt"
same ingest-bad-stderr "$(cat "$T/err")" "$bad_err"
same ingest-bad-ids "$(field id "$T/b.txt" | tr '\n' ' ')" \
	"alpha.png cmyk.jpg exif-rot6.jpg gif-named.jpg grey.png palette.png quad.png quad.tif quad.webp rgb16.png "
for f in cmyk.jpg exif-rot6.jpg gif-named.jpg palette.png quad.png quad.tif quad.webp rgb16.png; do
	same "ingest-pixels-$f" "$(fields "$f" "$T/b.txt" width height quads)" "width=40	height=24	quads=r,g,b,y"
done
same ingest-pixels-alpha "$(rec alpha.png "$T/b.txt" | field quads /dev/stdin)" "w,g,w,y"
same ingest-pixels-grey "$(rec grey.png "$T/b.txt" | field quads /dev/stdin)" "k,w,k,w"
same ingest-pixels-shape "$(field pix "$T/b.txt" | sort -u)" "|u1[19,32,3]"
same ingest-exif-stored "$(vipsheader testdata/bad/exif-rot6.jpg | cut -d' ' -f2)" "24x40"
run ingest-max-bad-n 0 "$I --max-bad 6 testdata/bad > /dev/null"
run ingest-max-bad-n-over 1 "$I --max-bad 5 testdata/bad > /dev/null"
run ingest-max-bad-pct 0 "$I --max-bad 40% testdata/bad > /dev/null"
run ingest-max-bad-pct-over 1 "$I --max-bad 30% testdata/bad > /dev/null"
run ingest-strict 1 "$I --strict testdata/bad > $T/strict.tl"
same ingest-strict-msg "$(cat "$T/err")" "tl-ingest: testdata/bad/badcrc.png: cannot decode: libpng read error
tl-ingest: stopping at the first bad record (--strict)"
run ingest-strict-truncated 1 "$D $T/strict.tl"
has ingest-strict-truncated-msg "$T/err" "truncated"
run ingest-max-pixels 1 "$I --max-pixels 500 testdata/bad/quad.png > /dev/null"
same ingest-max-pixels-msg "$(head -n 1 "$T/err")" \
	"tl-ingest: testdata/bad/quad.png: image too large: 40x24 pixels, limit 500"
run ingest-broken-member 1 "$I testdata/bad/broken.zip > $T/z.tl"
$D "$T/z.tl" > "$T/z.txt"
same ingest-broken-member-msg "$(cat "$T/err")" "tl-ingest: testdata/bad/broken.zip!a/broken.png: ZIP bad CRC: 0xb0dea30e should be 0x6edba5ff
tl-ingest: 3 read, 1 skipped"
same ingest-broken-member-rest "$(cut -f1,3 "$T/z.txt" | sed 1d | tr '\n' ' ')" \
	"id=a/good1.png	label=a id=b/good2.png	label=b "
run ingest-truncated-archive 1 "$I testdata/bad/truncated.tar.gz > /dev/null"
same ingest-truncated-archive-msg "$(cat "$T/err")" "tl-ingest: testdata/bad/truncated.tar.gz: truncated gzip input
tl-ingest: 1 read, 1 skipped"
mkdir -p "$T/links/cls"
cp testdata/bad/quad.png "$T/links/cls/a.png"
ln -s nowhere.png "$T/links/cls/dangling.png"
ln -s "$top/testdata/shapes" "$T/links/dirlink"
run ingest-links 1 "$I $T/links > $T/ln.tl"
$D "$T/ln.tl" > "$T/ln.txt"
same ingest-links-msg "$(cat "$T/err")" "tl-ingest: $T/links/cls/dangling.png: No such file or directory
tl-ingest: 2 read, 1 skipped"
same ingest-links-ids "$(field id "$T/ln.txt")" "cls/a.png"

# --- pixels and hashes --------------------------------------------------------
run ingest-size 0 "$I --size 16 testdata/shapes | $D > $T/p.txt"
same ingest-size-header "$(head -n 1 "$T/p.txt")" \
	"# tl=1	producer=tl-ingest 0.1.0	pix={resize:thumbnail,size:16,crop:centre,space:srgb}	expect=8	expect_train=0"
same ingest-size-shape "$(field pix "$T/p.txt" | sort -u)" "|u1[16,16,3]"
same ingest-size-keys "$(rec circle/c1.png "$T/p.txt" | cut -f1-8 | sed 's/=[^	]*//g')" \
	"id	src	label	sha256	width	height	phash	pix"
# the hash of a 64-pixel thumbnail's decode agrees with the default's to a bit or two
$I --size 64 testdata/shapes testdata/phash 2>/dev/null | $D | field phash /dev/stdin > "$T/h64"
$I testdata/shapes testdata/phash 2>/dev/null | $D | field phash /dev/stdin > "$T/h0"
paste "$T/h64" "$T/h0" | { n=0 far=; while read -r a b; do
	d=$(hamming "$a" "$b"); n=$((n + 1)); [ "$d" -le 4 ] || far="$far $a/$b:$d"
done; [ $n -eq 11 ] && [ -z "$far" ] && pass ingest-size-phash || fail ingest-size-phash "n=$n$far"; }
run ingest-fit 0 "$I --size 16 --fit testdata/shapes | $D > $T/f.txt"
same ingest-fit-shapes "$(field pix "$T/f.txt" | tr '\n' ' ')" \
	"|u1[16,16,3] |u1[12,16,3] |u1[16,12,3] |u1[16,16,3] |u1[16,16,3] |u1[12,16,3] |u1[11,16,3] "
same ingest-centre-colour "$(rec circle/c1.png "$T/p.txt" | field mid /dev/stdin)" "dc2828"
run ingest-phash 0 "$I testdata/phash | $D > $T/h.txt"
h_orig=$(rec orig.png "$T/h.txt" | field phash /dev/stdin)
d_q90=$(hamming "$h_orig" "$(rec q90.jpg "$T/h.txt" | field phash /dev/stdin)")
d_half=$(hamming "$h_orig" "$(rec half.png "$T/h.txt" | field phash /dev/stdin)")
d_other=$(hamming "$h_orig" "$(rec other.png "$T/h.txt" | field phash /dev/stdin)")
echo "phash distances from orig.png: q90.jpg $d_q90, half.png $d_half, other.png $d_other"
[ "$d_q90" -le 4 ] && pass ingest-phash-q90 || fail ingest-phash-q90 "distance $d_q90 > 4"
[ "$d_half" -le 6 ] && pass ingest-phash-half || fail ingest-phash-half "distance $d_half > 6"
[ "$d_other" -ge 20 ] && pass ingest-phash-other || fail ingest-phash-other "distance $d_other < 20"

# --- stream properties --------------------------------------------------------
: > "$T/notadir"
run ingest-no-tmp 0 "TMPDIR=$T/notadir $I --size 8 testdata/shapes.tar.gz testdata/phash > $T/nt.tl"
run ingest-head 0 "($I --size 256 testdata/shapes; echo \$? > $T/head.st) | head -c 1 > /dev/null"
same ingest-head-status "$(cat "$T/head.st")" 0
same ingest-head-quiet "$(cat "$T/err")" ""
case $BIN in
*-san) ;; # ASan's shadow memory makes RSS meaningless
*)
	mkdir -p "$T/small/x" "$T/big/x"
	i=0
	while [ $i -lt 300 ]; do
		[ $i -lt 30 ] && cp testdata/phash/orig.png "$T/small/x/$i.png"
		cp testdata/phash/orig.png "$T/big/x/$i.png"
		i=$((i + 1))
	done
	rss() { /usr/bin/time -f %M "$I" --keep-duplicates --size 64 "$1" 2>&1 >/dev/null | tail -n 1; }
	r_small=$(rss "$T/small") r_big=$(rss "$T/big")
	echo "peak RSS: 30 images ${r_small} KB, 300 images ${r_big} KB"
	[ "$r_big" -lt $((r_small + 4096)) ] && pass ingest-bounded-memory ||
		fail ingest-bounded-memory "300 images ${r_big} KB vs 30 images ${r_small} KB"
	tar -czf "$T/small.tgz" -C "$T/small" x && tar -czf "$T/big.tgz" -C "$T/big" x
	r_small=$(rss "$T/small.tgz") r_big=$(rss "$T/big.tgz")
	echo "peak RSS, tar.gz: 30 images ${r_small} KB, 300 images ${r_big} KB"
	[ "$r_big" -lt $((r_small + 4096)) ] && pass ingest-bounded-memory-archive ||
		fail ingest-bounded-memory-archive "300 images ${r_big} KB vs 30 images ${r_small} KB"
	;;
esac

# --- TL_MAX_RECORD: what readers refuse is not written --------------------------
# The record of a/big.jpg packs to n bytes: the stream of $T/one less that of
# an empty directory (same header and trailer; $T/rec's paths are as long).
mkdir -p "$T/one/a" "$T/rec/a" "$T/none"
cp testdata/phash/q90.jpg "$T/one/a/big.jpg"
cp testdata/phash/q90.jpg "$T/rec/a/big.jpg"
cp testdata/shapes/circle/c1.png "$T/rec/a/c1.png"
run ingest-empty-dir 0 "$I $T/none > $T/none.tl"
same ingest-empty-dir-msg "$(cat "$T/err")" "tl-ingest: 0 read, 0 skipped"
$I "$T/one" > "$T/one.tl" 2>/dev/null
n=$(( $(wc -c < "$T/one.tl") - $(wc -c < "$T/none.tl") ))
run ingest-max-record 1 "TL_MAX_RECORD=$((n - 1)) $I $T/rec > $T/mr.tl"
same ingest-max-record-msg "$(cat "$T/err")" "tl-ingest: $T/rec/a/big.jpg: record of $n bytes passes TL_MAX_RECORD ($((n - 1)) bytes)
tl-ingest: 2 read, 1 skipped"
# the records after it are read under the same limit
run ingest-max-record-read 0 "TL_MAX_RECORD=$((n - 1)) $D $T/mr.tl > $T/mr.txt"
same ingest-max-record-rest "$(field id "$T/mr.txt")" "a/c1.png"
run ingest-max-record-fits 0 "TL_MAX_RECORD=$n $I $T/rec > $T/mr2.tl"
run ingest-max-record-fits-read 0 "TL_MAX_RECORD=$n $D $T/mr2.tl > $T/mr2.txt"
same ingest-max-record-fits-ids "$(field id "$T/mr2.txt" | tr '\n' ' ')" "a/big.jpg a/c1.png "
# the --set fields count
run ingest-max-record-set 1 "TL_MAX_RECORD=$n $I --set k=v $T/rec > /dev/null"
has ingest-max-record-set-msg "$T/err" "a/big.jpg: record of $((n + 4)) bytes passes TL_MAX_RECORD ($n bytes)"
# a file larger than the limit is refused before it is read
run ingest-max-record-file 1 "TL_MAX_RECORD=3423 $I $T/rec > /dev/null"
has ingest-max-record-file-msg "$T/err" "tl-ingest: $T/rec/a/big.jpg: file of 3424 bytes passes TL_MAX_RECORD (3423 bytes)"

# --- large files: judged from their first bytes, never read whole ----------------
# 300 MB each, sparse: zeros, and a PNG signature followed by zeros
mkdir -p "$T/huge/x"
: > "$T/huge/x/big.png"
cat testdata/bad/quad.png > "$T/huge/x/big.png"
truncate -s 300M "$T/huge/x/big.png"
truncate -s 300M "$T/huge/x/zero.jpg"
huge_err() { # SRC PREFIX: the messages for $T/huge read as SRC (members: PREFIX)
	printf '%s\n' "tl-ingest: $1$2x/big.png: file of 300 MiB passes TL_MAX_RECORD (100 MiB)" \
		"tl-ingest: $1$2x/zero.jpg: not an image: its first 4096 bytes are all zero" \
		"tl-ingest: 2 read, 2 skipped"
}
# peak RSS measured in the same runs, but under ASan (shadow memory)
case $BIN in *-san) tm= ;; *) tm="/usr/bin/time -o $T/rss -f %M" ;; esac
bounded() { # NAME WHAT: peak RSS of the last run far below the files' size
	[ -z "$tm" ] && return
	_kb=$(tail -n 1 "$T/rss") # after "Command exited with non-zero status 1"
	echo "peak RSS over two 300 MB files, $2: $_kb KB"
	[ "$_kb" -lt 100000 ] && pass "$1" || fail "$1" "$_kb KB"
}
run ingest-huge 1 "TL_MAX_RECORD=104857600 $tm $I $T/huge > /dev/null"
same ingest-huge-msg "$(cat "$T/err")" "$(huge_err "$T/huge/" "")"
bounded ingest-huge-bounded directory
# the same members in a tar on a pipe
run ingest-huge-tar 1 "tar -c -C $T/huge x | TL_MAX_RECORD=104857600 $tm $I - > /dev/null"
same ingest-huge-tar-msg "$(cat "$T/err")" "$(huge_err stdin !)"
bounded ingest-huge-tar-bounded "tar on a pipe"
rm -rf "$T/huge"

# --- archive member paths -------------------------------------------------------
# '..' is reported and counted; a leading '/', '.' and empty components are
# dropped from the id (src keeps the path as the archive has it)
python3 - "$T/paths" <<'PY' || fail ingest-paths-make "python3 could not write the archives"
import io, sys, tarfile, zipfile
a = open('testdata/shapes/circle/c1.png', 'rb').read()
b = open('testdata/shapes/square/s2.jpg', 'rb').read()
c = open('testdata/bad/quad.png', 'rb').read()
names = [('../up.png', a), ('/abs/b.jpg', b), ('x/../../y.png', a), ('./d//./e.png', c),
         ('.hidden/f.png', a)]
with tarfile.open(sys.argv[1] + '.tar', 'w') as t:
    for n, d in names:
        i = tarfile.TarInfo(n); i.size = len(d); t.addfile(i, io.BytesIO(d))
with zipfile.ZipFile(sys.argv[1] + '.zip', 'w') as z:
    for n, d in names:
        z.writestr(zipfile.ZipInfo(n), d)
PY
for a in tar zip; do
	run "ingest-paths-$a" 1 "$I $T/paths.$a > $T/paths.tl"
	$D "$T/paths.tl" > "$T/paths.txt"
	same "ingest-paths-$a-msg" "$(cat "$T/err")" "tl-ingest: $T/paths.$a!../up.png: member path has a '..' component
tl-ingest: $T/paths.$a!x/../../y.png: member path has a '..' component
tl-ingest: 4 read, 2 skipped"
	same "ingest-paths-$a-ids" "$(cut -f1-3 "$T/paths.txt" | sed 1d)" "id=abs/b.jpg	src=$T/paths.$a!/abs/b.jpg	label=abs
id=d/e.png	src=$T/paths.$a!./d//./e.png	label=d"
done

# --- archives on standard input and other pipes ------------------------------------
sort "$T/d.nosrc" > "$T/d.sorted"
for how in "tar -c -C testdata/shapes . | $I -" "tar -cz -C testdata/shapes . | $I -" \
	"tar -cJ -C testdata/shapes . | $I /dev/stdin" "(cd testdata/shapes && zip -qr - .) | $I -" \
	"$I - < testdata/shapes.7z" "cat testdata/shapes.zip | $I -"; do
	run "ingest-stdin[$how]" 0 "$how | $D > $T/in.txt"
	cut -f1,3- "$T/in.txt" | sort > "$T/in.nosrc"
	same_file "ingest-stdin-records[$how]" "$T/in.nosrc" "$T/d.sorted"
	has "ingest-stdin-dup[$how]" "$T/err" "square/s1.png: duplicate of square/s1-copy.png"
done
same ingest-stdin-src "$(tar -c -C testdata/shapes . | $I - 2>/dev/null | $D | field src /dev/stdin | grep c1)" \
	"stdin!./circle/c1.png"
mkfifo "$T/fifo"
tar -c -C testdata/shapes . > "$T/fifo" &
run ingest-fifo 0 "timeout 30 $I $T/fifo > $T/in.tl" # once opened it twice, and hung
kill $! 2>/dev/null; wait
$D "$T/in.tl" > "$T/in.txt"
same ingest-fifo-src "$(field src "$T/in.txt" | grep c1)" "$T/fifo!./circle/c1.png"
run ingest-stdin-7z-pipe 1 "cat testdata/shapes.7z | $I - > /dev/null"
has ingest-stdin-7z-pipe-msg "$T/err" "tl-ingest: stdin: a 7z archive is read from a file, not a pipe ("
# a zip written to a pipe does not say its members' sizes before their data:
# the read stops at the limit
python3 -c '
import sys, zipfile
with zipfile.ZipFile(sys.stdout.buffer, "w") as z:
    for n in ["circle/c1.png", "square/s2.jpg"]:
        with z.open(n, "w") as f:
            f.write(open("testdata/shapes/" + n, "rb").read())
' | cat > "$T/piped.zip"
run ingest-stdin-unsized 1 "cat $T/piped.zip | TL_MAX_RECORD=1024 $I - > $T/in.tl"
same ingest-stdin-unsized-msg "$(cat "$T/err")" "tl-ingest: stdin!square/s2.jpg: file larger than TL_MAX_RECORD (1024 bytes)
tl-ingest: 2 read, 1 skipped"
same ingest-stdin-unsized-rest "$($D "$T/in.tl" | field id /dev/stdin)" "circle/c1.png"
# not an archive: an image (binary) is one file, text a list of names
run ingest-stdin-image 0 "cat testdata/bad/quad.png | $I - | $D > $T/in.txt"
same ingest-stdin-image-rec "$(fields stdin "$T/in.txt" src width height)" "src=stdin	width=40	height=24"
run ingest-stdin-text 1 "printf 'hello\n' | $I /dev/stdin > /dev/null"
same ingest-stdin-text-msg "$(cat "$T/err")" "tl-ingest: /dev/stdin: not an image: a text file
tl-ingest: 1 read, 1 skipped"

# --- with tl-cat, when it is built: the bytes in img are the files' own --------
# pairs FILE: "sha256 label" of each record of a tldump, sorted
pairs() {
	sed 1d "$1" | while IFS= read -r l; do
		printf '%s %s\n' "$(printf '%s\n' "$l" | field sha256 /dev/stdin)" \
			"$(printf '%s\n' "$l" | field label /dev/stdin)"
	done | sort
}
if [ -x "$BIN/tl-cat" ]; then
	run ingest-cat-extract 0 "$I testdata/shapes 2>/dev/null | $BIN/tl-cat -x $T/x"
	run ingest-cat-reingest 0 "$I $T/x > $T/x.tl"
	$D "$T/x.tl" > "$T/x.txt"
	# the same files, and the same labels but for root.png's: its folder now
	same ingest-cat-roundtrip "$(pairs "$T/x.txt")" "$(pairs "$T/d.txt" | sed 's/ $/ unlabelled/')"
fi

# --- folders already split: train/, val/ (valid/, validation/), test/ ------------
# sp DIR: a tree DIR/train/ants, train/bees, val/ants, valid/bees, test/ants,
# one distinct image in each (the shapes)
sp() {
	mkdir -p "$1/train/ants" "$1/train/bees" "$1/val/ants" "$1/valid/bees" "$1/test/ants"
	cp testdata/shapes/circle/c1.png "$1/train/ants/a1.png"
	cp testdata/shapes/circle/c2.png "$1/train/bees/b1.png"
	cp testdata/shapes/square/s2.jpg "$1/val/ants/a2.jpg"
	cp testdata/shapes/circle/big/c3.png "$1/valid/bees/b2.png"
	cp testdata/shapes/square/dark/s3.png "$1/test/ants/a3.png"
}
SP="test/ants/a3.png	ants	test|train/ants/a1.png	ants	train|train/bees/b1.png	bees	train|val/ants/a2.jpg	ants	val|valid/bees/b2.png	bees	val|"
if [ -x "$BIN/tl-cat" ]; then
	C=$BIN/tl-cat
	sp "$T/sp"
	run ingest-splitdirs 0 "$I $T/sp | $C -f id,label,split"
	same ingest-splitdirs-recs "$(tr '\n' '|' <"$T/out")" "$SP"
	same ingest-splitdirs-stderr "$(cat "$T/err")" "tl-ingest: 5 read, 0 skipped"
	# the header's expected counts (tl-stream(5)): 5 files, 2 under train/
	xp() { $C --headers "$T/x.tl" | head -n 1 | grep -o '"expect[a-z_]*":[0-9]*' | tr '\n' ' '; }
	run ingest-expect-splitdirs 0 "$I $T/sp > $T/x.tl"
	same ingest-expect-splitdirs-keys "$(xp)" '"expect":5 "expect_train":2 '
	run ingest-expect-set 0 "$I --set split=train $T/sp > $T/x.tl"
	same ingest-expect-set-keys "$(xp)" '"expect":5 "expect_train":5 '
	run ingest-expect-set-val 0 "$I --set split=val $T/sp > $T/x.tl"
	same ingest-expect-set-val-keys "$(xp)" '"expect":5 "expect_train":0 '
	run ingest-expect-off 0 "$I --no-split-folders $T/sp > $T/x.tl"
	same ingest-expect-off-keys "$(xp)" '"expect":5 "expect_train":0 '
	# sources add up; a source that fails to open adds nothing; an archive
	# (read in one pass) makes the count unknown, wherever it is
	run ingest-expect-two 0 "$I $T/sp testdata/shapes > $T/x.tl"
	same ingest-expect-two-keys "$(xp)" '"expect":13 "expect_train":2 '
	run ingest-expect-missing 1 "$I $T/missing $T/sp > $T/x.tl"
	same ingest-expect-missing-keys "$(xp)" '"expect":5 "expect_train":2 '
	same ingest-expect-missing-stderr "$(cat "$T/err")" "tl-ingest: $T/missing: No such file or directory
tl-ingest: 6 read, 1 skipped"
	run ingest-expect-archive 0 "$I $T/sp testdata/shapes.zip > $T/x.tl"
	same ingest-expect-archive-keys "$(xp)" ''
	run ingest-expect-archive-first 0 "$I testdata/shapes.zip $T/sp > $T/x.tl"
	same ingest-expect-archive-first-keys "$(xp)" ''
	run ingest-expect-list 0 "printf '%s\n' $T/sp/train/ants/a1.png $T/sp/val/ants/a2.jpg | $I --list - > $T/x.tl"
	same ingest-expect-list-keys "$(xp)" '"expect":2 "expect_train":0 '
	# the same as an archive, and with names in capitals
	(cd "$T/sp" && tar cf "$T/sp.tar" test train val valid)
	run ingest-splitdirs-tar 0 "$I $T/sp.tar | $C -f id,label,split | sort"
	same ingest-splitdirs-tar-recs "$(tr '\n' '|' <"$T/out")" "$SP"
	mkdir -p "$T/caps" && cp -r "$T/sp/train" "$T/caps/TRAIN" && cp -r "$T/sp/valid/" "$T/caps/Validation"
	run ingest-splitdirs-caps 0 "$I $T/caps | $C -f id,label,split"
	same ingest-splitdirs-caps-recs "$(tr '\n' '|' <"$T/out")" \
		"TRAIN/ants/a1.png	ants	train|TRAIN/bees/b1.png	bees	train|Validation/bees/b2.png	bees	val|"
	# turned off: the split folders are labels, and a warning names each
	run ingest-splitdirs-off 0 "$I --no-split-folders $T/sp | $C -f id,label,split"
	same ingest-splitdirs-off-recs "$(tr '\n' '|' <"$T/out")" \
		"test/ants/a3.png	test	|train/ants/a1.png	train	|train/bees/b1.png	train	|val/ants/a2.jpg	val	|valid/bees/b2.png	valid	|"
	same ingest-splitdirs-off-stderr "$(cat "$T/err")" \
		"tl-ingest: $T/sp/test: label 'test' is a split name (split folders not recognised: --no-split-folders)
tl-ingest: $T/sp/train: label 'train' is a split name (split folders not recognised: --no-split-folders)
tl-ingest: $T/sp/val: label 'val' is a split name (split folders not recognised: --no-split-folders)
tl-ingest: $T/sp/valid: label 'valid' is a split name (split folders not recognised: --no-split-folders)
tl-ingest: 5 read, 0 skipped"
	# --set split= wins over the folders; --label replaces the label only
	run ingest-splitdirs-set 0 "$I --set split=train --label x $T/sp | $C -f id,label,split"
	same ingest-splitdirs-set-recs "$(cut -f2,3 "$T/out" | sort -u | tr '\n' '|')" "x	train|"
	# images directly in a split folder: split, no label, one warning
	cp testdata/shapes/root.png "$T/sp/test/r.png"
	cp testdata/shapes/square/s1.png "$T/sp/test/r2.png"
	run ingest-splitdirs-flat 0 "$I $T/sp | $C -f id,label,split | grep -v /ants/"
	same ingest-splitdirs-flat-recs "$(tr '\n' '|' <"$T/out")" \
		"test/r.png		test|test/r2.png		test|train/bees/b1.png	bees	train|valid/bees/b2.png	bees	val|"
	same ingest-splitdirs-flat-stderr "$(cat "$T/err")" \
		"tl-ingest: $T/sp/test: images directly in a split folder, not in class folders: split test, no label
tl-ingest: 7 read, 0 skipped"
	# a class folder beside split folders: its label, no split, one warning
	rm "$T/sp/test/r.png" "$T/sp/test/r2.png"
	mkdir "$T/sp/misc" && cp testdata/shapes/root.png testdata/shapes/square/s1.png "$T/sp/misc/"
	run ingest-splitdirs-mixed 0 "$I $T/sp | $C -f id,label,split | grep ^misc/"
	same ingest-splitdirs-mixed-recs "$(tr '\n' '|' <"$T/out")" "misc/root.png	misc	|misc/s1.png	misc	|"
	same ingest-splitdirs-mixed-stderr "$(cat "$T/err")" \
		"tl-ingest: $T/sp/misc: a class folder beside split folders: its images get no split
tl-ingest: 7 read, 0 skipped"
	# a root whose top folders are the classes (pipelines/hymenoptera:
	# tl-ingest --set split=train DATA/train): the same bytes as without
	# recognition, no split but the one set
	run ingest-splitdirs-classes 0 "$I --set split=train $T/sp/train > $T/h1.tl"
	run ingest-splitdirs-classes-off 0 "$I --no-split-folders --set split=train $T/sp/train > $T/h2.tl"
	same_file ingest-splitdirs-classes-bytes "$T/h1.tl" "$T/h2.tl"
	run ingest-splitdirs-classes-recs 0 "$C -f id,label,split $T/h1.tl"
	same ingest-splitdirs-classes-recs-text "$(tr '\n' '|' <"$T/out")" \
		"ants/a1.png	ants	train|bees/b1.png	bees	train|"
fi
