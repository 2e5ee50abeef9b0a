/*
 * embed.c - batching records through a backbone.
 */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "image.h"
#include "nn/nn.h"
#include "prep.h"
#include "tensor.h"

struct tl_embedder {
	struct tl_model model;
	struct tl_nn *nn;
	enum tl_pool pool;
	int keep_image;
	struct tl_image_opts img;
	char layer[512];
	int batch, n;
	struct tl_rec **recs;     /* [batch] */
	float *in;                /* [batch, H, W, 3] */
	float *out;               /* [batch, per] */
	int64_t per;              /* output floats per image */
	int oh, ow, oc;           /* output map (1,1,C for a vector output) */
};

static const char *const pool_names[] = { "none", "avg", "max", "avgmax" };

int
tl_pool_parse(const char *s, enum tl_pool *p)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, pool_names[i]) == 0) {
			*p = (enum tl_pool)i;
			return 0;
		}
	return -1;
}

/* The images must be prepared at the size the network takes: a graph with
 * a fixed input size overrides the default 224x224 of a model without a
 * sidecar, and contradicts a sidecar that says otherwise. */
static int
fit_input(struct tl_embedder *e, struct tl_err *err)
{
	struct tl_prep *p = &e->model.prep;
	int64_t d[TL_NN_MAXRANK];
	int rank = tl_nn_input_shape(e->nn, d, err);

	if (rank < 0)
		return -1;
	if (rank != 4 || d[1] != 3)
		return tl_err_set(err, "%s: the network's input is not [N,3,H,W] images",
		    e->model.path);
	if (d[2] <= 0 || d[3] <= 0 || (d[2] == p->height && d[3] == p->width))
		return 0;
	if (e->model.has_sidecar)
		return tl_err_set(err, "%s: tl-model.json says %dx%d but the network takes "
		    "%lldx%lld", e->model.path, p->width, p->height, (long long)d[3],
		    (long long)d[2]);
	if (d[2] > 4096 || d[3] > 4096)
		return tl_err_set(err, "%s: input %lldx%lld is too large", e->model.path,
		    (long long)d[3], (long long)d[2]);
	p->height = (int)d[2];
	p->width = (int)d[3];
	p->resize = (p->width > p->height ? p->width : p->height) * 8 / 7;
	return 0;
}

struct tl_embedder *
tl_embedder_new(const struct tl_embed_opts *o, struct tl_err *err)
{
	struct tl_embedder *e = calloc(1, sizeof *e);
	struct tl_nn_opts no;
	int64_t d[TL_NN_MAXRANK];
	int rank;

	if (e == NULL || tl_image_init(err) < 0) {
		free(e);
		return NULL;
	}
	if (tl_model_open(o->model, &e->model, err) < 0)
		goto fail;
	if (o->mode >= 0)
		e->model.prep.mode = (enum tl_resize)o->mode;
	if (e->model.prep.mode == TL_RESIZE_CROP && e->model.prep.resize < e->model.prep.width)
		e->model.prep.resize = e->model.prep.width * 8 / 7; /* 224 -> 256 */
	if (o->scale && tl_prep_set_scale(&e->model.prep, o->scale) < 0) {
		tl_err_set(err, "unknown scale '%s' (want [0,1], [-1,1], imagenet or [0,255])", o->scale);
		goto fail;
	}
	tl_nn_opts_init(&no);
	no.threads = o->threads;
	if (o->cut && e->model.ft_from[0] == '\0') {
		tl_err_set(err, "%s: the model names no fine-tuning cut (tl-model.json \"finetune\"); "
		    "give the layer with -l", e->model.name);
		goto fail;
	}
	snprintf(e->layer, sizeof e->layer, "%s",
	    o->cut ? e->model.ft_from : o->layer ? o->layer : e->model.layer);
	if ((e->nn = tl_model_load(&e->model, e->layer, &no, err)) == NULL)
		goto fail;
	if (fit_input(e, err) < 0)
		goto fail;
	if ((rank = tl_nn_output_shape(e->nn, d, err)) < 0)
		goto fail;
	/* logical shapes: [N,C,H,W] maps, [N,C] vectors */
	if (rank == 4) {
		e->oc = (int)d[1], e->oh = (int)d[2], e->ow = (int)d[3];
	} else if (rank == 2) {
		e->oc = (int)d[1], e->oh = e->ow = 1;
	} else {
		tl_err_set(err, "layer '%s' has rank %d: want a [N,C,H,W] map or [N,C]",
		    e->layer, rank);
		goto fail;
	}
	e->per = (int64_t)e->oc * e->oh * e->ow;
	e->pool = o->pool;
	e->keep_image = o->keep_image;
	e->img.max_pixels = o->max_pixels;
	e->batch = o->batch > 0 ? o->batch : 1;
	e->recs = calloc((size_t)e->batch, sizeof *e->recs);
	e->in = malloc((size_t)e->batch * e->model.prep.width * e->model.prep.height * 3 *
	    sizeof *e->in);
	e->out = malloc((size_t)e->batch * e->per * sizeof *e->out);
	if (e->recs == NULL || e->in == NULL || e->out == NULL) {
		tl_err_set(err, "out of memory");
		goto fail;
	}
	for (int i = 0; i < e->batch; i++)
		if ((e->recs[i] = tl_rec_new()) == NULL) {
			tl_err_set(err, "out of memory");
			goto fail;
		}
	return e;
fail:
	tl_embedder_free(e);
	return NULL;
}

void
tl_embedder_free(struct tl_embedder *e)
{
	if (e == NULL)
		return;
	tl_nn_free(e->nn);
	for (int i = 0; e->recs && i < e->batch; i++)
		tl_rec_free(e->recs[i]);
	free(e->recs);
	free(e->in);
	free(e->out);
	free(e);
}

const struct tl_model *
tl_embedder_model(const struct tl_embedder *e)
{
	return &e->model;
}

/* Small msgpack maps for the header, built in h's arena. */
static msgpack_object
str_obj(struct tl_rec *h, const char *s)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_STR };
	size_t n = strlen(s);
	char *p = tl_rec_alloc(h, n);

	if (p != NULL)
		memcpy(p, s, n);
	o.via.str.ptr = p;
	o.via.str.size = (uint32_t)n;
	return o;
}

static msgpack_object
num_obj(double v)
{
	msgpack_object o;

	if (v == (double)(uint64_t)v && v >= 0) {
		o.type = MSGPACK_OBJECT_POSITIVE_INTEGER;
		o.via.u64 = (uint64_t)v;
	} else {
		o.type = MSGPACK_OBJECT_FLOAT64;
		o.via.f64 = v;
	}
	return o;
}

int
tl_embedder_header(const struct tl_embedder *e, struct tl_rec *h)
{
	const struct tl_prep *p = &e->model.prep;
	msgpack_object_kv m[2], pp[6];
	msgpack_object dims[3], map = { .type = MSGPACK_OBJECT_MAP }, arr = { .type = MSGPACK_OBJECT_ARRAY };
	msgpack_object mul[3], add[3];
	int nd = 0;

	m[0] = (msgpack_object_kv){ str_obj(h, "name"), str_obj(h, e->model.name) };
	m[1] = (msgpack_object_kv){ str_obj(h, "sha256"), str_obj(h, e->model.sha256) };
	map.via.map = (msgpack_object_map){ 2, m };
	if (tl_rec_set_obj(h, "model", &map) < 0)
		return -1;
	if (e->pool == TL_POOL_NONE && (e->oh > 1 || e->ow > 1)) {
		dims[nd++] = num_obj(e->oh);
		dims[nd++] = num_obj(e->ow);
	}
	dims[nd++] = num_obj(e->pool == TL_POOL_AVGMAX ? 2 * e->oc : e->oc);
	arr.via.array = (msgpack_object_array){ (uint32_t)nd, dims };
	if (tl_rec_set_obj(h, "dims", &arr) < 0)
		return -1;
	for (int c = 0; c < 3; c++) {
		mul[c] = num_obj(p->mul[c]);
		add[c] = num_obj(p->add[c]);
	}
	pp[0] = (msgpack_object_kv){ str_obj(h, "width"), num_obj(p->width) };
	pp[1] = (msgpack_object_kv){ str_obj(h, "height"), num_obj(p->height) };
	pp[2] = (msgpack_object_kv){ str_obj(h, "resize"),
	    str_obj(h, p->mode == TL_RESIZE_SQUASH ? "squash" : "crop") };
	pp[3] = (msgpack_object_kv){ str_obj(h, "scale"), str_obj(h, p->scale) };
	pp[4] = (msgpack_object_kv){ str_obj(h, "mul"),
	    { .type = MSGPACK_OBJECT_ARRAY, .via.array = { 3, mul } } };
	pp[5] = (msgpack_object_kv){ str_obj(h, "add"),
	    { .type = MSGPACK_OBJECT_ARRAY, .via.array = { 3, add } } };
	map.via.map = (msgpack_object_map){ 6, pp };
	if (tl_rec_set_obj(h, "preprocess", &map) < 0)
		return -1;
	if (tl_rec_set_str(h, "layer", e->layer) < 0 ||
	    tl_rec_set_str(h, "pool", pool_names[e->pool]) < 0)
		return -1;
	return 0;
}

/* Pixels of rec: its pix tensor, or its img decoded into *im. */
static int
pixels(struct tl_embedder *e, const struct tl_rec *rec, struct tl_image *im,
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
	if (tl_image_decode(img->via.bin.ptr, img->via.bin.size, &e->img, im, err) < 0)
		return tl_err_prefix(err, "not an image");
	*pix = im->pix;
	*w = im->width;
	*h = im->height;
	return 0;
}

int
tl_embedder_add(struct tl_embedder *e, const struct tl_rec *rec, struct tl_err *err)
{
	const struct tl_prep *p = &e->model.prep;
	struct tl_image im = { 0 };
	const unsigned char *pix = NULL;
	int w = 0, h = 0, st;

	st = pixels(e, rec, &im, &pix, &w, &h, err);
	if (st == 0)
		st = tl_prep_pixels(p, pix, w, h,
		    e->in + (size_t)e->n * p->width * p->height * 3, err);
	tl_image_free(&im);
	if (st < 0)
		return -1;
	if (tl_rec_copy(e->recs[e->n], rec) < 0)
		return tl_err_set(err, "out of memory");
	e->n++;
	return 0;
}

int
tl_embedder_pending(const struct tl_embedder *e)
{
	return e->n;
}

int
tl_embedder_full(const struct tl_embedder *e)
{
	return e->n == e->batch;
}

/* map: [oh*ow, oc] (NHWC); v: [oc] or [2*oc] */
static void
pool_map(enum tl_pool pool, const float *map, int hw, int oc, float *v)
{
	for (int c = 0; c < oc; c++) {
		double s = 0;
		float mx = -FLT_MAX;
		for (int i = 0; i < hw; i++) {
			float x = map[(size_t)i * oc + c];
			s += x;
			if (x > mx)
				mx = x;
		}
		if (pool == TL_POOL_AVG)
			v[c] = (float)(s / hw);
		else if (pool == TL_POOL_MAX)
			v[c] = mx;
		else {
			v[c] = (float)(s / hw);
			v[oc + c] = mx;
		}
	}
}

int
tl_embedder_run(struct tl_embedder *e, struct tl_err *err)
{
	if (e->n == 0)
		return 0;
	if (tl_nn_run(e->nn, e->in, e->n, e->out, err) < 0)
		return -1;
	for (int i = 0; i < e->n; i++) {
		struct tl_rec *r = e->recs[i];
		const float *map = e->out + (size_t)i * e->per;
		int hw = e->oh * e->ow;
		float *v;

		if (e->pool == TL_POOL_NONE && hw > 1) {
			uint64_t shape[3] = { (uint64_t)e->oh, (uint64_t)e->ow, (uint64_t)e->oc };
			v = tl_rec_set_tensor(r, "emb", TL_F32, 3, shape);
			if (v != NULL)
				memcpy(v, map, (size_t)e->per * sizeof *v);
		} else {
			uint64_t d = (uint64_t)(e->pool == TL_POOL_AVGMAX ? 2 * e->oc : e->oc);
			v = tl_rec_set_tensor(r, "emb", TL_F32, 1, &d);
			if (v != NULL) {
				if (hw == 1 && e->pool != TL_POOL_AVGMAX)
					memcpy(v, map, (size_t)e->oc * sizeof *v);
				else
					pool_map(e->pool == TL_POOL_NONE ? TL_POOL_AVG : e->pool,
					    map, hw, e->oc, v);
			}
		}
		if (v == NULL)
			return tl_err_set(err, "out of memory");
		if (!e->keep_image) {
			tl_rec_del(r, "img");
			tl_rec_del(r, "pix");
		}
	}
	return 0;
}

const struct tl_rec *
tl_embedder_result(const struct tl_embedder *e, int i)
{
	return e->recs[i];
}

void
tl_embedder_reset(struct tl_embedder *e)
{
	e->n = 0;
}
