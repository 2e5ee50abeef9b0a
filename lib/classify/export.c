/*
 * export.c - a trained model and its backbone(s) as one ONNX graph
 * (export.h): the backbones loaded as tl-classify loads them, written by
 * the engine's ONNX writer (nn/onnxw.h), the pooling and the head added
 * as ONNX nodes that compute what head.c does.
 *
 * Not here: writing protobuf (onnxw.c), the head's arithmetic as tl runs
 * it (head.c): the two must agree, which tests/cli/onnx.sh checks with
 * onnxruntime.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backbone/embed.h"
#include "backbone/model.h"
#include "classify/export.h"
#include "core/version.h"
#include "learn/tlm.h"
#include "nn/onnxw.h"

struct part {
	const struct tl_tlm_backbone *b;
	struct tl_model bm;
	struct tl_nn *nn;       /* NULL: raw pixels */
	const char *layer;      /* what the head reads of it (NULL: the graph's output) */
	const char *pool;
	char spec[256];
};

/* The scaling and resizing the model's embeddings were made with: the
 * backbone's, overridden by the model's recorded "preprocess" (as
 * tl-classify overrides them). */
static int
model_prep(struct part *p, const char *model, struct tl_err *err)
{
	const msgpack_object *pp = p->b->preprocess, *s = tl_obj_get(pp, "scale");
	struct tl_prep *q = &p->bm.prep;
	char scale[32];

	if (tl_obj_is_str(tl_obj_get(pp, "resize"), "squash"))
		q->mode = TL_RESIZE_SQUASH;
	else if (tl_obj_is_str(tl_obj_get(pp, "resize"), "crop"))
		q->mode = TL_RESIZE_CROP;
	if (q->mode == TL_RESIZE_CROP && q->resize < q->width)
		q->resize = q->width * 8 / 7;
	if (s != NULL && s->type == MSGPACK_OBJECT_STR) {
		snprintf(scale, sizeof scale, "%.*s", (int)s->via.str.size, s->via.str.ptr);
		if (tl_prep_set_scale(q, scale) < 0)
			return tl_err_set(err, "%s: unknown scale '%s' in the model", model, scale);
	}
	return 0;
}

static int
open_part(struct part *p, const struct tl_tlm *m, int first, const char *model,
          struct tl_err *err)
{
	int64_t d[TL_NN_MAXRANK];
	int rank;

	if (tl_model_open(p->spec, &p->bm, err) < 0)
		return tl_err_prefix(err, "%s: the model's backbone", model);
	if (strcmp(p->bm.sha256, p->b->sha256) != 0)
		return tl_err_set(err, "%s: backbone %s: its files have sha256 %.12s, the model was "
		    "trained on %.12s", model, p->bm.path, p->bm.sha256, p->b->sha256);
	if (model_prep(p, model, err) < 0)
		return -1;
	p->pool = *p->b->pool ? p->b->pool : "avg";
	if (p->bm.format == TL_MODEL_PIXELS)
		return 0;
	p->layer = first && m->tail.n > 0 ? m->tail.to : *p->b->layer ? p->b->layer : NULL;
	if (first && m->tail.n > 0)
		p->pool = "avg";        /* the tail's output, averaged (tlm.h) */
	if ((p->nn = tl_model_load(&p->bm, p->layer, NULL, err)) == NULL)
		return tl_err_prefix(err, "%s: the model's backbone", model);
	if ((rank = tl_nn_input_shape(p->nn, d, err)) < 0)
		return -1;
	/* the size a graph fixes, as tl-embed takes it when no sidecar says */
	if (rank == 4 && !p->bm.has_sidecar && d[2] > 0 && d[3] > 0 && d[2] <= 4096 &&
	    d[3] <= 4096 && (d[2] != p->bm.prep.height || d[3] != p->bm.prep.width)) {
		p->bm.prep.height = (int)d[2];
		p->bm.prep.width = (int)d[3];
		p->bm.prep.resize = (p->bm.prep.width > p->bm.prep.height ? p->bm.prep.width :
		    p->bm.prep.height) * 8 / 7;
	}
	if (rank != 4 || d[1] != 3 || (d[2] > 0 && d[2] != p->bm.prep.height) ||
	    (d[3] > 0 && d[3] != p->bm.prep.width))
		return tl_err_set(err, "%s: the network's input is not [N,3,%d,%d] images",
		    p->bm.path, p->bm.prep.height, p->bm.prep.width);
	return 0;
}

/* A node with one output, no attributes. */
static int
node1(struct tl_nn_onnxw *w, const char *op, const char *a, const char *b, const char *out,
      struct tl_err *err)
{
	const char *in[2] = { a, b };

	return tl_nn_onnxw_node(w, op, in, b ? 2 : 1, &out, 1, NULL, 0, err);
}

static int
axis_node(struct tl_nn_onnxw *w, const char *op, const char *const *in, int nin,
          const char *out, int64_t axis, struct tl_err *err)
{
	struct tl_nn_attr a = { .name = "axis", .type = TL_NN_ATTR_INT, .i = axis };

	return tl_nn_onnxw_node(w, op, in, nin, &out, 1, &a, 1, err);
}

static int
transpose(struct tl_nn_onnxw *w, const char *in, const char *out, const int64_t perm[4],
          struct tl_err *err)
{
	struct tl_nn_attr a = { .name = "perm", .type = TL_NN_ATTR_INTS, .ints = perm, .n = 4 };

	return tl_nn_onnxw_node(w, "Transpose", &in, 1, &out, 1, &a, 1, err);
}

static int
vec(struct tl_nn_onnxw *w, const char *name, const float *v, int64_t n, struct tl_err *err)
{
	return tl_nn_onnxw_weights(w, name, 1, &n, v, err);
}

/* Part i's vector into name out (its size into *dim): the image scaled
 * for it, its network, its pooling. */
static int
write_part(struct tl_nn_onnxw *w, struct part *p, int i, const struct tl_tlm *m,
           const char *out, int64_t *dim, struct tl_err *err)
{
	static const int64_t to_nchw[4] = { 0, 3, 1, 2 }, to_nhwc[4] = { 0, 2, 3, 1 };
	char pre[32], n[8][300], feat[600];
	struct tl_nn_onnxw_param *tp = NULL;
	int64_t d[TL_NN_MAXRANK];
	int rank, rc = -1, ntp = 0;

	snprintf(pre, sizeof pre, "p%d/", i);
	for (int k = 0; k < 8; k++)
		snprintf(n[k], sizeof n[k], "p%d/tl_%d", i, k);
	/* x = image * mul + add */
	if (vec(w, n[0], p->bm.prep.mul, 3, err) < 0 || vec(w, n[1], p->bm.prep.add, 3, err) < 0 ||
	    node1(w, "Mul", "image", n[0], n[2], err) < 0 ||
	    node1(w, "Add", n[2], n[1], n[3], err) < 0)
		return -1;
	if (p->nn == NULL) { /* raw pixels: the scaled image, H,W,C order */
		*dim = (int64_t)p->bm.prep.width * p->bm.prep.height * 3;
		return axis_node(w, "Flatten", (const char *const[]){ n[3] }, 1, out, 1, err);
	}
	if (transpose(w, n[3], n[4], to_nchw, err) < 0)
		return -1;
	if (i == 0 && m->tail.n > 0) {
		if ((tp = calloc((size_t)m->tail.n, sizeof *tp)) == NULL)
			return tl_err_set(err, "out of memory");
		for (int k = 0; k < m->tail.n; k++) {
			const struct tl_tlm_tparam *q = &m->tail.p[k];
			int64_t c = 1;
			for (int j = 0; j < q->ndim; j++)
				c *= (int64_t)q->shape[j];
			tp[ntp++] = (struct tl_nn_onnxw_param){ q->node, q->what, q->data, c };
		}
	}
	if (tl_nn_onnxw_graph(w, p->nn, p->layer, pre, n[4], tp, ntp, err) < 0 ||
	    tl_nn_onnxw_name(p->nn, p->layer, pre, feat, sizeof feat, err) < 0 ||
	    (rank = tl_nn_output_shape(p->nn, d, err)) < 0) {
		tl_err_prefix(err, "%s", p->bm.path);
		goto out;
	}
	if (rank != 4) { /* a vector already, or to be flattened */
		*dim = 1;
		for (int j = 1; j < rank; j++)
			*dim *= d[j];
		rc = axis_node(w, "Flatten", (const char *const[]){ feat }, 1, out, 1, err);
		goto out;
	}
	if (strcmp(p->pool, "none") == 0) {
		*dim = d[1] * d[2] * d[3];
		rc = transpose(w, feat, n[5], to_nhwc, err) < 0 ? -1 :
		    axis_node(w, "Flatten", (const char *const[]){ n[5] }, 1, out, 1, err);
		goto out;
	}
	*dim = d[1];
	if (strcmp(p->pool, "avg") == 0 || strcmp(p->pool, "max") == 0) {
		rc = node1(w, strcmp(p->pool, "avg") == 0 ? "GlobalAveragePool" : "GlobalMaxPool",
		    feat, NULL, n[5], err) < 0 ? -1 :
		    axis_node(w, "Flatten", (const char *const[]){ n[5] }, 1, out, 1, err);
	} else if (strcmp(p->pool, "avgmax") == 0) {
		*dim = 2 * d[1];
		rc = node1(w, "GlobalAveragePool", feat, NULL, n[5], err) < 0 ||
		    node1(w, "GlobalMaxPool", feat, NULL, n[6], err) < 0 ||
		    axis_node(w, "Flatten", (const char *const[]){ n[5] }, 1, n[7], 1, err) < 0 ||
		    axis_node(w, "Flatten", (const char *const[]){ n[6] }, 1, n[0], 1, err) < 0 ||
		    axis_node(w, "Concat", (const char *const[]){ n[7], n[0] }, 2, out, 1, err) < 0 ?
		    -1 : 0;
		(void)0;
	} else
		rc = tl_err_set(err, "%s: unknown pool '%s' in the model", p->bm.path, p->pool);
out:
	free(tp);
	return rc;
}

/* emb [N,D] -> "prob" [N,K]: head.h's forward pass. */
static int
write_head(struct tl_nn_onnxw *w, const struct tl_tlm *m, const char *emb, struct tl_err *err)
{
	int64_t d = m->dim, k = m->nclass, h = m->hidden, axes[1] = { 1 };
	int64_t dw1[2] = { m->head == TL_TLM_MLP ? h : k, d }, dw2[2] = { k, h };
	int64_t one = 1, rows = m->head == TL_TLM_MLP ? h : k;
	struct tl_nn_attr tb = { .name = "transB", .type = TL_NN_ATTR_INT, .i = 1 };
	struct tl_nn_attr l2[2] = { { .name = "axes", .type = TL_NN_ATTR_INTS, .ints = axes, .n = 1 },
	                            { .name = "keepdims", .type = TL_NN_ATTR_INT, .i = 1 } };
	const char *u = emb, *gemm[3], *out;
	float t = m->temperature > 0 ? m->temperature : 1, eps = 1e-12f;
	float *lw = NULL, *lb = NULL;
	int rc = -1;

	if (m->norm == TL_TLM_NORM_SQRT) { /* sign(e) sqrt|e| */
		if (node1(w, "Abs", emb, NULL, "head/abs", err) < 0 ||
		    node1(w, "Sqrt", "head/abs", NULL, "head/sqrt", err) < 0 ||
		    node1(w, "Sign", emb, NULL, "head/sign", err) < 0 ||
		    node1(w, "Mul", "head/sign", "head/sqrt", "head/signed_sqrt", err) < 0)
			return -1;
		u = "head/signed_sqrt";
	}
	if (m->norm != TL_TLM_NORM_NONE) { /* u / max(|u|_2, 1e-12) */
		out = "head/norm";
		if (tl_nn_onnxw_node(w, "ReduceL2", &u, 1, &out, 1, l2, 2, err) < 0 ||
		    tl_nn_onnxw_weights(w, "head/eps", 0, &one, &eps, err) < 0 ||
		    node1(w, "Max", "head/norm", "head/eps", "head/norm_eps", err) < 0 ||
		    node1(w, "Div", u, "head/norm_eps", "head/unit", err) < 0)
			return -1;
		u = "head/unit";
	}
	/* x = (u - mean) * scale */
	if (vec(w, "head/mean", m->mean, d, err) < 0 || vec(w, "head/scale", m->scale, d, err) < 0 ||
	    node1(w, "Sub", u, "head/mean", "head/centred", err) < 0 ||
	    node1(w, "Mul", "head/centred", "head/scale", "head/x", err) < 0)
		return -1;
	/* the last layer's weights and bias divided by the temperature */
	lw = malloc((size_t)(k * (m->head == TL_TLM_MLP ? h : d)) * sizeof *lw);
	lb = malloc((size_t)k * sizeof *lb);
	if (lw == NULL || lb == NULL) {
		tl_err_set(err, "out of memory");
		goto out;
	}
	for (int64_t i = 0; i < k * (m->head == TL_TLM_MLP ? h : d); i++)
		lw[i] = (m->head == TL_TLM_MLP ? m->w2 : m->w1)[i] / t;
	for (int64_t i = 0; i < k; i++)
		lb[i] = (m->head == TL_TLM_MLP ? m->b2 : m->b1)[i] / t;
	gemm[0] = "head/x";
	if (m->head == TL_TLM_MLP) {
		gemm[1] = "head/w1", gemm[2] = "head/b1", out = "head/hidden_pre";
		if (tl_nn_onnxw_weights(w, "head/w1", 2, dw1, m->w1, err) < 0 ||
		    tl_nn_onnxw_weights(w, "head/b1", 1, &rows, m->b1, err) < 0 ||
		    tl_nn_onnxw_node(w, "Gemm", gemm, 3, &out, 1, &tb, 1, err) < 0 ||
		    node1(w, "Relu", "head/hidden_pre", NULL, "head/hidden", err) < 0 ||
		    tl_nn_onnxw_weights(w, "head/w2_over_t", 2, dw2, lw, err) < 0 ||
		    tl_nn_onnxw_weights(w, "head/b2_over_t", 1, &k, lb, err) < 0)
			goto out;
		gemm[0] = "head/hidden", gemm[1] = "head/w2_over_t", gemm[2] = "head/b2_over_t";
	} else {
		if (tl_nn_onnxw_weights(w, "head/w1_over_t", 2, dw1, lw, err) < 0 ||
		    tl_nn_onnxw_weights(w, "head/b1_over_t", 1, &k, lb, err) < 0)
			goto out;
		gemm[1] = "head/w1_over_t", gemm[2] = "head/b1_over_t";
	}
	out = "logits";
	if (tl_nn_onnxw_node(w, "Gemm", gemm, 3, &out, 1, &tb, 1, err) < 0 ||
	    axis_node(w, "Softmax", (const char *const[]){ "logits" }, 1, "prob", 1, err) < 0)
		goto out;
	rc = 0;
out:
	free(lw);
	free(lb);
	return rc;
}

/* The classes as a JSON array into buf (a class holding '"', '\\' or a
 * control character escaped). */
static char *
classes_json(const struct tl_tlm *m)
{
	size_t n = 3;
	char *s, *o;

	for (int i = 0; i < m->nclass; i++)
		n += 6 * strlen(m->classes[i]) + 3;
	if ((s = o = malloc(n)) == NULL)
		return NULL;
	*o++ = '[';
	for (int i = 0; i < m->nclass; i++) {
		if (i)
			*o++ = ',';
		*o++ = '"';
		for (const unsigned char *c = (const unsigned char *)m->classes[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				*o++ = '\\', *o++ = (char)*c;
			else if (*c < 0x20)
				o += sprintf(o, "\\u%04x", *c);
			else
				*o++ = (char)*c;
		}
		*o++ = '"';
	}
	*o++ = ']';
	*o = '\0';
	return s;
}

int
tl_export_onnx(const char *model, const char *backbone, const char *out,
               struct tl_export_info *info, struct tl_err *err)
{
	struct part p[TL_TLM_MAX_PARTS];
	char specs[TL_EMBED_MAX_PARTS][256], doc[1024], outs[TL_TLM_MAX_PARTS][32], resize[128];
	const char *cat[TL_TLM_MAX_PARTS];
	struct tl_nn_onnxw *w = NULL;
	struct tl_tlm *m;
	int64_t in[4], od[2], dim = 0, total = 0;
	int np, k, rc = -1;
	char *cl = NULL;

	memset(p, 0, sizeof p);
	if ((m = tl_tlm_load(model, err)) == NULL)
		return -1;
	np = m->backbone.nparts > 0 ? m->backbone.nparts : 1;
	if (np > TL_TLM_MAX_PARTS || np > TL_EMBED_MAX_PARTS) {
		tl_err_set(err, "%s: %d backbones", model, np);
		goto out;
	}
	if (backbone != NULL && np > 1 && (k = tl_embed_split(backbone, specs, err)) != np) {
		if (k >= 0)
			tl_err_set(err, "%s: --backbone %s names %d backbone%s, the model has %d "
			    "(joined by '+')", model, backbone, k, k == 1 ? "" : "s", np);
		goto out;
	}
	for (int i = 0; i < np; i++) {
		p[i].b = m->backbone.nparts > 0 ? &m->backbone.parts[i] : &m->backbone;
		snprintf(p[i].spec, sizeof p[i].spec, "%s", backbone == NULL ? p[i].b->name :
		    np > 1 ? specs[i] : backbone);
		if (open_part(&p[i], m, i == 0, model, err) < 0)
			goto out;
		if (!tl_prep_same_crop(&p[0].bm.prep, &p[i].bm.prep)) {
			tl_err_set(err, "%s: backbones %s and %s prepare images differently (%dx%d, "
			    "%dx%d): one image input cannot serve both", model, p[0].bm.name,
			    p[i].bm.name, p[0].bm.prep.width, p[0].bm.prep.height,
			    p[i].bm.prep.width, p[i].bm.prep.height);
			goto out;
		}
	}
	if ((w = tl_nn_onnxw_new(err)) == NULL)
		goto out;
	in[0] = -1, in[1] = p[0].bm.prep.height, in[2] = p[0].bm.prep.width, in[3] = 3;
	if (tl_nn_onnxw_input(w, "image", 4, in, err) < 0)
		goto out;
	for (int i = 0; i < np; i++) {
		snprintf(outs[i], sizeof outs[i], np > 1 ? "p%d/tl_vector" : "emb", i);
		cat[i] = outs[i];
		if (write_part(w, &p[i], i, m, outs[i], &dim, err) < 0)
			goto out;
		total += dim;
	}
	if (total != m->dim) {
		tl_err_set(err, "%s: the backbone%s give %lld values, the head reads %d", model,
		    np > 1 ? "s" : "", (long long)total, m->dim);
		goto out;
	}
	if (np > 1 && axis_node(w, "Concat", cat, np, "emb", 1, err) < 0)
		goto out;
	od[0] = -1, od[1] = m->nclass;
	if (write_head(w, m, "emb", err) < 0 || tl_nn_onnxw_output(w, "prob", 2, od, err) < 0)
		goto out;
	if ((cl = classes_json(m)) == NULL) {
		tl_err_set(err, "out of memory");
		goto out;
	}
	if (p[0].bm.prep.mode == TL_RESIZE_CROP)
		snprintf(resize, sizeof resize, "shorter side to %d, centre crop %dx%d",
		    p[0].bm.prep.resize, p[0].bm.prep.width, p[0].bm.prep.height);
	else
		snprintf(resize, sizeof resize, "squashed to %dx%d", p[0].bm.prep.width,
		    p[0].bm.prep.height);
	if (info != NULL) {
		info->width = p[0].bm.prep.width;
		info->height = p[0].bm.prep.height;
		info->nclass = m->nclass;
		snprintf(info->resize, sizeof info->resize, "%s", resize);
	}
	snprintf(doc, sizeof doc, "tl model %s (%s): input \"image\" float32 [N,%d,%d,3], RGB "
	    "0..255, the image %s; output \"prob\" float32 [N,%d], the classes of metadata "
	    "\"classes\"", model, *m->version_tag ? m->version_tag : "no version",
	    p[0].bm.prep.height, p[0].bm.prep.width, resize, m->nclass);
	if (tl_nn_onnxw_meta(w, "classes", cl, err) < 0 ||
	    tl_nn_onnxw_meta(w, "tl_version", m->version_tag, err) < 0 ||
	    tl_nn_onnxw_doc(w, doc, err) < 0 ||
	    tl_nn_onnxw_save(w, out, "tl", TL_VERSION, err) < 0)
		goto out;
	rc = 0;
out:
	for (int i = 0; i < np && i < TL_TLM_MAX_PARTS; i++)
		tl_nn_free(p[i].nn);
	free(cl);
	tl_nn_onnxw_free(w);
	tl_tlm_free(m);
	return rc;
}
