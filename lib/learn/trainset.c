/*
 * trainset.c - the labelled embeddings tl-train learns from (trainset.h):
 * gathered record by record, then classes sorted and, when the stream has
 * no val split, a stratified holdout made from train by (seed, group).
 * Augmented copies (records with "of") belong to their original's group: a
 * held-out original takes its copies out of training with it (they are not
 * used for val either, which measures on originals).
 *
 * Not here: the fitting (train.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "core/rng.h"
#include "core/tensor.h"
#include "learn/tlm.h"
#include "learn/trainset.h"

struct tl_trainset *
tl_trainset_new(void)
{
	return calloc(1, sizeof(struct tl_trainset));
}

void
tl_trainset_free(struct tl_trainset *ts)
{
	if (ts == NULL)
		return;
	for (size_t i = 0; i < ts->n; i++) {
		if (ts->group[i] != ts->id[i])
			free(ts->group[i]);
		free(ts->label[i]), free(ts->id[i]);
	}
	for (int c = 0; c < ts->nclass; c++)
		free(ts->classes[c]);
	free(ts->classes), free(ts->count);
	free(ts->x), free(ts->xf), free(ts->y), free(ts->label), free(ts->id), free(ts->group), free(ts->val);
	free(ts);
}

static int
grow(struct tl_trainset *ts)
{
	size_t cap = ts->cap ? 2 * ts->cap : 256;
	float *x;
	void *p;

	if ((x = realloc(ts->x, cap * (size_t)ts->dim * sizeof *x)) == NULL)
		return -1;
	ts->x = x;
	if (ts->fdim > 0) {
		if ((x = realloc(ts->xf, cap * (size_t)ts->fdim * sizeof *x)) == NULL)
			return -1;
		ts->xf = x;
	}
#define GROW(f) if ((p = realloc(ts->f, cap * sizeof *ts->f)) == NULL) return -1; ts->f = p
	GROW(y);
	GROW(label);
	GROW(id);
	GROW(group);
	GROW(val);
#undef GROW
	ts->cap = cap;
	return 0;
}

int
tl_trainset_add(struct tl_trainset *ts, const struct tl_rec *rec, struct tl_err *err)
{
	const msgpack_object *lab = tl_rec_get(rec, "label"), *sp = tl_rec_get(rec, "split");
	const msgpack_object *id = tl_rec_get(rec, "id"), *of = tl_rec_get(rec, "of");
	struct tl_tensor t, tf;
	enum tl_use use = TL_USE_TRAIN;
	size_t i = ts->n;

	if (id == NULL || id->type != MSGPACK_OBJECT_STR)
		return tl_err_set(err, "no id"), TL_SKIP;
	if (sp != NULL) {
		if (tl_obj_is_str(sp, "val"))
			use = TL_USE_VAL;
		else if (tl_obj_is_str(sp, "test"))
			use = TL_USE_TEST;
		else if (!tl_obj_is_str(sp, "train"))
			use = TL_USE_OTHER;
	}
	if (use == TL_USE_TRAIN || use == TL_USE_VAL) {
		if (lab == NULL || lab->type != MSGPACK_OBJECT_STR || lab->via.str.size == 0)
			use = TL_USE_UNLABELLED;
	}
	if (use != TL_USE_TRAIN && use != TL_USE_VAL) {
		ts->ignored[use]++;
		return (int)use;
	}
	/* tl-ingest's output fed straight in: the whole stream is wrong, say so once */
	if (tl_rec_get(rec, "emb") == NULL && (tl_rec_get(rec, "img") || tl_rec_get(rec, "pix")))
		return tl_err_set(err, "an image, not an embedding (no emb): run tl-embed "
		    "first, as in tl-ingest DIR | tl-embed | tl-train -o m.tlm"),
		    ts->n ? TL_SKIP : TL_STOP;
	if (tl_rec_tensor(rec, "emb", &t, err) < 0)
		return TL_SKIP;
	if (t.count < 1 || t.count > TL_TLM_MAX_DIM)
		return tl_err_set(err, "emb has %llu values", (unsigned long long)t.count), TL_SKIP;
	if (ts->dim == 0)
		ts->dim = (int)t.count;
	else if (t.count != (uint64_t)ts->dim)
		return tl_err_set(err, "emb has %llu values, the first record's %d",
		    (unsigned long long)t.count, ts->dim), TL_SKIP;
	if (ts->fdim > 0) {
		if (tl_rec_get(rec, "emb_frozen") == NULL)
			return tl_err_set(err, "no emb_frozen (the header says dims_frozen)"), TL_SKIP;
		if (tl_rec_tensor(rec, "emb_frozen", &tf, err) < 0)
			return TL_SKIP;
		if (tf.count != (uint64_t)ts->fdim)
			return tl_err_set(err, "emb_frozen has %llu values, the header says %d",
			    (unsigned long long)tf.count, ts->fdim), TL_SKIP;
	}
	if (ts->n == ts->cap && grow(ts) < 0)
		return tl_err_set(err, "out of memory"), TL_NOMEM;
	tl_tensor_to_f32(&t, ts->x + i * (size_t)ts->dim);
	if (ts->fdim > 0)
		tl_tensor_to_f32(&tf, ts->xf + i * (size_t)ts->fdim);
	ts->id[i] = strndup(id->via.str.ptr, id->via.str.size);
	ts->label[i] = strndup(lab->via.str.ptr, lab->via.str.size);
	ts->group[i] = ts->id[i];
	if (of != NULL && of->type == MSGPACK_OBJECT_STR)
		ts->group[i] = strndup(of->via.str.ptr, of->via.str.size);
	if (ts->id[i] == NULL || ts->label[i] == NULL || ts->group[i] == NULL) {
		if (ts->group[i] != ts->id[i])
			free(ts->group[i]);
		free(ts->id[i]), free(ts->label[i]);
		return tl_err_set(err, "out of memory"), TL_NOMEM;
	}
	/* 1 val, 0 train; an augmented copy is marked 3 (train) so that a
	 * holdout can tell it from its original */
	ts->val[i] = use == TL_USE_VAL ? 1 : of != NULL ? 3 : 0;
	ts->y[i] = -1;
	ts->n++;
	return (int)use;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct gkey {
	const char *name; /* first: cmp_str sorts gkeys by name */
	uint64_t h;
};

static int
cmp_gkey(const void *a, const void *b)
{
	const struct gkey *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Moves a share of class c's train groups to val (see train.h). */
static int
hold_out(struct tl_trainset *ts, int c, double share, uint64_t seed)
{
	struct gkey *g = malloc(ts->n * sizeof *g);
	size_t ng = 0, nv, u = 0;

	if (g == NULL)
		return -1;
	for (size_t i = 0; i < ts->n; i++)
		if (ts->y[i] == c)
			g[ng++].name = ts->group[i];
	qsort(g, ng, sizeof *g, cmp_str);
	for (size_t i = 0; i < ng; i++)
		if (u == 0 || strcmp(g[u - 1].name, g[i].name) != 0)
			g[u++].name = g[i].name;
	for (size_t i = 0; i < u; i++) {
		struct tl_rng r;
		tl_rng_seed_id(&r, seed, g[i].name, 0x686f6c64 /* "hold" */);
		g[i].h = tl_rng_u64(&r);
	}
	qsort(g, u, sizeof *g, cmp_gkey);
	nv = (size_t)(share * (double)u + 0.5);
	if (u >= 2 && nv < 1)
		nv = 1;
	if (nv >= u)
		nv = u ? u - 1 : 0;
	for (size_t j = 0; j < nv; j++)
		for (size_t i = 0; i < ts->n; i++)
			if (ts->y[i] == c && strcmp(ts->group[i], g[j].name) == 0)
				ts->val[i] = ts->val[i] == 3 ? 2 : 1; /* copies: unused */
	free(g);
	return 0;
}

/* A class with val records and no train record would be a class of the
 * model that nothing taught it, always wrong on val and in use: refused,
 * naming every such class, as fastai refuses a label its training set lacks. */
static int
no_train(const struct tl_trainset *ts, struct tl_err *err)
{
	char names[512];
	size_t n = 0;
	int bad = 0, any = 0;

	for (int c = 0; c < ts->nclass; c++) {
		if (ts->count[2 * c] > 0) {
			any = 1;
			continue;
		}
		if (n < sizeof names)
			n += (size_t)snprintf(names + n, sizeof names - n, "%s'%s' (%lld val)",
			    bad ? ", " : "", ts->classes[c], ts->count[2 * c + 1]);
		bad++;
	}
	if (!any)
		return tl_err_set(err, "no train record");
	if (bad)
		return tl_err_set(err, "class%s %s ha%s val records but no train record: give %s "
		    "train images, or drop %s val records", bad > 1 ? "es" : "", names,
		    bad > 1 ? "ve" : "s", bad > 1 ? "them" : "it", bad > 1 ? "their" : "its");
	return 0;
}

int
tl_trainset_finish(struct tl_trainset *ts, double holdout, uint64_t seed, struct tl_err *err)
{
	char **cl;
	int k = 0, anyval = 0;

	if (ts->n == 0)
		return tl_err_set(err, "no labelled train or val record with an emb");
	if ((cl = malloc(ts->n * sizeof *cl)) == NULL)
		return tl_err_set(err, "out of memory");
	memcpy(cl, ts->label, ts->n * sizeof *cl);
	qsort(cl, ts->n, sizeof *cl, cmp_str);
	for (size_t i = 0; i < ts->n; i++)
		if (k == 0 || strcmp(cl[k - 1], cl[i]) != 0)
			cl[k++] = cl[i];
	if (k < 2) {
		free(cl);
		return tl_err_set(err, "%d class%s: a classifier needs at least 2", k, k == 1 ? "" : "es");
	}
	ts->nclass = k;
	if ((ts->classes = calloc((size_t)k, sizeof *ts->classes)) == NULL ||
	    (ts->count = calloc(2 * (size_t)k, sizeof *ts->count)) == NULL) {
		free(cl);
		return tl_err_set(err, "out of memory");
	}
	for (int c = 0; c < k; c++)
		if ((ts->classes[c] = strdup(cl[c])) == NULL) {
			free(cl);
			return tl_err_set(err, "out of memory");
		}
	free(cl);
	for (size_t i = 0; i < ts->n; i++) {
		char **p = bsearch(&ts->label[i], ts->classes, (size_t)k, sizeof *ts->classes, cmp_str);
		ts->y[i] = (int)(p - ts->classes);
		anyval |= ts->val[i] == 1;
	}
	if (!anyval) {
		for (int c = 0; c < k; c++)
			if (hold_out(ts, c, holdout, seed) < 0)
				return tl_err_set(err, "out of memory");
		ts->held_out = 1;
	}
	for (size_t i = 0; i < ts->n; i++) {
		if (ts->val[i] == 3)
			ts->val[i] = 0;
		if (ts->val[i] <= 1)
			ts->count[2 * ts->y[i] + ts->val[i]]++;
	}
	return no_train(ts, err);
}

void
tl_trainset_ids_sha256(const struct tl_trainset *ts, char hex[65])
{
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	char **ids = malloc((ts->n + 1) * sizeof *ids);
	size_t m = 0;

	if (ids != NULL) {
		for (size_t i = 0; i < ts->n; i++)
			if (ts->val[i] == 0)
				ids[m++] = ts->id[i];
		qsort(ids, m, sizeof *ids, cmp_str);
		for (size_t i = 0; i < m; i++) {
			g_checksum_update(ck, (const guchar *)ids[i], (gssize)strlen(ids[i]));
			g_checksum_update(ck, (const guchar *)"\n", 1);
		}
	}
	snprintf(hex, 65, "%s", g_checksum_get_string(ck));
	g_checksum_free(ck);
	free(ids);
}
