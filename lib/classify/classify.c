/*
 * classify.c - a trained head over batches of records: embeddings as given,
 * maps pooled here, or images through the model's own backbone (embed.h);
 * the verdict keys, top-K, class activation maps and heat-map files.
 *
 * Deliberately not here: the head's arithmetic (head.c), the CAM formula and
 * colours (cam.c), streams and options (cmd/tl-classify.c).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>

#include "backbone/embed.h"
#include "backbone/pool.h"
#include "classify/cam.h"
#include "classify/classify.h"
#include "classify/explain.h"
#include "core/afile.h"
#include "core/quantile.h"
#include "core/tensor.h"
#include "data/image.h"
#include "learn/finetune.h"
#include "learn/head.h"
#include "stream/extract.h"

#define HEATMAP_MAX 1024 /* longer side of a heat map, pixels */
#define ACT_K 16         /* activations: channels in the grid (4 x 4) */
#define ACT_CELL 224     /* ... each cell this many pixels square */

enum mode { MODE_NONE, MODE_EMB, MODE_IMAGE };

struct tl_classifier {
	struct tl_classify_opts o;
	struct tl_tlm *m;
	char sha256[65];           /* of the .tlm file */
	const char *name;          /* its base name (points into o.model) */
	int use_ood;               /* reject on ood */
	double ood_thr;
	enum mode mode;
	struct tl_embedder *e;     /* MODE_IMAGE */
	struct tl_tail *tail;      /* a fine-tuned model's end of the backbone:
	                            * its inputs are maps at the cut, its
	                            * output the head's embedding */
	size_t tin;                /* floats per map at the cut */
	float *tmaps;              /* [batch, tin] */
	float *tout;               /* [batch, tail's C]: its output, before the
	                            * frozen parts' features join it (frozen) */
	struct tl_tail *otail;     /* the untouched tail to the model's OOD
	                            * layer (tlm.h ood_layer), or NULL */
	float *of;                 /* [batch, ood_dim]: its features */
	int map;                   /* inputs are maps [mh,mw,mc], pooled here */
	int frozen;                /* several backbones' maps: the other parts'
	                            * pooled features in "emb_frozen" [frozen],
	                            * after the pooled map in the head's input */
	enum tl_pool pool;         /* the model's pooling */
	int mh, mw, mc;
	struct tl_prep prep;       /* what the network saw (heat-map region) */
	int batch, n;
	struct tl_rec **recs;      /* MODE_EMB: [batch] queued copies */
	struct tl_err *why;        /* [batch]: why record i of the batch is bad,
	                            * when failed[i] (MODE_IMAGE: the backbone
	                            * gave a non-finite emb) */
	unsigned char *failed;     /* [batch] */
	float *emb;                /* [batch, D] pooled embeddings */
	float *prob;               /* [batch, K] */
	float *ood;                /* [batch] */
	float *work;               /* tl_head_work_size(batch) */
	float *mapbuf;             /* [mh*mw*mc] one map as f32 */
	float *camf, *gain;        /* [mh*mw], [mc] */
	unsigned char *cams;       /* [batch, ch*cw] (activations: ACT_K maps each) */
	int ch, cw;                /* the map's grid: mh, mw for CAM, the layer's
	                            * for Grad-CAM, the input's for saliency */
	struct tl_explain *ex;     /* --explain gradcam, saliency, activations */
	char method[600];          /* "cam_method": the method and its layer */
	float *xin, *gx, *gpool, *hid; /* explain: the input, head gradients */
	int act_ch[ACT_K], act_n;  /* activations: channels in the last grid */
	int *order;                /* [K] for top-K */
	struct tl_rec *out;
	long long done, unknown;
	char warning[1024];        /* tl_classifier_warning */
};

static int
file_sha256(const char *path, char hex[65], struct tl_err *err)
{
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	unsigned char buf[65536];
	FILE *f = fopen(path, "rb");
	size_t k;
	int st = 0;

	if (f == NULL || ck == NULL) {
		if (ck)
			g_checksum_free(ck);
		return tl_err_set(err, "%s: cannot open: %s", path, strerror(errno));
	}
	while ((k = fread(buf, 1, sizeof buf, f)) > 0)
		g_checksum_update(ck, buf, (gssize)k);
	if (ferror(f))
		st = tl_err_set(err, "%s: read error", path);
	fclose(f);
	snprintf(hex, 65, "%s", g_checksum_get_string(ck));
	g_checksum_free(ck);
	return st;
}

/* The tuned tail of a fine-tuned model: the backbone's nodes from the cut,
 * with the model's weights; the CAM geometry is its output map's. */
static int
open_tail(struct tl_classifier *c, struct tl_err *err)
{
	const struct tl_tlm *m = c->m;
	const struct tl_tlm_backbone *b = m->backbone.nparts > 0 ? &m->backbone.parts[0] : &m->backbone;
	char specs[TL_EMBED_MAX_PARTS][256];
	const char *name = b->name;
	int64_t hwc[3], out;

	/* several backbones: the tail is the first's, the others frozen */
	if (c->o.backbone && m->backbone.nparts > 0 && tl_embed_split(c->o.backbone, specs, err) > 0)
		name = specs[0];
	else if (c->o.backbone)
		name = c->o.backbone;
	c->tail = tl_ft_open(name, b->sha256, m->tail.from, m->tail.to, NULL, 0, err);
	if (c->tail == NULL || tl_ft_restore(c->tail, m, err) < 0)
		return tl_err_prefix(err, "%s: the fine-tuned backbone", c->o.model);
	out = tl_tail_out_dim(c->tail);
	for (int i = 1; i < m->backbone.nparts; i++)
		c->frozen += (int)(m->backbone.parts[i].ndims == 1 ? m->backbone.parts[i].dims[0] : 0);
	if (*m->ood_layer) { /* several backbones: the frozen parts' after it */
		int od = m->ood_dim - (m->ood_nparts > 1 ? c->frozen : 0);
		c->otail = tl_ft_open(name, b->sha256, m->tail.from, m->ood_layer, NULL, 0, err);
		if (c->otail == NULL)
			return tl_err_prefix(err, "%s: the OOD layer %s", c->o.model, m->ood_layer);
		if (tl_tail_out_dim(c->otail) != od || (m->ood_nparts > 1 && od != m->ood_part_dim[0]))
			return tl_err_set(err, "%s: the OOD layer %s gives %lld values, the model has %d",
			    c->o.model, m->ood_layer, (long long)tl_tail_out_dim(c->otail), od);
	}
	if (out + c->frozen != m->dim)
		return tl_err_set(err, "%s: the tail gives %lld values%s, the head reads %d", c->o.model,
		    (long long)out, c->frozen ? " and the frozen parts more" : "", m->dim);
	tl_tail_in_shape(c->tail, hwc);
	c->tin = (size_t)(hwc[0] * hwc[1] * hwc[2]);
	tl_tail_out_shape(c->tail, hwc);
	c->mh = (int)hwc[0], c->mw = (int)hwc[1], c->mc = (int)hwc[2];
	return 0;
}

/* --explain gradcam, saliency, activations: the chain of tails from the
 * first backbone's input (explain.h), checked against the model. */
static int
open_explain(struct tl_classifier *c, struct tl_err *err)
{
	const struct tl_tlm *m = c->m;
	const struct tl_tlm_backbone *b = m->backbone.nparts > 0 ? &m->backbone.parts[0] : &m->backbone;
	const char *how = tl_explain_name(c->o.explain), *name = b->name;
	char specs[TL_EMBED_MAX_PARTS][256];
	int gh, gw, gc, d = m->dim;

	if (c->o.explain == TL_EXPLAIN_SALIENCY && c->o.layer)
		return tl_err_set(err, "--layer: saliency is always the input's");
	if (c->o.explain == TL_EXPLAIN_ACTIVATIONS && c->o.cam_dir == NULL)
		return tl_err_set(err, "--explain activations makes pictures only: give --cam-dir DIR");
	if (c->o.explain != TL_EXPLAIN_ACTIVATIONS && c->tail == NULL &&
	    (m->backbone.ndims != 1 || strcmp(m->backbone.pool, "avg") != 0))
		return tl_err_set(err, "%s: --explain %s needs a head on average-pooled features "
		    "(this model's embeddings are pool %s)", c->o.model, how,
		    *m->backbone.pool ? m->backbone.pool : "(none)");
	if (c->o.backbone && m->backbone.nparts > 0 && tl_embed_split(c->o.backbone, specs, err) > 0)
		name = specs[0];
	else if (c->o.backbone)
		name = c->o.backbone;
	c->ex = tl_explain_new(name, *b->layer ? b->layer : NULL, c->tail ? m->tail.from : NULL,
	    c->tail, c->o.layer, (enum tl_explain_method)c->o.explain, c->o.threads, err);
	if (c->ex == NULL)
		return tl_err_prefix(err, "%s: --explain %s", c->o.model, how);
	tl_explain_grid(c->ex, &gh, &gw, &gc);
	c->ch = gh, c->cw = gw;
	if (c->o.explain == TL_EXPLAIN_SALIENCY)
		snprintf(c->method, sizeof c->method, "saliency");
	else
		snprintf(c->method, sizeof c->method, "%s %s", how, tl_explain_layer(c->ex));
	c->gx = malloc((size_t)d * sizeof *c->gx);
	c->gpool = malloc((size_t)(d > tl_explain_feat_dim(c->ex) ? d : tl_explain_feat_dim(c->ex)) *
	    sizeof *c->gpool);
	c->hid = malloc((size_t)(m->hidden > 0 ? m->hidden : 1) * sizeof *c->hid);
	c->camf = malloc((size_t)gh * gw * sizeof *c->camf);
	c->cams = malloc((size_t)c->batch * gh * gw * (c->o.explain == TL_EXPLAIN_ACTIVATIONS ?
	    ACT_K : 1));
	if (!c->gx || !c->gpool || !c->hid || !c->camf || !c->cams)
		return tl_err_set(err, "out of memory");
	return 0;
}

struct tl_classifier *
tl_classifier_new(const struct tl_classify_opts *o, struct tl_err *err)
{
	struct tl_classifier *c = calloc(1, sizeof *c);
	const char *slash;

	if (c == NULL) {
		tl_err_set(err, "out of memory");
		return NULL;
	}
	c->o = *o;
	if (c->o.cam_dir)
		c->o.cam = 1;
	c->batch = o->batch > 0 ? o->batch : 1;
	slash = strrchr(o->model, '/');
	c->name = slash ? slash + 1 : o->model;
	if ((c->m = tl_tlm_load(o->model, err)) == NULL ||
	    file_sha256(o->model, c->sha256, err) < 0)
		goto fail;
	if (!isnan(o->ood_threshold) && !c->m->has_ood) {
		tl_err_set(err, "%s: --ood-threshold: the model has no OOD statistics", o->model);
		goto fail;
	}
	c->ood_thr = isnan(o->ood_threshold) ? c->m->ood_threshold : o->ood_threshold;
	c->use_ood = c->m->has_ood && o->reject;
	if (c->o.top > c->m->nclass)
		c->o.top = c->m->nclass;
	if (c->m->tail.n > 0 && open_tail(c, err) < 0)
		goto fail;
	if (c->o.explain == TL_EXPLAIN_CAM)
		c->o.cam = 1;
	if (c->o.explain > TL_EXPLAIN_CAM) {
		c->o.cam = 0;
		if (open_explain(c, err) < 0)
			goto fail;
	} else if (c->o.cam && c->o.layer) {
		tl_err_set(err, "--layer: CAM is on the head's features; --layer is for "
		    "--explain gradcam or activations");
		goto fail;
	}
	if (c->o.cam) {
		const struct tl_tlm_backbone *b = &c->m->backbone;
		if (c->m->head != TL_TLM_LINEAR) {
			tl_err_set(err, "%s: --cam: CAM needs a linear head (this model's head is %s)",
			    o->model, tl_tlm_head_name(c->m->head));
			goto fail;
		}
		if (c->tail == NULL && (b->ndims != 1 || strcmp(b->pool, "avg") != 0)) {
			tl_err_set(err, "%s: --cam: CAM needs a head on average-pooled features "
			    "(this model's embeddings are pool %s)", o->model, *b->pool ? b->pool : "(none)");
			goto fail;
		}
	}
	if (c->o.explain == TL_EXPLAIN_CAM || c->o.cam)
		snprintf(c->method, sizeof c->method, "cam");
	if (c->o.cam_dir && mkdir(c->o.cam_dir, 0777) < 0 && errno != EEXIST) {
		tl_err_set(err, "%s: cannot create: %s", c->o.cam_dir, strerror(errno));
		goto fail;
	}
	if (c->o.cam_dir && tl_image_init(err) < 0)
		goto fail;
	c->recs = calloc((size_t)c->batch, sizeof *c->recs);
	c->why = calloc((size_t)c->batch, sizeof *c->why);
	c->failed = calloc((size_t)c->batch, sizeof *c->failed);
	c->emb = malloc((size_t)c->batch * c->m->dim * sizeof *c->emb);
	c->prob = malloc((size_t)c->batch * c->m->nclass * sizeof *c->prob);
	c->ood = malloc((size_t)c->batch * sizeof *c->ood);
	c->work = malloc(tl_head_work_size(c->m, (size_t)c->batch) * sizeof *c->work);
	c->order = malloc((size_t)c->m->nclass * sizeof *c->order);
	c->out = tl_rec_new();
	if (c->tail) {
		c->tmaps = malloc((size_t)c->batch * c->tin * sizeof *c->tmaps);
		c->tout = malloc((size_t)c->batch * (size_t)c->m->dim * sizeof *c->tout);
	}
	if (c->otail)
		c->of = malloc((size_t)c->batch * (size_t)c->m->ood_dim * sizeof *c->of);
	if (!c->recs || !c->why || !c->failed || !c->emb || !c->prob || !c->ood || !c->work || !c->order || !c->out ||
	    (c->tail && (!c->tmaps || !c->tout)) || (c->otail && !c->of)) {
		tl_err_set(err, "out of memory");
		goto fail;
	}
	return c;
fail:
	tl_classifier_free(c);
	return NULL;
}

void
tl_classifier_free(struct tl_classifier *c)
{
	if (c == NULL)
		return;
	for (int i = 0; c->recs && i < c->batch; i++)
		tl_rec_free(c->recs[i]);
	free(c->recs);
	free(c->why);
	free(c->failed);
	tl_embedder_free(c->e);
	tl_tail_free(c->tail);
	tl_tail_free(c->otail);
	tl_explain_free(c->ex);
	free(c->xin), free(c->gx), free(c->gpool), free(c->hid);
	free(c->tmaps);
	free(c->tout);
	free(c->of);
	tl_tlm_free(c->m);
	free(c->emb);
	free(c->prob);
	free(c->ood);
	free(c->work);
	free(c->mapbuf);
	free(c->camf);
	free(c->gain);
	free(c->cams);
	free(c->order);
	tl_rec_free(c->out);
	free(c);
}

const struct tl_tlm *
tl_classifier_model(const struct tl_classifier *c)
{
	return c->m;
}

static const char *
obj_cstr(struct tl_rec *arena, const msgpack_object *o)
{
	char *s;

	if (o == NULL || o->type != MSGPACK_OBJECT_STR ||
	    (s = tl_rec_alloc(arena, o->via.str.size + 1)) == NULL)
		return NULL;
	memcpy(s, o->via.str.ptr, o->via.str.size);
	s[o->via.str.size] = '\0';
	return s;
}

/* When header h describes maps [H,W,C] of the model's layer (pool none)
 * and the model wants them pooled, rewrites h's "pool" and "dims" to what
 * pooling here gives, so tl_tlm_check_header compares like with like, and
 * notes the map's geometry in c.  0, or -1 when out of memory. */
static int
adapt_map_header(struct tl_classifier *c, struct tl_rec *h)
{
	const struct tl_tlm_backbone *b = &c->m->backbone;
	const msgpack_object *d = tl_rec_get(h, "dims");
	const char *pool = obj_cstr(h, tl_rec_get(h, "pool"));
	const msgpack_object *df = tl_rec_get(h, "dims_frozen");
	msgpack_object dim = { .type = MSGPACK_OBJECT_POSITIVE_INTEGER };
	msgpack_object arr = { .type = MSGPACK_OBJECT_ARRAY };
	uint64_t v[3], f = 0;

	if (pool == NULL || strcmp(pool, "none") != 0 || b->ndims != 1 ||
	    tl_pool_parse(b->pool, &c->pool) < 0 || c->pool == TL_POOL_NONE ||
	    d == NULL || d->type != MSGPACK_OBJECT_ARRAY || d->via.array.size != 3)
		return 0;
	for (int i = 0; i < 3; i++) {
		if (d->via.array.ptr[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    d->via.array.ptr[i].via.u64 < 1 || d->via.array.ptr[i].via.u64 > TL_TLM_MAX_DIM)
			return 0;
		v[i] = d->via.array.ptr[i].via.u64;
	}
	if (v[0] * v[1] * v[2] > (uint64_t)1 << 28)
		return 0;
	if (df != NULL) { /* several backbones: the others' pooled features */
		if (df->type != MSGPACK_OBJECT_ARRAY || df->via.array.size != 1 ||
		    df->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    df->via.array.ptr[0].via.u64 < 1 || df->via.array.ptr[0].via.u64 > TL_TLM_MAX_DIM)
			return 0;
		f = df->via.array.ptr[0].via.u64;
	}
	c->map = 1;
	c->mh = (int)v[0], c->mw = (int)v[1], c->mc = (int)v[2];
	c->frozen = (int)f;
	dim.via.u64 = (c->pool == TL_POOL_AVGMAX ? 2 * v[2] : v[2]) + f;
	arr.via.array = (msgpack_object_array){ 1, &dim };
	if (tl_rec_set_str(h, "pool", b->pool) < 0 || tl_rec_set_obj(h, "dims", &arr) < 0)
		return -1;
	return 0;
}

/* The preprocessing a header's "preprocess" map describes (width, height,
 * resize; the crop's shorter side is not recorded: 8/7 of the width, as
 * tl-embed makes it). */
static void
prep_from_header(struct tl_prep *p, const msgpack_object *pp)
{
	const msgpack_object *w = tl_obj_get(pp, "width"), *h = tl_obj_get(pp, "height");

	memset(p, 0, sizeof *p);
	p->width = w && w->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (int)w->via.u64 : 224;
	p->height = h && h->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (int)h->via.u64 : 224;
	p->mode = tl_obj_is_str(tl_obj_get(pp, "resize"), "squash") ? TL_RESIZE_SQUASH : TL_RESIZE_CROP;
	p->resize = p->width * 8 / 7;
}

/* The preprocessing keys that must agree between the model's and the
 * embedder's header: an empty string when they do, else the first key that
 * differs. */
static const char *
prep_differs(const msgpack_object *want, const msgpack_object *got)
{
	static const char *const keys[] = { "width", "height", "resize", "scale" };

	if (want == NULL)
		return "";
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		const msgpack_object *a = tl_obj_get(want, keys[i]), *b = tl_obj_get(got, keys[i]);
		if (a == NULL)
			continue;
		if (b == NULL || !msgpack_object_equal(*a, *b))
			return keys[i];
	}
	return "";
}

static int
start_images(struct tl_classifier *c, struct tl_err *err)
{
	const struct tl_tlm_backbone *b = &c->m->backbone;
	const msgpack_object *pp = b->preprocess;
	struct tl_embed_opts eo = { .batch = c->batch, .threads = c->o.threads, .keep_image = 1,
	    .mode = -1, .max_pixels = c->o.max_pixels, .decoders = c->o.decoders };
	struct tl_rec *h = tl_rec_new(), *scale = tl_rec_new();
	const char *what;
	int st = TL_STOP;

	if (h == NULL || scale == NULL) {
		tl_err_set(err, "out of memory");
		goto done;
	}
	eo.model = c->o.backbone ? c->o.backbone : b->name;
	eo.layer = *b->layer && b->nparts == 0 ? b->layer : NULL;
	for (int i = 0; i < b->nparts && i < TL_EMBED_MAX_PARTS; i++) {
		const msgpack_object *ppi = b->parts[i].preprocess;
		eo.parts[i].layer = *b->parts[i].layer ? b->parts[i].layer : NULL;
		eo.parts[i].mode = tl_obj_is_str(tl_obj_get(ppi, "resize"), "squash") ? TL_RESIZE_SQUASH :
		    tl_obj_is_str(tl_obj_get(ppi, "resize"), "crop") ? TL_RESIZE_CROP : -1;
		eo.parts[i].scale = obj_cstr(scale, tl_obj_get(ppi, "scale"));
		eo.nparts = i + 1;
	}
	eo.pool = TL_POOL_AVG;
	if (*b->pool && tl_pool_parse(b->pool, &eo.pool) < 0) {
		tl_err_set(err, "%s: unknown pool '%s' in the model", c->o.model, b->pool);
		goto done;
	}
	if (c->o.cam)
		eo.pool = TL_POOL_NONE;
	if (tl_obj_is_str(tl_obj_get(pp, "resize"), "squash"))
		eo.mode = TL_RESIZE_SQUASH;
	else if (tl_obj_is_str(tl_obj_get(pp, "resize"), "crop"))
		eo.mode = TL_RESIZE_CROP;
	eo.scale = obj_cstr(scale, tl_obj_get(pp, "scale"));
	if ((c->e = tl_embedder_new(&eo, err)) == NULL) {
		tl_err_prefix(err, "%s: the model's backbone", c->o.model);
		goto done;
	}
	c->prep = tl_embedder_model(c->e)->prep;
	if (tl_embedder_header(c->e, h) < 0 || adapt_map_header(c, h) < 0) {
		tl_err_set(err, "out of memory");
		goto done;
	}
	if (tl_tlm_check_header(c->m, h, err) < 0) {
		tl_err_prefix(err, "%s: backbone %s", c->o.model, tl_embedder_model(c->e)->path);
		goto done;
	}
	if (*(what = prep_differs(pp, tl_rec_get(h, "preprocess")))) {
		tl_err_set(err, "%s: backbone %s prepares images differently (preprocess %s) "
		    "from the embeddings the model was trained on", c->o.model,
		    tl_embedder_model(c->e)->path, what);
		goto done;
	}
	for (int i = 0; i < b->nparts && i < tl_embedder_nparts(c->e); i++) {
		const msgpack_object *hb = tl_rec_get(h, "backbones");
		if (*(what = prep_differs(b->parts[i].preprocess, hb && hb->type ==
		    MSGPACK_OBJECT_ARRAY && (uint32_t)i < hb->via.array.size ?
		    tl_obj_get(&hb->via.array.ptr[i], "preprocess") : NULL))) {
			tl_err_set(err, "%s: backbone %s prepares images differently (preprocess %s) "
			    "from the embeddings the model was trained on", c->o.model,
			    tl_embedder_part(c->e, i)->path, what);
			goto done;
		}
	}
	st = 0;
done:
	tl_rec_free(h);
	tl_rec_free(scale);
	return st;
}

static int
start_emb(struct tl_classifier *c, const struct tl_rec *in, struct tl_err *err)
{
	struct tl_rec *h = tl_rec_new();
	int st = -1;

	if (h == NULL || tl_rec_copy(h, in) < 0 || adapt_map_header(c, h) < 0) {
		tl_rec_free(h);
		return tl_err_set(err, "out of memory");
	}
	if (tl_tlm_check_header(c->m, h, err) < 0) {
		tl_err_prefix(err, "%s", c->o.model);
		if (c->tail && strlen(err->msg) + 80 < sizeof err->msg)
			strcat(err->msg, " (a fine-tuned model reads images, or maps from tl-embed --cut)");
	} else if (c->o.cam && !c->map && !c->tail) {
		if (c->m->backbone.nparts)
			tl_err_set(err, "--cam needs the feature map, but the input's emb is pooled: "
			    "give tl-classify the images, or maps from tl-embed -m %s -p none",
			    c->m->backbone.name);
		else
			tl_err_set(err, "--cam needs the feature map, but the input's emb is pooled: "
			    "give tl-classify the images, or maps from tl-embed -l %s -p none",
			    c->m->backbone.layer);
		st = TL_STOP;
	} else
		st = 0;
	prep_from_header(&c->prep, tl_rec_get(in, "preprocess"));
	tl_rec_free(h);
	return st;
}

static int
header_keys(struct tl_classifier *c, struct tl_rec *out)
{
	int k = c->m->nclass;
	msgpack_object *cl = tl_rec_alloc(out, (size_t)k * sizeof *cl);
	msgpack_object arr = { .type = MSGPACK_OBJECT_ARRAY };
	msgpack_object_kv kv[4];
	msgpack_object map = { .type = MSGPACK_OBJECT_MAP };
	const char *keys[4] = { "name", "sha256", "version", "backbone" };
	const char *vals[4] = { c->name, c->sha256, c->m->version_tag ? c->m->version_tag : "",
	    c->m->backbone.name };

	if (cl == NULL)
		return -1;
	for (int i = 0; i < k; i++) {
		cl[i].type = MSGPACK_OBJECT_STR;
		cl[i].via.str.ptr = c->m->classes[i];
		cl[i].via.str.size = (uint32_t)strlen(c->m->classes[i]);
	}
	arr.via.array = (msgpack_object_array){ (uint32_t)k, cl };
	for (int i = 0; i < 4; i++) {
		kv[i].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
		    .via.str = { (uint32_t)strlen(keys[i]), keys[i] } };
		kv[i].val = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
		    .via.str = { (uint32_t)strlen(vals[i]), vals[i] } };
	}
	map.via.map = (msgpack_object_map){ 4, kv };
	return tl_rec_set_obj(out, "classes", &arr) < 0 ||
	    tl_rec_set_obj(out, "classifier", &map) < 0 ? -1 : 0;
}

/* Appends "[a, b, c]" (the strings of array a, or of names[0..n)) to buf. */
static void
list_str(char *buf, size_t size, const msgpack_object *a, const char *const *names, int n)
{
	size_t off = strlen(buf);

	off += (size_t)snprintf(buf + off, off < size ? size - off : 0, "[");
	for (int i = 0; i < n && off < size; i++) {
		if (a != NULL)
			off += (size_t)snprintf(buf + off, size - off, "%s%.*s", i ? ", " : "",
			    (int)a->via.array.ptr[i].via.str.size, a->via.array.ptr[i].via.str.ptr);
		else
			off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? ", " : "", names[i]);
	}
	if (off < size)
		snprintf(buf + off, size - off, "]");
}

/* c->warning: set when the input header's "classes" name a class the model
 * does not know (its records' labels can never be predicted); the output's
 * classes are the model's all the same, the order of prob. */
static void
check_classes(struct tl_classifier *c, const struct tl_rec *in)
{
	const msgpack_object *cl = tl_rec_get(in, "classes");
	int n, known = 1;

	c->warning[0] = '\0';
	if (cl == NULL || cl->type != MSGPACK_OBJECT_ARRAY)
		return;
	n = (int)cl->via.array.size;
	for (int i = 0; i < n; i++)
		if (cl->via.array.ptr[i].type != MSGPACK_OBJECT_STR)
			return; /* not a class list tl writes: tl-report says so */
	for (int i = 0; i < n && known; i++) {
		const msgpack_object *s = &cl->via.array.ptr[i];
		known = 0;
		for (int j = 0; j < c->m->nclass && !known; j++)
			known = strlen(c->m->classes[j]) == s->via.str.size &&
			    memcmp(c->m->classes[j], s->via.str.ptr, s->via.str.size) == 0;
	}
	if (known)
		return;
	snprintf(c->warning, sizeof c->warning, "the input's classes ");
	list_str(c->warning, sizeof c->warning, cl, NULL, n);
	snprintf(c->warning + strlen(c->warning), sizeof c->warning - strlen(c->warning),
	    " are not all among the model's ");
	list_str(c->warning, sizeof c->warning, NULL, c->m->classes, c->m->nclass);
	snprintf(c->warning + strlen(c->warning), sizeof c->warning - strlen(c->warning),
	    "; the output header has the model's");
}

const char *
tl_classifier_warning(const struct tl_classifier *c)
{
	return c->warning;
}

int
tl_classifier_start(struct tl_classifier *c, const struct tl_rec *in, struct tl_rec *out,
                    struct tl_err *err)
{
	int st;
	size_t hw;

	if (tl_rec_get(in, "model") != NULL) {
		c->mode = MODE_EMB;
		st = start_emb(c, in, err);
	} else {
		c->mode = MODE_IMAGE;
		st = start_images(c, err);
	}
	if (st < 0)
		return st;
	if (c->mode == MODE_EMB)
		for (int i = 0; i < c->batch; i++)
			if ((c->recs[i] = tl_rec_new()) == NULL)
				return tl_err_set(err, "out of memory");
	if (c->ex && c->mode != MODE_IMAGE)
		return tl_err_set(err, "--explain %s needs the images (records with img or pix), "
		    "not embeddings", tl_explain_name(c->o.explain)), TL_STOP;
	if (c->ex && (c->xin = malloc((size_t)c->prep.width * c->prep.height * 3 *
	    sizeof *c->xin)) == NULL)
		return tl_err_set(err, "out of memory");
	if (c->map || (c->tail && c->o.cam)) {
		c->ch = c->mh, c->cw = c->mw;
		hw = (size_t)c->mh * c->mw;
		c->mapbuf = malloc(hw * c->mc * sizeof *c->mapbuf);
		c->camf = malloc(hw * sizeof *c->camf);
		c->gain = malloc((size_t)c->mc * sizeof *c->gain);
		c->cams = malloc((size_t)c->batch * hw);
		if (!c->mapbuf || !c->camf || !c->gain || !c->cams)
			return tl_err_set(err, "out of memory");
	}
	check_classes(c, in);
	if (header_keys(c, out) < 0)
		return tl_err_set(err, "out of memory");
	return 0;
}

int
tl_classifier_add(struct tl_classifier *c, const struct tl_rec *rec, struct tl_err *err)
{
	struct tl_tensor t;
	uint64_t want = c->tail ? (uint64_t)c->tin : c->map ? (uint64_t)c->mh * c->mw * c->mc :
	    (uint64_t)c->m->dim;

	if (c->mode == MODE_IMAGE) {
		if (tl_rec_get(rec, "img") == NULL && tl_rec_get(rec, "pix") == NULL)
			return tl_err_set(err, "no emb, img or pix to classify");
		return tl_embedder_add(c->e, rec, err);
	}
	if (tl_rec_get(rec, "emb") == NULL)
		return tl_err_set(err, "no emb to classify");
	if (tl_rec_tensor(rec, "emb", &t, err) < 0) /* err says "emb: ..." */
		return TL_SKIP;
	if (t.count != want || (c->map && !c->tail && (t.ndim != 3 || t.shape[0] != (uint64_t)c->mh ||
	    t.shape[1] != (uint64_t)c->mw)))
		return tl_err_set(err, "emb has %llu values, the header says %llu",
		    (unsigned long long)t.count, (unsigned long long)want);
	if (c->frozen) {
		if (tl_rec_get(rec, "emb_frozen") == NULL)
			return tl_err_set(err, "no emb_frozen (the header says dims_frozen)");
		if (tl_rec_tensor(rec, "emb_frozen", &t, err) < 0)
			return TL_SKIP;
		if (t.count != (uint64_t)c->frozen)
			return tl_err_set(err, "emb_frozen has %llu values, the header says %d",
			    (unsigned long long)t.count, c->frozen);
	}
	if (tl_rec_copy(c->recs[c->n], rec) < 0)
		return tl_err_set(err, "out of memory"), TL_NOMEM;
	c->n++;
	return TL_OK;
}

int
tl_classifier_pending(const struct tl_classifier *c)
{
	return c->mode == MODE_IMAGE ? tl_embedder_pending(c->e) : c->n;
}

int
tl_classifier_full(const struct tl_classifier *c)
{
	return c->mode == MODE_IMAGE ? tl_embedder_full(c->e) : c->n >= c->batch;
}

int
tl_classifier_queued(const struct tl_classifier *c)
{
	return c->mode == MODE_IMAGE ? tl_embedder_queued(c->e) : c->n;
}

static const struct tl_rec *
source(const struct tl_classifier *c, int i)
{
	return c->mode == MODE_IMAGE ? tl_embedder_result(c->e, i) : c->recs[i];
}

/* The per-channel factor a[c] with u = a * pooled, the model's normalisation
 * of this image's pooled vector p [C] (head.h's forward pass), the norm
 * taken over the whole embedding p [d] (d > C: several backbones'). */
static void
norm_gain(const struct tl_tlm *m, const float *p, int d, int nc, float *a)
{
	double ss = 0, inv = 1;

	for (int j = 0; j < d; j++) {
		double v = m->norm == TL_TLM_NORM_SQRT ? sqrt(fabs(p[j])) : fabs(p[j]);
		ss += v * v;
	}
	if (m->norm != TL_TLM_NORM_NONE)
		inv = 1 / fmax(sqrt(ss), 1e-12);
	for (int j = 0; j < nc; j++) {
		if (m->norm == TL_TLM_NORM_SQRT)
			a[j] = p[j] != 0 ? (float)(sqrt(fabs(p[j])) / fabs(p[j]) * inv) : 0;
		else
			a[j] = (float)inv;
	}
}

static int
best_class(const float *prob, int k)
{
	int b = 0;

	for (int j = 1; j < k; j++)
		if (prob[j] > prob[b])
			b = j;
	return b;
}

/* Record i's class activation map for its best class into c->cams, from
 * its feature map [mh*mw, mc]; the pooled vector is in c->emb (average:
 * --cam requires it). */
static void
cam_one(struct tl_classifier *c, int i, const float *map)
{
	int d = c->m->dim, k = c->m->nclass, best = best_class(c->prob + (size_t)i * k, k);
	size_t hw = (size_t)c->mh * c->mw;

	norm_gain(c->m, c->emb + (size_t)i * d, d, c->mc, c->gain);
	tl_cam_compute(map, (int)hw, c->mc, c->m->w1 + (size_t)best * d, c->gain, c->m->mean,
	    c->m->scale, c->camf);
	tl_cam_to_u8(c->camf, (int)hw, c->cams + (size_t)i * hw);
}

/* Saliency's few largest gradients would leave the rest of the picture
 * dark: x clipped at its 99th percentile (before min-max scaling). */
static void
clip_p99(float *x, size_t n)
{
	double *v = malloc(n * sizeof *v), q;

	if (v == NULL) /* unclipped: the map is still right, only darker */
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = x[i];
	tl_quantile_sort(v, n);
	q = tl_quantile(v, n, 0.99);
	for (size_t i = 0; i < n; i++)
		x[i] = x[i] > q ? (float)q : x[i];
	free(v);
}

/* Record i's Grad-CAM, saliency map or activations into c->cams: its image
 * prepared again, through the explainer's chain, the best class's score
 * differentiated through the head (standardisation; normalisation as a
 * factor of this image, as cam.h) and down to the layer.  TL_OK, or
 * TL_SKIP with err (its image cannot be read again). */
static int
explain_one(struct tl_classifier *c, int i, struct tl_err *err)
{
	const struct tl_tlm *m = c->m;
	const struct tl_rec *r = source(c, i);
	const msgpack_object *img = tl_rec_get(r, "img");
	struct tl_image_opts io = { .max_pixels = c->o.max_pixels };
	struct tl_image im = { 0 };
	struct tl_tensor t;
	int d = m->dim, k = m->nclass, best = best_class(c->prob + (size_t)i * k, k);
	int fd = tl_explain_feat_dim(c->ex), gh, gw, gc, rc;
	size_t ghw;

	tl_explain_grid(c->ex, &gh, &gw, &gc);
	ghw = (size_t)gh * gw;
	if (tl_rec_get(r, "pix") != NULL) {
		if (tl_rec_tensor(r, "pix", &t, err) < 0 || t.dtype != TL_U8 || t.ndim != 3 ||
		    t.shape[2] != 3)
			return tl_err_set(err, "--explain: pix is not a |u1 [H,W,3] tensor");
		rc = tl_prep_pixels(&c->prep, t.data, (int)t.shape[1], (int)t.shape[0], c->xin, err);
	} else if (img != NULL && img->type == MSGPACK_OBJECT_BIN) {
		if (tl_image_decode(img->via.bin.ptr, img->via.bin.size, &io, &im, err) < 0)
			return tl_err_prefix(err, "--explain");
		rc = tl_prep_pixels(&c->prep, im.pix, im.width, im.height, c->xin, err);
		tl_image_free(&im);
	} else
		return tl_err_set(err, "--explain: no image (neither img nor pix)");
	if (rc < 0 || tl_explain_forward(c->ex, c->xin, NULL, err) < 0)
		return tl_err_prefix(err, "--explain");
	if (c->o.explain == TL_EXPLAIN_ACTIVATIONS) {
		const float *a = tl_explain_acts(c->ex, ACT_K, c->act_ch);
		c->act_n = gc < ACT_K ? gc : ACT_K;
		for (int q = 0; q < c->act_n; q++) {
			for (size_t p = 0; p < ghw; p++)
				c->camf[p] = a[p * gc + c->act_ch[q]];
			tl_cam_to_u8(c->camf, (int)ghw, c->cams + ((size_t)i * ACT_K + q) * ghw);
		}
		return TL_OK;
	}
	/* dscore/dpooled: through the head, the standardisation and the
	 * normalisation's factor, the first backbone's features only */
	tl_head_input(m, 1, c->emb + (size_t)i * d, c->gpool);
	tl_head_logit_grad(m, best, c->gpool, c->hid, c->gx);
	norm_gain(m, c->emb + (size_t)i * d, d, fd, c->gpool);
	for (int j = 0; j < fd; j++)
		c->gpool[j] *= c->gx[j] * (m->scale ? m->scale[j] : 1);
	if (tl_explain_map(c->ex, c->gpool, c->prep.mul, c->camf, err) < 0)
		return tl_err_prefix(err, "--explain");
	if (c->o.explain == TL_EXPLAIN_SALIENCY)
		clip_p99(c->camf, ghw);
	tl_cam_to_u8(c->camf, (int)ghw, c->cams + (size_t)i * ghw);
	return TL_OK;
}

static int
explain_batch(struct tl_classifier *c, int n, struct tl_err *err)
{
	for (int i = 0; i < n; i++)
		if (!c->failed[i] && explain_one(c, i, &c->why[i]) != TL_OK)
			c->failed[i] = 1;
	return 0;
}

/* A fine-tuned model's batch: the maps at the cut through the tuned tail,
 * the head, and CAM on the tail's output map. */
static int
run_tail(struct tl_classifier *c, int n, struct tl_err *err)
{
	size_t hw = (size_t)c->mh * c->mw;
	struct tl_tensor t;
	int64_t hwc[3];
	const float *maps;

	for (int i = 0; i < n; i++) {
		float *x = c->tmaps + (size_t)i * c->tin;
		if (c->failed[i])
			memset(x, 0, c->tin * sizeof *x);
		else if (tl_rec_tensor(source(c, i), "emb", &t, err) < 0)
			return -1;
		else
			tl_tensor_to_f32(&t, x);
	}
	if (tl_tail_forward(c->tail, c->tmaps, n, c->frozen ? c->tout : c->emb, c->o.cam, err) < 0)
		return -1;
	if (c->frozen) { /* the head's input: the tail's output, then the frozen parts' */
		size_t d = (size_t)c->m->dim, ct = d - (size_t)c->frozen;
		for (int i = 0; i < n; i++) {
			float *e = c->emb + (size_t)i * d;
			memcpy(e, c->tout + (size_t)i * ct, ct * sizeof *e);
			if (c->failed[i])
				memset(e + ct, 0, (size_t)c->frozen * sizeof *e);
			else if (tl_rec_tensor(source(c, i), "emb_frozen", &t, err) < 0)
				return -1;
			else
				tl_tensor_to_f32(&t, e + ct);
		}
	}
	tl_head_predict(c->m, (size_t)n, c->emb, c->prob, c->m->has_ood ? c->ood : NULL, c->work);
	if (c->otail) {
		/* after the tail's forward: its kept map is read below */
		if (tl_tail_forward(c->otail, c->tmaps, n, c->of, 0, err) < 0)
			return -1;
		if (c->m->ood_nparts > 1 && c->frozen) { /* then the frozen parts', as in emb */
			size_t od = (size_t)c->m->ood_dim, fd = (size_t)c->frozen, ct = od - fd;
			size_t d = (size_t)c->m->dim;
			for (int i = n - 1; i >= 0; i--) {
				memmove(c->of + (size_t)i * od, c->of + (size_t)i * ct, ct * sizeof *c->of);
				memcpy(c->of + (size_t)i * od + ct, c->emb + (size_t)i * d + d - fd,
				    fd * sizeof *c->of);
			}
		}
		tl_head_ood_input(c->m, (size_t)n, c->of, c->of);
		tl_head_ood(c->m, (size_t)n, c->of, c->ood, c->work);
	}
	if (c->ex)
		return explain_batch(c, n, err);
	if (!c->o.cam)
		return 0;
	maps = tl_tail_map(c->tail, hwc);
	for (int i = 0; i < n; i++)
		if (!c->failed[i])
			cam_one(c, i, maps + (size_t)i * hw * c->mc);
	return 0;
}

int
tl_classifier_run(struct tl_classifier *c, struct tl_err *err)
{
	int n, d = c->m->dim;
	size_t hw = (size_t)c->mh * c->mw;
	struct tl_tensor t;

	if (c->mode == MODE_IMAGE && tl_embedder_run(c->e, err) < 0)
		return -1;
	n = tl_classifier_pending(c);
	/* records queued as emb were checked by tl_classifier_add; those the
	 * backbone made are checked here, and a bad one leaves the batch */
	for (int i = 0; i < n; i++)
		if (c->mode == MODE_IMAGE && tl_embedder_error(c->e, i) != NULL) {
			c->failed[i] = 1;
			tl_err_set(&c->why[i], "%s", tl_embedder_error(c->e, i));
		} else if ((c->failed[i] = c->mode == MODE_IMAGE &&
		    (tl_rec_tensor(source(c, i), "emb", &t, &c->why[i]) < 0 ||
		    (c->frozen && tl_rec_tensor(source(c, i), "emb_frozen", &t, &c->why[i]) < 0))))
			tl_err_prefix(&c->why[i], "the backbone's output");
	if (c->tail) /* nothing pending: the stream ended with a full batch */
		return n > 0 ? run_tail(c, n, err) : 0;
	for (int i = 0; i < n; i++) {
		if (c->failed[i]) {
			memset(c->emb + (size_t)i * d, 0, (size_t)d * sizeof *c->emb);
			continue;
		}
		if (tl_rec_tensor(source(c, i), "emb", &t, err) < 0)
			return -1;
		if (c->map) {
			tl_tensor_to_f32(&t, c->mapbuf);
			tl_pool_map(c->pool, c->mapbuf, hw, c->mc, c->emb + (size_t)i * d);
			if (c->frozen) { /* after the pooled map: the other backbones' */
				if (tl_rec_tensor(source(c, i), "emb_frozen", &t, err) < 0)
					return -1;
				tl_tensor_to_f32(&t, c->emb + (size_t)i * d + d - c->frozen);
			}
		} else
			tl_tensor_to_f32(&t, c->emb + (size_t)i * d);
	}
	tl_head_predict(c->m, (size_t)n, c->emb, c->prob, c->m->has_ood ? c->ood : NULL, c->work);
	if (c->ex)
		return explain_batch(c, n, err);
	if (!c->o.cam)
		return 0;
	for (int i = 0; i < n; i++) {
		if (c->failed[i])
			continue;
		if (tl_rec_tensor(source(c, i), "emb", &t, err) < 0)
			return -1;
		tl_tensor_to_f32(&t, c->mapbuf);
		cam_one(c, i, c->mapbuf);
	}
	return 0;
}

/* "top": [[class, prob], ...] of the c->o.top best, ties by class order */
static int
set_top(struct tl_classifier *c, struct tl_rec *r, const float *prob)
{
	int k = c->m->nclass, t = c->o.top;
	msgpack_object *pairs = tl_rec_alloc(r, (size_t)t * sizeof *pairs);
	msgpack_object *cells = tl_rec_alloc(r, (size_t)t * 2 * sizeof *cells);
	msgpack_object arr = { .type = MSGPACK_OBJECT_ARRAY };

	if (pairs == NULL || cells == NULL)
		return -1;
	for (int j = 0; j < k; j++)
		c->order[j] = j;
	for (int a = 0; a < t; a++) { /* partial selection sort: t is small */
		int b = a, tmp;
		for (int j = a + 1; j < k; j++)
			if (prob[c->order[j]] > prob[c->order[b]] ||
			    (prob[c->order[j]] == prob[c->order[b]] && c->order[j] < c->order[b]))
				b = j;
		tmp = c->order[a], c->order[a] = c->order[b], c->order[b] = tmp;
	}
	for (int a = 0; a < t; a++) {
		const char *s = c->m->classes[c->order[a]];
		cells[2 * a] = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
		    .via.str = { (uint32_t)strlen(s), s } };
		cells[2 * a + 1] = (msgpack_object){ .type = MSGPACK_OBJECT_FLOAT64,
		    .via.f64 = prob[c->order[a]] };
		pairs[a] = (msgpack_object){ .type = MSGPACK_OBJECT_ARRAY,
		    .via.array = { 2, cells + 2 * a } };
	}
	arr.via.array = (msgpack_object_array){ (uint32_t)t, pairs };
	return tl_rec_set_obj(r, "top", &arr);
}

/* Activations: a grid of 4 x 4 cells of ACT_CELL px, each the part of the
 * image the network saw with one of the layer's strongest channels over
 * it (best first, row by row), into hm (its pixels the caller's). */
static int
act_grid(struct tl_classifier *c, int i, const unsigned char *pix, int w, int h,
         struct tl_image *hm, struct tl_err *err)
{
	struct tl_prep p = c->prep;
	struct tl_cam_region whole = { 0, 0, ACT_CELL, ACT_CELL };
	size_t ghw = (size_t)c->ch * c->cw;
	unsigned char *crop, *cell;
	int cols = 4, rows = (c->act_n + cols - 1) / cols;

	p.width = p.height = ACT_CELL;
	p.resize = p.resize * ACT_CELL / (c->prep.width > 0 ? c->prep.width : ACT_CELL);
	hm->width = cols * ACT_CELL, hm->height = rows * ACT_CELL;
	crop = malloc((size_t)ACT_CELL * ACT_CELL * 3);
	cell = malloc((size_t)ACT_CELL * ACT_CELL * 3);
	hm->pix = calloc((size_t)hm->width * hm->height, 3);
	if (!crop || !cell || !hm->pix) {
		free(crop), free(cell);
		return tl_err_set(err, "out of memory"), TL_NOMEM;
	}
	if (tl_prep_crop(&p, pix, w, h, crop, err) < 0) {
		free(crop), free(cell);
		return tl_err_prefix(err, "activations");
	}
	for (int q = 0; q < c->act_n; q++) {
		int x0 = q % cols * ACT_CELL, y0 = q / cols * ACT_CELL;
		tl_cam_overlay(crop, ACT_CELL, ACT_CELL, c->cams + ((size_t)i * ACT_K + q) * ghw,
		    c->cw, c->ch, &whole, cell);
		for (int y = 0; y < ACT_CELL; y++)
			memcpy(hm->pix + ((size_t)(y0 + y) * hm->width + x0) * 3,
			    cell + (size_t)y * ACT_CELL * 3, ACT_CELL * 3);
	}
	free(crop), free(cell);
	return TL_OK;
}

int
tl_classifier_heatmap(struct tl_classifier *c, int i, const struct tl_rec *r,
                      struct tl_err *err)
{
	const unsigned char *cam = c->cams + (size_t)i * c->ch * c->cw;
	const msgpack_object *id = tl_rec_get(r, "id"), *img = tl_rec_get(r, "img");
	struct tl_image_opts io = { .max_pixels = c->o.max_pixels };
	struct tl_image im = { 0 }, hm = { 0 };
	struct tl_cam_region reg;
	struct tl_afile *af;
	struct tl_tensor t;
	char name[256], path[4096];
	const unsigned char *pix;
	void *png = NULL;
	size_t len;
	int w, h, st;

	if (c->o.cam_dir == NULL)
		return TL_OK;
	if (id == NULL || id->type != MSGPACK_OBJECT_STR)
		return tl_err_set(err, "heat map: no id to name it after");
	if (tl_rec_get(r, "pix") != NULL) {
		if (tl_rec_tensor(r, "pix", &t, err) < 0 || t.dtype != TL_U8 || t.ndim != 3 ||
		    t.shape[2] != 3)
			return tl_err_set(err, "heat map: pix is not a |u1 [H,W,3] tensor");
		pix = t.data, h = (int)t.shape[0], w = (int)t.shape[1];
	} else if (img != NULL && img->type == MSGPACK_OBJECT_BIN) {
		if (tl_image_probe(img->via.bin.ptr, img->via.bin.size, &io, &w, &h, NULL, err) < 0 ||
		    (w > HEATMAP_MAX || h > HEATMAP_MAX ?
		     tl_image_thumbnail(img->via.bin.ptr, img->via.bin.size, &io, HEATMAP_MAX,
		         TL_FIT, &im, NULL, err) :
		     tl_image_decode(img->via.bin.ptr, img->via.bin.size, &io, &im, err)) < 0)
			return tl_err_prefix(err, "heat map");
		pix = im.pix, w = im.width, h = im.height;
	} else
		return tl_err_set(err, "heat map: no image (neither img nor pix; "
		    "tl-embed drops them without --keep-image)");
	if (c->o.explain == TL_EXPLAIN_ACTIVATIONS) {
		st = act_grid(c, i, pix, w, h, &hm, err);
		tl_image_free(&im);
		if (st != TL_OK)
			return st;
	} else {
		hm.width = w, hm.height = h;
		if ((hm.pix = malloc((size_t)w * h * 3)) == NULL) {
			tl_image_free(&im);
			return tl_err_set(err, "out of memory"), TL_NOMEM;
		}
		tl_cam_region(&c->prep, w, h, &reg);
		tl_cam_overlay(pix, w, h, cam, c->cw, c->ch, &reg, hm.pix);
		tl_image_free(&im);
	}
	if (tl_image_encode_png(&hm, &png, &len, err) < 0) {
		tl_image_free(&hm);
		return tl_err_prefix(err, "heat map");
	}
	tl_image_free(&hm);
	tl_extract_safe_name(name, id->via.str.ptr, id->via.str.size);
	snprintf(path, sizeof path, "%s/%s.png", c->o.cam_dir, name);
	st = TL_STOP;
	if ((af = tl_afile_open(path, err)) != NULL) {
		if (fwrite(png, 1, len, tl_afile_fp(af)) != len) {
			tl_err_set(err, "%s: %s", path, strerror(errno));
			tl_afile_abort(af);
		} else if (tl_afile_commit(af, err) == 0)
			st = TL_OK;
	}
	free(png);
	return st;
}

int
tl_classifier_result(struct tl_classifier *c, int i, const struct tl_rec **out,
                     struct tl_err *err)
{
	struct tl_rec *r = c->out;
	int k = c->m->nclass, best;
	const float *prob = c->prob + (size_t)i * k;
	size_t hw = (size_t)c->ch * c->cw;
	uint64_t shape[2] = { (uint64_t)k, 0 };
	const char *why = NULL;
	float *p;

	*out = r;
	if (tl_rec_copy(r, source(c, i)) < 0)
		return tl_err_set(err, "out of memory"), TL_NOMEM;
	if (c->failed[i]) {
		if (err != NULL)
			*err = c->why[i];
		return TL_SKIP;
	}
	if (c->mode == MODE_IMAGE) {
		tl_rec_del(r, "emb");
		tl_rec_del(r, "emb_frozen");
	}
	best = best_class(prob, k);
	if (c->o.reject && c->use_ood && c->ood[i] > c->ood_thr)
		why = "ood";
	else if (c->o.reject && prob[best] < c->o.min_conf)
		why = "conf";
	if ((p = tl_rec_set_tensor(r, "prob", TL_F32, 1, shape)) == NULL)
		return tl_err_set(err, "out of memory"), TL_NOMEM;
	memcpy(p, prob, (size_t)k * sizeof *p);
	if (tl_rec_set_str(r, "pred", why ? "unknown" : c->m->classes[best]) < 0 ||
	    tl_rec_set_f64(r, "conf", prob[best]) < 0 ||
	    (c->m->has_ood ? tl_rec_set_f64(r, "ood", c->ood[i]) : (tl_rec_del(r, "ood"), 0)) < 0 ||
	    (why ? tl_rec_set_str(r, "reject", why) : (tl_rec_del(r, "reject"), 0)) < 0 ||
	    (c->o.top ? set_top(c, r, prob) : (tl_rec_del(r, "top"), 0)) < 0)
		return tl_err_set(err, "out of memory"), TL_NOMEM;
	if (c->o.cam || c->o.explain == TL_EXPLAIN_GRADCAM || c->o.explain == TL_EXPLAIN_SALIENCY) {
		shape[0] = (uint64_t)c->ch, shape[1] = (uint64_t)c->cw;
		if ((p = tl_rec_set_tensor(r, "cam", TL_U8, 2, shape)) == NULL)
			return tl_err_set(err, "out of memory"), TL_NOMEM;
		memcpy(p, c->cams + (size_t)i * hw, hw);
	} else
		tl_rec_del(r, "cam");
	if (c->o.explain == TL_EXPLAIN_ACTIVATIONS) {
		uint64_t ashape[3] = { (uint64_t)c->act_n, (uint64_t)c->ch, (uint64_t)c->cw };
		if ((p = tl_rec_set_tensor(r, "acts", TL_U8, 3, ashape)) == NULL)
			return tl_err_set(err, "out of memory"), TL_NOMEM;
		memcpy(p, c->cams + (size_t)i * ACT_K * hw, (size_t)c->act_n * hw);
	} else
		tl_rec_del(r, "acts");
	if (*c->method ? tl_rec_set_str(r, "cam_method", c->method) < 0 :
	    (tl_rec_del(r, "cam_method"), 0))
		return tl_err_set(err, "out of memory"), TL_NOMEM;
	c->done++;
	c->unknown += why != NULL;
	return TL_OK;
}

void
tl_classifier_reset(struct tl_classifier *c)
{
	if (c->mode == MODE_IMAGE)
		tl_embedder_reset(c->e);
	c->n = 0;
}

void
tl_classifier_counts(const struct tl_classifier *c, long long *done, long long *unknown)
{
	*done = c->done;
	*unknown = c->unknown;
}
