/*
 * test_augment.c - lib/rng and lib/augment on synthetic pictures of known
 * geometry: flips and quarter turns equal the mirrored or turned pixels
 * exactly, rotation 0 with zoom 1 is the identity, reflect fill leaves no
 * black, cutout zeroes its share, colour jitter moves the statistics as
 * expected (with tolerances), draws are pure functions of (seed, id, k) and
 * keep the zoom-out guard; the contact sheet has the promised size; a
 * header's expected counts after augmentation.
 */
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/tensor.h"
#include "data/augment.h"
#include "data/contact.h"
#include "data/image.h"
#include "scratch.h"
#include "stream/stream.h"
#include "t.h"

#define N 32

/* An asymmetric pattern, no pixel darker than 40: [N][N][3]. */
static void
pattern(struct tl_image *im, int w, int h)
{
	im->width = w;
	im->height = h;
	im->pix = malloc((size_t)w * h * 3);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			unsigned char *p = im->pix + ((size_t)y * w + x) * 3;
			p[0] = (unsigned char)(40 + (x * 7) % 200);
			p[1] = (unsigned char)(40 + (y * 5) % 200);
			p[2] = (unsigned char)(40 + ((x * 3 + y * 11) % 200));
		}
}

static void
fill(struct tl_image *im, int w, int h, unsigned char v)
{
	im->width = w;
	im->height = h;
	im->pix = malloc((size_t)w * h * 3);
	memset(im->pix, v, (size_t)w * h * 3);
}

static const unsigned char *
px(const struct tl_image *im, int x, int y)
{
	return im->pix + ((size_t)y * im->width + x) * 3;
}

/* out[y][x] == in[fy(x,y)][fx(x,y)] for every pixel: which = 0 identity,
 * 1 flip h, 2 flip v, 3 both (= 180 degrees), 4 90 degrees ccw */
static int
maps(const struct tl_image *in, const struct tl_image *out, int which)
{
	for (int y = 0; y < N; y++)
		for (int x = 0; x < N; x++) {
			int sx = x, sy = y;
			if (which == 1 || which == 3) sx = N - 1 - x;
			if (which == 2 || which == 3) sy = N - 1 - y;
			if (which == 4) sx = N - 1 - y, sy = x;
			if (memcmp(px(out, x, y), px(in, sx, sy), 3) != 0)
				return 0;
		}
	return 1;
}

static void
stats(const struct tl_image *im, double *mean, double *sd)
{
	double s = 0, s2 = 0, n = (double)im->width * im->height * 3;

	for (size_t i = 0; i < (size_t)n; i++) {
		s += im->pix[i];
		s2 += (double)im->pix[i] * im->pix[i];
	}
	*mean = s / n;
	*sd = sqrt(s2 / n - *mean * *mean);
}

static int
apply(const struct tl_aug_params *p, const struct tl_image *in, struct tl_image *out)
{
	struct tl_err err;
	int r = tl_aug_apply(p, N, in, out, &err);

	if (r != 0)
		printf("  apply: %s\n", err.msg);
	return r;
}

static void
test_rng(void)
{
	struct tl_rng a, b;
	int same = 1, differ = 0, inrange = 1;

	tl_rng_seed_id(&a, 7, "x/1.png", 3);
	tl_rng_seed_id(&b, 7, "x/1.png", 3);
	for (int i = 0; i < 1000; i++) {
		double u = tl_rng_unit(&a);
		same &= u == tl_rng_unit(&b);
		inrange &= u >= 0 && u < 1;
	}
	T_OK("rng same triple same numbers", same);
	T_OK("rng unit in [0,1)", inrange);
	tl_rng_seed_id(&a, 7, "x/1.png", 3);
	tl_rng_seed_id(&b, 7, "x/1.png", 4);
	differ += tl_rng_u64(&a) != tl_rng_u64(&b);
	tl_rng_seed_id(&a, 7, "x/1.png", 3);
	tl_rng_seed_id(&b, 8, "x/1.png", 3);
	differ += tl_rng_u64(&a) != tl_rng_u64(&b);
	tl_rng_seed_id(&a, 7, "x/1.png", 3);
	tl_rng_seed_id(&b, 7, "x/2.png", 3);
	differ += tl_rng_u64(&a) != tl_rng_u64(&b);
	T_EQ_INT("rng seed, id and k all matter", differ, 3);
	tl_rng_seed(&a, 1);
	T_NEAR("rng range", tl_rng_range(&a, 2, 2), 2, 0, 0);
}

static void
test_describe(void)
{
	struct tl_aug_params p;
	char buf[256];

	tl_aug_identity(&p, 40, 30);
	tl_aug_describe(&p, buf, sizeof buf);
	T_EQ_STR("describe identity", buf, "");
	T_EQ_INT("identity centred square", p.cx * 1000 + p.cy * 100 + p.cw, 5030);
	p.crop = 1, p.cx = 12, p.cy = 3, p.cw = 20, p.ch = 25;
	p.flip = TL_FLIP_H, p.rot = -7.5, p.zoom = 1.1, p.bright = 1.05, p.hue = 3;
	p.blur = 0.5, p.noise = 2, p.cut = 1, p.cut_x = 1, p.cut_y = 2, p.cut_w = p.cut_h = 8;
	tl_aug_describe(&p, buf, sizeof buf);
	T_EQ_STR("describe all", buf, "crop=20x25@(12,3),flip,rot=-7.5,zoom=1.10,bright=1.05,"
	         "hue=3.0,blur=0.50,noise=2.0,cutout=8x8@(1,2)");
	T_EQ_INT("describe truncates like snprintf", tl_aug_describe(&p, buf, 5), strlen(
	         "crop=20x25@(12,3),flip,rot=-7.5,zoom=1.10,bright=1.05,hue=3.0,blur=0.50,"
	         "noise=2.0,cutout=8x8@(1,2)"));
	T_EQ_STR("describe truncated", buf, "crop");
}

static void
opts_none(struct tl_aug_opts *o)
{
	memset(o, 0, sizeof *o);
	tl_aug_preset(o, "none");
	o->size = N;
	o->min_size = N;
}

static void
test_draw(void)
{
	struct tl_aug_opts o;
	struct tl_aug_params p, q;
	char a[256], b[256];
	int differ = 0, inside = 1;

	memset(&o, 0, sizeof o);
	T_EQ_INT("preset unknown", tl_aug_preset(&o, "extreme"), -1);
	T_EQ_INT("preset heavy", tl_aug_preset(&o, "heavy"), 0);
	o.size = N;
	o.min_size = N;
	for (int k = 1; k <= 50; k++) {
		tl_aug_draw(&o, 300, 200, "a/b.jpg", k, &p);
		tl_aug_draw(&o, 300, 200, "a/b.jpg", k, &q);
		tl_aug_describe(&p, a, sizeof a);
		tl_aug_describe(&q, b, sizeof b);
		if (strcmp(a, b) != 0)
			inside = 0;
		inside &= p.cx >= 0 && p.cy >= 0 && p.cx + p.cw <= 300 && p.cy + p.ch <= 200;
		inside &= p.cut_x >= 0 && p.cut_x + p.cut_w <= N;
		inside &= fabs(p.rot) <= 20 && p.zoom >= 0.8 - 1e-9 && p.zoom <= 1.3 + 1e-9;
		tl_aug_draw(&o, 300, 200, "a/b.jpg", k + 1, &q);
		tl_aug_describe(&q, b, sizeof b);
		differ += strcmp(a, b) != 0;
	}
	T_OK("draw deterministic and in range", inside);
	T_EQ_INT("draw differs by copy", differ, 50);

	opts_none(&o);
	o.crop_min = o.crop_max = 0.5;
	tl_aug_draw(&o, 100, 100, "x", 1, &p);
	T_EQ_INT("crop 0.5 of 100x100 is 71x71", p.cw * 1000 + p.ch, 71071);
	T_OK("crop described", p.crop == 1);

	/* the zoom-out guard: z * S >= min_size, S the shorter side kept */
	opts_none(&o);
	o.zoom_min = o.zoom_max = 0.5;
	o.min_size = 64;
	tl_aug_draw(&o, 64, 80, "x", 1, &p);
	T_NEAR("guard: small picture not zoomed out", p.zoom, 1, 0, 0);
	o.min_size = 16;
	tl_aug_draw(&o, 64, 80, "x", 1, &p);
	T_NEAR("guard: large enough, zoomed out", p.zoom, 0.5, 1e-12, 0);
	o.min_size = 40;
	tl_aug_draw(&o, 64, 80, "x", 1, &p);
	T_NEAR("guard: zoomed out as far as allowed", p.zoom, 0.63, 1e-12, 0);

	opts_none(&o);
	o.rotate = 30;
	o.fill = TL_FILL_CROP;
	inside = 1;
	for (int k = 1; k <= 20; k++) {
		double t;
		tl_aug_draw(&o, 64, 64, "x", k, &p);
		t = p.rot * M_PI / 180;
		inside &= p.zoom >= fabs(cos(t)) + fabs(sin(t)) - 1e-9 && p.zoom < fabs(cos(t)) +
		          fabs(sin(t)) + 0.01 + 1e-9;
	}
	T_OK("fill crop zooms in by cos+sin", inside);

	opts_none(&o);
	o.cutout = 0.25;
	tl_aug_draw(&o, 64, 64, "x", 1, &p);
	T_EQ_INT("cutout 0.25 of 32 is 16", p.cut_w * 100 + p.cut_h, 1616);
}

static void
test_geometry(void)
{
	struct tl_image in, out, big;
	struct tl_aug_params p;
	int ok = 1;

	pattern(&in, N, N);
	tl_aug_identity(&p, N, N);
	T_OK("identity apply", apply(&p, &in, &out) == 0 && maps(&in, &out, 0));
	tl_image_free(&out);
	const char *names[] = { "flip h exact", "flip v exact", "flip hv exact" };
	for (int f = 1; f <= 3; f++) {
		tl_aug_identity(&p, N, N);
		p.flip = f;
		T_OK(names[f - 1], apply(&p, &in, &out) == 0 && maps(&in, &out, f));
		tl_image_free(&out);
	}
	tl_aug_identity(&p, N, N);
	p.rot = 180;
	T_OK("rot 180 exact", apply(&p, &in, &out) == 0 && maps(&in, &out, 3));
	tl_image_free(&out);
	p.rot = 90;
	T_OK("rot 90 counter-clockwise exact", apply(&p, &in, &out) == 0 && maps(&in, &out, 4));
	tl_image_free(&out);

	/* reflect fill: turned 45 degrees, or zoomed out, never dark */
	for (int i = 0; i < 3; i++) {
		tl_aug_identity(&p, N, N);
		p.rot = i == 1 ? 0 : 45;
		p.zoom = i == 0 ? 1 : 0.5;
		if (apply(&p, &in, &out) != 0)
			ok = 0;
		else
			for (int j = 0; j < N * N * 3; j += 3)
				ok &= out.pix[j] >= 40 || out.pix[j + 1] >= 40 || out.pix[j + 2] >= 40;
		tl_image_free(&out);
	}
	T_OK("reflect fill leaves no black", ok);

	/* a picture four times larger than the params' source: same result */
	tl_aug_identity(&p, N, N);
	big.width = big.height = 4 * N;
	big.pix = malloc(16 * N * N * 3);
	for (int y = 0; y < 4 * N; y++)
		for (int x = 0; x < 4 * N; x++)
			memcpy(big.pix + ((size_t)y * 4 * N + x) * 3, px(&in, x / 4, y / 4), 3);
	{
		struct tl_image a, b;
		double d = 0;

		p.rot = 10;
		if (apply(&p, &in, &a) == 0 && apply(&p, &big, &b) == 0) {
			for (int j = 0; j < N * N * 3; j++)
				d += abs(a.pix[j] - b.pix[j]);
			d /= N * N * 3;
		} else
			d = 999;
		T_NEAR("shrunk-on-load source scales the rectangles", d, 0, 12, 0);
		tl_image_free(&a);
		tl_image_free(&b);
	}
	tl_image_free(&big);

	/* crop rectangle: the top-left quarter, scaled up 2x */
	tl_aug_identity(&p, N, N);
	p.crop = 1, p.cx = p.cy = 0, p.cw = p.ch = N / 2;
	if (apply(&p, &in, &out) == 0) {
		const unsigned char *a = px(&out, 9, 21), *b = px(&in, 4, 10);
		T_NEAR("crop maps the rectangle", abs(a[0] - b[0]) + abs(a[1] - b[1]), 0, 12, 0);
	} else
		T_OK("crop maps the rectangle", 0);
	tl_image_free(&out);

	/* cutout: exactly its share zeroed */
	{
		int zero = 0;

		fill(&big, N, N, 200);
		tl_aug_identity(&p, N, N);
		p.cut = 1, p.cut_x = 5, p.cut_y = 9, p.cut_w = p.cut_h = 16;
		if (apply(&p, &big, &out) == 0)
			for (int j = 0; j < N * N; j++)
				zero += out.pix[3 * j] == 0 && out.pix[3 * j + 1] == 0 && out.pix[3 * j + 2] == 0;
		T_EQ_INT("cutout zeroes a quarter", zero, N * N / 4);
		T_OK("cutout in place", out.pix && px(&out, 5, 9)[0] == 0 && px(&out, 4, 9)[0] == 200 &&
		     px(&out, 20, 24)[0] == 0 && px(&out, 21, 24)[0] == 200);
		tl_image_free(&out);
		tl_image_free(&big);
	}
	tl_image_free(&in);
}

static void
test_colour(void)
{
	struct tl_image in, out;
	struct tl_aug_params p;
	double m0, s0, m, s;

	fill(&in, N, N, 100);
	tl_aug_identity(&p, N, N);
	p.bright = 1.2;
	T_OK("brightness apply", apply(&p, &in, &out) == 0);
	stats(&out, &m, &s);
	T_NEAR("brightness 1.2 scales the mean", m, 120, 0.6, 0);
	tl_image_free(&out);
	tl_image_free(&in);

	pattern(&in, N, N);
	stats(&in, &m0, &s0);
	tl_aug_identity(&p, N, N);
	p.contrast = 0.5;
	T_OK("contrast apply", apply(&p, &in, &out) == 0);
	stats(&out, &m, &s);
	T_NEAR("contrast 0.5 halves the spread", s, s0 / 2, 0.6, 0);
	T_NEAR("contrast keeps the mean", m, m0, 0.6, 0);
	tl_image_free(&out);

	tl_aug_identity(&p, N, N);
	p.sat = 0;
	if (apply(&p, &in, &out) == 0) {
		int grey = 1;
		for (int j = 0; j < N * N * 3; j += 3)
			grey &= abs(out.pix[j] - out.pix[j + 1]) <= 2 && abs(out.pix[j] - out.pix[j + 2]) <= 2;
		T_OK("saturation 0 is grey", grey);
	} else
		T_OK("saturation 0 is grey", 0);
	tl_image_free(&out);

	tl_aug_identity(&p, N, N);
	p.hue = 180;
	if (apply(&p, &in, &out) == 0) {
		/* a reddish pixel turns away from red */
		tl_image_free(&in);
		fill(&in, N, N, 60);
		for (int j = 0; j < N * N * 3; j += 3)
			in.pix[j] = 200;
		tl_image_free(&out);
		apply(&p, &in, &out);
		T_OK("hue 180 turns red away", out.pix[0] < out.pix[1] || out.pix[0] < out.pix[2]);
	} else
		T_OK("hue 180 turns red away", 0);
	tl_image_free(&out);
	tl_image_free(&in);

	pattern(&in, N, N);
	tl_aug_identity(&p, N, N);
	p.blur = 2;
	apply(&p, &in, &out);
	stats(&out, &m, &s);
	T_OK("blur lowers the spread", s < s0 * 0.9);
	tl_image_free(&out);
	tl_image_free(&in);

	fill(&in, N, N, 128);
	tl_aug_identity(&p, N, N);
	p.noise = 10;
	p.noise_seed = 42;
	apply(&p, &in, &out);
	stats(&out, &m, &s);
	T_NEAR("noise keeps the mean", m, 128, 1.5, 0);
	T_NEAR("noise sigma", s, 10, 0, 0.15);
	{
		struct tl_image again;
		apply(&p, &in, &again);
		T_OK("noise deterministic", again.pix && memcmp(again.pix, out.pix, N * N * 3) == 0);
		tl_image_free(&again);
	}
	tl_image_free(&out);
	tl_image_free(&in);
}

static void
test_records(void)
{
	struct tl_aug_opts o;
	struct tl_augmenter *a;
	struct tl_rec *in = tl_rec_new(), *out = tl_rec_new();
	struct tl_image pic;
	struct tl_tensor t;
	struct tl_err err;
	uint64_t shape[3] = { N, 40, 3 }; /* a wide picture, N high */
	unsigned char *d;

	opts_none(&o);
	o.flip = TL_FLIP_H;
	a = tl_augmenter_new(&o, &err);
	T_OK("augmenter new", a != NULL);
	pattern(&pic, 40, N);
	tl_rec_set_str(in, "id", "p/q.png");
	tl_rec_set_str(in, "label", "q");
	tl_rec_set_bin(in, "sha256", "0123", 4);
	d = tl_rec_set_tensor(in, "pix", TL_U8, 3, shape);
	memcpy(d, pic.pix, 40 * N * 3);
	T_OK("load pix", tl_augmenter_load(a, in, &err) == TL_OK);
	T_OK("make original", tl_augmenter_make(a, in, 0, out, &err) == TL_OK);
	T_EQ_STR("original id", tl_rec_str(out, "id"), "p/q.png");
	T_EQ_STR("original aug", tl_rec_str(out, "aug"), "");
	T_OK("original keeps sha256, has no of", tl_rec_get(out, "sha256") && !tl_rec_get(out, "of"));
	T_OK("original pix", tl_rec_tensor(out, "pix", &t, &err) == 0 && t.shape[0] == N &&
	     t.shape[1] == N && t.shape[2] == 3);
	T_OK("original is the centred square",
	     memcmp((const unsigned char *)t.data + 3 * (N * 7 + 3), px(&pic, 3 + 4, 7), 3) == 0);
	T_OK("make copy 3", tl_augmenter_make(a, in, 3, out, &err) == TL_OK);
	T_EQ_STR("copy id", tl_rec_str(out, "id"), "p/q.png#aug3");
	T_EQ_STR("copy of", tl_rec_str(out, "of"), "p/q.png");
	T_EQ_STR("copy label kept", tl_rec_str(out, "label"), "q");
	T_OK("copy drops sha256", tl_rec_get(out, "sha256") == NULL);

	tl_rec_clear(in);
	tl_rec_set_str(in, "id", "bad");
	tl_rec_set_bin(in, "img", "notanimage", 10);
	T_OK("undecodable img fails", tl_augmenter_load(a, in, &err) == TL_SKIP);
	T_EQ_STR("undecodable img message", err.msg, "not an image: a text file");
	tl_rec_del(in, "img");
	T_OK("no picture fails", tl_augmenter_load(a, in, &err) == TL_SKIP);
	T_EQ_STR("no picture message", err.msg, "no img or pix");
	tl_image_free(&pic);
	tl_augmenter_free(a);
	tl_rec_free(in);
	tl_rec_free(out);
}

static void
test_contact(void)
{
	const char *path;
	struct tl_contact *c;
	struct tl_err err;
	unsigned char tile[8 * 8 * 3];
	int w = 0, h = 0;

	memset(tile, 90, sizeof tile);
	if (scratch_new("test_augment") == NULL)
		return;
	path = at("sheet.png");
	c = tl_contact_new(8, 3, &err);
	T_OK("contact empty refuses", tl_contact_write(c, path, &err) == -1);
	for (int r = 0; r < 2; r++) {
		tl_contact_row(c, &err);
		for (int k = 0; k < 3; k++)
			tl_contact_put(c, k, tile);
	}
	T_OK("contact write", tl_contact_write(c, path, &err) == 0);
	{
		size_t n = 0;
		char *buf = slurp(path, &n);
		if (buf)
			tl_image_probe(buf, n, NULL, &w, &h, NULL, &err);
		g_free(buf);
	}
	T_EQ_INT("contact width", w, 3 * 8 + 2 * TL_CONTACT_GAP);
	T_EQ_INT("contact height", h, 2 * 8 + TL_CONTACT_GAP);
	tl_contact_free(c);
	scratch_close(1);
}

/* tl_aug_header: the expected counts after each train record (every one
 * with all) became per (-1: absent) */
static void
test_expect(void)
{
	static const struct {
		const char *name;
		long long n, t, per;
		int all;
		long long want_n, want_t;
	} cases[] = {
		{ "train share known", 10, 4, 3, 0, 6 + 12, 12 },
		{ "all train", 5, 5, 3, 0, 15, 15 },
		{ "none train", 5, 0, 11, 0, 5, 0 },
		{ "train share unknown", 10, -1, 3, 0, -1, -1 },
		{ "train share unknown, --all", 10, -1, 3, 1, 30, -1 },
		{ "--all", 10, 4, 3, 1, 30, 12 },
		{ "no counts", -1, -1, 3, 0, -1, -1 },
		{ "train count alone", -1, 4, 3, 0, -1, 12 },
		{ "more train than records", 5, 9, 2, 0, 10, 10 },
		{ "variants only, --copies 1", 10, 4, 1, 0, 10, 4 },
		{ "past 2^53", 1LL << 52, 1LL << 52, 4, 0, -1, -1 },
		{ "past 2^53, --all", 1LL << 52, 0, 4, 1, -1, 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct tl_rec *h = tl_rec_new();
		char t[128];

		tl_header_set_expect(h, TL_HEADER_EXPECT, cases[i].n);
		tl_header_set_expect(h, TL_HEADER_EXPECT_TRAIN, cases[i].t);
		snprintf(t, sizeof t, "expect: %s", cases[i].name);
		T_EQ_INT(t, tl_aug_header(h, cases[i].per, cases[i].all), 0);
		T_EQ_INT(t, tl_header_expect(h, TL_HEADER_EXPECT), cases[i].want_n);
		T_EQ_INT(t, tl_header_expect(h, TL_HEADER_EXPECT_TRAIN), cases[i].want_t);
		tl_rec_free(h);
	}
}

int
main(void)
{
	struct tl_err err;

	if (tl_image_init(&err) != 0) {
		printf("FAIL image init: %s\n", err.msg);
		return 1;
	}
	test_expect();
	test_rng();
	test_describe();
	test_draw();
	test_geometry();
	test_colour();
	test_records();
	test_contact();
	T_DONE();
}
