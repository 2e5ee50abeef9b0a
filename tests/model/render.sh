#!/bin/sh
# tests/model/render.sh - renders the committed model-test inputs into
# tests/model/img/: exact 8-bit RGB PNGs at the backbones' input sizes, so
# no decoder or resize stands between them and the network.
#   synthetic.png     224x224, x[h,w,c] = (h*7 + w*13 + c*29) % 256 (c = R,G,B)
#   gradient.png      224x224, R = w, G = h, B = 255 - (h+w)/2 (scaled to 0..255)
#   shapes.png        224x224, a rectangle and a disc on black (vips draw_*)
#   noise.png         224x224, Gaussian noise, mean 128, sigma 50, seeds 1,2,3
#   text.png          224x224, black "tl 42" on white (vips text, DejaVu Sans)
#   synthetic299.png  299x299, the synthetic formula, for inceptionv3
# Needs /usr/bin/python3 (stdlib only) and the vips CLI (libvips-tools).  The
# text image depends on the fonts installed: regenerate the reference
# (tests/model/reference.sh) whenever these are re-rendered.
set -eu
cd "$(dirname "$0")"
mkdir -p img
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

# formula images written as binary PPM by python, converted by vips
/usr/bin/python3 - "$t" <<'PY'
import sys
d = sys.argv[1]
def ppm(name, n, f):
    with open(f"{d}/{name}.ppm", "wb") as o:
        o.write(b"P6 %d %d 255\n" % (n, n))
        o.write(bytes(f(h, w, c) for h in range(n) for w in range(n) for c in range(3)))
syn = lambda h, w, c: (h * 7 + w * 13 + c * 29) % 256
ppm("synthetic", 224, syn)
ppm("synthetic299", 299, syn)
ppm("gradient", 224, lambda h, w, c: (w * 255 // 223, h * 255 // 223, 255 - (h + w) * 255 // 446)[c])
PY
for f in synthetic synthetic299 gradient; do
	vips pngsave "$t/$f.ppm" img/$f.png --strip
done

vips black "$t/shapes.v" 224 224 --bands 3
vips draw_rect "$t/shapes.v" "200 30 40" 20 30 120 80 --fill
vips draw_circle "$t/shapes.v" "30 160 220" 150 140 55 --fill
vips pngsave "$t/shapes.v" img/shapes.png --strip

for s in 1 2 3; do
	vips gaussnoise "$t/n$s.v" 224 224 --mean 128 --sigma 50 --seed $s
	vips cast "$t/n$s.v" "$t/c$s.v" uchar
done
vips bandjoin "$t/c1.v $t/c2.v $t/c3.v" "$t/noise.v"
vips pngsave "$t/noise.v" img/noise.png --strip

vips text "$t/txt.v" "tl 42" --font "DejaVu Sans Bold" --width 200 --height 120
vips embed "$t/txt.v" "$t/txte.v" 12 50 224 224
vips invert "$t/txte.v" "$t/inv.v"
vips bandjoin "$t/inv.v $t/inv.v $t/inv.v" "$t/text.v"
vips pngsave "$t/text.v" img/text.png --strip
