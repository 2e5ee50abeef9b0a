/*
 * shots.c - the top losses' images (shots.h).  Only wrong verdicts
 * ("unknown" included) are offered.  Two bounded min-heaps: one of those
 * with probabilities, by loss; one of those without, by confidence (tl_eval's order when no record has prob).  The
 * heap's root is the shot that matters least, replaced when a larger loss
 * comes.  Images are copied as they come (encoded bytes, or raw pixels)
 * and decoded only by tl_shots_thumb, for the page.
 *
 * Not here: which records are the top losses in the end (metrics.c), the
 * HTML (html.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classify/cam.h"
#include "core/tensor.h"
#include "learn/probq.h"
#include "report/shots.h"

struct shot {
	size_t rec;            /* index in the set */
	double key;            /* the loss (or the confidence of a wrong verdict) */
	int pix, w, h;         /* pix: data is [h,w,3] u8; else an encoded file */
	unsigned char *data;
	size_t len;
	unsigned char *cam;    /* [ch,cw] u8 or NULL */
	int cw, ch;
	unsigned char *acts;   /* [an,ah,aw] u8 or NULL: a layer's channels */
	int an, ah, aw;
	char method[128];      /* "cam_method", or "cam" (with a cam) */
};

struct tl_shots {
	int cap;
	struct shot *h[2]; /* heaps: 0 records with prob, by loss; 1 wrong without prob, by conf */
	int n[2], alloc[2];
	struct tl_prep prep;
};

struct tl_shots *
tl_shots_new(int n, const struct tl_rec *header)
{
	struct tl_shots *sh = calloc(1, sizeof *sh);
	const msgpack_object *pp = header ? tl_rec_get(header, "preprocess") : NULL, *w, *h;

	if (sh == NULL)
		return NULL;
	sh->cap = n;
	/* as tl-classify places its heat maps: the header's input size; the
	 * crop's shorter side 8/7 of the width */
	sh->prep.mode = TL_RESIZE_SQUASH;
	if (pp && pp->type == MSGPACK_OBJECT_MAP) {
		w = tl_obj_get(pp, "width"), h = tl_obj_get(pp, "height");
		sh->prep.width = w && w->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (int)w->via.u64 : 224;
		sh->prep.height = h && h->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (int)h->via.u64 : 224;
		if (!tl_obj_is_str(tl_obj_get(pp, "resize"), "squash"))
			sh->prep.mode = TL_RESIZE_CROP;
		sh->prep.resize = sh->prep.width * 8 / 7;
	}
	return sh;
}

static void
shot_free(struct shot *x)
{
	free(x->data), free(x->cam), free(x->acts);
	x->data = x->cam = x->acts = NULL;
}

void
tl_shots_free(struct tl_shots *sh)
{
	if (sh == NULL)
		return;
	for (int q = 0; q < 2; q++) {
		for (int i = 0; i < sh->n[q]; i++)
			shot_free(&sh->h[q][i]);
		free(sh->h[q]);
	}
	free(sh);
}

/* a matters less than b: a smaller loss, or the same loss later in the
 * stream (tl_eval_run's order reversed) */
static int
lesser(const struct shot *a, const struct shot *b)
{
	return a->key != b->key ? a->key < b->key : a->rec > b->rec;
}

static void
sift(struct shot *h, int n, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		struct shot t;
		if (l < n && lesser(&h[l], &h[m]))
			m = l;
		if (r < n && lesser(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		t = h[i], h[i] = h[m], h[m] = t;
		i = m;
	}
}

static unsigned char *
dup(const void *p, size_t n)
{
	unsigned char *q = malloc(n ? n : 1);

	if (q)
		memcpy(q, p, n);
	return q;
}

/* Copies rec's image (img, else pix |u1 [h,w,3]) and cam (|u1 [h,w]) into
 * x.  1 copied; 0 the record has no image; -1 out of memory. */
static int
copy_image(struct tl_rec *rec, struct shot *x)
{
	const msgpack_object *o = tl_rec_get(rec, "img");
	struct tl_tensor t;
	struct tl_err err;

	if (o && o->type == MSGPACK_OBJECT_BIN && o->via.bin.size > 0) {
		x->len = o->via.bin.size;
		if ((x->data = dup(o->via.bin.ptr, x->len)) == NULL)
			return -1;
	} else if (tl_rec_get(rec, "pix") && tl_rec_tensor(rec, "pix", &t, &err) == 0 &&
	           t.dtype == TL_U8 && t.ndim == 3 && t.shape[2] == 3 && t.shape[0] > 0 &&
	           t.shape[1] > 0 && t.shape[0] <= 65535 && t.shape[1] <= 65535) {
		x->pix = 1, x->h = (int)t.shape[0], x->w = (int)t.shape[1], x->len = t.count;
		if ((x->data = dup(t.data, x->len)) == NULL)
			return -1;
	} else {
		return 0;
	}
	if (tl_rec_get(rec, "cam") && tl_rec_tensor(rec, "cam", &t, &err) == 0 && t.dtype == TL_U8 &&
	    t.ndim == 2 && t.shape[0] > 0 && t.shape[1] > 0 && t.shape[0] <= 4096 && t.shape[1] <= 4096) {
		const char *m = tl_rec_str(rec, "cam_method");
		x->ch = (int)t.shape[0], x->cw = (int)t.shape[1];
		if ((x->cam = dup(t.data, t.count)) == NULL)
			return shot_free(x), -1;
		snprintf(x->method, sizeof x->method, "%s", m && *m ? m : "cam");
	} else if (tl_rec_get(rec, "acts") && tl_rec_tensor(rec, "acts", &t, &err) == 0 &&
	    t.dtype == TL_U8 && t.ndim == 3 && t.shape[0] > 0 && t.shape[0] <= 16 &&
	    t.shape[1] > 0 && t.shape[2] > 0 && t.shape[1] <= 4096 && t.shape[2] <= 4096) {
		const char *m = tl_rec_str(rec, "cam_method");
		x->an = (int)t.shape[0], x->ah = (int)t.shape[1], x->aw = (int)t.shape[2];
		if ((x->acts = dup(t.data, t.count)) == NULL)
			return shot_free(x), -1;
		snprintf(x->method, sizeof x->method, "%s", m && *m ? m : "activations");
	}
	return 1;
}

int
tl_shots_offer(struct tl_shots *sh, const struct tl_evalset *s, size_t i, struct tl_rec *rec)
{
	struct tl_eval_rec e;
	struct shot x = { 0 }, *h;
	int q, *n, rc;

	if (sh == NULL || sh->cap == 0)
		return TL_OK;
	tl_evalset_record(s, i, &e);
	if (e.label < 0 || e.pred == -2 || e.pred == e.label) /* top losses are wrong verdicts */
		return TL_OK;
	if (e.prob) { /* -ln p(label), as metrics.c ranks the top losses */
		x.key = tl_probq_loss(e.prob, tl_evalset_nclass(s), e.label, &tl_probq_report), q = 0;
	} else {
		x.key = isnan(e.conf) ? 0 : e.conf, q = 1;
	}
	x.rec = i;
	n = &sh->n[q];
	if (*n == sh->cap && !lesser(&sh->h[q][0], &x))
		return TL_OK;
	if ((rc = copy_image(rec, &x)) <= 0)
		return rc < 0 ? TL_NOMEM : TL_OK;
	if (*n == sh->cap) {
		shot_free(&sh->h[q][0]);
		sh->h[q][0] = x;
		sift(sh->h[q], *n, 0);
		return TL_OK;
	}
	if (*n == sh->alloc[q]) {
		int cap = sh->alloc[q] ? 2 * sh->alloc[q] : 16;
		cap = cap > sh->cap ? sh->cap : cap;
		if ((h = realloc(sh->h[q], cap * sizeof *h)) == NULL)
			return shot_free(&x), TL_NOMEM;
		sh->h[q] = h, sh->alloc[q] = cap;
	}
	h = sh->h[q];
	h[*n] = x;
	for (int j = (*n)++; j > 0 && lesser(&h[j], &h[(j - 1) / 2]); j = (j - 1) / 2) {
		struct shot t = h[j];
		h[j] = h[(j - 1) / 2], h[(j - 1) / 2] = t;
	}
	return TL_OK;
}

static const struct shot *
shot_of(const struct tl_shots *sh, size_t rec)
{
	for (int q = 0; sh && q < 2; q++)
		for (int i = 0; i < sh->n[q]; i++)
			if (sh->h[q][i].rec == rec)
				return &sh->h[q][i];
	return NULL;
}

int
tl_shots_kept(const struct tl_shots *sh, size_t rec)
{
	const struct shot *x = shot_of(sh, rec);

	return x == NULL ? 0 : x->cam || x->acts ? 2 : 1;
}

/* A layer's channels over thumbnail im, in place: a grid of 4 columns,
 * each cell the part of the image the network saw (nearest pixels) with
 * one channel blended over it, best first.  1, or 0 when out of memory
 * (im unchanged). */
static int
acts_grid(const struct shot *x, struct tl_image *im, const struct tl_cam_region *reg)
{
	int cols = 4, rows = (x->an + cols - 1) / cols;
	int cw = im->width / cols, ch = im->height / rows;
	struct tl_cam_region whole = { 0, 0, cw, ch };
	unsigned char *cell, *out;

	if (cw < 1 || ch < 1)
		return 0;
	cell = malloc((size_t)cw * ch * 3);
	out = calloc((size_t)im->width * im->height, 3);
	if (cell == NULL || out == NULL) {
		free(cell), free(out);
		return 0;
	}
	for (int q = 0; q < x->an; q++) {
		int x0 = q % cols * cw, y0 = q / cols * ch;
		for (int y = 0; y < ch; y++)
			for (int xx = 0; xx < cw; xx++) {
				int sx = (int)(reg->x0 + (xx + 0.5) * reg->rw / cw);
				int sy = (int)(reg->y0 + (y + 0.5) * reg->rh / ch);
				sx = sx < 0 ? 0 : sx >= im->width ? im->width - 1 : sx;
				sy = sy < 0 ? 0 : sy >= im->height ? im->height - 1 : sy;
				memcpy(cell + ((size_t)y * cw + xx) * 3,
				    im->pix + ((size_t)sy * im->width + sx) * 3, 3);
			}
		tl_cam_overlay(cell, cw, ch, x->acts + (size_t)q * x->ah * x->aw, x->aw, x->ah,
		    &whole, cell);
		for (int y = 0; y < ch; y++)
			memcpy(out + ((size_t)(y0 + y) * im->width + x0) * 3, cell + (size_t)y * cw * 3,
			    (size_t)cw * 3);
	}
	memcpy(im->pix, out, (size_t)im->width * im->height * 3);
	free(cell), free(out);
	return 1;
}

const char *
tl_shots_method(const struct tl_shots *sh, size_t rec)
{
	const struct shot *x = shot_of(sh, rec);

	return x && (x->cam || x->acts) ? x->method : NULL;
}

int
tl_shots_thumb(const struct tl_shots *sh, size_t rec, int side, struct tl_image *im,
               struct tl_err *err)
{
	const struct shot *x = shot_of(sh, rec);
	struct tl_image_opts o = { .max_pixels = TL_IMAGE_MAX_PIXELS_DEFAULT };
	struct tl_image raw = { x ? x->w : 0, x ? x->h : 0, x ? x->data : NULL };
	void *png = NULL;
	size_t len;
	int rc;

	if (x == NULL)
		return 0;
	if (tl_image_init(err) < 0)
		return -1;
	if (x->pix) { /* through PNG: one path for both kinds */
		if (tl_image_encode_png(&raw, &png, &len, err) < 0)
			return -1;
		rc = tl_image_thumbnail(png, len, &o, side, TL_FIT, im, NULL, err);
		free(png);
	} else {
		rc = tl_image_thumbnail(x->data, x->len, &o, side, TL_FIT, im, NULL, err);
	}
	return rc < 0 ? -1 : 1;
}

int
tl_shots_heat(const struct tl_shots *sh, size_t rec, struct tl_image *im)
{
	const struct shot *x = shot_of(sh, rec);
	struct tl_cam_region reg;

	if (x == NULL || (x->cam == NULL && x->acts == NULL))
		return 0;
	tl_cam_region(&sh->prep, im->width, im->height, &reg);
	if (sh->prep.width == 0)
		reg.x0 = reg.y0 = 0, reg.rw = im->width, reg.rh = im->height;
	if (x->cam == NULL)
		return acts_grid(x, im, &reg);
	tl_cam_overlay(im->pix, im->width, im->height, x->cam, x->cw, x->ch, &reg, im->pix);
	return 1;
}
