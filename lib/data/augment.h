/*
 * augment.h - random variants of a picture for training (tl-augment(1)):
 * random resized crop, flips, rotation with reflected or cropped edges,
 * zoom, brightness/contrast/saturation/hue jitter, blur, noise and cutout,
 * all done with libvips, ending in size x size sRGB pixels.
 *
 * Two steps, kept apart so each can be tested alone:
 *   tl_aug_draw   opts + (seed, id, k) + the picture's size -> struct
 *                 tl_aug_params, every random choice made, already rounded
 *                 to the precision tl_aug_describe prints, so the
 *                 description is exactly what is done;
 *   tl_aug_apply  params + pixels -> pixels, no randomness left (the noise
 *                 field comes from a seed drawn in step one).
 * tl_augmenter wraps both for records: it decodes a record's picture once
 * ("pix" when present, else "img", shrunk on load when much larger than
 * needed) and makes the original and its variants as records.
 *
 * Ownership: images and records returned are the caller's; opts are copied.
 * Not here: which records to augment (tl-augment.c), the contact sheet
 * (contact.h), libvips start-up (tl_image_init, image.h).
 */
#ifndef TL_AUGMENT_H
#define TL_AUGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/rec.h"
#include "data/image.h"

enum { TL_FLIP_H = 1, TL_FLIP_V = 2 };
enum tl_aug_fill { TL_FILL_REFLECT, TL_FILL_CROP };

struct tl_aug_opts {
	int size;                      /* output side N, pixels */
	uint64_t seed;
	int flip;                      /* TL_FLIP_H | TL_FLIP_V: each axis with p = 1/2 */
	double rotate;                 /* degrees: uniform in [-rotate, rotate] */
	enum tl_aug_fill fill;
	double zoom_min, zoom_max;     /* log-uniform; 1:1 off */
	double crop_min, crop_max;     /* area share of the random resized crop; 1:1 off */
	double ratio_min, ratio_max;   /* its aspect ratio w/h, log-uniform */
	double brightness, contrast, saturation; /* factor uniform in [1-x, 1+x] */
	double hue;                    /* degrees of LCh hue: uniform in [-hue, hue] */
	double blur, blur_prob;        /* sigma uniform in (0, blur], with probability */
	double noise;                  /* gaussian noise sigma, 0..255 units */
	double cutout;                 /* share of the output zeroed (a square) */
	int min_size;                  /* zoom-out guard, source pixels (see draw) */
	struct tl_image_opts image;    /* decoding limits */
};

/* Sets every transform from a preset: "none", "light", "medium" (the
 * default) or "heavy"; size, seed, min_size and image are left alone.
 * -1 for an unknown name. */
int tl_aug_preset(struct tl_aug_opts *o, const char *name);

/* Every choice for one variant.  Rectangles are integer pixels: crop in the
 * source picture (src_w x src_h), cutout in the output. */
struct tl_aug_params {
	int src_w, src_h;
	int crop;                      /* 0: the centred square, not described */
	int cx, cy, cw, ch;
	int flip;                      /* TL_FLIP_H | TL_FLIP_V */
	double rot;                    /* degrees counter-clockwise, 0.1 steps */
	double zoom;                   /* > 1 in, < 1 out; 0.01 steps */
	double bright, contrast, sat;  /* factors, 0.01 steps; 1: off */
	double hue;                    /* degrees, 0.1 steps */
	double blur;                   /* sigma, 0.01 steps; 0: off */
	double noise;                  /* sigma, 0.1 steps; 0: off */
	int noise_seed;
	int cut;                       /* cutout square, when cut != 0 */
	int cut_x, cut_y, cut_w, cut_h;
};

/* Identity: the centred square of a w x h picture, nothing else. */
void tl_aug_identity(struct tl_aug_params *p, int w, int h);

/* Draws variant k of record id from a w x h picture.  The zoom-out guard:
 * a zoom z < 1 is raised so that z * S >= min_size, S being the shorter
 * side in source pixels of the part kept (the crop, else min(w, h)); to 1
 * when S <= min_size.  Under TL_FILL_CROP the zoom is raised to the least
 * that keeps the rotated picture covering the whole output. */
void tl_aug_draw(const struct tl_aug_opts *o, int w, int h, const char *id, uint64_t k,
                 struct tl_aug_params *p);

/* The description, in the order of application, e.g.
 * "crop=300x260@(12,30),flip,rot=-7.5,zoom=1.10,bright=1.05"; "" for the
 * identity.  Returns the length (truncated to len-1 like snprintf). */
size_t tl_aug_describe(const struct tl_aug_params *p, char *buf, size_t len);

/* Applies p to src (any size: when it is not p's src_w x src_h, rectangles
 * are scaled to it) giving out: size x size pixels (out->pix caller-owned,
 * tl_image_free).  Edges: fill reflect mirrors the picture; the rotated
 * picture is never blended with black.  0 or -1. */
int tl_aug_apply(const struct tl_aug_params *p, int size, const struct tl_image *src,
                 struct tl_image *out, struct tl_err *err);

/* Records. */
struct tl_augmenter;

/* NULL with err set on a bad option (size < 1, min > max, ...). */
struct tl_augmenter *tl_augmenter_new(const struct tl_aug_opts *o, struct tl_err *err);
void tl_augmenter_free(struct tl_augmenter *a); /* accepts NULL */

/* Decodes in's picture ("pix" u1 [H,W,3], else "img") for the calls below;
 * handles one record of many (err.h).  TL_OK, TL_SKIP with err set when the
 * record has neither or it does not decode, or TL_NOMEM. */
int tl_augmenter_load(struct tl_augmenter *a, const struct tl_rec *in, struct tl_err *err);

/* Makes the record for copy k of the loaded picture into out (cleared
 * first): in's keys but img, pix, sha256 and phash; "pix" u1 [N,N,3].
 * k = 0 is the original: same id, aug "" (the identity: centred square
 * resized to N).  k >= 1 is a variant: id "<id>#aug<k>", "of" the source
 * id, "aug" the description.  TL_OK, TL_SKIP (err says why: the picture
 * cannot be transformed): the record's copies end, or TL_NOMEM. */
int tl_augmenter_make(struct tl_augmenter *a, const struct tl_rec *in, uint64_t k,
                      struct tl_rec *out, struct tl_err *err);

/* Rewrites the expected counts of header h (stream.h's "expect" and
 * "expect_train", copied from the input's) for a stream whose train records
 * (every record with all) each become per records: "expect_train" times
 * per; "expect" stays known only where the train share is: with all, or
 * with "expect_train" (n - train + train * per), and is removed otherwise,
 * as is a count past 2^53.  0, or -1 when out of memory. */
int tl_aug_header(struct tl_rec *h, long long per, int all);

#endif
