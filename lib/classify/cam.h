/*
 * cam.h - class activation maps: where in the picture the evidence for a
 * class was, for a linear head on globally average-pooled features.
 *
 * With pooled[c] = mean over the h*w positions of map[i,c], standardised
 * features x[c] = (pooled[c] - mean[c]) * scale[c] (scale = 1/std) and a
 * linear head logit[k] = sum_c W[k,c] x[c] + b[k], the logit is exactly the
 * mean over the positions of
 *
 *     cam[i] = sum_c W[k,c] * (map[i,c] - mean[c]) * scale[c]
 *
 * plus b[k], because standardisation is affine per channel and pooling is a
 * mean.  So cam needs no backpropagation, costs one pass over the map, and
 * mean(cam) + b[k] is the logit the head computed (before its temperature).
 * A normalisation of the pooled vector that is a per-channel factor for this
 * image, u[c] = a[c] * pooled[c] (L2: a = 1/|pooled|; signed square root then
 * L2: a[c] = sqrt|p[c]| / (|p[c]| n)), keeps this exact with map[i,c]
 * replaced by a[c] * map[i,c]: the factors are constants of the image.
 * For stored maps cam is min-max normalised to 0..255 (tl_cam_to_u8); for a
 * person it is coloured (a jet colour map, blue low to red high) and blended
 * half and half over the region of the image the network saw.
 *
 * Everything here is plain C over caller-owned buffers: no allocation, no
 * libvips, no records; nothing returned is the caller's to free.  Not here:
 * where map and W come from (classify.h), the PNG (image.h).
 */
#ifndef TL_CAM_H
#define TL_CAM_H

#include "backbone/prep.h"       /* struct tl_prep, what tl_cam_region reads */

/* map: [hw, c] f32 (NHWC, positions in row-major order); wk: [c] the head's
 * weights for class k; gain, mean, scale: [c] (NULL: 1, 0 and 1); out: [hw]
 * f32 (caller's): out[i] = sum_c wk[c] * (gain[c] * map[i,c] - mean[c]) *
 * scale[c]. */
void tl_cam_compute(const float *map, int hw, int c, const float *wk, const float *gain,
                    const float *mean, const float *scale, float *out);

/* Min-max normalisation: out[i] = round(255 * (x[i] - min) / (max - min)), all
 * 0 when the map is flat (max == min) or holds a non-finite value. */
void tl_cam_to_u8(const float *x, int n, unsigned char *out);

/* The jet colour of v (0 dark blue, 128 green-ish, 255 dark red) into rgb[3]. */
void tl_cam_colour(unsigned char v, unsigned char rgb[3]);

/* The rectangle of a w x h image that the network saw under preprocessing p,
 * in image pixels: the whole image for a squash, the centre crop scaled back
 * for shorter side + crop.  x0, y0, rw, rh are fractional. */
struct tl_cam_region {
	double x0, y0, rw, rh;
};
void tl_cam_region(const struct tl_prep *p, int w, int h, struct tl_cam_region *r);

/* The heat map: pix [h,w,3] u8 sRGB; cam [ch,cw] u8; out [h,w,3] (caller's;
 * may be pix).  Inside the region each pixel is 0.5 * pixel + 0.5 *
 * colour(cam bilinearly resized to the region, sampled at pixel centres);
 * outside it the image is darkened to half, to show what the network did not
 * see. */
void tl_cam_overlay(const unsigned char *pix, int w, int h, const unsigned char *cam,
                    int cw, int ch, const struct tl_cam_region *r, unsigned char *out);

#endif
