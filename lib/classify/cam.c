/*
 * cam.c - class activation maps for a linear head (the formula is in cam.h),
 * their normalisation to bytes, and the heat map drawn over the image.
 */
#include <math.h>

#include "classify/cam.h"

void
tl_cam_compute(const float *map, int hw, int c, const float *wk, const float *gain,
               const float *mean, const float *scale, float *out)
{
	for (int i = 0; i < hw; i++) {
		const float *m = map + (size_t)i * c;
		double s = 0;

		for (int j = 0; j < c; j++)
			s += wk[j] * ((gain ? gain[j] : 1) * (double)m[j] - (mean ? mean[j] : 0)) *
			    (scale ? scale[j] : 1);
		out[i] = (float)s;
	}
}

void
tl_cam_to_u8(const float *x, int n, unsigned char *out)
{
	float lo = INFINITY, hi = -INFINITY;
	int finite = 1;

	for (int i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			finite = 0;
		if (x[i] < lo)
			lo = x[i];
		if (x[i] > hi)
			hi = x[i];
	}
	for (int i = 0; i < n; i++)
		out[i] = finite && hi > lo ?
		    (unsigned char)lrint(255.0 * ((double)x[i] - lo) / ((double)hi - lo)) : 0;
}

static double
clamp01(double v)
{
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

void
tl_cam_colour(unsigned char v, unsigned char rgb[3])
{
	double t = v / 255.0;

	/* jet: each channel a tent of width 2 (in units of 1/4) clipped to 0..1 */
	rgb[0] = (unsigned char)lrint(255 * clamp01(1.5 - fabs(4 * t - 3)));
	rgb[1] = (unsigned char)lrint(255 * clamp01(1.5 - fabs(4 * t - 2)));
	rgb[2] = (unsigned char)lrint(255 * clamp01(1.5 - fabs(4 * t - 1)));
}

void
tl_cam_region(const struct tl_prep *p, int w, int h, struct tl_cam_region *r)
{
	r->x0 = r->y0 = 0;
	r->rw = w;
	r->rh = h;
	if (p->mode == TL_RESIZE_CROP && p->resize > 0) {
		/* prep.c: shorter side to p->resize, then the centre width x height */
		double s = (double)p->resize / (w < h ? w : h);
		double cw = p->width / s, ch = p->height / s;

		if (cw < w) {
			r->x0 = (w - cw) / 2;
			r->rw = cw;
		}
		if (ch < h) {
			r->y0 = (h - ch) / 2;
			r->rh = ch;
		}
	}
}

/* Bilinear sample of cam [ch,cw] at fractional cell coordinates (u, v),
 * cell centres at integers, clamped at the edges. */
static double
sample(const unsigned char *cam, int cw, int ch, double u, double v)
{
	int x0, y0, x1, y1;
	double fx, fy;

	u = u < 0 ? 0 : u > cw - 1 ? cw - 1 : u;
	v = v < 0 ? 0 : v > ch - 1 ? ch - 1 : v;
	x0 = (int)u, y0 = (int)v;
	x1 = x0 + 1 < cw ? x0 + 1 : x0;
	y1 = y0 + 1 < ch ? y0 + 1 : y0;
	fx = u - x0, fy = v - y0;
	return (1 - fy) * ((1 - fx) * cam[y0 * cw + x0] + fx * cam[y0 * cw + x1]) +
	    fy * ((1 - fx) * cam[y1 * cw + x0] + fx * cam[y1 * cw + x1]);
}

void
tl_cam_overlay(const unsigned char *pix, int w, int h, const unsigned char *cam,
               int cw, int ch, const struct tl_cam_region *r, unsigned char *out)
{
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			size_t o = 3 * ((size_t)y * w + x);
			double px = x + 0.5, py = y + 0.5;

			if (px < r->x0 || px >= r->x0 + r->rw || py < r->y0 || py >= r->y0 + r->rh) {
				for (int k = 0; k < 3; k++)
					out[o + k] = (unsigned char)(pix[o + k] / 2);
				continue;
			}
			/* pixel centre -> cam cell coordinates */
			double u = (px - r->x0) * cw / r->rw - 0.5;
			double v = (py - r->y0) * ch / r->rh - 0.5;
			unsigned char rgb[3];

			tl_cam_colour((unsigned char)lrint(sample(cam, cw, ch, u, v)), rgb);
			for (int k = 0; k < 3; k++)
				out[o + k] = (unsigned char)((pix[o + k] + rgb[k] + 1) / 2);
		}
}
