/*
 * tlm.c - the trained-model file (tlm.h, tl-model(5)): one msgpack map,
 * packed with its keys in a fixed order and its checksum last, read back
 * whole, the checksum checked before anything else and every shape checked
 * against the class count and the dimensions before a float is copied.
 *
 * Not here: the head's forward pass (head.c), how the numbers are fitted
 * (train.c, lbfgs.c, calib.c, ood.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>

#include "core/afile.h"
#include "core/tensor.h"
#include "learn/tlm.h"
#include "stream/stream.h"

static const char *const head_names[] = { "linear", "mlp" };
static const char *const norm_names[] = { "none", "l2", "sqrt" };

const char *
tl_tlm_head_name(enum tl_tlm_head h)
{
	return head_names[h];
}

const char *
tl_tlm_norm_name(enum tl_tlm_norm n)
{
	return norm_names[n];
}

int
tl_tlm_norm_parse(const char *s, enum tl_tlm_norm *out)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(s, norm_names[i]) == 0) {
			*out = (enum tl_tlm_norm)i;
			return 0;
		}
	return -1;
}

/* Rows of W1: K for the linear head, H for the MLP. */
static size_t
rows1(const struct tl_tlm *m)
{
	return m->head == TL_TLM_MLP ? (size_t)m->hidden : (size_t)m->nclass;
}

/* Floats in the block: mean, scale, w1, b1, [w2, b2], [ood_w, ood_mu]. */
static size_t
block_size(const struct tl_tlm *m, int ood)
{
	size_t d = (size_t)m->dim, k = (size_t)m->nclass, a = rows1(m);
	size_t n = 2 * d + a * d + a;

	if (m->head == TL_TLM_MLP)
		n += k * (size_t)m->hidden + k;
	if (ood)
		n += d * d + k * d;
	return n;
}

/* Points the parameter pointers into m->params. */
static void
layout(struct tl_tlm *m, int ood)
{
	size_t d = (size_t)m->dim, k = (size_t)m->nclass, a = rows1(m);
	float *p = m->params;

	m->mean = p, p += d;
	m->scale = p, p += d;
	m->w1 = p, p += a * d;
	m->b1 = p, p += a;
	m->w2 = m->b2 = NULL;
	if (m->head == TL_TLM_MLP) {
		m->w2 = p, p += k * (size_t)m->hidden;
		m->b2 = p, p += k;
	}
	m->ood_w = m->ood_mu = NULL;
	if (ood) {
		m->ood_w = p, p += d * d;
		m->ood_mu = p, p += k * d;
	}
	m->nparams = (size_t)(p - m->params);
}

static char *
arena_str(struct tl_rec *a, const char *s, size_t n)
{
	char *p = tl_rec_alloc(a, n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* A stable copy of a msgpack value: the object itself in the arena (a
 * record's kv array moves when it grows; its zone does not). */
static const msgpack_object *
arena_obj(struct tl_rec *a, const char *key, const msgpack_object *v)
{
	msgpack_object *o;

	if (tl_rec_set_obj(a, key, v) < 0 || (o = tl_rec_alloc(a, sizeof *o)) == NULL)
		return NULL;
	*o = *tl_rec_get(a, key);
	return o;
}

struct tl_tlm *
tl_tlm_new(int nclass, const char *const *classes, int dim, enum tl_tlm_head head,
           int hidden, struct tl_err *err)
{
	struct tl_tlm *m;

	if (nclass < 2 || nclass > TL_TLM_MAX_CLASSES)
		return tl_err_set(err, "%d classes: want 2 to %d", nclass, TL_TLM_MAX_CLASSES), NULL;
	if (dim < 1 || dim > TL_TLM_MAX_DIM)
		return tl_err_set(err, "embedding size %d: want 1 to %d", dim, TL_TLM_MAX_DIM), NULL;
	if (head == TL_TLM_MLP && (hidden < 1 || hidden > TL_TLM_MAX_DIM))
		return tl_err_set(err, "hidden size %d: want 1 to %d", hidden, TL_TLM_MAX_DIM), NULL;
	if ((m = calloc(1, sizeof *m)) == NULL || (m->arena = tl_rec_new()) == NULL)
		goto oom;
	m->version = TL_TLM_VERSION;
	m->nclass = nclass;
	m->dim = dim;
	m->head = head;
	m->hidden = head == TL_TLM_MLP ? hidden : 0;
	m->norm = TL_TLM_NORM_NONE;
	m->temperature = 1;
	m->version_tag = m->created = m->producer = "";
	m->backbone.name = m->backbone.sha256 = m->backbone.layer = m->backbone.pool = "";
	m->tail.from = m->tail.to = m->ood_layer = "";
	m->ood_dim = dim;
	if ((m->classes = tl_rec_alloc(m->arena, (size_t)nclass * sizeof *m->classes)) == NULL)
		goto oom;
	for (int k = 0; k < nclass; k++)
		if ((m->classes[k] = arena_str(m->arena, classes[k], strlen(classes[k]))) == NULL)
			goto oom;
	if ((m->params = calloc(block_size(m, 0), sizeof *m->params)) == NULL)
		goto oom;
	layout(m, 0);
	for (int i = 0; i < dim; i++)
		m->scale[i] = 1;
	return m;
oom:
	tl_tlm_free(m);
	tl_err_set(err, "out of memory");
	return NULL;
}

int
tl_tlm_alloc_ood(struct tl_tlm *m, struct tl_err *err)
{
	size_t old = block_size(m, 0), n = block_size(m, 1);
	float *p;

	if (m->ood_w != NULL) {
		m->has_ood = 1;
		return 0;
	}
	if ((p = realloc(m->params, n * sizeof *p)) == NULL)
		return tl_err_set(err, "out of memory");
	memset(p + old, 0, (n - old) * sizeof *p);
	m->params = p;
	layout(m, 1);
	m->has_ood = 1;
	return 0;
}

int
tl_tlm_alloc_ood_space(struct tl_tlm *m, const char *layer, int od, struct tl_err *err)
{
	size_t d = (size_t)od, k = (size_t)m->nclass;

	if (m->ood_w != NULL || od < 1 || od > TL_TLM_MAX_DIM)
		return tl_err_set(err, "an OOD space of %d values: want 1 to %d, once", od, TL_TLM_MAX_DIM);
	if ((m->ood_block = calloc(2 * d + d * d + k * d, sizeof *m->ood_block)) == NULL ||
	    (m->ood_layer = arena_str(m->arena, layer, strlen(layer))) == NULL)
		return tl_err_set(err, "out of memory");
	m->ood_dim = od;
	m->ood_mean = m->ood_block;
	m->ood_scale = m->ood_mean + d;
	m->ood_w = m->ood_scale + d;
	m->ood_mu = m->ood_w + d * d;
	for (size_t j = 0; j < d; j++)
		m->ood_scale[j] = 1;
	m->has_ood = 1;
	return 0;
}

void
tl_tlm_free(struct tl_tlm *m)
{
	if (m == NULL)
		return;
	free(m->params);
	free(m->tail_block);
	free(m->ood_block);
	tl_rec_free(m->arena);
	free(m);
}

/* ---- tail -------------------------------------------------------------- */

int
tl_tlm_alloc_tail(struct tl_tlm *m, const char *from, const char *to, int n,
                  const uint64_t *sizes, struct tl_err *err)
{
	size_t total = 0;
	float *p;

	if (m->tail.n != 0 || n < 1 || n > TL_TLM_MAX_TAIL)
		return tl_err_set(err, "a tail of %d parameters: want 1 to %d, once", n, TL_TLM_MAX_TAIL);
	for (int i = 0; i < n; i++)
		total += sizes[i];
	if ((m->tail_block = malloc(total * sizeof *m->tail_block + 1)) == NULL ||
	    (m->tail.p = tl_rec_alloc(m->arena, (size_t)n * sizeof *m->tail.p)) == NULL ||
	    (m->tail.from = arena_str(m->arena, from, strlen(from))) == NULL ||
	    (m->tail.to = arena_str(m->arena, to, strlen(to))) == NULL)
		return tl_err_set(err, "out of memory");
	memset(m->tail.p, 0, (size_t)n * sizeof *m->tail.p);
	p = m->tail_block;
	for (int i = 0; i < n; i++) {
		m->tail.p[i].data = p;
		m->tail.p[i].node = m->tail.p[i].what = "";
		p += sizes[i];
	}
	m->tail.n = n;
	return 0;
}

int
tl_tlm_set_tparam(struct tl_tlm *m, int i, const char *node, const char *what, int ndim,
                  const uint64_t *shape, const float *data, struct tl_err *err)
{
	struct tl_tlm_tparam *t = &m->tail.p[i];
	size_t n = 1;

	if (ndim < 1 || ndim > 4)
		return tl_err_set(err, "tail parameter of rank %d", ndim);
	for (int j = 0; j < ndim; j++)
		n *= shape[j], t->shape[j] = shape[j];
	t->ndim = ndim;
	if ((t->node = arena_str(m->arena, node, strlen(node))) == NULL ||
	    (t->what = arena_str(m->arena, what, strlen(what))) == NULL)
		return tl_err_set(err, "out of memory");
	memcpy(t->data, data, n * sizeof *data);
	return 0;
}

/* ---- backbone ---------------------------------------------------------- */

static const char *
obj_str(struct tl_rec *a, const msgpack_object *o)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_STR)
		return NULL;
	return arena_str(a, o->via.str.ptr, o->via.str.size);
}

static int part_from(struct tl_tlm_backbone *b, struct tl_rec *a, const msgpack_object *map,
                     int i, struct tl_err *err);

/* Fills b from a map holding "model" {name, sha256}, "layer", "pool",
 * "dims", "preprocess" and, with several backbones, "backbones" (a stream
 * header, or the file's "backbone"); strings go into arena a.  -1 with err
 * naming the missing part. */
static int
backbone_from(struct tl_tlm_backbone *b, struct tl_rec *a, const msgpack_object *map,
              struct tl_err *err)
{
	const msgpack_object *mo = tl_obj_get(map, "model"), *d = tl_obj_get(map, "dims");
	const msgpack_object *pp = tl_obj_get(map, "preprocess"), *bb = tl_obj_get(map, "backbones");
	const char *s;

	if ((b->name = obj_str(a, tl_obj_get(mo, "name"))) == NULL ||
	    (b->sha256 = obj_str(a, tl_obj_get(mo, "sha256"))) == NULL)
		return tl_err_set(err, "no \"model\" with \"name\" and \"sha256\"");
	b->layer = (s = obj_str(a, tl_obj_get(map, "layer"))) ? s : "";
	b->pool = (s = obj_str(a, tl_obj_get(map, "pool"))) ? s : "";
	if (d == NULL || d->type != MSGPACK_OBJECT_ARRAY || d->via.array.size < 1 ||
	    d->via.array.size > 3)
		return tl_err_set(err, "no \"dims\" (1 to 3 sizes)");
	b->ndims = (int)d->via.array.size;
	for (int i = 0; i < b->ndims; i++) {
		const msgpack_object *v = &d->via.array.ptr[i];
		if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 < 1 ||
		    v->via.u64 > TL_TLM_MAX_DIM)
			return tl_err_set(err, "\"dims\"[%d] is not a size", i);
		b->dims[i] = v->via.u64;
	}
	b->preprocess = NULL;
	if (pp != NULL && (b->preprocess = arena_obj(a, "preprocess", pp)) == NULL)
		return tl_err_set(err, "out of memory");
	b->nparts = 0;
	b->parts = NULL;
	if (bb == NULL)
		return 0;
	if (bb->type != MSGPACK_OBJECT_ARRAY || bb->via.array.size < 1 ||
	    bb->via.array.size > TL_TLM_MAX_PARTS)
		return tl_err_set(err, "\"backbones\" is not an array of 1 to %d backbones",
		    TL_TLM_MAX_PARTS);
	if ((b->parts = tl_rec_alloc(a, bb->via.array.size * sizeof *b->parts)) == NULL)
		return tl_err_set(err, "out of memory");
	memset(b->parts, 0, bb->via.array.size * sizeof *b->parts);
	for (uint32_t i = 0; i < bb->via.array.size; i++)
		if (part_from(&b->parts[i], a, &bb->via.array.ptr[i], (int)i, err) < 0)
			return -1;
	b->nparts = (int)bb->via.array.size;
	return 0;
}

/* One entry of "backbones": {name, sha256, layer, pool, dims, preprocess}. */
static int
part_from(struct tl_tlm_backbone *b, struct tl_rec *a, const msgpack_object *map, int i,
          struct tl_err *err)
{
	const msgpack_object *d = tl_obj_get(map, "dims"), *pp = tl_obj_get(map, "preprocess");
	const char *s;
	char key[32];

	if (map->type != MSGPACK_OBJECT_MAP ||
	    (b->name = obj_str(a, tl_obj_get(map, "name"))) == NULL ||
	    (b->sha256 = obj_str(a, tl_obj_get(map, "sha256"))) == NULL)
		return tl_err_set(err, "\"backbones\"[%d] has no \"name\" and \"sha256\"", i);
	b->layer = (s = obj_str(a, tl_obj_get(map, "layer"))) ? s : "";
	b->pool = (s = obj_str(a, tl_obj_get(map, "pool"))) ? s : "";
	if (d == NULL || d->type != MSGPACK_OBJECT_ARRAY || d->via.array.size < 1 ||
	    d->via.array.size > 3)
		return tl_err_set(err, "\"backbones\"[%d] has no \"dims\" (1 to 3 sizes)", i);
	b->ndims = (int)d->via.array.size;
	for (int k = 0; k < b->ndims; k++) {
		const msgpack_object *v = &d->via.array.ptr[k];
		if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 < 1 ||
		    v->via.u64 > TL_TLM_MAX_DIM)
			return tl_err_set(err, "\"backbones\"[%d]: \"dims\"[%d] is not a size", i, k);
		b->dims[k] = v->via.u64;
	}
	snprintf(key, sizeof key, "preprocess.%d", i);
	if (pp != NULL && (b->preprocess = arena_obj(a, key, pp)) == NULL)
		return tl_err_set(err, "out of memory");
	return 0;
}

static uint64_t
dims_product(const struct tl_tlm_backbone *b)
{
	uint64_t n = 1;

	for (int i = 0; i < b->ndims; i++)
		n *= b->dims[i];
	return n;
}

/* A header record as a msgpack map object (a view, no copy). */
static msgpack_object
rec_obj(const struct tl_rec *r)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_MAP };

	o.via.map.size = (uint32_t)r->n;
	o.via.map.ptr = r->kv;
	return o;
}

int
tl_tlm_set_backbone(struct tl_tlm *m, const struct tl_rec *header, struct tl_err *err)
{
	msgpack_object h = rec_obj(header);

	if (backbone_from(&m->backbone, m->arena, &h, err) < 0)
		return tl_err_prefix(err, "stream header");
	if (m->tail.n == 0 && dims_product(&m->backbone) != (uint64_t)m->dim)
		return tl_err_set(err, "stream header: \"dims\" give %llu values, the embeddings %d",
		    (unsigned long long)dims_product(&m->backbone), m->dim);
	return 0;
}

/* Hex digits of two hashes to print so that the reader sees them differ:
 * 12, or up to the first digit where they part (12 when equal). */
static int
hash_digits(const char *a, const char *b)
{
	int n = 0;

	while (a[n] && a[n] == b[n])
		n++;
	return a[n] != b[n] && n + 1 > 12 ? n + 1 : 12;
}

static void
describe(char *buf, size_t n, const struct tl_tlm_backbone *b, int digits)
{
	int off = snprintf(buf, n, "%s sha256 %.*s, layer %s, pool %s, dims [", b->name,
	    digits, b->sha256, *b->layer ? b->layer : "(none)", *b->pool ? b->pool : "(none)");

	for (int i = 0; i < b->ndims && off > 0 && (size_t)off < n; i++)
		off += snprintf(buf + off, n - off, "%s%llu", i ? "," : "",
		    (unsigned long long)b->dims[i]);
	if (off > 0 && (size_t)off < n)
		snprintf(buf + off, n - off, "]");
}

/* The part names of b joined by '+' ("a+b", or b's name) into buf. */
static void
part_names(char *buf, size_t n, const struct tl_tlm_backbone *b)
{
	int off = 0;

	buf[0] = '\0';
	if (b->nparts == 0)
		snprintf(buf, n, "%s", b->name);
	for (int i = 0; i < b->nparts && off >= 0 && (size_t)off < n; i++)
		off += snprintf(buf + off, n - off, "%s%s", i ? "+" : "", b->parts[i].name);
}

/* The parts of model backbone b against the stream's s: 0 when they agree
 * (or neither has parts), else -1 with err naming the first difference.
 * Each part's identity (sha256, layer) and, but for a first part's map,
 * its pool are compared here; dims are compared on the whole below (a
 * stream of maps is pooled by tl-classify before it compares). */
static int
check_parts(const struct tl_tlm_backbone *b, const struct tl_tlm_backbone *s, struct tl_err *err)
{
	char want[600], got[600];

	if (b->nparts == 0 && s->nparts == 0)
		return 0;
	if (b->nparts != s->nparts) {
		part_names(want, sizeof want, b);
		part_names(got, sizeof got, s);
		return tl_err_set(err, "backbone differs (backbones): the model wants embeddings "
		    "of %d backbone%s, %s; the stream has %d, %s", b->nparts ? b->nparts : 1,
		    b->nparts > 1 ? "s" : "", want, s->nparts ? s->nparts : 1, got);
	}
	for (int i = 0; i < b->nparts; i++) {
		const struct tl_tlm_backbone *p = &b->parts[i], *q = &s->parts[i];
		/* the first part's map (pool none) is pooled by tl-classify; the
		 * others come pooled and must be pooled alike */
		const char *what = strcmp(p->sha256, q->sha256) != 0 ? "sha256" :
		    strcmp(p->layer, q->layer) != 0 ? "layer" :
		    strcmp(p->pool, q->pool) != 0 && (i > 0 || strcmp(q->pool, "none") != 0) ? "pool" :
		    NULL;
		int digits = hash_digits(p->sha256, q->sha256);
		if (what == NULL)
			continue;
		return tl_err_set(err, "backbone differs (part %d of %d: %s): the model wants %s "
		    "sha256 %.*s, layer %s, pool %s there; the stream has %s sha256 %.*s, layer %s, "
		    "pool %s", i + 1, b->nparts, what, p->name, digits, p->sha256,
		    *p->layer ? p->layer : "(none)", *p->pool ? p->pool : "(none)", q->name, digits,
		    q->sha256, *q->layer ? q->layer : "(none)", *q->pool ? q->pool : "(none)");
	}
	return 0;
}

int
tl_tlm_check_header(const struct tl_tlm *m, const struct tl_rec *header, struct tl_err *err)
{
	const struct tl_tlm_backbone *b = &m->backbone;
	struct tl_tlm_backbone s;
	struct tl_rec *a;
	msgpack_object h = rec_obj(header);
	char want[400], got[400], what[64] = "";
	int digits;

	if ((a = tl_rec_new()) == NULL)
		return tl_err_set(err, "out of memory");
	if (backbone_from(&s, a, &h, err) < 0) {
		tl_rec_free(a);
		return tl_err_prefix(err, "stream header (not tl-embed output?)");
	}
	if (check_parts(b, &s, err) < 0) {
		tl_rec_free(a);
		return -1;
	}
	/* what: the fields that differ, named as in tl-stream(5)'s header */
	if (strcmp(s.sha256, b->sha256) != 0)
		strcat(what, ", sha256");
	if (strcmp(s.layer, b->layer) != 0)
		strcat(what, ", layer");
	if (strcmp(s.pool, b->pool) != 0)
		strcat(what, ", pool");
	if (s.ndims != b->ndims || memcmp(s.dims, b->dims, sizeof s.dims[0] * (size_t)s.ndims) != 0)
		strcat(what, ", dims");
	digits = hash_digits(b->sha256, s.sha256);
	describe(want, sizeof want, b, digits);
	describe(got, sizeof got, &s, digits);
	tl_rec_free(a);
	if (*what)
		return tl_err_set(err, "backbone differs (%s): the model wants embeddings of %s; "
		    "the stream has %s", what + 2, want, got);
	return 0;
}

int
tl_tlm_set_meta(struct tl_tlm *m, const msgpack_object *train, const char *version_tag,
                const char *created, const char *producer, struct tl_err *err)
{
	if (train != NULL && (m->train = arena_obj(m->arena, "train", train)) == NULL)
		return tl_err_set(err, "out of memory");
	if ((version_tag && (m->version_tag = arena_str(m->arena, version_tag, strlen(version_tag))) == NULL) ||
	    (created && (m->created = arena_str(m->arena, created, strlen(created))) == NULL) ||
	    (producer && (m->producer = arena_str(m->arena, producer, strlen(producer))) == NULL))
		return tl_err_set(err, "out of memory");
	return 0;
}

/* ---- writing ----------------------------------------------------------- */

static void
pk_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

/* A <f4 tensor, little-endian whatever the host. */
static void
pk_tensor(msgpack_packer *pk, const float *v, int ndim, const uint64_t *shape)
{
	size_t n = 1;
	unsigned char b[4];

	for (int i = 0; i < ndim; i++)
		n *= shape[i];
	msgpack_pack_map(pk, 3);
	pk_str(pk, "dtype");
	pk_str(pk, "<f4");
	pk_str(pk, "shape");
	msgpack_pack_array(pk, (size_t)ndim);
	for (int i = 0; i < ndim; i++)
		msgpack_pack_uint64(pk, shape[i]);
	pk_str(pk, "data");
	msgpack_pack_bin(pk, n * 4);
	for (size_t i = 0; i < n; i++) {
		uint32_t u;
		memcpy(&u, &v[i], 4);
		b[0] = (unsigned char)u, b[1] = (unsigned char)(u >> 8);
		b[2] = (unsigned char)(u >> 16), b[3] = (unsigned char)(u >> 24);
		msgpack_pack_bin_body(pk, b, 4);
	}
}

static void
pk_vec(msgpack_packer *pk, const char *key, const float *v, uint64_t a)
{
	pk_str(pk, key);
	pk_tensor(pk, v, 1, &a);
}

static void
pk_mat(msgpack_packer *pk, const char *key, const float *v, uint64_t r, uint64_t c)
{
	uint64_t s[2] = { r, c };

	pk_str(pk, key);
	pk_tensor(pk, v, 2, s);
}

/* "name", "sha256": a backbone's identity (inside "model" for the whole) */
static void
pk_identity(msgpack_packer *pk, const struct tl_tlm_backbone *b)
{
	pk_str(pk, "name");
	pk_str(pk, b->name);
	pk_str(pk, "sha256");
	pk_str(pk, b->sha256);
}

/* "layer", "pool", "dims" and, when known, "preprocess": what a backbone's
 * embeddings are */
static void
pk_features(msgpack_packer *pk, const struct tl_tlm_backbone *b)
{
	pk_str(pk, "layer");
	pk_str(pk, b->layer);
	pk_str(pk, "pool");
	pk_str(pk, b->pool);
	pk_str(pk, "dims");
	msgpack_pack_array(pk, (size_t)b->ndims);
	for (int i = 0; i < b->ndims; i++)
		msgpack_pack_uint64(pk, b->dims[i]);
	if (b->preprocess) {
		pk_str(pk, "preprocess");
		msgpack_pack_object(pk, *b->preprocess);
	}
}

static void
pk_part(msgpack_packer *pk, const struct tl_tlm_backbone *b)
{
	msgpack_pack_map(pk, b->preprocess ? 6 : 5);
	pk_identity(pk, b);
	pk_features(pk, b);
}

static void
pk_backbone(msgpack_packer *pk, const struct tl_tlm_backbone *b)
{
	msgpack_pack_map(pk, 4 + (b->preprocess ? 1 : 0) + (b->nparts ? 1 : 0));
	pk_str(pk, "model");
	msgpack_pack_map(pk, 2);
	pk_identity(pk, b);
	pk_features(pk, b);
	if (b->nparts) {
		pk_str(pk, "backbones");
		msgpack_pack_array(pk, (size_t)b->nparts);
		for (int i = 0; i < b->nparts; i++)
			pk_part(pk, &b->parts[i]);
	}
}

static void
pk_tail(msgpack_packer *pk, const struct tl_tlm_tail *t)
{
	pk_str(pk, "tail");
	msgpack_pack_map(pk, 3);
	pk_str(pk, "from");
	pk_str(pk, t->from);
	pk_str(pk, "to");
	pk_str(pk, t->to);
	pk_str(pk, "params");
	msgpack_pack_array(pk, (size_t)t->n);
	for (int i = 0; i < t->n; i++) {
		msgpack_pack_map(pk, 3);
		pk_str(pk, "node");
		pk_str(pk, t->p[i].node);
		pk_str(pk, "what");
		pk_str(pk, t->p[i].what);
		pk_str(pk, "value");
		pk_tensor(pk, t->p[i].data, t->p[i].ndim, t->p[i].shape);
	}
}

/* The checksum, the map's last key: "sha256", the sha256 in lowercase hex
 * of every byte before that key, framed always the same way (fixstr key,
 * str8 value) so that a reader finds it in the file's last CK_LEN bytes
 * before it trusts a byte of the rest. */
#define CK_LEN 73
static const unsigned char ck_frame[9] = { 0xa6, 's', 'h', 'a', '2', '5', '6', 0xd9, 64 };

static void
checksum_hex(const void *p, size_t n, char hex[65])
{
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);

	g_checksum_update(ck, p, (gssize)n);
	memcpy(hex, g_checksum_get_string(ck), 65);
	g_checksum_free(ck);
}

static int
checksum_append(msgpack_sbuffer *buf)
{
	char hex[65];

	checksum_hex(buf->data, buf->size, hex);
	return msgpack_sbuffer_write(buf, (const char *)ck_frame, sizeof ck_frame) < 0 ||
	    msgpack_sbuffer_write(buf, hex, 64) < 0 ? -1 : 0;
}

/* 1: buf ends with a checksum that matches; 0: it ends with one that does
 * not; -1: it does not end with one. */
static int
checksum_check(const unsigned char *buf, size_t len)
{
	char hex[65];

	if (len < CK_LEN + 1 || memcmp(buf + len - CK_LEN, ck_frame, sizeof ck_frame) != 0)
		return -1;
	checksum_hex(buf, len - CK_LEN, hex);
	return memcmp(hex, buf + len - 64, 64) == 0;
}

int
tl_tlm_pack(const struct tl_tlm *m, msgpack_sbuffer *buf, struct tl_err *err)
{
	msgpack_packer pk;
	uint64_t d = (uint64_t)m->dim, k = (uint64_t)m->nclass, a = rows1(m);

	if (m->backbone.ndims < 1)
		return tl_err_set(err, "model has no backbone description");
	msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 11 + (m->has_ood ? 1 : 0) + (m->train ? 1 : 0) + (m->tail.n ? 1 : 0));
	pk_str(&pk, "tlm");
	msgpack_pack_int(&pk, TL_TLM_VERSION);
	pk_str(&pk, "version");
	pk_str(&pk, m->version_tag);
	pk_str(&pk, "created");
	pk_str(&pk, m->created);
	pk_str(&pk, "producer");
	pk_str(&pk, m->producer);
	pk_str(&pk, "classes");
	msgpack_pack_array(&pk, (size_t)m->nclass);
	for (int i = 0; i < m->nclass; i++)
		pk_str(&pk, m->classes[i]);
	pk_str(&pk, "dim");
	msgpack_pack_uint64(&pk, d);
	pk_str(&pk, "backbone");
	pk_backbone(&pk, &m->backbone);
	if (m->tail.n)
		pk_tail(&pk, &m->tail);
	pk_str(&pk, "input");
	msgpack_pack_map(&pk, 3);
	pk_str(&pk, "norm");
	pk_str(&pk, norm_names[m->norm]);
	pk_vec(&pk, "mean", m->mean, d);
	pk_vec(&pk, "scale", m->scale, d);
	pk_str(&pk, "head");
	msgpack_pack_map(&pk, m->head == TL_TLM_MLP ? 6 : 3);
	pk_str(&pk, "type");
	pk_str(&pk, head_names[m->head]);
	pk_mat(&pk, "w1", m->w1, a, d);
	pk_vec(&pk, "b1", m->b1, a);
	if (m->head == TL_TLM_MLP) {
		pk_str(&pk, "hidden");
		msgpack_pack_uint64(&pk, (uint64_t)m->hidden);
		pk_mat(&pk, "w2", m->w2, k, (uint64_t)m->hidden);
		pk_vec(&pk, "b2", m->b2, k);
	}
	pk_str(&pk, "temperature");
	msgpack_pack_double(&pk, (double)m->temperature);
	if (m->has_ood) {
		uint64_t od = (uint64_t)m->ood_dim;
		pk_str(&pk, "ood");
		msgpack_pack_map(&pk, (*m->ood_layer ? 8 : 5) + (m->ood_nparts > 1 ? 2 : 0));
		if (*m->ood_layer) {
			pk_str(&pk, "layer");
			pk_str(&pk, m->ood_layer);
			pk_vec(&pk, "mean", m->ood_mean, od);
			pk_vec(&pk, "scale", m->ood_scale, od);
		}
		pk_mat(&pk, "whiten", m->ood_w, od, od);
		pk_mat(&pk, "means", m->ood_mu, k, od);
		pk_str(&pk, "threshold");
		msgpack_pack_double(&pk, (double)m->ood_threshold);
		pk_str(&pk, "keep");
		msgpack_pack_double(&pk, (double)m->ood_keep);
		pk_str(&pk, "shrinkage");
		msgpack_pack_double(&pk, (double)m->ood_shrinkage);
		if (m->ood_nparts > 1) {
			pk_str(&pk, "parts");
			msgpack_pack_array(&pk, (size_t)m->ood_nparts);
			for (int i = 0; i < m->ood_nparts; i++)
				msgpack_pack_uint64(&pk, (uint64_t)m->ood_part_dim[i]);
			pk_str(&pk, "part_scale");
			msgpack_pack_array(&pk, (size_t)m->ood_nparts);
			for (int i = 0; i < m->ood_nparts; i++)
				msgpack_pack_double(&pk, (double)m->ood_part_scale[i]);
		}
	}
	if (m->train) {
		pk_str(&pk, "train");
		msgpack_pack_object(&pk, *m->train);
	}
	return checksum_append(buf) < 0 ? tl_err_set(err, "out of memory") : 0;
}

int
tl_tlm_save(const struct tl_tlm *m, const char *path, struct tl_err *err)
{
	msgpack_sbuffer buf;
	struct tl_afile *a;
	int rc = -1;

	msgpack_sbuffer_init(&buf);
	if (tl_tlm_pack(m, &buf, err) < 0)
		goto out;
	if ((a = tl_afile_open(path, err)) == NULL)
		goto out;
	if (fwrite(buf.data, 1, buf.size, tl_afile_fp(a)) != buf.size) {
		tl_afile_abort(a);
		tl_err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = tl_afile_commit(a, err);
out:
	msgpack_sbuffer_destroy(&buf);
	return rc;
}

int
tl_tlm_sha256(const struct tl_tlm *m, char hex[65], struct tl_err *err)
{
	struct tl_tlm c = *m;
	msgpack_sbuffer buf;
	GChecksum *ck;

	c.version_tag = c.created = "";
	msgpack_sbuffer_init(&buf);
	if (tl_tlm_pack(&c, &buf, err) < 0) {
		msgpack_sbuffer_destroy(&buf);
		return -1;
	}
	ck = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(ck, (const guchar *)buf.data, (gssize)buf.size);
	snprintf(hex, 65, "%s", g_checksum_get_string(ck));
	g_checksum_free(ck);
	msgpack_sbuffer_destroy(&buf);
	return 0;
}

/* ---- reading ----------------------------------------------------------- */

static int
bad_key(struct tl_err *err, const char *key, const char *why)
{
	return tl_err_set(err, "bad key '%s': %s", key, why);
}

/* Checks that map[key] is a <f4 tensor of exactly the given shape; *t views
 * it.  Called before allocating from a declared size too: the file must hold
 * the data (a 2 KB file can declare dim and hidden 1048576, a 4 TB head). */
static int
check_tensor(const msgpack_object *map, const char *key, const char *name, int ndim,
             uint64_t r, uint64_t c, struct tl_tensor *t, struct tl_err *err)
{
	const msgpack_object *o = tl_obj_get(map, key);
	struct tl_err e;
	char why[300];

	if (o == NULL)
		return tl_err_set(err, "missing key '%s'", name);
	if (tl_tensor_view(o, t, &e) < 0)
		return bad_key(err, name, e.msg);
	if (t->dtype != TL_F32 || t->ndim != ndim || t->shape[0] != r ||
	    (ndim == 2 && t->shape[1] != c)) {
		if (ndim == 1)
			snprintf(why, sizeof why, "want a <f4 tensor of shape [%llu]",
			    (unsigned long long)r);
		else
			snprintf(why, sizeof why, "want a <f4 tensor of shape [%llu,%llu]",
			    (unsigned long long)r, (unsigned long long)c);
		return bad_key(err, name, why);
	}
	return 0;
}

/* A <f4 tensor of exactly the given shape at map[key], copied into out. */
static int
get_tensor(const msgpack_object *map, const char *key, const char *name, float *out,
           int ndim, uint64_t r, uint64_t c, struct tl_err *err)
{
	struct tl_tensor t;

	if (check_tensor(map, key, name, ndim, r, c, &t, err) < 0)
		return -1;
	tl_tensor_to_f32(&t, out);
	return 0;
}

/* The OOD statistics' sizes, checked before they are allocated: whiten
 * [od,od] and means [k,od]. */
static int
check_ood(const msgpack_object *ood, uint64_t k, uint64_t od, struct tl_err *err)
{
	struct tl_tensor t;

	if (check_tensor(ood, "whiten", "ood.whiten", 2, od, od, &t, err) < 0 ||
	    check_tensor(ood, "means", "ood.means", 2, k, od, &t, err) < 0)
		return -1;
	return 0;
}

static int
get_num(const msgpack_object *map, const char *key, const char *name, double *v,
        struct tl_err *err)
{
	const msgpack_object *o = tl_obj_get(map, key);

	if (o == NULL)
		return tl_err_set(err, "missing key '%s'", name);
	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER: *v = (double)o->via.u64; return 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: *v = (double)o->via.i64; return 0;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: *v = o->via.f64; return 0;
	default: return bad_key(err, name, "not a number");
	}
}

static int
get_size(const msgpack_object *map, const char *key, const char *name, long max, int *v,
         struct tl_err *err)
{
	const msgpack_object *o = tl_obj_get(map, key);
	char why[64];

	if (o == NULL)
		return tl_err_set(err, "missing key '%s'", name);
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 < 1 || o->via.u64 > (uint64_t)max) {
		snprintf(why, sizeof why, "not a size from 1 to %ld", max);
		return bad_key(err, name, why);
	}
	*v = (int)o->via.u64;
	return 0;
}

/* Optional string key: "" when absent, -1 when present and not a string. */
static int
get_optstr(struct tl_rec *a, const msgpack_object *map, const char *key, const char **out,
           struct tl_err *err)
{
	const msgpack_object *o = tl_obj_get(map, key);

	*out = "";
	if (o == NULL)
		return 0;
	if ((*out = obj_str(a, o)) == NULL)
		return bad_key(err, key, "not a string");
	return 0;
}

/* The "tail" map: from, to, params [{node, what, value}]. */
static int
parse_tail(struct tl_tlm *m, const msgpack_object *map, struct tl_err *err)
{
	const msgpack_object *ps = tl_obj_get(map, "params");
	const char *from, *to;
	uint64_t *sizes;
	struct tl_tensor *tv;
	struct tl_err e;
	int n, rc = -1;

	if ((from = obj_str(m->arena, tl_obj_get(map, "from"))) == NULL ||
	    (to = obj_str(m->arena, tl_obj_get(map, "to"))) == NULL)
		return bad_key(err, "tail", "no \"from\" and \"to\" strings");
	if (ps == NULL || ps->type != MSGPACK_OBJECT_ARRAY || ps->via.array.size < 1 ||
	    ps->via.array.size > TL_TLM_MAX_TAIL)
		return bad_key(err, "tail.params", "not an array of 1 to 4096 parameters");
	n = (int)ps->via.array.size;
	sizes = malloc((size_t)n * sizeof *sizes);
	tv = malloc((size_t)n * sizeof *tv);
	if (sizes == NULL || tv == NULL) {
		tl_err_set(err, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		const msgpack_object *v = tl_obj_get(&ps->via.array.ptr[i], "value");
		char key[48];
		snprintf(key, sizeof key, "tail.params[%d]", i);
		if (v == NULL || tl_tensor_view(v, &tv[i], &e) < 0 || tv[i].dtype != TL_F32 ||
		    tv[i].ndim < 1 || tv[i].ndim > 4 ||
		    obj_str(m->arena, tl_obj_get(&ps->via.array.ptr[i], "node")) == NULL ||
		    obj_str(m->arena, tl_obj_get(&ps->via.array.ptr[i], "what")) == NULL) {
			bad_key(err, key, "want {node, what, value: <f4 tensor of rank 1 to 4}");
			goto out;
		}
		sizes[i] = 1;
		for (int j = 0; j < tv[i].ndim; j++)
			sizes[i] *= tv[i].shape[j];
	}
	if (tl_tlm_alloc_tail(m, from, to, n, sizes, err) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		const msgpack_object *p = &ps->via.array.ptr[i];
		struct tl_tlm_tparam *t = &m->tail.p[i];
		t->node = obj_str(m->arena, tl_obj_get(p, "node"));
		t->what = obj_str(m->arena, tl_obj_get(p, "what"));
		t->ndim = tv[i].ndim;
		for (int j = 0; j < t->ndim; j++)
			t->shape[j] = tv[i].shape[j];
		tl_tensor_to_f32(&tv[i], t->data);
	}
	rc = 0;
out:
	free(sizes);
	free(tv);
	return rc;
}

/* The optional "parts" and "part_scale" of the "ood" map (OOD per
 * backbone): as many sizes as scales, 2 to TL_TLM_MAX_PARTS, the sizes
 * adding up to ood_dim, the scales positive; with a "layer" (the first
 * backbone's, then the frozen parts') one per backbone part. */
static int
ood_parts(struct tl_tlm *m, const msgpack_object *ood, struct tl_err *err)
{
	const msgpack_object *pa = tl_obj_get(ood, "parts"), *ps = tl_obj_get(ood, "part_scale");
	uint64_t sum = 0;

	if (pa == NULL && ps == NULL)
		return 0;
	if (pa == NULL || ps == NULL || pa->type != MSGPACK_OBJECT_ARRAY ||
	    ps->type != MSGPACK_OBJECT_ARRAY || pa->via.array.size != ps->via.array.size ||
	    pa->via.array.size < 2 || pa->via.array.size > TL_TLM_MAX_PARTS)
		return bad_key(err, "ood.parts", "not 2 to 8 sizes with as many part_scale");
	if (*m->ood_layer && pa->via.array.size != (uint32_t)m->backbone.nparts)
		return bad_key(err, "ood.parts", "with a \"layer\", not one per backbone part");
	for (uint32_t i = 0; i < pa->via.array.size; i++) {
		const msgpack_object *d = &pa->via.array.ptr[i], *c = &ps->via.array.ptr[i];
		double v = c->type == MSGPACK_OBJECT_FLOAT64 || c->type == MSGPACK_OBJECT_FLOAT32 ?
		    c->via.f64 : c->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (double)c->via.u64 : -1;
		if (d->type != MSGPACK_OBJECT_POSITIVE_INTEGER || d->via.u64 < 1 ||
		    d->via.u64 > TL_TLM_MAX_DIM)
			return bad_key(err, "ood.parts", "a size is not a positive integer");
		if (!(v > 0 && v < 1e30))
			return bad_key(err, "ood.part_scale", "not a positive number");
		m->ood_part_dim[i] = (int)d->via.u64;
		m->ood_part_scale[i] = (float)v;
		sum += d->via.u64;
	}
	if (sum != (uint64_t)m->ood_dim)
		return bad_key(err, "ood.parts", "do not add up to the OOD space's size");
	m->ood_nparts = (int)pa->via.array.size;
	return 0;
}

/* Parses the whole map (already copied into the temporary record f). */
static struct tl_tlm *
parse(const msgpack_object *top, struct tl_err *err)
{
	const msgpack_object *cl = tl_obj_get(top, "classes"), *in, *hd, *bb, *ood, *ty, *tr, *tl;
	const char **names = NULL;
	struct tl_tlm *m = NULL;
	enum tl_tlm_head head;
	enum tl_tlm_norm norm;
	double v;
	int dim, hidden = 0;
	char buf[32];

	if (cl == NULL)
		return tl_err_set(err, "missing key 'classes'"), NULL;
	if (cl->type != MSGPACK_OBJECT_ARRAY || cl->via.array.size < 2 ||
	    cl->via.array.size > TL_TLM_MAX_CLASSES)
		return bad_key(err, "classes", "not an array of 2 or more labels"), NULL;
	for (uint32_t i = 0; i < cl->via.array.size; i++)
		if (cl->via.array.ptr[i].type != MSGPACK_OBJECT_STR)
			return bad_key(err, "classes", "a label is not a string"), NULL;
	if (get_size(top, "dim", "dim", TL_TLM_MAX_DIM, &dim, err) < 0)
		return NULL;
	if ((bb = tl_obj_get(top, "backbone")) == NULL)
		return tl_err_set(err, "missing key 'backbone'"), NULL;
	if ((in = tl_obj_get(top, "input")) == NULL)
		return tl_err_set(err, "missing key 'input'"), NULL;
	if ((hd = tl_obj_get(top, "head")) == NULL)
		return tl_err_set(err, "missing key 'head'"), NULL;
	if ((ty = tl_obj_get(hd, "type")) == NULL)
		return tl_err_set(err, "missing key 'head.type'"), NULL;
	if (tl_obj_is_str(ty, "linear"))
		head = TL_TLM_LINEAR;
	else if (tl_obj_is_str(ty, "mlp"))
		head = TL_TLM_MLP;
	else
		return bad_key(err, "head.type", "not \"linear\" or \"mlp\""), NULL;
	if (head == TL_TLM_MLP &&
	    get_size(hd, "hidden", "head.hidden", TL_TLM_MAX_DIM, &hidden, err) < 0)
		return NULL;
	if ((ty = tl_obj_get(in, "norm")) == NULL)
		return tl_err_set(err, "missing key 'input.norm'"), NULL;
	if (ty->type != MSGPACK_OBJECT_STR || ty->via.str.size >= sizeof buf)
		return bad_key(err, "input.norm", "not \"none\", \"l2\" or \"sqrt\""), NULL;
	memcpy(buf, ty->via.str.ptr, ty->via.str.size);
	buf[ty->via.str.size] = '\0';
	if (tl_tlm_norm_parse(buf, &norm) < 0)
		return bad_key(err, "input.norm", "not \"none\", \"l2\" or \"sqrt\""), NULL;
	{ /* the head's sizes, from the file, before they are allocated */
		struct tl_tensor t;
		uint64_t k = cl->via.array.size;
		if (check_tensor(hd, "w1", "head.w1", 2, head == TL_TLM_MLP ? (uint64_t)hidden : k,
		                 (uint64_t)dim, &t, err) < 0 ||
		    (head == TL_TLM_MLP &&
		     check_tensor(hd, "w2", "head.w2", 2, k, (uint64_t)hidden, &t, err) < 0))
			return NULL;
	}

	if ((names = malloc(cl->via.array.size * sizeof *names)) == NULL)
		return tl_err_set(err, "out of memory"), NULL;
	for (uint32_t i = 0; i < cl->via.array.size; i++) {
		const msgpack_object *s = &cl->via.array.ptr[i];
		char *p = malloc(s->via.str.size + 1);
		if (p == NULL) {
			while (i-- > 0)
				free((char *)names[i]);
			free(names);
			return tl_err_set(err, "out of memory"), NULL;
		}
		memcpy(p, s->via.str.ptr, s->via.str.size);
		p[s->via.str.size] = '\0';
		names[i] = p;
	}
	m = tl_tlm_new((int)cl->via.array.size, names, dim, head, hidden, err);
	for (uint32_t i = 0; i < cl->via.array.size; i++)
		free((char *)names[i]);
	free(names);
	if (m == NULL)
		return NULL;
	m->norm = norm;
	if (backbone_from(&m->backbone, m->arena, bb, err) < 0) {
		tl_err_prefix(err, "bad key 'backbone'");
		goto fail;
	}
	if ((tl = tl_obj_get(top, "tail")) != NULL && parse_tail(m, tl, err) < 0)
		goto fail;
	if (m->tail.n == 0 && dims_product(&m->backbone) != (uint64_t)dim) {
		bad_key(err, "backbone.dims", "does not multiply to \"dim\"");
		goto fail;
	}
	uint64_t k = (uint64_t)m->nclass, a = rows1(m), d = (uint64_t)dim;
	if (get_tensor(in, "mean", "input.mean", m->mean, 1, d, 0, err) < 0 ||
	    get_tensor(in, "scale", "input.scale", m->scale, 1, d, 0, err) < 0 ||
	    get_tensor(hd, "w1", "head.w1", m->w1, 2, a, d, err) < 0 ||
	    get_tensor(hd, "b1", "head.b1", m->b1, 1, a, 0, err) < 0)
		goto fail;
	if (head == TL_TLM_MLP &&
	    (get_tensor(hd, "w2", "head.w2", m->w2, 2, k, (uint64_t)hidden, err) < 0 ||
	     get_tensor(hd, "b2", "head.b2", m->b2, 1, k, 0, err) < 0))
		goto fail;
	if (get_num(top, "temperature", "temperature", &v, err) < 0)
		goto fail;
	if (!(v > 0 && v < 1e6) || (float)v == 0) { /* 1e-50 is 0 as a float */
		bad_key(err, "temperature", "not a positive number");
		goto fail;
	}
	m->temperature = (float)v;
	if ((ood = tl_obj_get(top, "ood")) != NULL) {
		const msgpack_object *ol = tl_obj_get(ood, "layer"), *om = tl_obj_get(ood, "mean");
		struct tl_tensor mt;
		uint64_t od = d;
		if (ol != NULL) {
			struct tl_err e;
			const char *layer = obj_str(m->arena, ol);
			if (m->tail.n == 0) { /* only a tail's input can give that layer */
				bad_key(err, "ood.layer", "a model without a tail");
				goto fail;
			}
			if (layer == NULL || om == NULL || tl_tensor_view(om, &mt, &e) < 0 ||
			    mt.ndim != 1 || mt.shape[0] < 1 || mt.shape[0] > TL_TLM_MAX_DIM) {
				bad_key(err, "ood", "a \"layer\" string wants a \"mean\" vector");
				goto fail;
			}
			od = mt.shape[0];
			if (check_ood(ood, k, od, err) < 0 ||
			    tl_tlm_alloc_ood_space(m, layer, (int)od, err) < 0 ||
			    get_tensor(ood, "mean", "ood.mean", m->ood_mean, 1, od, 0, err) < 0 ||
			    get_tensor(ood, "scale", "ood.scale", m->ood_scale, 1, od, 0, err) < 0)
				goto fail;
		}
		if ((ol == NULL && (check_ood(ood, k, od, err) < 0 || tl_tlm_alloc_ood(m, err) < 0)) ||
		    get_tensor(ood, "whiten", "ood.whiten", m->ood_w, 2, od, od, err) < 0 ||
		    get_tensor(ood, "means", "ood.means", m->ood_mu, 2, k, od, err) < 0 ||
		    get_num(ood, "threshold", "ood.threshold", &v, err) < 0)
			goto fail;
		m->ood_threshold = (float)v;
		if (get_num(ood, "keep", "ood.keep", &v, err) < 0)
			goto fail;
		m->ood_keep = (float)v;
		if (get_num(ood, "shrinkage", "ood.shrinkage", &v, err) < 0)
			goto fail;
		m->ood_shrinkage = (float)v;
		if (ood_parts(m, ood, err) < 0)
			goto fail;
	}
	if (get_optstr(m->arena, top, "version", &m->version_tag, err) < 0 ||
	    get_optstr(m->arena, top, "created", &m->created, err) < 0 ||
	    get_optstr(m->arena, top, "producer", &m->producer, err) < 0)
		goto fail;
	if ((tr = tl_obj_get(top, "train")) != NULL &&
	    (m->train = arena_obj(m->arena, "train", tr)) == NULL) {
		tl_err_set(err, "out of memory");
		goto fail;
	}
	return m;
fail:
	tl_tlm_free(m);
	return NULL;
}

/* The whole file in memory: malloc'ed into *buf, its size in *len. */
static int
slurp(const char *path, unsigned char **buf, size_t *len, struct tl_err *err)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	size_t n;

	*buf = NULL;
	if (f == NULL)
		return tl_err_set(err, "cannot open: %s", strerror(errno));
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return tl_err_set(err, "not a regular file");
	}
	if ((size_t)st.st_size > TL_TLM_MAX_BYTES) {
		fclose(f);
		return tl_err_set(err, "over %zu bytes", TL_TLM_MAX_BYTES);
	}
	if ((*buf = malloc((size_t)st.st_size + 1)) == NULL) {
		fclose(f);
		return tl_err_set(err, "out of memory");
	}
	n = fread(*buf, 1, (size_t)st.st_size, f);
	if (ferror(f) || n != (size_t)st.st_size) {
		fclose(f);
		free(*buf);
		*buf = NULL;
		return tl_err_set(err, "read error");
	}
	fclose(f);
	*len = n;
	return 0;
}

struct tl_tlm *
tl_tlm_load(const char *path, struct tl_err *err)
{
	unsigned char *buf;
	size_t len = 0, off = 0;
	long long n;
	msgpack_unpacked u;
	const msgpack_object *ver;
	struct tl_tlm *m = NULL;
	int ck;

	if (slurp(path, &buf, &len, err) < 0)
		return tl_err_prefix(err, "%s", path), NULL;
	if (len == 0) {
		free(buf);
		return tl_err_set(err, "%s: empty file", path), NULL;
	}
	/* first the checksum, so that a corrupted byte is called that and not
	 * whatever its parse would say; without the checksum at the end, the
	 * parse says what is wrong, and a file that parses is refused below */
	if ((ck = checksum_check(buf, len)) == 0) {
		free(buf);
		return tl_err_set(err, "%s: corrupted (checksum mismatch)", path), NULL;
	}
	/* not a map at all: msgpack maps start 0x80..0x8f, 0xde, 0xdf */
	if (!((buf[0] & 0xf0) == 0x80 || buf[0] == 0xde || buf[0] == 0xdf)) {
		free(buf);
		return tl_err_set(err, "%s: not a tl model file", path), NULL;
	}
	if ((n = tl_msgpack_measure(buf, len, TL_TLM_MAX_BYTES, err)) <= 0) {
		free(buf);
		if (n == 0)
			tl_err_set(err, "truncated model file");
		return tl_err_prefix(err, "%s", path), NULL;
	}
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)buf, (size_t)n, &off) != MSGPACK_UNPACK_SUCCESS) {
		tl_err_set(err, "%s: malformed msgpack", path);
		goto out;
	}
	if ((ver = tl_obj_get(&u.data, "tlm")) == NULL) {
		tl_err_set(err, "%s: not a tl model file", path);
		goto out;
	}
	if ((size_t)n != len) {
		tl_err_set(err, "%s: trailing bytes after the model", path);
		goto out;
	}
	if (ver->type != MSGPACK_OBJECT_POSITIVE_INTEGER || ver->via.u64 != TL_TLM_VERSION) {
		if (ver->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			tl_err_set(err, "%s: model format version %llu, this tl reads %d", path,
			    (unsigned long long)ver->via.u64, TL_TLM_VERSION);
		else
			tl_err_set(err, "%s: model format version is not a number", path);
		goto out;
	}
	if (ck < 0) {
		if (tl_obj_get(&u.data, "sha256") != NULL)
			tl_err_set(err, "%s: corrupted (checksum mismatch)", path);
		else
			tl_err_set(err, "%s: no checksum (corrupted, or written by an older tl-train: "
			    "train it again)", path);
		goto out;
	}
	if ((m = parse(&u.data, err)) == NULL)
		tl_err_prefix(err, "%s", path);
out:
	msgpack_unpacked_destroy(&u);
	free(buf);
	return m;
}
