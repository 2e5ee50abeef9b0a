#!/bin/sh
# pipelines/hymenoptera/foreign.sh DIR - writes into DIR 46 synthetic images
# that are clearly not ants or bees, made with the vips CLI only: 16 lines of
# text (8 fonts), 6 colour gaussian noises, 6 sine gratings, 4 colour
# gradients, 2 zone plates, 2 eye patterns, 2 grey ramps, 8 drawn faces.
# With testdata/shapes they are the foreign set of `make` and `make frozen`.
set -eu
out=${1:?usage: foreign.sh DIR}
mkdir -p "$out"
cd "$out"
t=.tmp.$$
trap 'rm -f $t.*.v' EXIT
i=0
for f in "DejaVu Sans Bold 48" "DejaVu Serif 40" "URW Bookman Light 44" "Liberation Mono Bold 36" \
    "DejaVu Sans Mono 30" "URW Bookman Light Italic 52" "DejaVu Serif Bold 60" "Liberation Mono 28"; do
	for w in "Hello world" "ANTS and BEES"; do
		i=$((i + 1))
		vips text $t.t.v "$w" --font "$f" --width 400 --dpi 100
		vips invert $t.t.v $t.i.v
		vips embed $t.i.v $t.p.v 20 20 440 200 --extend white
		vips bandjoin "$t.p.v $t.p.v $t.p.v" txt$i.png
	done
done
for s in 10 30 60 90 120 20; do
	i=$((i + 1))
	vips gaussnoise $t.a.v 300 300 --sigma $s --mean 128 --seed $i
	vips gaussnoise $t.b.v 300 300 --sigma $s --mean 100 --seed $((i + 100))
	vips gaussnoise $t.c.v 300 300 --sigma $s --mean 160 --seed $((i + 200))
	vips bandjoin "$t.a.v $t.b.v $t.c.v" $t.n.v
	vips cast $t.n.v noise$i.png uchar
done
for hf in 0.5 2 5 10 20 40; do
	i=$((i + 1))
	vips sines $t.s.v 320 240 --hfreq $hf --vfreq "$(echo "$hf / 2" | bc -l)"
	vips linear $t.s.v $t.l.v 127.5 127.5
	vips cast $t.l.v $t.c.v uchar
	vips bandjoin "$t.c.v $t.c.v $t.c.v" sines$i.png
done
for k in 0 1; do
	for sz in 256 400; do
		i=$((i + 1))
		vips xyz $t.x.v $sz $sz
		vips extract_band $t.x.v $t.b.v $k
		vips linear $t.b.v $t.l.v "$(echo "255 / $sz" | bc -l)" 0
		vips cast $t.l.v $t.c.v uchar
		vips invert $t.c.v $t.i.v
		vips bandjoin "$t.c.v $t.i.v $t.c.v" grad$i.png
	done
done
for sz in 256 400; do
	i=$((i + 1))
	for p in zone eye grey; do
		vips $p $t.z.v $sz $sz
		if [ $p = grey ]; then vips linear $t.z.v $t.l.v 255 0; else vips linear $t.z.v $t.l.v 127.5 127.5; fi
		vips cast $t.l.v $t.c.v uchar
		vips bandjoin "$t.c.v $t.c.v $t.c.v" $p$i.png
	done
done
for k in 1 2 3 4 5 6 7 8; do
	i=$((i + 1))
	vips black $t.f.v 300 300 --bands 3
	vips linear $t.f.v $t.b.v "1 1 1" "$((30 * k % 255)) $((80 + 15 * k)) 200"
	vips cast $t.b.v $t.c.v uchar
	vips draw_circle $t.c.v "255 220 170" 150 150 $((100 + 3 * k)) --fill
	vips draw_circle $t.c.v "0 0 0" $((105 + k)) 120 $((10 + k)) --fill
	vips draw_circle $t.c.v "0 0 0" $((195 - k)) 120 $((10 + k)) --fill
	vips draw_rect $t.c.v "200 30 30" 110 $((190 + k)) 80 12 --fill
	vips copy $t.c.v face$i.png
done
