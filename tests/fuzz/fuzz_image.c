/*
 * fuzz_image.c - libFuzzer target: any bytes as an encoded image, through
 * the paths images take in tl: the header check (tl_image_probe), a full
 * decode normalised to 8-bit sRGB and resized to a network's input
 * (tl_image_decode + tl_prep_pixels, as tl-embed does), and a thumbnail
 * with its perceptual hash (tl_image_thumbnail, as tl-ingest --size does).
 * The pixel limit is the tools' default (100 megapixels), so a small file
 * declaring a huge size must be refused from its header.  Input sizes'
 * parity picks crop or squash/fit, so both resizes get inputs.
 */
#include <stdlib.h>

#include <vips/vips.h>

#include "backbone/prep.h"
#include "data/image.h"
#include "vips_init.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct tl_image_opts o = { .max_pixels = TL_IMAGE_MAX_PIXELS_DEFAULT };
	struct tl_prep p = { .width = 24, .height = 24, .resize = 28,
	                     .mul = { 1 / 255.0f, 1 / 255.0f, 1 / 255.0f } };
	struct tl_image im = { 0 };
	struct tl_err err;
	float out[24 * 24 * 3];
	uint64_t phash;
	int w, h;

	p.mode = size & 1 ? TL_RESIZE_SQUASH : TL_RESIZE_CROP;
	if (tl_image_probe(data, size, &o, &w, &h, NULL, &err) != 0) {
		if (getenv("TL_FUZZ_VERBOSE") != NULL)
			fprintf(stderr, "fuzz_image: %s\n", err.msg);
		return 0;
	}
	if (tl_image_decode(data, size, &o, &im, &err) == 0) {
		if (im.width != w || im.height != h) {
			fprintf(stderr, "fuzz_image: probe says %dx%d, decode %dx%d\n", w, h,
			        im.width, im.height);
			abort();
		}
		(void)tl_prep_pixels(&p, im.pix, im.width, im.height, out, &err);
		tl_image_free(&im);
	}
	if (tl_image_thumbnail(data, size, &o, 20, size & 1 ? TL_FIT : TL_CROP_CENTRE, &im,
	                       &phash, &err) == 0)
		tl_image_free(&im);
	return 0;
}
