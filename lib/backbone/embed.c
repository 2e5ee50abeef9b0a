/*
 * embed.c - batching records through a backbone.
 */
#include <glib.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "backbone/embed.h"
#include "backbone/feed.h"
#include "backbone/pool.h"
#include "backbone/prep.h"
#include "core/tensor.h"
#include "data/image.h"
#include "nn/nn.h"

/* One backbone of the embedder: its network, input and output batches. */
struct part {
	struct tl_model model;
	struct tl_nn *nn;
	char layer[512];
	enum tl_pool pool;        /* TL_POOL_NONE: emb is this part's map */
	float *out;               /* [batch, per] */
	int64_t per;              /* output floats per image */
	int oh, ow, oc;           /* output map (1,1,C for a vector output) */
	int64_t dim;              /* floats this part adds to emb (or emb_frozen) */
};

struct tl_embedder {
	int nparts;
	struct part p[TL_EMBED_MAX_PARTS];
	char name[TL_EMBED_MAX_PARTS * 129];   /* "a+b" */
	char sha256[65];          /* one part's, or sha256 of the parts' joined by '+' */
	int keep_image;
	int batch;
	struct tl_feed *feed;     /* the images, decoded a batch ahead */
	int ran;                  /* records of the batch tl_embedder_run ran */
	int64_t frozen;           /* floats of emb_frozen (0: no such key) */
};

/* The images must be prepared at the size the network takes: a graph with
 * a fixed input size overrides the default 224x224 of a model without a
 * sidecar, and contradicts a sidecar that says otherwise. */
static int
fit_input(struct part *e, struct tl_err *err)
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

int
tl_embed_split(const char *spec, char parts[][256], struct tl_err *err)
{
	int n = 0;
	const char *s = spec, *plus;

	/* a path that exists is one backbone, '+' or not */
	if (strchr(spec, '+') == NULL || access(spec, F_OK) == 0) {
		if (*spec == '\0')
			return tl_err_set(err, "an empty backbone name");
		snprintf(parts[0], 256, "%s", spec);
		return 1;
	}
	for (;;) {
		size_t k;
		plus = strchr(s, '+');
		k = plus ? (size_t)(plus - s) : strlen(s);
		if (k == 0)
			return tl_err_set(err, "'%s': an empty backbone name (want NAME+NAME...)", spec);
		if (k >= 256)
			return tl_err_set(err, "'%s': a backbone name is too long", spec);
		if (n == TL_EMBED_MAX_PARTS)
			return tl_err_set(err, "'%s': more than %d backbones", spec, TL_EMBED_MAX_PARTS);
		memcpy(parts[n], s, k);
		parts[n++][k] = '\0';
		if (plus == NULL)
			return n;
		s = plus + 1;
	}
}

/* The raw-pixel part: no network, its prepared input is its features
 * ([N*N*3], pool none whatever o->pool says). */
static int
pixels_open(struct tl_embedder *e, struct part *p, const struct tl_embed_opts *o,
            const char *layer, struct tl_err *err)
{
	if (o->cut)
		return tl_err_set(err, "%s: raw pixels have no fine-tuning cut", p->model.name);
	if (layer && *layer && strcmp(layer, TL_PIXELS) != 0)
		return tl_err_set(err, "%s: raw pixels have no layer '%s'", p->model.name, layer);
	snprintf(p->layer, sizeof p->layer, TL_PIXELS);
	p->oc = p->model.prep.width * p->model.prep.height * 3;
	p->oh = p->ow = 1;
	p->per = p->dim = p->oc;
	p->pool = TL_POOL_NONE;
	p->out = malloc((size_t)e->batch * p->per * sizeof *p->out);
	if (p->out == NULL)
		return tl_err_set(err, "out of memory");
	return 0;
}

/* A part cut at its network's input (the scratch network's --cut): no
 * network to run, the prepared image is the map [H,W,3], pool none. */
static int
input_open(struct tl_embedder *e, struct part *p, struct tl_err *err)
{
	snprintf(p->layer, sizeof p->layer, "%s", p->model.ft_from);
	p->oc = 3;
	p->oh = p->model.prep.height;
	p->ow = p->model.prep.width;
	p->per = p->dim = (int64_t)p->oc * p->oh * p->ow;
	p->pool = TL_POOL_NONE;
	p->out = malloc((size_t)e->batch * p->per * sizeof *p->out);
	if (p->out == NULL)
		return tl_err_set(err, "out of memory");
	return 0;
}

/* Opens, adjusts and loads part i (spec) as the options say. */
static int
part_open(struct tl_embedder *e, int i, const char *spec, const struct tl_embed_opts *o,
          struct tl_err *err)
{
	struct part *p = &e->p[i];
	struct tl_nn_opts no;
	int64_t d[TL_NN_MAXRANK];
	int rank, mode = i < o->nparts ? o->parts[i].mode : o->mode;
	const char *scale = i < o->nparts ? o->parts[i].scale : o->scale;
	const char *layer = i < o->nparts ? o->parts[i].layer : o->layer;

	if (tl_model_open(spec, &p->model, err) < 0)
		return -1;
	if (mode >= 0)
		p->model.prep.mode = (enum tl_resize)mode;
	if (p->model.prep.mode == TL_RESIZE_CROP && p->model.prep.resize < p->model.prep.width)
		p->model.prep.resize = p->model.prep.width * 8 / 7; /* 224 -> 256 */
	if (scale && tl_prep_set_scale(&p->model.prep, scale) < 0)
		return tl_err_set(err, "unknown scale '%s' (want [0,1], [-1,1], imagenet or [0,255])", scale);
	if (p->model.format == TL_MODEL_PIXELS)
		return pixels_open(e, p, o, layer, err);
	tl_nn_opts_init(&no);
	no.threads = o->threads;
	if (o->cut && i == 0 && p->model.ft_from[0] == '\0')
		return tl_err_set(err, "%s: the model names no fine-tuning cut (tl-model.json "
		    "\"finetune\")%s", p->model.name, strchr(o->model, '+') != NULL ?
		    ": --cut tunes the first backbone named, give one that has one" :
		    "; give the layer with -l");
	snprintf(p->layer, sizeof p->layer, "%s",
	    o->cut && i == 0 ? p->model.ft_from : layer && *layer ? layer : p->model.layer);
	if (tl_model_layer_is_input(&p->model, p->layer)) {
		if (i > 0)
			return tl_err_set(err, "%s: layer %s is the image, a map: only the first "
			    "backbone may give one", p->model.name, p->layer);
		return input_open(e, p, err);
	}
	if ((p->nn = tl_model_load(&p->model, p->layer, &no, err)) == NULL)
		return -1;
	if (fit_input(p, err) < 0)
		return -1;
	if ((rank = tl_nn_output_shape(p->nn, d, err)) < 0)
		return -1;
	/* logical shapes: [N,C,H,W] maps, [N,C] vectors */
	if (rank == 4) {
		p->oc = (int)d[1], p->oh = (int)d[2], p->ow = (int)d[3];
	} else if (rank == 2) {
		p->oc = (int)d[1], p->oh = p->ow = 1;
	} else {
		return tl_err_set(err, "layer '%s' has rank %d: want a [N,C,H,W] map or [N,C]",
		    p->layer, rank);
	}
	p->per = (int64_t)p->oc * p->oh * p->ow;
	/* several parts: only the first may stay a map, the others are pooled
	 * (average when the pooling asked for is none) */
	p->pool = i > 0 && o->pool == TL_POOL_NONE ? TL_POOL_AVG : o->pool;
	p->dim = p->pool == TL_POOL_NONE && p->oh * p->ow > 1 ? p->per :
	    p->pool == TL_POOL_AVGMAX ? 2 * (int64_t)p->oc : p->oc;
	p->out = malloc((size_t)e->batch * p->per * sizeof *p->out);
	if (p->out == NULL)
		return tl_err_set(err, "out of memory");
	return 0;
}

struct tl_embedder *
tl_embedder_new(const struct tl_embed_opts *o, struct tl_err *err)
{
	struct tl_embedder *e = calloc(1, sizeof *e);
	char specs[TL_EMBED_MAX_PARTS][256];
	int n;

	if (e == NULL || tl_image_init(err) < 0) {
		free(e);
		return NULL;
	}
	if ((n = tl_embed_split(o->model, specs, err)) < 0)
		goto fail;
	if (n > 1 && o->layer) {
		tl_err_set(err, "--layer with several backbones: each gives its own feature "
		    "layer (tl-model.json)");
		goto fail;
	}
	e->batch = o->batch > 0 ? o->batch : 1;
	for (int i = 0; i < n; i++) {
		if (part_open(e, i, specs[i], o, err) < 0) {
			e->nparts = i + 1;
			goto fail;
		}
		e->nparts = i + 1;
		if (n > 1 && e->p[i].model.format == TL_MODEL_PIXELS) {
			tl_err_set(err, "'%s': %s is a baseline of its own, not part of "
			    "several backbones", o->model, e->p[i].model.name);
			goto fail;
		}
		for (int j = 0; j < i; j++)
			if (strcmp(e->p[j].model.sha256, e->p[i].model.sha256) == 0) {
				tl_err_set(err, "'%s': backbone %s named twice", o->model,
				    e->p[i].model.name);
				goto fail;
			}
	}
	if (n == 1) {
		snprintf(e->name, sizeof e->name, "%s", e->p[0].model.name);
		snprintf(e->sha256, sizeof e->sha256, "%s", e->p[0].model.sha256);
	} else {
		GString *ids = g_string_new(NULL);
		for (int i = 0; i < n; i++) {
			g_string_append_printf(ids, "%s%s", i ? "+" : "", e->p[i].model.sha256);
			snprintf(e->name + strlen(e->name), sizeof e->name - strlen(e->name), "%s%s",
			    i ? "+" : "", e->p[i].model.name);
		}
		gchar *hex = g_compute_checksum_for_string(G_CHECKSUM_SHA256, ids->str,
		    (gssize)ids->len);
		snprintf(e->sha256, sizeof e->sha256, "%s", hex);
		g_free(hex);
		g_string_free(ids, TRUE);
		if (e->p[0].pool == TL_POOL_NONE && e->p[0].oh * e->p[0].ow > 1)
			for (int i = 1; i < n; i++)
				e->frozen += e->p[i].dim;
	}
	e->keep_image = o->keep_image;
	{
		struct tl_prep preps[TL_EMBED_MAX_PARTS];
		struct tl_image_opts img = { .max_pixels = o->max_pixels };
		for (int i = 0; i < n; i++)
			preps[i] = e->p[i].model.prep;
		e->feed = tl_feed_new(preps, n, e->batch, o->decoders < 0 ?
		    TL_EMBED_DECODERS : o->decoders, &img, err);
		if (e->feed == NULL)
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
	for (int i = 0; i < e->nparts; i++) {
		tl_nn_free(e->p[i].nn);
		free(e->p[i].out);
	}
	tl_feed_free(e->feed);
	free(e);
}

const struct tl_model *
tl_embedder_model(const struct tl_embedder *e)
{
	return &e->p[0].model;
}

int
tl_embedder_nparts(const struct tl_embedder *e)
{
	return e->nparts;
}

const struct tl_model *
tl_embedder_part(const struct tl_embedder *e, int i)
{
	return &e->p[i].model;
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

/* Part p's "dims" ([H,W,C] of a map, [D] pooled) into dims[0..3) (room
 * for 3, in h's arena); the count. */
static int
part_dims(const struct part *p, msgpack_object *dims)
{
	int nd = 0;

	if (p->pool == TL_POOL_NONE && (p->oh > 1 || p->ow > 1)) {
		dims[nd++] = num_obj(p->oh);
		dims[nd++] = num_obj(p->ow);
	}
	dims[nd++] = num_obj(p->pool == TL_POOL_AVGMAX ? 2 * p->oc : p->oc);
	return nd;
}

/* Part p's "preprocess" map, built in h's arena. */
static msgpack_object
prep_obj(struct tl_rec *h, const struct part *e)
{
	const struct tl_prep *p = &e->model.prep;
	msgpack_object_kv *pp = tl_rec_alloc(h, 6 * sizeof *pp);
	msgpack_object *ma = tl_rec_alloc(h, 6 * sizeof *ma);
	msgpack_object map = { .type = MSGPACK_OBJECT_MAP };

	if (pp == NULL || ma == NULL)
		return (msgpack_object){ .type = MSGPACK_OBJECT_NIL };
	for (int c = 0; c < 3; c++) {
		ma[c] = num_obj(p->mul[c]);
		ma[3 + c] = num_obj(p->add[c]);
	}
	pp[0] = (msgpack_object_kv){ str_obj(h, "width"), num_obj(p->width) };
	pp[1] = (msgpack_object_kv){ str_obj(h, "height"), num_obj(p->height) };
	pp[2] = (msgpack_object_kv){ str_obj(h, "resize"),
	    str_obj(h, p->mode == TL_RESIZE_SQUASH ? "squash" : "crop") };
	pp[3] = (msgpack_object_kv){ str_obj(h, "scale"), str_obj(h, p->scale) };
	pp[4] = (msgpack_object_kv){ str_obj(h, "mul"),
	    { .type = MSGPACK_OBJECT_ARRAY, .via.array = { 3, ma } } };
	pp[5] = (msgpack_object_kv){ str_obj(h, "add"),
	    { .type = MSGPACK_OBJECT_ARRAY, .via.array = { 3, ma + 3 } } };
	map.via.map = (msgpack_object_map){ 6, pp };
	return map;
}

/* The header's "backbones": [{name, sha256, layer, pool, dims, preprocess}]. */
static int
backbones_obj(const struct tl_embedder *e, struct tl_rec *h)
{
	msgpack_object *arr = tl_rec_alloc(h, (size_t)e->nparts * sizeof *arr);
	msgpack_object a = { .type = MSGPACK_OBJECT_ARRAY };

	if (arr == NULL)
		return -1;
	for (int i = 0; i < e->nparts; i++) {
		const struct part *p = &e->p[i];
		msgpack_object_kv *kv = tl_rec_alloc(h, 6 * sizeof *kv);
		msgpack_object *dims = tl_rec_alloc(h, 3 * sizeof *dims);
		int nd;
		if (kv == NULL || dims == NULL)
			return -1;
		nd = part_dims(p, dims);
		kv[0] = (msgpack_object_kv){ str_obj(h, "name"), str_obj(h, p->model.name) };
		kv[1] = (msgpack_object_kv){ str_obj(h, "sha256"), str_obj(h, p->model.sha256) };
		kv[2] = (msgpack_object_kv){ str_obj(h, "layer"), str_obj(h, p->layer) };
		kv[3] = (msgpack_object_kv){ str_obj(h, "pool"), str_obj(h, tl_pool_name(p->pool)) };
		kv[4] = (msgpack_object_kv){ str_obj(h, "dims"),
		    { .type = MSGPACK_OBJECT_ARRAY, .via.array = { (uint32_t)nd, dims } } };
		kv[5] = (msgpack_object_kv){ str_obj(h, "preprocess"), prep_obj(h, p) };
		if (kv[5].val.type == MSGPACK_OBJECT_NIL)
			return -1;
		arr[i] = (msgpack_object){ .type = MSGPACK_OBJECT_MAP, .via.map = { 6, kv } };
	}
	a.via.array = (msgpack_object_array){ (uint32_t)e->nparts, arr };
	return tl_rec_set_obj(h, "backbones", &a);
}

int
tl_embedder_header(const struct tl_embedder *e, struct tl_rec *h)
{
	msgpack_object_kv m[2];
	msgpack_object dims[3], map = { .type = MSGPACK_OBJECT_MAP }, arr = { .type = MSGPACK_OBJECT_ARRAY };
	msgpack_object pp;
	int nd;

	m[0] = (msgpack_object_kv){ str_obj(h, "name"), str_obj(h, e->name) };
	m[1] = (msgpack_object_kv){ str_obj(h, "sha256"), str_obj(h, e->sha256) };
	map.via.map = (msgpack_object_map){ 2, m };
	if (tl_rec_set_obj(h, "model", &map) < 0)
		return -1;
	nd = part_dims(&e->p[0], dims);
	if (e->nparts > 1 && e->frozen == 0) { /* the pooled parts, concatenated */
		uint64_t d = 0;
		for (int i = 0; i < e->nparts; i++)
			d += (uint64_t)e->p[i].dim;
		nd = 1;
		dims[0] = num_obj((double)d);
	}
	arr.via.array = (msgpack_object_array){ (uint32_t)nd, dims };
	if (tl_rec_set_obj(h, "dims", &arr) < 0)
		return -1;
	if (e->nparts == 1) {
		pp = prep_obj(h, &e->p[0]);
		if (pp.type == MSGPACK_OBJECT_NIL || tl_rec_set_obj(h, "preprocess", &pp) < 0)
			return -1;
		if (tl_rec_set_str(h, "layer", e->p[0].layer) < 0 ||
		    tl_rec_set_str(h, "pool", tl_pool_name(e->p[0].pool)) < 0)
			return -1;
		return 0;
	}
	{
		char layers[TL_EMBED_MAX_PARTS * 129] = "";
		for (int i = 0; i < e->nparts; i++)
			snprintf(layers + strlen(layers), sizeof layers - strlen(layers), "%s%s",
			    i ? "+" : "", e->p[i].layer);
		if (tl_rec_set_str(h, "layer", layers) < 0 ||
		    tl_rec_set_str(h, "pool", tl_pool_name(e->p[0].pool)) < 0)
			return -1;
	}
	if (e->frozen > 0) {
		msgpack_object fd = num_obj((double)e->frozen);
		arr.via.array = (msgpack_object_array){ 1, &fd };
		if (tl_rec_set_obj(h, "dims_frozen", &arr) < 0)
			return -1;
	}
	return backbones_obj(e, h);
}

int
tl_embedder_add(struct tl_embedder *e, const struct tl_rec *rec, struct tl_err *err)
{
	return tl_feed_add(e->feed, rec, err);
}

int
tl_embedder_pending(const struct tl_embedder *e)
{
	return e->ran;
}

int
tl_embedder_queued(const struct tl_embedder *e)
{
	return tl_feed_queued(e->feed);
}

int
tl_embedder_full(const struct tl_embedder *e)
{
	return tl_feed_full(e->feed);
}

/* Part p's features of image i into v: its map, or pooled. */
static void
part_features(const struct part *p, int i, float *v)
{
	const float *map = p->out + (size_t)i * p->per;
	int hw = p->oh * p->ow;

	if ((p->pool == TL_POOL_NONE || hw == 1) && p->pool != TL_POOL_AVGMAX)
		memcpy(v, map, (size_t)(p->pool == TL_POOL_NONE ? p->per : p->oc) * sizeof *v);
	else
		tl_pool_map(p->pool == TL_POOL_NONE ? TL_POOL_AVG : p->pool, map, (size_t)hw, p->oc, v);
}

int
tl_embedder_run(struct tl_embedder *e, struct tl_err *err)
{
	if ((e->ran = tl_feed_wait(e->feed)) == 0)
		return 0;
	for (int k = 0; k < e->nparts; k++)
		if (e->p[k].nn == NULL) /* raw pixels, a cut at the input: the input is the output */
			memcpy(e->p[k].out, tl_feed_input(e->feed, k),
			    (size_t)e->ran * e->p[k].per * sizeof *e->p[k].out);
		else if (tl_nn_run(e->p[k].nn, tl_feed_input(e->feed, k), e->ran, e->p[k].out,
		    err) < 0)
			return -1;
	for (int i = 0; i < e->ran; i++) {
		struct tl_rec *r = tl_feed_rec(e->feed, i);
		const struct part *p0 = &e->p[0];
		uint64_t shape[3] = { (uint64_t)p0->oh, (uint64_t)p0->ow, (uint64_t)p0->oc }, d;
		float *v;
		int k = 1;

		if (tl_feed_error(e->feed, i) != NULL)
			continue;
		if (p0->pool == TL_POOL_NONE && p0->oh * p0->ow > 1) {
			if ((v = tl_rec_set_tensor(r, "emb", TL_F32, 3, shape)) == NULL)
				return tl_err_set(err, "out of memory");
			part_features(p0, i, v);
			if (e->frozen > 0) {
				d = (uint64_t)e->frozen;
				if ((v = tl_rec_set_tensor(r, "emb_frozen", TL_F32, 1, &d)) == NULL)
					return tl_err_set(err, "out of memory");
			}
		} else {
			d = 0;
			for (int j = 0; j < e->nparts; j++)
				d += (uint64_t)e->p[j].dim;
			if ((v = tl_rec_set_tensor(r, "emb", TL_F32, 1, &d)) == NULL)
				return tl_err_set(err, "out of memory");
			k = 0;
		}
		if (e->nparts > 1 || k == 0)
			for (; k < e->nparts; k++) {
				part_features(&e->p[k], i, v);
				v += e->p[k].dim;
			}
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
	return tl_feed_rec(e->feed, i);
}

const char *
tl_embedder_error(const struct tl_embedder *e, int i)
{
	return tl_feed_error(e->feed, i);
}

void
tl_embedder_reset(struct tl_embedder *e)
{
	tl_feed_next(e->feed);
	e->ran = 0;
}
