# tests/hostile/ingest.sh - inputs of the tl-ingest rows of tests/README.md's
# hostile table, made in the current directory ($TD is testdata/).
# non-images named as images: judged from their first bytes
printf '%%PDF-1.4\n%%\342\343\317\323\n1 0 obj\n' > doc.png
printf '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>\n' > draw.png
printf '<!DOCTYPE html>\n<html><body>404 Not Found</body></html>\n' > page.jpg
# 300 MB (sparse): zeros, and a PNG signature with zeros after it
truncate -s 300M zero.jpg
cat "$TD/bad/quad.png" > big.png
truncate -s 300M big.png
mkdir -p huge/x
ln -f zero.jpg big.png huge/x/
# a record over TL_MAX_RECORD=1100 from a file under it (s2.jpg: 1045 bytes)
cp "$TD/shapes/square/s2.jpg" s2.jpg
# member paths: '..' and absolute
python3 - <<'PY'
import io, tarfile
d = open('s2.jpg', 'rb').read()
for name, members in [('dotdot.tar', ['../up.jpg']), ('abs.tar', ['/etc/x.jpg'])]:
    with tarfile.open(name, 'w') as t:
        for n in members:
            i = tarfile.TarInfo(n); i.size = len(d); t.addfile(i, io.BytesIO(d))
PY
# archives for standard input
tar -c -C "$TD/shapes" -f shapes.tar .
cp "$TD/shapes.7z" .
