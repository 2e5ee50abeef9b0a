/*
 * prep.c - the named scalings of a network's input, and resizing decoded
 * pixels to it with libvips.
 *
 * Resizing goes through vips_thumbnail_image, which shrinks by box filtering
 * before its final kernel: a large photo is averaged, not point-sampled, so
 * the network sees what a person would.  An image already at the input size
 * is used as is (no resampling), which keeps exact-size references exact.
 */
#include <stdio.h>
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

int
tl_prep_pixels(const struct tl_prep *p, const unsigned char *pix, int w, int h,
               float *out, struct tl_err *err)
{
	VipsImage *in = NULL, *t = NULL, *c = NULL;
	const unsigned char *src = pix;
	unsigned char *mem = NULL;
	size_t n = (size_t)p->width * p->height;
	int st = 0;

	if (w != p->width || h != p->height) {
		in = vips_image_new_from_memory(pix, (size_t)w * h * 3, w, h, 3,
		    VIPS_FORMAT_UCHAR);
		if (in == NULL)
			return vfail(err);
		if (p->mode == TL_RESIZE_SQUASH) {
			if (vips_thumbnail_image(in, &c, p->width, "height", p->height,
			    "size", VIPS_SIZE_FORCE, NULL))
				st = -1;
		} else {
			/* shorter side to p->resize, then the centre p->width x p->height */
			double s = (double)p->resize / (w < h ? w : h);
			int rw = (int)(w * s + 0.5), rh = (int)(h * s + 0.5);
			if (rw < p->width)
				rw = p->width;
			if (rh < p->height)
				rh = p->height;
			if (vips_thumbnail_image(in, &t, rw, "height", rh, "size",
			    VIPS_SIZE_FORCE, NULL) ||
			    vips_extract_area(t, &c, (rw - p->width) / 2, (rh - p->height) / 2,
			    p->width, p->height, NULL))
				st = -1;
		}
		if (st == 0 && (c->Xsize != p->width || c->Ysize != p->height || c->Bands != 3))
			st = -1;
		if (st == 0 && (mem = vips_image_write_to_memory(c, NULL)) == NULL)
			st = -1;
		if (st < 0)
			vfail(err);
		src = mem;
	}
	if (st == 0)
		for (size_t i = 0; i < n; i++)
			for (int k = 0; k < 3; k++)
				out[3 * i + k] = (float)src[3 * i + k] * p->mul[k] + p->add[k];
	g_free(mem);
	if (c)
		g_object_unref(c);
	if (t)
		g_object_unref(t);
	if (in)
		g_object_unref(in);
	return st;
}
