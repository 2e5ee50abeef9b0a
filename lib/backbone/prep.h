/*
 * prep.h - turning decoded pixels into a network's input: resize (squash, or
 * shorter side then centre crop) with libvips, then per-channel scaling.
 *
 * Ownership: nothing here allocates; the caller owns p and the buffers.
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

/* in: pix [h,w,3] u8 sRGB; out: [p->height, p->width, 3] float32 (caller's
 * buffer), x = pix * mul + add.  0 or -1 (err: the libvips reason). */
int tl_prep_pixels(const struct tl_prep *p, const unsigned char *pix, int w, int h,
                   float *out, struct tl_err *err);

#endif
