/*
 * explain.c - Grad-CAM, saliency and activations through a chain of tails
 * (explain.h).  The chain: seg[0] from the graph input to the layer L
 * (none when L is the input), then the tails from L to the features: L to
 * feat (frozen), or L to the cut and the lent tuned tail (fine-tuned); L
 * may be the end itself (no tail after it: the head's gradient spread
 * over L's positions).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backbone/model.h"
#include "classify/explain.h"

#define NSEG 3

struct tl_explain {
	enum tl_explain_method method;
	struct tl_tail *seg[NSEG];  /* seg[0]: input -> L, or NULL */
	int own[NSEG];              /* 0 for the lent tail */
	int nseg;
	char layer[512];
	int h, w, c;                /* L's map */
	int64_t in_size;            /* floats of the input */
	int dim;                    /* the features' C */
	const float *amap;          /* L's map after a forward (into seg[0]'s
	                             * kept block, or xin) */
	float *xin;                 /* [in_size] the input, when L is it */
	float *pooled, *ga, *gb;    /* scratch: a segment's output, gradients */
	int64_t gmax;
	double *mean;               /* [c] activations' means */
	int *order;                 /* [c] */
};

static const char *const names[] = { "none", "cam", "gradcam", "saliency", "activations" };

int
tl_explain_parse(const char *s, enum tl_explain_method *out)
{
	for (int i = 1; i < 5; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum tl_explain_method)i;
			return 0;
		}
	return -1;
}

const char *
tl_explain_name(enum tl_explain_method m)
{
	return names[m];
}

void
tl_explain_free(struct tl_explain *e)
{
	if (e == NULL)
		return;
	for (int i = 0; i < NSEG; i++)
		if (e->own[i])
			tl_tail_free(e->seg[i]);
	free(e->xin), free(e->pooled), free(e->ga), free(e->gb);
	free(e->mean), free(e->order);
	free(e);
}

/* A tail from `from` to `to` of nn, its failure prefixed "FROM -> TO". */
static struct tl_tail *
seg_new(const struct tl_nn *nn, const char *from, const char *to, struct tl_err *err)
{
	struct tl_tail *t = tl_tail_new(nn, from, to, err);

	if (t == NULL)
		tl_err_prefix(err, "%s -> %s", from, to);
	return t;
}

struct tl_explain *
tl_explain_new_nn(const struct tl_nn *nn, const char *end, struct tl_tail *tuned,
                  const char *layer, enum tl_explain_method method, struct tl_err *err)
{
	struct tl_explain *e = calloc(1, sizeof *e);
	const char *in;
	int64_t hwc[3], d[TL_NN_MAXRANK];

	if (e == NULL) {
		tl_err_set(err, "out of memory");
		return NULL;
	}
	e->method = method;
	if ((in = tl_tail_graph_input(nn)) == NULL) {
		tl_err_set(err, "the graph has no input");
		goto fail;
	}
	if (method == TL_EXPLAIN_SALIENCY || layer == NULL)
		layer = method == TL_EXPLAIN_SALIENCY ? in : end;
	if (strlen(layer) >= sizeof e->layer) {
		tl_err_set(err, "--layer: a name of %zu bytes (a layer's is shorter than %zu)",
		    strlen(layer), sizeof e->layer);
		goto fail;
	}
	snprintf(e->layer, sizeof e->layer, "%s", layer);
	if (tl_nn_tensor_shape(nn, layer, d, err) < 0) {
		if (tuned)
			tl_err_set(err, "--layer %s: not between the input and %s, the fine-tuning "
			    "cut (a fine-tuned model is explained through its tuned tail from there)",
			    layer, end);
		else
			tl_err_set(err, "--layer %s: no such layer up to %s (tl-embed --list-layers "
			    "lists them)", layer, end);
		goto fail;
	}
	if (strcmp(layer, in) != 0 && (e->seg[0] = seg_new(nn, in, layer, err)) == NULL)
		goto fail;
	e->own[0] = 1;
	e->nseg = 1;
	if (strcmp(layer, end) != 0) {
		if ((e->seg[1] = seg_new(nn, layer, end, err)) == NULL) {
			if (strstr(err->msg, "does not depend on"))
				tl_err_set(err, "--layer %s: not between the input and %s%s", layer, end,
				    tuned ? ", the fine-tuning cut (a fine-tuned model is explained "
				    "through its tuned tail from there)" : ", the head's features");
			goto fail;
		}
		e->own[1] = 1;
		e->nseg = 2;
	}
	if (tuned)
		e->seg[e->nseg++] = tuned;
	/* the layer's map and the input */
	if (e->seg[0]) {
		tl_tail_in_shape(e->seg[0], hwc);
		e->in_size = hwc[0] * hwc[1] * hwc[2];
		tl_tail_out_shape(e->seg[0], hwc);
	} else {
		if (e->nseg < 2) {
			tl_err_set(err, "--layer %s: the input is the features", layer);
			goto fail;
		}
		tl_tail_in_shape(e->seg[1], hwc);
		e->in_size = hwc[0] * hwc[1] * hwc[2];
	}
	e->h = (int)hwc[0], e->w = (int)hwc[1], e->c = (int)hwc[2];
	e->dim = (int)(e->nseg > 1 ? tl_tail_out_dim(e->seg[e->nseg - 1]) : e->c);
	e->gmax = e->in_size;
	for (int i = 0; i < e->nseg; i++)
		if (e->seg[i]) {
			tl_tail_out_shape(e->seg[i], hwc);
			if (hwc[0] * hwc[1] * hwc[2] > e->gmax)
				e->gmax = hwc[0] * hwc[1] * hwc[2];
		}
	e->xin = malloc((size_t)e->in_size * sizeof *e->xin);
	e->pooled = malloc((size_t)e->gmax * sizeof *e->pooled);
	e->ga = malloc((size_t)e->gmax * sizeof *e->ga);
	e->gb = malloc((size_t)e->gmax * sizeof *e->gb);
	e->mean = malloc((size_t)e->c * sizeof *e->mean);
	e->order = malloc((size_t)e->c * sizeof *e->order);
	if (!e->xin || !e->pooled || !e->ga || !e->gb || !e->mean || !e->order) {
		tl_err_set(err, "out of memory");
		goto fail;
	}
	return e;
fail:
	tl_explain_free(e);
	return NULL;
}

struct tl_explain *
tl_explain_new(const char *spec, const char *feat, const char *cut, struct tl_tail *tuned,
               const char *layer, enum tl_explain_method method, int threads,
               struct tl_err *err)
{
	struct tl_explain *e;
	struct tl_model m;
	struct tl_nn_opts o;
	struct tl_nn *nn;
	const char *end = tuned ? cut : feat;
	int64_t d[TL_NN_MAXRANK];

	if (tl_model_open(spec, &m, err) < 0)
		return NULL;
	if (end == NULL || !*end)
		end = m.layer;
	tl_nn_opts_init(&o);
	if (threads > 0)
		o.threads = threads;
	if ((nn = tl_model_load(&m, end, &o, err)) == NULL)
		return NULL;
	/* the default: the sidecar's cut, when the graph has it before the
	 * end; else the end */
	e = NULL;
	if (layer == NULL && method != TL_EXPLAIN_SALIENCY && *m.ft_from &&
	    tl_nn_tensor_shape(nn, m.ft_from, d, err) >= 0)
		e = tl_explain_new_nn(nn, end, tuned, m.ft_from, method, err);
	if (e == NULL)
		e = tl_explain_new_nn(nn, end, tuned, layer, method, err);
	if (e == NULL)
		tl_err_prefix(err, "%s", m.name);
	tl_nn_free(nn);
	return e;
}

const char *
tl_explain_layer(const struct tl_explain *e)
{
	return e->layer;
}

int
tl_explain_feat_dim(const struct tl_explain *e)
{
	return e->dim;
}

void
tl_explain_grid(const struct tl_explain *e, int *h, int *w, int *c)
{
	*h = e->h, *w = e->w, *c = e->c;
}

int
tl_explain_forward(struct tl_explain *e, const float *x, float *pooled, struct tl_err *err)
{
	const float *cur = x;
	int64_t hwc[3];

	memcpy(e->xin, x, (size_t)e->in_size * sizeof *x);
	e->amap = e->xin;
	cur = e->xin;
	for (int i = 0; i < e->nseg; i++) {
		if (e->seg[i] == NULL)
			continue;
		if (tl_tail_forward(e->seg[i], cur, 1, e->pooled, 1, err) < 0)
			return -1;
		cur = tl_tail_map(e->seg[i], hwc);
		if (i == 0)
			e->amap = cur;
	}
	if (pooled)
		memcpy(pooled, e->pooled, (size_t)e->dim * sizeof *pooled);
	return 0;
}

int
tl_explain_map(struct tl_explain *e, const float *gpool, const float mul[3], float *out,
               struct tl_err *err)
{
	int64_t hw = (int64_t)e->h * e->w, C = e->c;
	float *g = e->ga, *o = e->gb, *tmp;
	int last = e->nseg - 1;

	/* down the tails after L (seg[1..last]), the last one from the
	 * pooled gradient; none: L is the end, the gradient spread over it */
	if (last == 0)
		for (int64_t p = 0; p < hw; p++)
			for (int64_t c = 0; c < C; c++)
				g[p * C + c] = gpool[c] / (float)hw;
	for (int i = last; i >= 1; i--) {
		if (tl_tail_backward_in(e->seg[i], i == last ? gpool : NULL, i == last ? NULL : g, o,
		    err) < 0)
			return -1;
		tmp = g, g = o, o = tmp;
	}
	if (e->method == TL_EXPLAIN_SALIENCY) {
		for (int64_t p = 0; p < hw; p++) {
			float best = 0;
			for (int64_t c = 0; c < C && c < 3; c++) {
				float v = fabsf(g[p * C + c] * mul[c]);
				best = v > best ? v : best;
			}
			out[p] = best;
		}
		return 0;
	}
	/* Grad-CAM */
	for (int64_t c = 0; c < C; c++)
		e->mean[c] = 0;
	for (int64_t p = 0; p < hw; p++)
		for (int64_t c = 0; c < C; c++)
			e->mean[c] += g[p * C + c];
	for (int64_t p = 0; p < hw; p++) {
		double s = 0;
		for (int64_t c = 0; c < C; c++)
			s += e->mean[c] / (double)hw * e->amap[p * C + c];
		out[p] = s > 0 ? (float)s : 0;
	}
	return 0;
}

const float *
tl_explain_acts(const struct tl_explain *e, int k, int *ch)
{
	int64_t hw = (int64_t)e->h * e->w, C = e->c;
	struct tl_explain *w = (struct tl_explain *)e; /* scratch only */

	for (int64_t c = 0; c < C; c++) {
		w->mean[c] = 0;
		w->order[c] = (int)c;
	}
	for (int64_t p = 0; p < hw; p++)
		for (int64_t c = 0; c < C; c++)
			w->mean[c] += e->amap[p * C + c];
	k = k < C ? k : (int)C;
	for (int a = 0; a < k; a++) { /* partial selection sort, ties by index */
		int b = a, t;
		for (int j = a + 1; j < C; j++)
			if (w->mean[w->order[j]] > w->mean[w->order[b]])
				b = j;
		t = w->order[a], w->order[a] = w->order[b], w->order[b] = t;
		ch[a] = w->order[a];
	}
	return e->amap;
}
