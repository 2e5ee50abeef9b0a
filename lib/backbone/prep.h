/*
 * prep.h - turning decoded pixels into a network's input: resize (squash, or
 * shorter side then centre crop) with libvips, then per-channel scaling;
 * the two steps apart too, so that backbones that crop alike share a crop.
 *
 * Ownership: the caller owns p and the buffers; only tl_prep_pixels
 * allocates (its crop, freed before it returns).
 *
 * Not here: decoding (image.h), what the model wants (model.h reads it
 * from the sidecar into a struct tl_prep).
 */
#ifndef TL_PREP_H
#define TL_PREP_H

#include "core/err.h"

enum tl_resize {
	TL_RESIZE_SQUASH, /* the whole image to exactly width x height */
	TL_RESIZE_CROP,   /* shorter side to `resize`, then a centre crop */
};

/* Input of the network: x[c] = pix[c] * mul[c] + add[c], pix in 0..255. */
struct tl_prep {
	int width, height;   /* network input */
	enum tl_resize mode;
	int resize;          /* TL_RESIZE_CROP: shorter side before cropping */
	char scale[32];      /* "[0,1]", "[-1,1]", "imagenet", "[0,255]" */
	float mul[3], add[3];
};

/* Sets a named scaling ("[0,1]", "[-1,1]", "imagenet", "[0,255]") in p.  -1 if unknown. */
int tl_prep_set_scale(struct tl_prep *p, const char *scale);

/* pix [h,w,3] u8 sRGB resized (and cropped) as p says into crop
 * [p->height, p->width, 3] u8 (caller's buffer).  0 or -1 (err: the libvips
 * reason). */
int tl_prep_crop(const struct tl_prep *p, const unsigned char *pix, int w, int h,
                 unsigned char *crop, struct tl_err *err);

/* crop [p->height, p->width, 3] u8 -> out, the network's input: x = pix * mul + add. */
void tl_prep_scale(const struct tl_prep *p, const unsigned char *crop, float *out);

/* 1 when a and b crop every image the same way (only their scaling may
 * differ): one crop serves both. */
int tl_prep_same_crop(const struct tl_prep *a, const struct tl_prep *b);

/* The shorter side an image may be decoded down to before tl_prep_crop
 * without losing detail p would keep (image.h's min_side). */
int tl_prep_min_side(const struct tl_prep *p);

/* tl_prep_crop then tl_prep_scale.  in: pix [h,w,3] u8 sRGB; out: [p->height, p->width, 3] float32 (caller's
 * buffer), x = pix * mul + add.  0 or -1 (err: the libvips reason). */
int tl_prep_pixels(const struct tl_prep *p, const unsigned char *pix, int w, int h,
                   float *out, struct tl_err *err);

#endif
