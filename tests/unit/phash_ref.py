#!/usr/bin/python3
"""tests/unit/phash_ref.py - an independent NumPy statement of tl's phash
(lib/data/image.c), for test_image.c: the hash of the pattern below, built the same
way in C.  Prints the hash as %016x.

grey = Rec. 601 luma; area-average onto 32x32 (a pixel straddling two cells
is shared by overlap); 2-D DCT-II; the 8x8 lowest frequencies against their
median; bit 63 - (8*row + col) set when above.
"""
import numpy as np

W, H = 48, 40  # 1.5 and 1.25 pixels per cell: straddling pixels


def pattern():
    y, x = np.mgrid[0:H, 0:W]
    r = (x * 7 + y * 13 + (x * y) % 31) % 256
    g = (x * 3 + y * y) % 256
    b = (255 - x * 5) % 256
    return np.stack([r, g, b], -1).astype(np.uint8)


def area(n):
    """[32, n]: the overlap of cell i with pixel p, in 32ths of the image."""
    m = np.zeros((32, n))
    f = 32.0 / n
    for p in range(n):
        x0, x1 = p * f, (p + 1) * f
        for i in range(int(x0), min(32, int(np.ceil(x1)))):
            m[i, p] = min(x1, i + 1) - max(x0, i)
    return m


def phash(rgb):
    h, w = rgb.shape[:2]
    grey = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    g32 = area(h) @ grey @ area(w).T
    k = np.arange(8)[:, None]
    n = np.arange(32)[None, :]
    d = np.cos(np.pi * (2 * n + 1) * k / 64)
    c = (d @ g32 @ d.T).ravel()
    med = np.median(c)
    v = 0
    for i in range(64):
        if c[i] > med:
            v |= 1 << (63 - i)
    return v


print('%016x' % phash(pattern()))
