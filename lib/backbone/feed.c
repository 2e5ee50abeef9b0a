/*
 * feed.c - preparing batches of images on a GLib thread pool, a batch ahead
 * of the network.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "backbone/feed.h"
#include "core/tensor.h"

/* One record of a batch and what became of it. */
struct slot {
	struct tl_feed *f;
	struct tl_rec *rec;
	int batch, idx;
	int failed;
	struct tl_err err;
};

struct tl_feed {
	int nparts, batch;
	struct tl_prep prep[TL_FEED_MAX_PARTS];
	int share[TL_FEED_MAX_PARTS];   /* part k uses part share[k]'s crop */
	size_t insize[TL_FEED_MAX_PARTS]; /* floats per image */
	float *in[2][TL_FEED_MAX_PARTS];
	struct slot *slots[2];          /* [batch] */
	int n[2];                       /* records added to each batch */
	int todo[2];                    /* of them not yet prepared (under lock) */
	int old;                        /* the older batch */
	int taken;                      /* tl_feed_wait took the older batch */
	struct tl_image_opts img;
	GThreadPool *pool;              /* NULL: prepare in tl_feed_add */
	GMutex lock;
	GCond ready;
};

/* Pixels of rec: its pix tensor, or its img decoded into *im. */
static int
pixels(const struct tl_feed *f, const struct tl_rec *rec, struct tl_image *im,
       const unsigned char **pix, int *w, int *h, struct tl_err *err)
{
	const msgpack_object *img = tl_rec_get(rec, "img");
	struct tl_tensor t;

	if (tl_rec_get(rec, "pix") != NULL) {
		if (tl_rec_tensor(rec, "pix", &t, err) < 0)
			return -1;
		if (t.dtype != TL_U8 || t.ndim != 3 || t.shape[2] != 3 || t.shape[0] == 0 ||
		    t.shape[1] == 0)
			return tl_err_set(err, "pix is not a |u1 [H,W,3] tensor");
		*pix = t.data;
		*h = (int)t.shape[0];
		*w = (int)t.shape[1];
		return 0;
	}
	if (img == NULL || img->type != MSGPACK_OBJECT_BIN)
		return tl_err_set(err, "no image (neither img nor pix)");
	if (tl_image_decode(img->via.bin.ptr, img->via.bin.size, &f->img, im, err) < 0)
		return strncmp(err->msg, "not an image", 12) == 0 ? -1 :
		    tl_err_prefix(err, "not an image");
	*pix = im->pix;
	*w = im->width;
	*h = im->height;
	return 0;
}

/* Decodes s's record once and fills each part's input slot; on failure
 * the slots are zeros and s says why. */
static void
prepare(struct slot *s)
{
	struct tl_feed *f = s->f;
	struct tl_image im = { 0 };
	unsigned char *crop[TL_FEED_MAX_PARTS] = { 0 };
	const unsigned char *pix = NULL;
	int w = 0, h = 0, st;

	st = pixels(f, s->rec, &im, &pix, &w, &h, &s->err);
	for (int k = 0; k < f->nparts && st == 0; k++) {
		const struct tl_prep *p = &f->prep[k];
		if (f->share[k] == k) {
			if ((crop[k] = malloc((size_t)p->width * p->height * 3)) == NULL)
				st = tl_err_set(&s->err, "out of memory");
			else
				st = tl_prep_crop(p, pix, w, h, crop[k], &s->err);
		}
		if (st == 0)
			tl_prep_scale(p, crop[f->share[k]], f->in[s->batch][k] + s->idx * f->insize[k]);
	}
	s->failed = st < 0;
	for (int k = 0; k < f->nparts; k++) {
		if (s->failed)
			memset(f->in[s->batch][k] + s->idx * f->insize[k], 0,
			    f->insize[k] * sizeof(float));
		free(crop[k]);
	}
	tl_image_free(&im);
}

static void
work(void *data, void *unused)
{
	struct slot *s = data;
	struct tl_feed *f = s->f;

	(void)unused;
	prepare(s);
	g_mutex_lock(&f->lock);
	if (--f->todo[s->batch] == 0)
		g_cond_broadcast(&f->ready);
	g_mutex_unlock(&f->lock);
}

struct tl_feed *
tl_feed_new(const struct tl_prep *preps, int nparts, int batch, int threads,
            const struct tl_image_opts *img, struct tl_err *err)
{
	struct tl_feed *f = calloc(1, sizeof *f);
	GError *gerr = NULL;

	if (f == NULL)
		return tl_err_set(err, "out of memory"), NULL;
	g_mutex_init(&f->lock);
	g_cond_init(&f->ready);
	f->nparts = nparts;
	f->batch = batch;
	f->img = *img;
	for (int k = 0; k < nparts; k++) {
		f->prep[k] = preps[k];
		f->insize[k] = (size_t)preps[k].width * preps[k].height * 3;
		f->share[k] = k;
		for (int j = 0; j < k && f->share[k] == k; j++)
			if (tl_prep_same_crop(&preps[j], &preps[k]))
				f->share[k] = j;
		/* decoded no smaller than the largest input needs */
		if (tl_prep_min_side(&preps[k]) > f->img.min_side)
			f->img.min_side = tl_prep_min_side(&preps[k]);
		for (int b = 0; b < 2; b++)
			if ((f->in[b][k] = malloc((size_t)batch * f->insize[k] * sizeof(float))) == NULL)
				goto nomem;
	}
	for (int b = 0; b < 2; b++) {
		if ((f->slots[b] = calloc((size_t)batch, sizeof *f->slots[b])) == NULL)
			goto nomem;
		for (int i = 0; i < batch; i++) {
			f->slots[b][i] = (struct slot){ .f = f, .batch = b, .idx = i };
			if ((f->slots[b][i].rec = tl_rec_new()) == NULL)
				goto nomem;
		}
	}
	if (threads > 0 &&
	    (f->pool = g_thread_pool_new(work, NULL, threads, TRUE, &gerr)) == NULL) {
		tl_err_set(err, "cannot start %d decoding threads: %s", threads, gerr->message);
		g_error_free(gerr);
		tl_feed_free(f);
		return NULL;
	}
	return f;
nomem:
	tl_feed_free(f);
	tl_err_set(err, "out of memory");
	return NULL;
}

void
tl_feed_free(struct tl_feed *f)
{
	if (f == NULL)
		return;
	if (f->pool)
		g_thread_pool_free(f->pool, FALSE, TRUE);
	for (int b = 0; b < 2; b++) {
		for (int k = 0; k < f->nparts; k++)
			free(f->in[b][k]);
		for (int i = 0; f->slots[b] && i < f->batch; i++)
			tl_rec_free(f->slots[b][i].rec);
		free(f->slots[b]);
	}
	g_cond_clear(&f->ready);
	g_mutex_clear(&f->lock);
	free(f);
}

int
tl_feed_full(const struct tl_feed *f)
{
	return (f->taken || f->n[f->old] == f->batch) && f->n[!f->old] == f->batch;
}

int
tl_feed_queued(const struct tl_feed *f)
{
	return f->n[0] + f->n[1];
}

int
tl_feed_add(struct tl_feed *f, const struct tl_rec *rec, struct tl_err *err)
{
	int b = !f->taken && f->n[f->old] < f->batch ? f->old : !f->old;
	struct slot *s = &f->slots[b][f->n[b]];
	GError *gerr = NULL;

	if (tl_rec_copy(s->rec, rec) < 0)
		return tl_err_set(err, "out of memory"), TL_NOMEM;
	s->failed = 0;
	f->n[b]++;
	if (f->pool == NULL) {
		prepare(s);
		return TL_OK;
	}
	g_mutex_lock(&f->lock);
	f->todo[b]++;
	g_mutex_unlock(&f->lock);
	if (!g_thread_pool_push(f->pool, s, &gerr)) {
		tl_err_set(err, "decoding thread: %s", gerr->message);
		g_error_free(gerr);
		g_mutex_lock(&f->lock);
		f->todo[b]--;
		g_mutex_unlock(&f->lock);
		f->n[b]--;
		return TL_NOMEM;
	}
	return TL_OK;
}

int
tl_feed_wait(struct tl_feed *f)
{
	g_mutex_lock(&f->lock);
	while (f->todo[f->old] > 0)
		g_cond_wait(&f->ready, &f->lock);
	g_mutex_unlock(&f->lock);
	f->taken = 1;
	return f->n[f->old];
}

const float *
tl_feed_input(const struct tl_feed *f, int k)
{
	return f->in[f->old][k];
}

struct tl_rec *
tl_feed_rec(const struct tl_feed *f, int i)
{
	return f->slots[f->old][i].rec;
}

const char *
tl_feed_error(const struct tl_feed *f, int i)
{
	const struct slot *s = &f->slots[f->old][i];

	return s->failed ? s->err.msg : NULL;
}

void
tl_feed_next(struct tl_feed *f)
{
	f->n[f->old] = 0;
	f->taken = 0;
	if (f->n[!f->old] > 0)
		f->old = !f->old;
}
