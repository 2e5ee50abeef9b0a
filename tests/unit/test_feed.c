/*
 * test_feed.c - lib/backbone/feed and the decoding it relies on: JPEG
 * shrink-on-load (image.h min_side) to the exact sizes libjpeg's scaling
 * gives, close to the full decode box-filtered; batches in the order added,
 * a bad image kept in its place with its reason and zeros as input; the
 * same inputs with 0 and 3 decoding threads (the same code on the same
 * bytes); two backbones that crop alike sharing a crop, each with its own
 * scaling, equal to tl_prep_pixels.  Fixtures are built here.
 */
#include <stdlib.h>
#include <string.h>

#include "backbone/feed.h"
#include "t.h"

/* A smooth [h][w][3] picture, so that a JPEG of it decodes close to it. */
static void
picture(unsigned char *p, int w, int h)
{
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++, p += 3) {
			p[0] = (unsigned char)(x * 255 / w);
			p[1] = (unsigned char)(y * 255 / h);
			p[2] = (unsigned char)((x + y) * 127 / (w + h) + 64);
		}
}

static void
shrink_on_load(const void *jpg, size_t njpg, const struct tl_image *big)
{
	struct tl_image_opts o = { .max_pixels = TL_IMAGE_MAX_PIXELS_DEFAULT };
	struct tl_image out = { 0 }, full = { 0 };
	struct tl_err err;
	double diff = 0;

	/* 1000x800: 800/2 = 400 >= 256 but 800/4 = 200 < 256 */
	o.min_side = 256;
	T_EQ_INT("shrink-decode", tl_image_decode(jpg, njpg, &o, &out, &err), 0);
	T_EQ_INT("shrink-by-2-width", out.width, 500);
	T_EQ_INT("shrink-by-2-height", out.height, 400);
	o.min_side = 0;
	T_EQ_INT("full-decode", tl_image_decode(jpg, njpg, &o, &full, &err), 0);
	T_EQ_INT("full-width", full.width, 1000);
	/* each half-size pixel against the mean of its 2x2 block of the full decode */
	if (out.pix && full.pix && out.width == 500 && out.height == 400)
		for (int y = 0; y < 400; y++)
			for (int x = 0; x < 500; x++)
				for (int c = 0; c < 3; c++) {
					const unsigned char *f = full.pix + ((size_t)2 * y * 1000 + 2 * x) * 3 + c;
					double m = (f[0] + f[3] + f[3000] + f[3003]) / 4.0;
					diff += abs((int)(out.pix[((size_t)y * 500 + x) * 3 + c] - m));
				}
	T_NEAR("shrink-close-to-box-filter", diff / (500.0 * 400 * 3), 0, 2, 0);
	tl_image_free(&out);
	tl_image_free(&full);
	o.min_side = 100; /* 800/8 = 100: the smallest scale */
	T_EQ_INT("shrink-by-8", tl_image_decode(jpg, njpg, &o, &out, &err), 0);
	T_OK("shrink-by-8-size", out.width == 125 && out.height == 100);
	tl_image_free(&out);
	o.min_side = 801; /* no scale keeps 801: full size */
	T_EQ_INT("shrink-none", tl_image_decode(jpg, njpg, &o, &out, &err), 0);
	T_OK("shrink-none-size", out.width == 1000 && out.height == 800);
	tl_image_free(&out);
	(void)big;
}

/* Adds recs[0..n) to f, taking each full batch: the inputs of part k and
 * the errors, concatenated in order into in[k] and why. */
static int
drain(struct tl_feed *f, struct tl_rec **recs, int n, int nparts, size_t *insize,
      float **in, char why[][128], char ids[][16])
{
	struct tl_err err;
	int done = 0, added = 0;

	while (added < n || tl_feed_queued(f) > 0) {
		if (added < n && !tl_feed_full(f)) {
			if (tl_feed_add(f, recs[added++], &err) != TL_OK)
				return -1;
			continue;
		}
		int m = tl_feed_wait(f);
		for (int i = 0; i < m; i++, done++) {
			const char *e = tl_feed_error(f, i);
			snprintf(why[done], 128, "%s", e ? e : "");
			snprintf(ids[done], 16, "%s", tl_rec_str(tl_feed_rec(f, i), "id"));
			for (int k = 0; k < nparts; k++)
				memcpy(in[k] + done * insize[k], tl_feed_input(f, k) + i * insize[k],
				    insize[k] * sizeof(float));
		}
		tl_feed_next(f);
	}
	return done;
}

int
main(void)
{
	enum { N = 7, BW = 1000, BH = 800 };
	static unsigned char big[BW * BH * 3];
	struct tl_image im = { BW, BH, big };
	struct tl_image_opts io = { .max_pixels = TL_IMAGE_MAX_PIXELS_DEFAULT };
	struct tl_prep preps[2] = {
		{ .width = 32, .height = 32, .mode = TL_RESIZE_CROP, .resize = 36 },
		{ .width = 32, .height = 32, .mode = TL_RESIZE_CROP, .resize = 36 },
	};
	size_t insize[2] = { 32 * 32 * 3, 32 * 32 * 3 };
	float *in0[2], *in3[2], *want = malloc(insize[0] * sizeof(float));
	char why0[N][128], why3[N][128], ids[N][16], ids3[N][16];
	struct tl_rec *recs[N];
	struct tl_err err;
	void *jpg = NULL;
	size_t njpg = 0;
	struct tl_feed *f;

	T_EQ_INT("image-init", tl_image_init(&err), 0);
	picture(big, BW, BH);
	T_EQ_INT("encode-jpeg", tl_image_encode_jpeg(&im, 95, &jpg, &njpg, &err), 0);
	shrink_on_load(jpg, njpg, &im);

	tl_prep_set_scale(&preps[0], "[0,1]");
	tl_prep_set_scale(&preps[1], "[0,255]");
	T_OK("same-crop", tl_prep_same_crop(&preps[0], &preps[1]));
	T_EQ_INT("min-side-crop", tl_prep_min_side(&preps[0]), 36);
	for (int k = 0; k < 2; k++) {
		in0[k] = calloc(N, insize[k] * sizeof(float));
		in3[k] = calloc(N, insize[k] * sizeof(float));
	}
	/* records 0..6: the JPEG, but record 3 is not an image */
	for (int i = 0; i < N; i++) {
		char id[16];
		recs[i] = tl_rec_new();
		snprintf(id, sizeof id, "r%d", i);
		tl_rec_set_str(recs[i], "id", id);
		if (i == 3)
			tl_rec_set_bin(recs[i], "img", "not an image at all", 19);
		else
			tl_rec_set_bin(recs[i], "img", jpg, njpg);
	}
	f = tl_feed_new(preps, 2, 2, 0, &io, &err);
	T_OK("feed-new", f != NULL);
	T_EQ_INT("feed-0-count", drain(f, recs, N, 2, insize, in0, why0, ids), N);
	tl_feed_free(f);
	f = tl_feed_new(preps, 2, 2, 3, &io, &err);
	T_EQ_INT("feed-3-count", drain(f, recs, N, 2, insize, in3, why3, ids3), N);
	tl_feed_free(f);

	T_EQ_STR("order-first", ids[0], "r0");
	T_EQ_STR("order-bad-in-place", ids[3], "r3");
	T_EQ_STR("order-last", ids3[6], "r6");
	T_EQ_STR("bad-reason", why0[3], "not an image: a text file");
	T_EQ_STR("bad-reason-threads", why3[3], why0[3]);
	T_EQ_STR("good-no-reason", why3[4], "");
	T_OK("bad-input-zeros", in0[0][3 * insize[0]] == 0 && in0[1][3 * insize[1] + 5] == 0);
	T_OK("threads-same-inputs-0", memcmp(in0[0], in3[0], N * insize[0] * sizeof(float)) == 0);
	T_OK("threads-same-inputs-1", memcmp(in0[1], in3[1], N * insize[1] * sizeof(float)) == 0);

	/* the shared crop, scaled per part, is what tl_prep_pixels makes of
	 * the image decoded as the feed decodes it */
	{
		struct tl_image d = { 0 };
		io.min_side = 36;
		T_EQ_INT("decode-as-feed", tl_image_decode(jpg, njpg, &io, &d, &err), 0);
		T_OK("decode-as-feed-shrunk", d.width == 125 && d.height == 100);
		T_EQ_INT("prep-part-0", tl_prep_pixels(&preps[0], d.pix, d.width, d.height, want, &err), 0);
		T_OK("part-0-equals-prep", memcmp(want, in0[0], insize[0] * sizeof(float)) == 0);
		T_EQ_INT("prep-part-1", tl_prep_pixels(&preps[1], d.pix, d.width, d.height, want, &err), 0);
		T_OK("part-1-equals-prep", memcmp(want, in0[1] + 6 * insize[1], insize[1] * sizeof(float)) == 0);
		T_NEAR("part-1-is-255-part-0", in0[1][100], in0[0][100] * 255, 1e-3, 0);
		tl_image_free(&d);
	}
	for (int i = 0; i < N; i++)
		tl_rec_free(recs[i]);
	for (int k = 0; k < 2; k++) {
		free(in0[k]);
		free(in3[k]);
	}
	free(want);
	free(jpg);
	T_DONE();
}
