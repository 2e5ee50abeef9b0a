/*
 * prep.h - turning decoded pixels into a network's input: resize (squash, or
 * shorter side then centre crop) with libvips, then per-channel scaling.
 *
 * Not here: decoding (image.h), what the model wants (model.h says it).
 */
#ifndef TL_PREP_H
#define TL_PREP_H

#include "backbone/model.h"
#include "core/err.h"

/* in: pix [h,w,3] u8 sRGB; out: [p->height, p->width, 3] float32 (caller's
 * buffer), x = pix * mul + add.  0 or -1 (err: the libvips reason). */
int tl_prep_pixels(const struct tl_prep *p, const unsigned char *pix, int w, int h,
                   float *out, struct tl_err *err);

#endif
