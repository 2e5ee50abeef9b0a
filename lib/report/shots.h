/*
 * shots.h - the images of the top losses, kept while the stream is read
 * (tl-report --html).  A struct tl_shots keeps the image (img or pix) and
 * cam of the records with the n largest losses seen so far, in a heap, so
 * memory is n images whatever the stream's length; when the page is
 * written only those are decoded, as thumbnails with their CAM heat map
 * overlaid (cam.h: jet colours blended half and half over the part the
 * network saw).
 *
 * Ownership: a struct tl_shots owns copies of the images it keeps
 * (tl_shots_free); a thumbnail from tl_shots_thumb is the caller's
 * (tl_image_free).  Not here: the page and its <img> tags (html.c), the
 * order of the top losses (metrics.h's tl_eval, which this heap follows).
 */
#ifndef TL_SHOTS_H
#define TL_SHOTS_H

#include <stddef.h>

#include "core/err.h"
#include "core/rec.h"
#include "data/image.h"
#include "report/metrics.h"

struct tl_shots;

/* Keeps up to n images; header is the stream's header ("preprocess" says
 * which part of an image the CAM covers; may be NULL).  NULL when out of
 * memory. */
struct tl_shots *tl_shots_new(int n, const struct tl_rec *header);
void tl_shots_free(struct tl_shots *sh); /* accepts NULL */

/* Offers rec, just kept by tl_evalset_add as record i of s: its image and
 * cam are copied when its loss is among the n largest so far (the order of
 * tl_eval's top losses).  sh NULL: nothing kept.  TL_OK, or TL_NOMEM. */
int tl_shots_offer(struct tl_shots *sh, const struct tl_evalset *s, size_t i, struct tl_rec *rec);

/* The thumbnail (longer side `side` px) of the image kept for record rec
 * of the set into *im (the caller tl_image_free's it).  1 made; 0 no image
 * kept for rec (or sh NULL); -1 (err) when it cannot be decoded. */
int tl_shots_thumb(const struct tl_shots *sh, size_t rec, int side, struct tl_image *im,
                   struct tl_err *err);

/* What is kept for record rec: 0 nothing (or sh NULL), 1 an image, 2 an
 * image and its CAM (or a layer's channels, "acts"). */
int tl_shots_kept(const struct tl_shots *sh, size_t rec);

/* How record rec's map was made, for the page to name it: its
 * "cam_method" (tl-classify --explain: "cam", "gradcam LAYER", "saliency"),
 * "cam" when it has none; NULL without a map.  Owned by sh. */
const char *tl_shots_method(const struct tl_shots *sh, size_t rec);

/* Overlays the CAM kept for record rec on im, its thumbnail, in place (its
 * "acts", tl-classify --explain activations: a grid of 4 columns of the
 * seen part of the image, a channel over each).  1 overlaid; 0 rec has no
 * CAM (im unchanged). */
int tl_shots_heat(const struct tl_shots *sh, size_t rec, struct tl_image *im);

#endif
