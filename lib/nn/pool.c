/*
 * pool.c - the engine's worker threads: a fixed set started with the graph,
 * woken for each parallel loop and joined at its end.  The caller's thread
 * takes a share too.  Work is split into one contiguous chunk per thread, so
 * which thread computes which element never changes the result.
 */
#include <pthread.h>
#include <stdlib.h>

#include "nn_int.h"

struct nn_pool {
	int n;				/* threads including the caller */
	pthread_t *tid;
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned gen;			/* bumped per job */
	int pending, quit;
	void (*fn)(void *, int64_t, int64_t);
	void *ctx;
	int64_t total, chunk;
	int parts;
};

struct worker {
	struct nn_pool *p;
	int id;
};

static void
part(struct nn_pool *p, int id)
{
	int64_t lo = id * p->chunk, hi = lo + p->chunk;

	if (hi > p->total)
		hi = p->total;
	if (lo < hi)
		p->fn(p->ctx, lo, hi);
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	struct nn_pool *p = w->p;
	unsigned seen = 0;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->gen == seen && !p->quit)
			pthread_cond_wait(&p->go, &p->mu);
		if (p->quit)
			break;
		seen = p->gen;
		pthread_mutex_unlock(&p->mu);
		if (w->id < p->parts)
			part(p, w->id);
		pthread_mutex_lock(&p->mu);
		if (--p->pending == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	free(w);
	return NULL;
}

struct nn_pool *
nn_pool_new(int nthreads)
{
	struct nn_pool *p = calloc(1, sizeof *p);

	if (p == NULL)
		return NULL;
	p->n = 1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->go, NULL);
	pthread_cond_init(&p->done, NULL);
	if ((p->tid = calloc(nthreads, sizeof *p->tid)) == NULL) {
		nn_pool_free(p);
		return NULL;
	}
	for (int i = 1; i < nthreads; i++) {
		struct worker *w = malloc(sizeof *w);
		if (w == NULL)
			break;
		w->p = p;
		w->id = i;
		if (pthread_create(&p->tid[i], NULL, run, w)) {
			free(w);
			break;
		}
		p->n++;
	}
	if (p->n != nthreads) {
		nn_pool_free(p);
		return NULL;
	}
	return p;
}

void
nn_pool_free(struct nn_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (int i = 1; i < p->n; i++)
		pthread_join(p->tid[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
	free(p->tid);
	free(p);
}

int
nn_pool_threads(const struct nn_pool *p)
{
	return p->n;
}

void
nn_pool_for(struct nn_pool *p, int64_t n, int64_t grain,
    void (*fn)(void *ctx, int64_t lo, int64_t hi), void *ctx)
{
	int64_t parts;

	if (n <= 0)
		return;
	if (grain < 1)
		grain = 1;
	parts = (n + grain - 1) / grain;
	if (parts > p->n)
		parts = p->n;
	if (parts <= 1) {
		fn(ctx, 0, n);
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->fn = fn;
	p->ctx = ctx;
	p->total = n;
	p->chunk = (n + parts - 1) / parts;
	p->parts = (int)parts;
	p->pending = p->n - 1;
	p->gen++;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	part(p, 0);
	pthread_mutex_lock(&p->mu);
	while (p->pending > 0)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}
