#!/usr/bin/python3
"""bench/bulk/gen.py DIR FIRST COUNT: COUNT distinct 16x16 JPEG files,
DIR/FFF/I.jpg with I from FIRST, 1000 a folder (FFF = I // 1000).  Each is
random noise from a generator seeded by I, with I's bytes in its first
pixels, so every file is distinct and the same I always gives the same
bytes."""
import os
import sys

import numpy as np
from PIL import Image

out, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(first, first + count):
    d = os.path.join(out, "%03d" % (i // 1000))
    if i == first or i % 1000 == 0:
        os.makedirs(d, exist_ok=True)
    a = np.random.default_rng(i).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    a[0, 0] = (i & 255, (i >> 8) & 255, (i >> 16) & 255)
    Image.fromarray(a).save(os.path.join(d, "%d.jpg" % i), quality=90)
