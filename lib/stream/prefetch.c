/*
 * prefetch.c - a GLib thread filling a ring of records from a reader.
 */
#include <glib.h>
#include <stdlib.h>

#include "stream/prefetch.h"

struct tl_prefetch {
	struct tl_reader *r;
	struct tl_rec **ring;   /* [depth] */
	int depth, head, count; /* ring[head] is the oldest of count records */
	int ended;              /* the reader said 0 or TL_STOP: status, err */
	int status;
	struct tl_err err;
	int quit;
	GThread *thread;
	GMutex lock;
	GCond cond;             /* a record came, or room was made */
};

static void *
fill(void *data)
{
	struct tl_prefetch *p = data;
	struct tl_err err;
	int slot, st;

	for (;;) {
		g_mutex_lock(&p->lock);
		while (p->count == p->depth && !p->quit)
			g_cond_wait(&p->cond, &p->lock);
		if (p->quit) {
			g_mutex_unlock(&p->lock);
			return NULL;
		}
		slot = (p->head + p->count) % p->depth; /* free: only this thread fills */
		g_mutex_unlock(&p->lock);
		st = tl_reader_next(p->r, p->ring[slot], &err);
		g_mutex_lock(&p->lock);
		if (st == 1) {
			p->count++;
		} else {
			p->ended = 1;
			p->status = st;
			p->err = err;
		}
		g_cond_broadcast(&p->cond);
		g_mutex_unlock(&p->lock);
		if (st != 1)
			return NULL;
	}
}

struct tl_prefetch *
tl_prefetch_new(struct tl_reader *r, int depth, struct tl_err *err)
{
	struct tl_prefetch *p = calloc(1, sizeof *p);
	GError *gerr = NULL;

	if (p == NULL || (p->ring = calloc((size_t)depth, sizeof *p->ring)) == NULL) {
		free(p);
		return tl_err_set(err, "out of memory"), NULL;
	}
	p->r = r;
	p->depth = depth;
	for (int i = 0; i < depth; i++)
		if ((p->ring[i] = tl_rec_new()) == NULL) {
			tl_err_set(err, "out of memory");
			goto fail;
		}
	g_mutex_init(&p->lock);
	g_cond_init(&p->cond);
	if ((p->thread = g_thread_try_new("tl-prefetch", fill, p, &gerr)) == NULL) {
		tl_err_set(err, "cannot start the reading thread: %s", gerr->message);
		g_error_free(gerr);
		g_cond_clear(&p->cond);
		g_mutex_clear(&p->lock);
		goto fail;
	}
	return p;
fail:
	for (int i = 0; i < depth; i++)
		tl_rec_free(p->ring[i]);
	free(p->ring);
	free(p);
	return NULL;
}

int
tl_prefetch_next(struct tl_prefetch *p, struct tl_rec *rec, struct tl_err *err)
{
	int st = 1;

	g_mutex_lock(&p->lock);
	while (p->count == 0 && !p->ended)
		g_cond_wait(&p->cond, &p->lock);
	if (p->count == 0) {
		st = p->status;
		*err = p->err;
	}
	g_mutex_unlock(&p->lock);
	if (st != 1)
		return st;
	/* the oldest slot is the caller's until head moves past it */
	if (tl_rec_copy(rec, p->ring[p->head]) < 0)
		return tl_err_set(err, "out of memory"), TL_STOP;
	g_mutex_lock(&p->lock);
	p->head = (p->head + 1) % p->depth;
	p->count--;
	g_cond_broadcast(&p->cond);
	g_mutex_unlock(&p->lock);
	return 1;
}

void
tl_prefetch_free(struct tl_prefetch *p)
{
	int ended;

	if (p == NULL)
		return;
	g_mutex_lock(&p->lock);
	ended = p->ended;
	p->quit = 1;
	g_cond_broadcast(&p->cond);
	g_mutex_unlock(&p->lock);
	if (!ended)
		return; /* the thread may be blocked reading: left to exit() */
	g_thread_join(p->thread);
	for (int i = 0; i < p->depth; i++)
		tl_rec_free(p->ring[i]);
	free(p->ring);
	g_cond_clear(&p->cond);
	g_mutex_clear(&p->lock);
	free(p);
}
