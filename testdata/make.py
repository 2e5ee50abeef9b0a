#!/usr/bin/python3
"""testdata/make.py - regenerates the committed test images (run from anywhere
with Debian's /usr/bin/python3 + numpy and the libvips CLI `vips`; zip, tar,
gzip and 7z for the archives).  Deterministic: fixed drawings, fixed seeds,
archives without timestamps or owners.  Everything stays small (< 1 MB).

shapes/      folder-per-class set: circle/, square/ (nested subfolders), an
             unlabelled image at the root, an exact duplicate, a non-image file
shapes.tar.gz, shapes.zip, shapes.7z   the same tree as archives
shapes.list  a file list (path TAB label) of part of it
phash/       one picture, the same re-encoded (JPEG q=90, half size), another
bad/         hostile and unusual inputs; the accepted ones all show the same
             four quadrants, red green / blue yellow (quad.png)
"""
import os, shutil, struct, subprocess, zipfile, zlib
import numpy as np

TD = os.path.dirname(os.path.abspath(__file__))


def sh(*args, cwd=None):
    subprocess.run(args, check=True, cwd=cwd)


def png(path, a, ctype=None, depth=8, palette=None):
    """Writes a PNG from array a ([H,W] or [H,W,C], uint8 or uint16)."""
    a = np.asarray(a)
    h, w = a.shape[:2]
    c = 1 if a.ndim == 2 else a.shape[2]
    if ctype is None:
        ctype = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    raw = a.astype('>u2' if depth == 16 else 'u1').reshape(h, -1).tobytes()
    stride = len(raw) // h
    rows = b''.join(b'\0' + raw[i * stride:(i + 1) * stride] for i in range(h))

    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    out = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, ctype, 0, 0, 0))
    if palette is not None:
        out += chunk(b'PLTE', bytes(np.asarray(palette, 'u1').ravel()))
    out += chunk(b'IDAT', zlib.compress(rows, 9)) + chunk(b'IEND', b'')
    with open(path, 'wb') as f:
        f.write(out)


def vips(src, dst, *opts):
    sh('vips', 'copy', src, dst + '[%s]' % ','.join(opts) if opts else dst)


def shape(kind, w, h, fg, bg, r):
    y, x = np.mgrid[0:h, 0:w]
    cx, cy = w / 2, h / 2
    if kind == 'circle':
        m = (x - cx) ** 2 + (y - cy) ** 2 < r * r
    else:
        m = (abs(x - cx) < r) & (abs(y - cy) < r)
    a = np.empty((h, w, 3), 'u1')
    a[:] = bg
    a[m] = fg
    return a


def quad(w=40, h=24):
    """red green / blue yellow"""
    a = np.zeros((h, w, 3), 'u1')
    a[:h // 2, :w // 2] = (255, 0, 0)
    a[:h // 2, w // 2:] = (0, 255, 0)
    a[h // 2:, :w // 2] = (0, 0, 255)
    a[h // 2:, w // 2:] = (255, 255, 0)
    return a


def exif_orientation(jpeg, o):
    """Inserts an EXIF APP1 with Orientation = o after the JPEG's APP0."""
    tiff = b'MM\0*' + struct.pack('>I', 8) + struct.pack('>H', 1) + \
        struct.pack('>HHIHH', 0x0112, 3, 1, o, 0) + struct.pack('>I', 0)
    app1 = b'\xff\xe1' + struct.pack('>H', 2 + 6 + len(tiff)) + b'Exif\0\0' + tiff
    at = 2
    if jpeg[2:4] == b'\xff\xe0':
        at = 4 + struct.unpack('>H', jpeg[4:6])[0]
    return jpeg[:at] + app1 + jpeg[at:]


def make_shapes():
    d = os.path.join(TD, 'shapes')
    shutil.rmtree(d, ignore_errors=True)
    for sub in ('circle/big', 'square/dark'):
        os.makedirs(os.path.join(d, sub))
    png(f'{d}/circle/c1.png', shape('circle', 64, 48, (220, 40, 40), (250, 250, 250), 20))
    png(f'{d}/circle/c2.png', shape('circle', 48, 64, (40, 40, 200), (240, 240, 200), 18))
    png(f'{d}/circle/big/c3.png', shape('circle', 96, 96, (30, 160, 30), (255, 255, 255), 44))
    png(f'{d}/square/s1.png', shape('square', 64, 48, (200, 120, 0), (250, 250, 250), 16))
    png(f'{d}/square/dark/s3.png', shape('square', 50, 50, (240, 240, 240), (20, 20, 20), 15))
    png(f'{d}/root.png', shape('circle', 32, 32, (0, 0, 0), (255, 255, 255), 10))
    png(f'{d}/tmp.png', shape('square', 60, 40, (90, 30, 150), (230, 230, 230), 12))
    vips(f'{d}/tmp.png', f'{d}/square/s2.jpg', 'Q=90', 'strip')
    os.remove(f'{d}/tmp.png')
    shutil.copyfile(f'{d}/square/s1.png', f'{d}/square/s1-copy.png')  # exact duplicate
    with open(f'{d}/circle/notes.txt', 'w') as f:  # not an image name: ignored
        f.write('drawn by testdata/make.py\n')
    png(f'{d}/.hidden.png', quad())  # hidden: ignored

    files = sorted(os.path.relpath(os.path.join(r, n), d)
                   for r, _, ns in os.walk(d) for n in ns if not n.startswith('.'))
    tgz = os.path.join(TD, 'shapes.tar.gz')
    tar = subprocess.run(['tar', '--sort=name', '--owner=0', '--group=0', '--numeric-owner',
                          '--mtime=@0', '-cf', '-', '-C', d] + files,
                         check=True, stdout=subprocess.PIPE).stdout
    with open(tgz, 'wb') as f:
        f.write(subprocess.run(['gzip', '-n9'], input=tar, check=True,
                               stdout=subprocess.PIPE).stdout)
    with zipfile.ZipFile(os.path.join(TD, 'shapes.zip'), 'w', zipfile.ZIP_DEFLATED) as z:
        for n in files:
            i = zipfile.ZipInfo(n, (1980, 1, 1, 0, 0, 0))
            i.compress_type = zipfile.ZIP_DEFLATED
            with open(os.path.join(d, n), 'rb') as f:
                z.writestr(i, f.read())
    sz = os.path.join(TD, 'shapes.7z')
    if os.path.exists(sz):
        os.remove(sz)
    sh('7z', 'a', '-bd', '-bso0', '-mtm=off', '-mtc=off', '-mta=off', sz, *files, cwd=d)
    with open(os.path.join(TD, 'shapes.list'), 'w') as f:
        f.write('testdata/shapes/square/s2.jpg\tsquare\n')
        f.write('testdata/shapes/circle/c1.png\tround\n')
        f.write('testdata/shapes/root.png\n')


def make_phash():
    d = os.path.join(TD, 'phash')
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:128, 0:128] / 128.0
    a = np.zeros((128, 128, 3))
    for _ in range(6):  # a few soft blobs of colour
        cx, cy, s = rng.random(3)
        col = rng.random(3) * 255
        g = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (0.02 + 0.05 * s))
        a += g[..., None] * col
    png(f'{d}/orig.png', np.clip(a, 0, 255).astype('u1'))
    vips(f'{d}/orig.png', f'{d}/q90.jpg', 'Q=90', 'strip')
    sh('vips', 'resize', f'{d}/orig.png', f'{d}/half.png', '0.5')
    b = np.zeros((128, 128, 3), 'u1')
    b[::16] = 255  # stripes: nothing like the blobs
    b[:, ::32] = (0, 0, 255)
    png(f'{d}/other.png', b)


def make_bad():
    d = os.path.join(TD, 'bad')
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    q = quad()
    png(f'{d}/quad.png', q)
    open(f'{d}/empty.jpg', 'wb').close()
    with open(f'{d}/text.jpg', 'w') as f:
        f.write('this is not a JPEG, only text\n' * 4)
    vips(f'{d}/quad.png', f'{d}/tmp.jpg', 'Q=95', 'strip')
    with open(f'{d}/tmp.jpg', 'rb') as f:
        jpg = f.read()
    os.remove(f'{d}/tmp.jpg')
    with open(f'{d}/truncated.jpg', 'wb') as f:
        f.write(jpg[:len(jpg) * 2 // 3])
    with open(f'{d}/quad.png', 'rb') as f:
        p = f.read()
    with open(f'{d}/truncated.png', 'wb') as f:
        f.write(p[:len(p) - 30])
    bad = bytearray(p)
    i = bad.index(b'IDAT') + 8  # a byte inside the compressed data: CRC fails
    bad[i] ^= 0xff
    with open(f'{d}/badcrc.png', 'wb') as f:
        f.write(bad)
    # rotated 90 degrees in the file, EXIF orientation 6 turns it upright:
    # the stored image is quad() rotated counter-clockwise, 24 wide, 40 high
    # upright -> 40x24 shown as red green / blue yellow
    rot = np.ascontiguousarray(np.rot90(q, 1))
    png(f'{d}/tmp.png', rot)
    vips(f'{d}/tmp.png', f'{d}/tmp.jpg', 'Q=95', 'strip')
    with open(f'{d}/tmp.jpg', 'rb') as f:
        ej = exif_orientation(f.read(), 6)
    with open(f'{d}/exif-rot6.jpg', 'wb') as f:
        f.write(ej)
    os.remove(f'{d}/tmp.jpg')
    os.remove(f'{d}/tmp.png')
    # CMYK quadrants in the printer's own terms (pure RGB green is out of gamut)
    cmyk = np.zeros((24, 40, 4), 'u1')
    cmyk[:12, :20] = (0, 255, 255, 0)
    cmyk[:12, 20:] = (255, 0, 255, 0)
    cmyk[12:, :20] = (255, 160, 0, 0)  # a blue that comes back above 128
    cmyk[12:, 20:] = (0, 0, 255, 0)
    cmyk.tofile(f'{d}/tmp.raw')
    sh('vips', 'rawload', f'{d}/tmp.raw', f'{d}/tmp.v', '40', '24', '4')
    sh('vips', 'copy', f'{d}/tmp.v', f'{d}/tmp2.v', '--interpretation', 'cmyk')
    vips(f'{d}/tmp2.v', f'{d}/cmyk.jpg', 'Q=95', 'strip')
    for t in ('tmp.raw', 'tmp.v', 'tmp2.v'):
        os.remove(f'{d}/{t}')
    png(f'{d}/rgb16.png', q.astype('u2') * 257, depth=16)
    grey = np.zeros((24, 40), 'u1')
    grey[:, 20:] = 255  # black | white
    png(f'{d}/grey.png', grey)
    rgba = np.zeros((24, 40, 4), 'u1')
    rgba[..., :3] = q
    rgba[..., 3] = 255
    rgba[:, :20, 3] = 0  # left half transparent: flattened on white
    png(f'{d}/alpha.png', rgba)
    pal = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    idx = np.zeros((24, 40), 'u1')
    idx[:12, 20:] = 1
    idx[12:, :20] = 2
    idx[12:, 20:] = 3
    png(f'{d}/palette.png', idx, ctype=3, palette=pal)
    vips(f'{d}/quad.png', f'{d}/quad.webp', 'lossless')
    vips(f'{d}/quad.png', f'{d}/quad.tif')
    sh('vips', 'gifsave', f'{d}/quad.png', f'{d}/tmp.gif')
    os.replace(f'{d}/tmp.gif', f'{d}/gif-named.jpg')
    # a real PNG header declaring 100000 x 100000 RGB: refused from the header
    def chunk(t, b):
        return struct.pack('>I', len(b)) + t + b + struct.pack('>I', zlib.crc32(t + b))
    huge = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 100000, 100000, 8, 2, 0, 0, 0)) + \
        chunk(b'IDAT', zlib.compress(b'\0' * 300001)) + chunk(b'IEND', b'')
    with open(f'{d}/huge.png', 'wb') as f:
        f.write(huge)
    with open(f'{d}/palette.png', 'rb') as f:
        pp = f.read()
    # an archive with one broken member (stored, a flipped byte: bad CRC)
    with zipfile.ZipFile(f'{d}/broken.zip', 'w', zipfile.ZIP_STORED) as z:
        for n, b in (('a/good1.png', p), ('a/broken.png', p), ('b/good2.png', pp)):
            i = zipfile.ZipInfo(n, (1980, 1, 1, 0, 0, 0))
            z.writestr(i, b)
        info = z.getinfo('a/broken.png')
    with open(f'{d}/broken.zip', 'r+b') as f:
        f.seek(info.header_offset + 30 + len(info.filename) + 100)
        c = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([c[0] ^ 0xff]))
    # a tar.gz cut short in its second half
    with open(os.path.join(TD, 'shapes.tar.gz'), 'rb') as f:
        t = f.read()
    with open(f'{d}/truncated.tar.gz', 'wb') as f:
        f.write(t[:len(t) * 2 // 3])


make_shapes()
make_phash()
make_bad()
