#!/usr/bin/python3
"""tools/demo-data.py - the demo's dataset (make demo): capital letters
rendered in the fonts of a few Debian font packages, as DIR/<letter>/*.png.

usage: tools/demo-data.py [-n PER_CLASS] [-s SIZE] [--seed N] [--letters ABCEH] DIR

Each image is one letter in one of the fonts below, at a random size,
position and (small) angle, in a random colour on a background of another
colour (a gentle gradient), sometimes crossed by a faint line, with gaussian
noise: telling the letters apart takes their shape, not their colour,
size or place.  Fonts are used in turn (shuffled per class), so every class
has every font about equally often.  File names say which font:
DIR/A/017-DejaVuSerif-Bold.png.

Deterministic: every draw is a function of (--seed, letter, index), from a
splitmix64 hash computed here (not numpy's generators, whose streams may
change between versions); the glyphs are rendered once per font by the vips
CLI (`vips text`, Pango + FreeType) and placed with numpy.  The same seed,
fonts and libvips give the same bytes.  Writes DIR/<letter>/ afresh (other
files in DIR are left alone) and takes a few seconds for the default 80 per
class.

Why Python: a vips CLI call costs ~0.1 s to start, and composing one image
takes six of them; numpy does the composing, vips only the typesetting.

The fonts, all free software from Debian (make deps installs them):
  fonts-dejavu-core, fonts-dejavu-extra  DejaVu (Bitstream Vera licence, public
                                         domain changes)
  fonts-liberation2                      Liberation (SIL Open Font License 1.1)
  fonts-freefont-ttf                     GNU FreeFont (GPL-3+ with the font
                                         exception)
The pictures are renderings of the glyphs; none of the licences restricts them.

Exit 0 on success, 1 when a font or vips is missing or a glyph does not
render (message on stderr), 2 on a usage error.
"""
import argparse
import multiprocessing
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np

PROG = "demo-data"
TT = "/usr/share/fonts/truetype/"
# (file under TT, Pango font description): the description names the face so
# that Pango picks it from the file; a face that falls back to another font
# is caught below (two fonts with the same glyphs).
FONTS = [
    ("dejavu/DejaVuSans.ttf", "DejaVu Sans"),
    ("dejavu/DejaVuSans-Bold.ttf", "DejaVu Sans Bold"),
    ("dejavu/DejaVuSans-Oblique.ttf", "DejaVu Sans Oblique"),
    ("dejavu/DejaVuSans-BoldOblique.ttf", "DejaVu Sans Bold Oblique"),
    ("dejavu/DejaVuSans-ExtraLight.ttf", "DejaVu Sans ExtraLight"),
    ("dejavu/DejaVuSansCondensed.ttf", "DejaVu Sans Condensed"),
    ("dejavu/DejaVuSansCondensed-Bold.ttf", "DejaVu Sans Condensed Bold"),
    ("dejavu/DejaVuSansMono.ttf", "DejaVu Sans Mono"),
    ("dejavu/DejaVuSansMono-Bold.ttf", "DejaVu Sans Mono Bold"),
    ("dejavu/DejaVuSansMono-Oblique.ttf", "DejaVu Sans Mono Oblique"),
    ("dejavu/DejaVuSerif.ttf", "DejaVu Serif"),
    ("dejavu/DejaVuSerif-Bold.ttf", "DejaVu Serif Bold"),
    ("dejavu/DejaVuSerif-Italic.ttf", "DejaVu Serif Italic"),
    ("dejavu/DejaVuSerif-BoldItalic.ttf", "DejaVu Serif Bold Italic"),
    ("dejavu/DejaVuSerifCondensed.ttf", "DejaVu Serif Condensed"),
    ("dejavu/DejaVuSerifCondensed-Bold.ttf", "DejaVu Serif Condensed Bold"),
    ("liberation2/LiberationSans-Regular.ttf", "Liberation Sans"),
    ("liberation2/LiberationSans-Bold.ttf", "Liberation Sans Bold"),
    ("liberation2/LiberationSans-Italic.ttf", "Liberation Sans Italic"),
    ("liberation2/LiberationSans-BoldItalic.ttf", "Liberation Sans Bold Italic"),
    ("liberation2/LiberationSerif-Regular.ttf", "Liberation Serif"),
    ("liberation2/LiberationSerif-Bold.ttf", "Liberation Serif Bold"),
    ("liberation2/LiberationSerif-Italic.ttf", "Liberation Serif Italic"),
    ("liberation2/LiberationSerif-BoldItalic.ttf", "Liberation Serif Bold Italic"),
    ("liberation2/LiberationMono-Regular.ttf", "Liberation Mono"),
    ("liberation2/LiberationMono-Bold.ttf", "Liberation Mono Bold"),
    ("freefont/FreeSans.ttf", "FreeSans"),
    ("freefont/FreeSansBold.ttf", "FreeSans Bold"),
    ("freefont/FreeSansOblique.ttf", "FreeSans Oblique"),
    ("freefont/FreeSerif.ttf", "FreeSerif"),
    ("freefont/FreeSerifBold.ttf", "FreeSerif Bold"),
    ("freefont/FreeSerifItalic.ttf", "FreeSerif Italic"),
    ("freefont/FreeSerifBoldItalic.ttf", "FreeSerif Bold Italic"),
    ("freefont/FreeMono.ttf", "FreeMono"),
    ("freefont/FreeMonoBold.ttf", "FreeMono Bold"),
    ("freefont/FreeMonoBoldOblique.ttf", "FreeMono Bold Oblique"),
]
PACKAGES = "fonts-dejavu-core fonts-dejavu-extra fonts-liberation2 fonts-freefont-ttf"
PT = 120  # glyphs are typeset at 120 px per em, then scaled down


def die(msg, status=1):
    print(f"{PROG}: {msg}", file=sys.stderr)
    sys.exit(status)


# --- randomness: splitmix64 of (seed, key, index), exact in uint64 ---------
M64 = (1 << 64) - 1


def mix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def fnv1a(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001B3) & M64
    return h


class Draws:
    """Uniform draws for one image: the k-th is a hash of (key, k)."""

    def __init__(self, seed, name):
        self.key = mix64(seed ^ fnv1a(name))
        self.k = 0

    def u(self, lo=0.0, hi=1.0):
        self.k += 1
        return lo + (hi - lo) * (mix64(self.key ^ mix64(self.k)) >> 11) / 2.0**53

    def normal(self, n):
        """n standard normal floats (Box-Muller on hashed uniforms)."""
        self.k += 1
        base = np.uint64(mix64(self.key ^ mix64(self.k)))
        m = (n + 1) // 2
        with np.errstate(over="ignore"):
            i = np.arange(2 * m, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15) + base
            x = i + np.uint64(0x9E3779B97F4A7C15)
            x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            x = x ^ (x >> np.uint64(31))
        u = ((x >> np.uint64(11)).astype(np.float64) + 0.5) / 2.0**53
        r = np.sqrt(-2.0 * np.log(u[:m]))
        t = 2.0 * np.pi * u[m:]
        return np.concatenate([r * np.cos(t), r * np.sin(t)])[:n]


# --- glyphs --------------------------------------------------------------
def read_pgm(path):
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:  # magic, width, height, maxval; '#' comments between
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P5" or fields[3] != b"255":
        raise ValueError(f"{path}: not an 8-bit PGM")
    w, h = int(fields[1]), int(fields[2])
    return np.frombuffer(data, np.uint8, w * h, pos + 1).reshape(h, w)


def glyphs(letters, tmp):
    """{font index: [mask per letter]}: float32 [h,w] in 0..1, cropped to
    the ink with a margin.  One `vips text` per font, run a few at a time;
    the letters are typeset in a row, far apart, and cut at the empty
    columns."""
    text = "    ".join(letters)
    out, running = {}, []
    jobs = max(2, os.cpu_count() or 1)
    for i in range(len(FONTS) + jobs):
        if i < len(FONTS):
            rel, desc = FONTS[i]
            path = os.path.join(tmp, f"{i}.pgm")
            running.append((i, path, subprocess.Popen(
                ["vips", "text", path, text, "--font", f"{desc} {PT}",
                 "--fontfile", TT + rel], stderr=subprocess.PIPE)))
        if len(running) < jobs and i < len(FONTS):
            continue
        if not running:
            break
        i, path, p = running.pop(0)
        err = p.communicate()[1]
        if p.returncode != 0:
            die(f"vips text failed for {FONTS[i][1]}: {err.decode(errors='replace').strip()}")
        img = read_pgm(path).astype(np.float32) / 255.0
        ink = img.max(axis=0) > 0.02
        edges = np.flatnonzero(np.diff(np.concatenate([[0], ink.astype(np.int8), [0]])))
        runs = list(zip(edges[0::2], edges[1::2]))
        if len(runs) != len(letters):
            die(f"{FONTS[i][1]}: {len(runs)} glyphs rendered, want {len(letters)}")
        masks = []
        for x0, x1 in runs:
            col = img[:, x0:x1]
            rows = np.flatnonzero(col.max(axis=1) > 0.02)
            g = col[rows[0]:rows[-1] + 1]
            masks.append(np.pad(g, 2))
        out[i] = masks
    # a face Pango could not find falls back to another font: same pixels
    seen = {}
    for i, masks in out.items():
        h = hash(masks[0].tobytes())
        if h in seen:
            die(f"{FONTS[i][1]} renders like {FONTS[seen[h]][1]}: is the font installed?")
        seen[h] = i
    return out


# --- one picture ---------------------------------------------------------
def luminance(c):
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def colours(d):
    """Background corner colours and a foreground colour at least 0.3 apart
    in luminance from both (0..1 RGB)."""
    while True:
        bg0 = np.array([d.u() for _ in range(3)])
        bg1 = np.clip(bg0 + np.array([d.u(-0.25, 0.25) for _ in range(3)]), 0, 1)
        fg = np.array([d.u() for _ in range(3)])
        lf = luminance(fg)
        if min(abs(lf - luminance(bg0)), abs(lf - luminance(bg1))) >= 0.3:
            return bg0, bg1, fg


def render(mask, size, d):
    """[size,size,3] uint8: mask as a letter of random colour, size, angle
    and place on a gradient, maybe crossed by a faint line, noised."""
    ss = 2  # supersampling: computed at 2x, averaged down
    n = size * ss
    bg0, bg1, fg = colours(d)
    gh, gw = mask.shape
    height = d.u(0.35, 0.70) * n  # the glyph's ink height in output pixels
    sc = height / gh
    ang = np.radians(d.u(-12.0, 12.0))
    c, s = np.cos(ang), np.sin(ang)
    # half extents of the turned, scaled glyph box, to keep it inside
    hw = 0.5 * sc * (abs(c) * gw + abs(s) * gh)
    hh = 0.5 * sc * (abs(s) * gw + abs(c) * gh)
    margin = 0.04 * n
    cx = d.u(min(hw + margin, n / 2), max(n - hw - margin, n / 2))
    cy = d.u(min(hh + margin, n / 2), max(n - hh - margin, n / 2))
    # output pixel -> glyph pixel: undo the translation, turn back, unscale;
    # only inside the turned glyph's box (alpha is 0 elsewhere)
    bx0, bx1 = max(int(cx - hw) - 2, 0), min(int(cx + hw) + 3, n)
    by0, by1 = max(int(cy - hh) - 2, 0), min(int(cy + hh) + 3, n)
    yy, xx = np.mgrid[by0:by1, bx0:bx1].astype(np.float32)
    dx, dy = xx + 0.5 - cx, yy + 0.5 - cy
    gx = (c * dx - s * dy) / sc + gw / 2 - 0.5
    gy = (s * dx + c * dy) / sc + gh / 2 - 0.5
    x0, y0 = np.floor(gx).astype(np.int64), np.floor(gy).astype(np.int64)
    fx, fy = gx - x0, gy - y0
    pad = np.pad(mask, 1)  # zero border: samples off the glyph read 0

    def at(yi, xi):
        yi = np.clip(yi + 1, 0, gh + 1)
        xi = np.clip(xi + 1, 0, gw + 1)
        return pad[yi, xi]
    alpha = np.zeros((n, n, 1), np.float32)
    alpha[by0:by1, bx0:bx1, 0] = ((1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1))
                                  + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1)))
    # background: linear gradient in a random direction
    ga = d.u(0, 2 * np.pi)
    r = (np.arange(n, dtype=np.float32) - n / 2) / n
    t = (np.cos(ga) * r[None, :] + np.sin(ga) * r[:, None] + 0.5).clip(0, 1)[..., None]
    f32 = np.float32
    img = bg0.astype(f32) + (bg1 - bg0).astype(f32) * t
    img += (fg.astype(f32) - img) * alpha
    if d.u() < 0.3:  # a faint straight line across, in its own colour
        lc = np.array([d.u() for _ in range(3)], f32)
        la = d.u(0, np.pi)
        lo = d.u(-0.3, 0.3) * n
        dist = np.abs(-np.sin(la) * r[None, :] * n + np.cos(la) * r[:, None] * n - lo)
        a = (0.35 * np.clip(d.u(1.0, 3.0) * ss - dist, 0, 1))[..., None].astype(f32)
        img += (lc - img) * a
    img = img.reshape(size, ss, size, ss, 3).mean(axis=(1, 3)) * 255.0
    sigma = d.u(0.0, 12.0)
    img = img + sigma * d.normal(img.size).reshape(img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def png(path, img):
    """Writes an 8-bit RGB PNG (no filter, zlib level 6) atomically."""
    h, w, _ = img.shape
    raw = b"".join(b"\0" + img[y].tobytes() for y in range(h))

    def chunk(tag, data):
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
    os.replace(tmp, path)


def make_one(job):
    mask, size, seed, key, path = job
    png(path, render(mask, size, Draws(seed, key)))


def main():
    ap = argparse.ArgumentParser(prog=PROG, description="Renders the demo's letter images into DIR/<letter>/.")
    ap.add_argument("-n", "--per-class", type=int, default=80, help="images per letter (80)")
    ap.add_argument("-s", "--size", type=int, default=128, help="side in pixels (128)")
    ap.add_argument("--seed", type=int, default=0, help="seed of every draw (0)")
    ap.add_argument("--letters", default="ABCEH", help="the classes (ABCEH)")
    ap.add_argument("dir")
    a = ap.parse_args()
    if not 1 <= a.per_class <= 100000 or not 16 <= a.size <= 4096:
        ap.error("-n must be 1..100000 and -s 16..4096")
    if not a.letters.isalnum() or not a.letters.isascii() or len(set(a.letters)) != len(a.letters) or len(a.letters) < 2:
        ap.error("--letters: two or more different ASCII letters or digits")
    if shutil.which("vips") is None:
        die("vips not found (libvips-tools): run 'make deps'")
    missing = [TT + rel for rel, _ in FONTS if not os.path.exists(TT + rel)]
    if missing:
        die(f"{missing[0]} missing (packages {PACKAGES}): run 'make deps'")
    with tempfile.TemporaryDirectory(prefix="tl-demo-") as tmp:
        gl = glyphs(a.letters, tmp)
    jobs = []
    for li, letter in enumerate(a.letters):
        d = os.path.join(a.dir, letter)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        order = list(range(len(FONTS)))  # fonts in turn, shuffled per letter
        sd = Draws(a.seed, "order/" + letter)
        for j in range(len(order) - 1, 0, -1):
            k = min(int(sd.u() * (j + 1)), j)
            order[j], order[k] = order[k], order[j]
        for i in range(a.per_class):
            fi = order[i % len(order)]
            name = os.path.basename(FONTS[fi][0])[:-4]
            jobs.append((gl[fi][li], a.size, a.seed, f"{letter}/{i}", os.path.join(d, f"{i:03d}-{name}.png")))
    # images are independent (own draws, own file): any number of workers
    # gives the same bytes
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 1) as pool:
        for _ in pool.imap_unordered(make_one, jobs, chunksize=8):
            pass
    print(f"{PROG}: {a.per_class * len(a.letters)} images of {len(a.letters)} letters "
          f"({', '.join(a.letters)}) in {len(FONTS)} fonts, {a.size}x{a.size}, in {a.dir}", file=sys.stderr)


if __name__ == "__main__":
    main()
