/*
 * prep.c - the named scalings of a network's input, and resizing decoded
 * pixels to it with libvips.
 *
 * Resizing goes through vips_resize, which shrinks by box filtering before
 * its final kernel: a large photo is averaged, not point-sampled, so the
 * network sees what a person would.  An image already at the input size
 * is used as is (no resampling), which keeps exact-size references exact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vips/vips.h>

#include "backbone/prep.h"

int
tl_prep_set_scale(struct tl_prep *p, const char *scale)
{
	static const struct {
		const char *name;
		float mean[3], std[3];
	} scales[] = {
		{ "[0,1]", { 0, 0, 0 }, { 1, 1, 1 } },
		{ "[-1,1]", { 0.5f, 0.5f, 0.5f }, { 0.5f, 0.5f, 0.5f } },
		{ "imagenet", { 0.485f, 0.456f, 0.406f }, { 0.229f, 0.224f, 0.225f } },
		/* the pixel values as they are: networks that fold the /255
		 * into their first convolution (centernet) */
		{ "[0,255]", { 0, 0, 0 }, { 0, 0, 0 } },
	};

	for (size_t i = 0; i < sizeof scales / sizeof scales[0]; i++) {
		if (strcmp(scale, scales[i].name) != 0)
			continue;
		snprintf(p->scale, sizeof p->scale, "%s", scale);
		for (int c = 0; c < 3; c++) {
			int raw = scales[i].std[c] == 0;
			p->mul[c] = raw ? 1.0f : 1.0f / (255.0f * scales[i].std[c]);
			p->add[c] = raw ? 0.0f : -scales[i].mean[c] / scales[i].std[c];
		}
		return 0;
	}
	return -1;
}

static int
vfail(struct tl_err *err)
{
	tl_err_set(err, "resize failed (libvips: %.200s)", vips_error_buffer());
	vips_error_clear();
	return -1;
}

/* in resized by exactly (rw/w, rh/h).  The scales are written as
 * vips_thumbnail_image computes them (1 / shrink), which this replaces: the
 * same vips_resize call, the same pixels, without thumbnail's checks. */
static int
resize(VipsImage *in, int w, int h, int rw, int rh, VipsImage **out)
{
	return vips_resize(in, out, 1.0 / ((double)w / rw), "vscale", 1.0 / ((double)h / rh),
	    NULL);
}

int
tl_prep_crop(const struct tl_prep *p, const unsigned char *pix, int w, int h,
             unsigned char *crop, struct tl_err *err)
{
	VipsImage *in, *t = NULL, *c = NULL;
	unsigned char *mem = NULL;
	int st = 0;

	if (w == p->width && h == p->height) {
		memcpy(crop, pix, (size_t)w * h * 3);
		return 0;
	}
	in = vips_image_new_from_memory(pix, (size_t)w * h * 3, w, h, 3, VIPS_FORMAT_UCHAR);
	if (in == NULL)
		return vfail(err);
	if (p->mode == TL_RESIZE_SQUASH) {
		if (resize(in, w, h, p->width, p->height, &c))
			st = -1;
	} else {
		/* shorter side to p->resize, then the centre p->width x p->height */
		double s = (double)p->resize / (w < h ? w : h);
		int rw = (int)(w * s + 0.5), rh = (int)(h * s + 0.5);
		if (rw < p->width)
			rw = p->width;
		if (rh < p->height)
			rh = p->height;
		if (resize(in, w, h, rw, rh, &t) ||
		    vips_extract_area(t, &c, (rw - p->width) / 2, (rh - p->height) / 2,
		    p->width, p->height, NULL))
			st = -1;
	}
	if (st == 0 && (c->Xsize != p->width || c->Ysize != p->height || c->Bands != 3))
		st = -1;
	if (st == 0 && (mem = vips_image_write_to_memory(c, NULL)) == NULL)
		st = -1;
	if (st == 0)
		memcpy(crop, mem, (size_t)p->width * p->height * 3);
	g_free(mem);
	if (st < 0)
		vfail(err);
	if (c)
		g_object_unref(c);
	if (t)
		g_object_unref(t);
	g_object_unref(in);
	return st;
}

void
tl_prep_scale(const struct tl_prep *p, const unsigned char *crop, float *out)
{
	size_t n = (size_t)p->width * p->height;

	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 3; k++)
			out[3 * i + k] = (float)crop[3 * i + k] * p->mul[k] + p->add[k];
}

int
tl_prep_same_crop(const struct tl_prep *a, const struct tl_prep *b)
{
	return a->width == b->width && a->height == b->height && a->mode == b->mode &&
	    (a->mode == TL_RESIZE_SQUASH || a->resize == b->resize);
}

int
tl_prep_min_side(const struct tl_prep *p)
{
	if (p->mode == TL_RESIZE_CROP)
		return p->resize;
	return p->width > p->height ? p->width : p->height;
}

int
tl_prep_pixels(const struct tl_prep *p, const unsigned char *pix, int w, int h,
               float *out, struct tl_err *err)
{
	unsigned char *crop = malloc((size_t)p->width * p->height * 3);

	if (crop == NULL)
		return tl_err_set(err, "out of memory");
	if (tl_prep_crop(p, pix, w, h, crop, err) < 0) {
		free(crop);
		return -1;
	}
	tl_prep_scale(p, crop, out);
	free(crop);
	return 0;
}
