/*
 * test_image.c - lib/image: encode/decode round trips, the header check,
 * thumbnails' shapes, hostile buffers, and the phash against its NumPy
 * reference (tests/unit/phash_ref.py printed the constant below).
 * Fixtures are built here; no files are read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/image.h"
#include "t.h"

#define W 48
#define H 40

/* The pattern of phash_ref.py: [H][W][3] u8. */
static void
pattern(unsigned char *p)
{
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++, p += 3) {
			p[0] = (unsigned char)((x * 7 + y * 13 + (x * y) % 31) % 256);
			p[1] = (unsigned char)((x * 3 + y * y) % 256);
			p[2] = (unsigned char)((255 - x * 5 + 256 * 4) % 256);
		}
}

int
main(void)
{
	unsigned char pix[H * W * 3], flip[H * W * 3];
	struct tl_image im = { W, H, pix }, fl = { W, H, flip }, out = { 0 };
	struct tl_image_opts o = { .max_pixels = TL_IMAGE_MAX_PIXELS_DEFAULT }, tiny = { .max_pixels = 100 };
	struct tl_err err;
	void *png = NULL, *jpg = NULL;
	size_t npng = 0, njpg = 0;
	const char *fmt = NULL;
	uint64_t h1 = 0, h2 = 0;
	int w = 0, h = 0, r;
	double diff = 0;

	T_EQ_INT("image-init", tl_image_init(&err), 0);
	pattern(pix);
	T_EQ_STR("phash-reference", (snprintf(err.msg, sizeof err.msg, "%016llx",
	                                      (unsigned long long)tl_image_phash_pixels(&im)),
	                             err.msg), "d7081f081f7579d1");

	T_EQ_INT("encode-png", tl_image_encode_png(&im, &png, &npng, &err), 0);
	T_EQ_INT("probe", tl_image_probe(png, npng, &o, &w, &h, &fmt, &err), 0);
	T_EQ_INT("probe-width", w, W);
	T_EQ_INT("probe-height", h, H);
	T_EQ_STR("probe-format", fmt, "png");
	T_EQ_INT("decode-png", tl_image_decode(png, npng, &o, &out, &err), 0);
	T_OK("decode-png-exact", out.width == W && out.height == H &&
	                         memcmp(out.pix, pix, sizeof pix) == 0);
	tl_image_free(&out);
	T_OK("free-nulls", out.pix == NULL);
	tl_image_free(NULL);

	T_EQ_INT("encode-jpeg", tl_image_encode_jpeg(&im, 95, &jpg, &njpg, &err), 0);
	T_EQ_INT("decode-jpeg", tl_image_decode(jpg, njpg, &o, &out, &err), 0);
	if (out.pix != NULL && out.width == W && out.height == H)
		for (size_t i = 0; i < sizeof pix; i++)
			diff += abs(out.pix[i] - pix[i]);
	T_NEAR("decode-jpeg-close", diff / sizeof pix, 0, 8, 0);
	tl_image_free(&out);
	T_EQ_INT("encode-jpeg-bad-quality", tl_image_encode_jpeg(&im, 0, &jpg, &njpg, &err), -1);

	T_EQ_INT("thumb-crop", tl_image_thumbnail(png, npng, &o, 16, TL_CROP_CENTRE, &out,
	                                          &h1, &err), 0);
	T_OK("thumb-crop-shape", out.width == 16 && out.height == 16);
	tl_image_free(&out);
	T_EQ_INT("thumb-fit", tl_image_thumbnail(png, npng, &o, 24, TL_FIT, &out, NULL, &err), 0);
	T_OK("thumb-fit-shape", out.width == 24 && out.height == 20);
	tl_image_free(&out);
	/* fit at the image's own size: the same pixels, so the same hash */
	T_EQ_INT("thumb-same", tl_image_thumbnail(png, npng, &o, W, TL_FIT, &out, &h1, &err), 0);
	T_OK("thumb-same-pixels", out.pix != NULL && out.width == W && out.height == H &&
	                          memcmp(out.pix, pix, sizeof pix) == 0);
	tl_image_free(&out);
	T_EQ_INT("thumb-enlarge", tl_image_thumbnail(png, npng, &o, 100, TL_CROP_CENTRE, &out,
	                                             NULL, &err), 0);
	T_OK("thumb-enlarge-shape", out.width == 100 && out.height == 100);
	tl_image_free(&out);
	T_EQ_INT("thumb-bad-size", tl_image_thumbnail(png, npng, &o, 0, TL_FIT, &out, NULL,
	                                              &err), -1);

	T_EQ_INT("phash", tl_image_phash(png, npng, &o, &h2, &err), 0);
	T_EQ_INT("phash-thumb-same", tl_phash_distance(h1, h2), 0);
	T_OK("phash-jpeg-close", tl_image_phash(jpg, njpg, &o, &h1, &err) == 0 &&
	                         tl_phash_distance(h1, h2) <= 2);
	for (int y = 0; y < H; y++) /* a different picture: upside down */
		memcpy(flip + (size_t)y * W * 3, pix + (size_t)(H - 1 - y) * W * 3, W * 3);
	T_OK("phash-flip-far", tl_phash_distance(tl_image_phash_pixels(&fl), h2) >= 16);
	T_EQ_INT("phash-distance", tl_phash_distance(0, ~(uint64_t)0), 64);

	r = tl_image_probe(png, npng, &tiny, &w, &h, NULL, &err);
	T_EQ_INT("max-pixels", r, -1);
	T_EQ_STR("max-pixels-msg", err.msg, "image too large: 48x40 pixels, limit 100");
	T_EQ_INT("max-pixels-decode", tl_image_decode(png, npng, &tiny, &out, &err), -1);
	T_EQ_INT("empty", tl_image_decode(png, 0, &o, &out, &err), -1);
	T_EQ_STR("empty-msg", err.msg, "empty file");
	T_EQ_INT("garbage", tl_image_phash("not an image at all", 19, &o, &h1, &err), -1);
	T_EQ_STR("garbage-msg", err.msg, "not an image: a text file");
	/* the first bytes are enough to tell; what is not an image tl reads is
	 * said, and never reaches a libvips loader (poppler, rsvg, ImageMagick) */
	T_EQ_INT("sniff-png", tl_image_sniff(png, 16, &err), 0);
	T_EQ_INT("sniff-jpeg", tl_image_sniff(jpg, 16, &err), 0);
	{
		static const struct {
			const char *name, *bytes, *msg;
			size_t len;
		} c[] = {
			{ "sniff-empty", "", "empty file", 0 },
			{ "sniff-pdf", "%PDF-1.4\n%\xe2\xe3\n1 0 obj", "not an image: a PDF document", 19 },
			{ "sniff-svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
			  "an SVG drawing: tl reads JPEG, PNG, GIF, WebP, TIFF and HEIF/AVIF", 41 },
			{ "sniff-zip", "PK\3\4\24\0\0\0\10\0", "not an image: a zip archive", 10 },
			{ "sniff-gzip", "\x1f\x8b\10\0\0\0\0\0", "not an image: a gzip file", 8 },
			{ "sniff-elf", "\x7f" "ELF\2\1\1\0", "not an image: an ELF executable", 8 },
			{ "sniff-html", "\n  <!DOCTYPE html><html>", "not an image: an HTML page", 24 },
			{ "sniff-text", "cat\tdog\r\n\xc3\xa9t\xc3", "not an image: a text file", 12 },
			{ "sniff-zeros", "\0\0\0\0\0\0\0\0", "not an image: its 8 bytes are all zero", 8 },
			{ "sniff-bmp", "BM\x36\0\0\0\0\0\0\0\x36\0\0\0",
			  "a BMP image: tl reads JPEG, PNG, GIF, WebP, TIFF and HEIF/AVIF", 14 },
			{ "sniff-binary", "\x01\x02\x03\x04\xfe\xff\0\x10", "not an image (unknown format)", 8 },
		};
		for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
			char name[64];

			T_EQ_INT(c[i].name, tl_image_sniff(c[i].bytes, c[i].len, &err), -1);
			snprintf(name, sizeof name, "%s-msg", c[i].name);
			T_EQ_STR(name, err.msg, c[i].msg);
			/* the decoders say the same as the sniff */
			snprintf(name, sizeof name, "%s-probe", c[i].name);
			T_OK(name, tl_image_probe(c[i].bytes, c[i].len, &o, &w, &h, NULL, &err) == -1 &&
			           strcmp(err.msg, c[i].msg) == 0);
		}
	}
	T_EQ_INT("truncated-png", tl_image_decode(png, npng / 2, &o, &out, &err), -1);
	T_OK("truncated-png-nopix", out.pix == NULL);
	T_EQ_INT("truncated-jpeg", tl_image_phash(jpg, njpg * 2 / 3, &o, &h1, &err), -1);
	T_EQ_STR("truncated-jpeg-msg", err.msg, "cannot decode: Premature end of input file");

	free(png);
	free(jpg);
	T_DONE();
}
