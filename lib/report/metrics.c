/*
 * metrics.c - evaluation of a labelled set of verdicts (metrics.h).
 *
 * Every metric that gets a bootstrap interval is computed by one function,
 * core(), from a weight per record: weight 1 for the estimate, the
 * multiplicity of the record in a resample for a bootstrap replicate.  What
 * does not depend on the weights (each record's loss, top-k hit, confidence
 * bin, the order by OOD score) is computed once, so a replicate costs O(n).
 * A record's loss, its bin and the ECE are learn/probq.c's, with tl-report's
 * parameters (tl_probq_report); the bootstrap's percentiles core/quantile.c's.
 *
 * Not here: deciding what is a bad record for the tool (cmd/tl-report.c
 * reports records without a verdict), rendering (report.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "core/quantile.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "learn/probq.h"
#include "report/metrics.h"

struct erec {
	char *id;
	int label, pred, reject;
	double conf, ood;
	size_t prob; /* offset + 1 into s->prob, 0: none */
};

struct tl_evalset {
	int k, fixed;
	char **names;       /* [k] class names */
	int cap_names;
	GHashTable *ht;     /* name (names[c], not owned) -> c + 1 */
	char *ood_label;
	struct erec *r;
	size_t n, cap;
	float *prob;
	size_t nprob, capprob; /* floats */
	long long unlabelled;
	int verdicts;
	struct erec *u;     /* unlabelled records with a verdict */
	size_t nu, capu;
};

/* Points every name at its index again (after a sort). */
static void
ht_rebuild(struct tl_evalset *s)
{
	g_hash_table_remove_all(s->ht);
	for (int c = 0; c < s->k; c++)
		g_hash_table_insert(s->ht, s->names[c], GINT_TO_POINTER(c + 1));
}

/* The index of class name, or -1. */
static int
lookup(const struct tl_evalset *s, const char *name)
{
	return GPOINTER_TO_INT(g_hash_table_lookup(s->ht, name)) - 1;
}

/* Adds a class name; its index, or -1 when out of memory or too many. */
static int
add_name(struct tl_evalset *s, const char *name)
{
	if (s->k >= TL_EVAL_MAXCLASS)
		return -1;
	if (s->k == s->cap_names) {
		int cap = s->cap_names ? 2 * s->cap_names : 16;
		char **p = realloc(s->names, cap * sizeof *p);
		if (p == NULL)
			return -1;
		s->names = p, s->cap_names = cap;
	}
	if ((s->names[s->k] = strdup(name)) == NULL)
		return -1;
	g_hash_table_insert(s->ht, s->names[s->k], GINT_TO_POINTER(s->k + 1));
	return s->k++;
}

struct tl_evalset *
tl_evalset_new(const char *const *classes, int k, const char *ood_label)
{
	struct tl_evalset *s = calloc(1, sizeof *s);

	if (s == NULL || k > TL_EVAL_MAXCLASS)
		return free(s), NULL;
	s->ht = g_hash_table_new(g_str_hash, g_str_equal);
	if (ood_label && (s->ood_label = strdup(ood_label)) == NULL)
		goto fail;
	for (int c = 0; c < k; c++)
		if (lookup(s, classes[c]) < 0 && add_name(s, classes[c]) < 0)
			goto fail;
	s->fixed = k > 0;
	return s;
fail:
	tl_evalset_free(s);
	return NULL;
}

void
tl_evalset_free(struct tl_evalset *s)
{
	if (s == NULL)
		return;
	for (int c = 0; c < s->k; c++)
		free(s->names[c]);
	for (size_t i = 0; i < s->n; i++)
		free(s->r[i].id);
	for (size_t i = 0; i < s->nu; i++)
		free(s->u[i].id);
	free(s->u);
	free(s->names);
	if (s->ht != NULL)
		g_hash_table_destroy(s->ht);
	free(s->ood_label);
	free(s->r);
	free(s->prob);
	free(s);
}

/* A class index for name: -1 when the header's list lacks it. */
static int
class_of(struct tl_evalset *s, const char *name, int *oom)
{
	int c = lookup(s, name);

	if (c < 0 && !s->fixed && (c = add_name(s, name)) < 0)
		*oom = 1;
	return c;
}

static int
is_num(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_FLOAT64 || o->type == MSGPACK_OBJECT_FLOAT32 ||
	       o->type == MSGPACK_OBJECT_POSITIVE_INTEGER || o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
}

static int
nomem(struct tl_err *err)
{
	tl_err_set(err, "out of memory");
	return TL_NOMEM;
}

static const char *const reject_keys[TL_REJECT_N] = { NULL, "ood", "conf", NULL };
static const char *const reject_texts[TL_REJECT_N] = { "", "ood", "low confidence", "no reason given" };

const char *
tl_eval_reject_key(int reject)
{
	return reject >= 0 && reject < TL_REJECT_N ? reject_keys[reject] : NULL;
}

const char *
tl_eval_reject_text(int reject)
{
	return reject >= 0 && reject < TL_REJECT_N ? reject_texts[reject] : "";
}

/* Why the "unknown" verdict of rec: its "reject", or UNSTATED without one;
 * -1 (err) when it is not "ood" or "conf". */
static int
reject_of(struct tl_rec *rec, struct tl_err *err)
{
	const char *why;

	if (tl_rec_get(rec, "reject") == NULL)
		return TL_REJECT_UNSTATED;
	if ((why = tl_rec_str(rec, "reject")) == NULL)
		return tl_err_set(err, "reject is not a string");
	for (int i = 0; i < TL_REJECT_N; i++)
		if (reject_keys[i] && strcmp(why, reject_keys[i]) == 0)
			return i;
	return tl_err_set(err, "reject '%.64s' is not \"ood\" or \"conf\"", why);
}

/* An unlabelled record with a verdict, kept apart from the evaluation's:
 * counted unlabelled, and returns 1 as a record without label does. */
static int
keep_unlabelled(struct tl_evalset *s, struct erec *e, const char *id, struct tl_err *err)
{
	if (s->nu == s->capu) {
		size_t cap = s->capu ? 2 * s->capu : 1024;
		struct erec *q = realloc(s->u, cap * sizeof *q);
		if (q == NULL)
			return nomem(err);
		s->u = q, s->capu = cap;
	}
	if ((e->id = strdup(id)) == NULL)
		return nomem(err);
	s->u[s->nu++] = *e;
	s->unlabelled++;
	return 1;
}

int
tl_evalset_add(struct tl_evalset *s, struct tl_rec *rec, struct tl_err *err)
{
	const msgpack_object *o;
	const char *id, *label, *pred = NULL;
	struct erec e = { 0 };
	struct tl_tensor t;
	float *p = NULL;
	int oom = 0;

	if ((id = tl_rec_str(rec, "id")) == NULL)
		return tl_err_set(err, "no id");
	if ((o = tl_rec_get(rec, "label")) == NULL || o->type == MSGPACK_OBJECT_NIL)
		label = NULL;
	else if ((label = tl_rec_str(rec, "label")) == NULL)
		return tl_err_set(err, "label is not a string");
	if ((o = tl_rec_get(rec, "pred")) != NULL && (pred = tl_rec_str(rec, "pred")) == NULL)
		return tl_err_set(err, "pred is not a string");
	if (label == NULL) {
		if (pred == NULL && tl_rec_get(rec, "prob") == NULL) {
			s->unlabelled++;
			return 1;
		}
		e.label = TL_EVAL_NOLABEL;
	} else if (s->ood_label && strcmp(label, s->ood_label) == 0) {
		e.label = TL_EVAL_OOD;
	} else if ((e.label = class_of(s, label, &oom)) < 0) {
		return oom ? nomem(err)
		           : tl_err_set(err, "label '%s' is not one of the header's classes", label);
	}
	e.pred = -2;
	if (pred && strcmp(pred, "unknown") == 0)
		e.pred = -1;
	else if (pred && (e.pred = class_of(s, pred, &oom)) < 0)
		return oom ? nomem(err)
		           : tl_err_set(err, "pred '%s' is not one of the header's classes", pred);
	if (e.pred == -1 && (e.reject = reject_of(rec, err)) < 0)
		return TL_SKIP;
	e.conf = e.ood = NAN;
	if ((o = tl_rec_get(rec, "conf")) != NULL) {
		if (!is_num(o) || tl_rec_f64(rec, "conf", &e.conf) < 0 || !(e.conf >= 0 && e.conf <= 1))
			return tl_err_set(err, "conf is not a number from 0 to 1");
	}
	if ((o = tl_rec_get(rec, "ood")) != NULL) {
		if (!is_num(o) || tl_rec_f64(rec, "ood", &e.ood) < 0 || !isfinite(e.ood))
			return tl_err_set(err, "ood is not a finite number");
	}
	if (tl_rec_get(rec, "prob") != NULL) {
		if (!s->fixed)
			return tl_err_set(err, "prob, but no \"classes\" in the header to name its entries");
		if (tl_rec_tensor(rec, "prob", &t, err) < 0) /* err says "prob: ..." */
			return TL_SKIP;
		if (t.dtype != TL_F32 || t.ndim != 1 || t.shape[0] != (uint64_t)s->k)
			return tl_err_set(err, "prob is not <f4 [%d] (the header's %d classes)", s->k, s->k);
		if (s->nprob + s->k > s->capprob) {
			size_t cap = s->capprob ? 2 * s->capprob : 1024 * (size_t)s->k;
			float *q = realloc(s->prob, cap * sizeof *q);
			if (q == NULL)
				return nomem(err);
			s->prob = q, s->capprob = cap;
		}
		p = s->prob + s->nprob;
		tl_tensor_to_f32(&t, p);
		for (int c = 0; c < s->k; c++)
			if (!(p[c] >= 0 && p[c] <= 1))
				return tl_err_set(err, "prob[%d] is not from 0 to 1", c);
		s->nprob += s->k;
		e.prob = s->nprob - s->k + 1;
		if (e.pred == -2 || isnan(e.conf)) {
			int best = tl_probq_argmax(p, s->k);
			if (e.pred == -2)
				e.pred = best;
			if (isnan(e.conf))
				e.conf = p[e.pred >= 0 ? e.pred : best];
		}
	}
	if (e.label == TL_EVAL_NOLABEL)
		return keep_unlabelled(s, &e, id, err);
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		struct erec *q = realloc(s->r, cap * sizeof *q);
		if (q == NULL)
			return nomem(err);
		s->r = q, s->cap = cap;
	}
	if ((e.id = strdup(id)) == NULL)
		return nomem(err);
	s->verdicts |= e.pred != -2;
	s->r[s->n++] = e;
	return TL_OK;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
tl_evalset_finish(struct tl_evalset *s, struct tl_err *err)
{
	char **old;
	int *map;

	if (s->fixed || s->k == 0)
		return 0;
	old = malloc(s->k * sizeof *old);
	map = malloc(s->k * sizeof *map);
	if (old == NULL || map == NULL) {
		free(old), free(map);
		return tl_err_set(err, "out of memory");
	}
	memcpy(old, s->names, s->k * sizeof *old);
	qsort(s->names, s->k, sizeof *s->names, cmp_name);
	for (int c = 0; c < s->k; c++)
		map[c] = ((char **)bsearch(&old[c], s->names, s->k, sizeof *s->names, cmp_name)) - s->names;
	for (size_t i = 0; i < s->n; i++) {
		if (s->r[i].label >= 0)
			s->r[i].label = map[s->r[i].label];
		if (s->r[i].pred >= 0)
			s->r[i].pred = map[s->r[i].pred];
	}
	for (size_t i = 0; i < s->nu; i++)
		if (s->u[i].pred >= 0)
			s->u[i].pred = map[s->u[i].pred];
	free(old), free(map);
	ht_rebuild(s);
	s->fixed = 1;
	return 0;
}

size_t tl_evalset_count(const struct tl_evalset *s) { return s->n; }
long long tl_evalset_unlabelled(const struct tl_evalset *s) { return s->unlabelled; }
int tl_evalset_nclass(const struct tl_evalset *s) { return s->k; }
const char *tl_evalset_class(const struct tl_evalset *s, int c) { return s->names[c]; }
int tl_evalset_has_verdicts(const struct tl_evalset *s) { return s->verdicts; }

static void
rec_of(const struct tl_evalset *s, const struct erec *e, struct tl_eval_rec *r)
{
	r->id = e->id, r->label = e->label, r->pred = e->pred;
	r->conf = e->conf, r->ood = e->ood, r->reject = e->reject;
	r->prob = e->prob ? s->prob + e->prob - 1 : NULL;
}

void
tl_evalset_record(const struct tl_evalset *s, size_t i, struct tl_eval_rec *r)
{
	rec_of(s, &s->r[i], r);
}

size_t tl_evalset_npredicted(const struct tl_evalset *s) { return s->nu; }

void
tl_evalset_predicted(const struct tl_evalset *s, size_t i, struct tl_eval_rec *r)
{
	rec_of(s, &s->u[i], r);
}

const double tl_summary_q[TL_SUMMARY_NQ] = { 0.1, 0.25, 0.5, 0.75, 0.9 };

/* An unlabelled record under a sort key: by key, ties by input order. */
struct keyed {
	double key;
	size_t i;
};

static int
cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/* The first nshow of v[n] sorted, as indices into out (malloc'd). */
static size_t *
first_of(struct keyed *v, size_t n, int nshow, size_t *nout)
{
	size_t *out = malloc(((size_t)nshow + 1) * sizeof *out);

	*nout = 0;
	if (out == NULL)
		return NULL;
	qsort(v, n, sizeof *v, cmp_keyed);
	for (size_t j = 0; j < n && j < (size_t)nshow; j++)
		out[(*nout)++] = v[j].i;
	return out;
}

int
tl_evalset_summary(const struct tl_evalset *s, int nshow, struct tl_summary *sum,
                   struct tl_err *err)
{
	struct keyed *v = malloc((s->nu + 1) * sizeof *v);
	double *conf = malloc((s->nu + 1) * sizeof *conf);
	size_t n = 0;

	memset(sum, 0, sizeof *sum);
	sum->counts = calloc((size_t)s->k + 1, sizeof *sum->counts);
	if (v == NULL || conf == NULL || sum->counts == NULL)
		goto oom;
	for (size_t i = 0; i < s->nu; i++) {
		const struct erec *e = &s->u[i];
		sum->counts[e->pred >= 0 ? e->pred : s->k]++;
		sum->why[e->pred == -1 ? e->reject : TL_REJECT_NONE]++;
		if (!isnan(e->conf))
			conf[sum->nconf++] = e->conf;
	}
	sum->n = (long long)s->nu;
	tl_quantile_sort(conf, sum->nconf);
	for (int q = 0; q < TL_SUMMARY_NQ; q++)
		sum->q[q] = tl_quantile(conf, sum->nconf, tl_summary_q[q]);
	for (size_t i = 0; i < s->nu; i++)
		if (!isnan(s->u[i].conf))
			v[n].key = s->u[i].conf, v[n++].i = i;
	if ((sum->low = first_of(v, n, nshow, &sum->nlow)) == NULL)
		goto oom;
	n = 0;
	for (size_t i = 0; i < s->nu; i++)
		if (!isnan(s->u[i].ood))
			v[n].key = -s->u[i].ood, v[n++].i = i;
	sum->nood = n;
	if ((sum->high = first_of(v, n, nshow, &sum->nhigh)) == NULL)
		goto oom;
	free(v), free(conf);
	return 0;
oom:
	free(v), free(conf);
	tl_evalset_summary_free(sum);
	return tl_err_set(err, "out of memory");
}

void
tl_evalset_summary_free(struct tl_summary *sum)
{
	free(sum->counts), free(sum->low), free(sum->high);
	sum->counts = NULL, sum->low = sum->high = NULL;
}

struct idlab {
	const char *id, *label;
};

static int
cmp_idlab(const void *a, const void *b)
{
	const struct idlab *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : strcmp(x->label, y->label);
}

void
tl_evalset_sha256(const struct tl_evalset *s, char hex[65])
{
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	/* no labelled record: the unlabelled verdicts' ids, label "" */
	size_t n = s->n ? s->n : s->nu;
	struct idlab *v = malloc((n + 1) * sizeof *v);

	if (v != NULL) {
		for (size_t i = 0; i < n && s->n == 0; i++)
			v[i].id = s->u[i].id, v[i].label = "";
		for (size_t i = 0; i < s->n; i++) {
			v[i].id = s->r[i].id;
			v[i].label = s->r[i].label >= 0 ? s->names[s->r[i].label] : s->ood_label;
		}
		qsort(v, n, sizeof *v, cmp_idlab);
		for (size_t i = 0; i < n; i++) {
			g_checksum_update(ck, (const guchar *)v[i].id, (gssize)strlen(v[i].id));
			g_checksum_update(ck, (const guchar *)"\t", 1);
			g_checksum_update(ck, (const guchar *)v[i].label, (gssize)strlen(v[i].label));
			g_checksum_update(ck, (const guchar *)"\n", 1);
		}
	}
	snprintf(hex, 65, "%s", v ? g_checksum_get_string(ck) : "");
	g_checksum_free(ck);
	free(v);
}

void
tl_evalset_counts(const struct tl_evalset *s, long long *counts)
{
	memset(counts, 0, s->k * sizeof *counts);
	for (size_t i = 0; i < s->n; i++)
		if (s->r[i].label >= 0)
			counts[s->r[i].label]++;
}

/* ---- building blocks ------------------------------------------------------- */

void
tl_wilson(double x, double n, double z, double *lo, double *hi)
{
	double p, d, c, h;

	if (n <= 0) {
		*lo = *hi = NAN;
		return;
	}
	p = x / n;
	d = 1 + z * z / n;
	c = (p + z * z / (2 * n)) / d;
	h = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d;
	*lo = fmax(0, c - h);
	*hi = fmin(1, c + h);
}

struct scored {
	double score;
	int pos;
	double w;
};

static int
cmp_scored(const void *a, const void *b)
{
	double x = ((const struct scored *)a)->score, y = ((const struct scored *)b)->score;

	return (x > y) - (x < y);
}

/* Weighted Mann-Whitney over v sorted by score: the share of (positive,
 * negative) pairs where the positive scores higher, ties half. */
static double
auroc_sorted(const struct scored *v, size_t n, const double *w)
{
	double below = 0, num = 0, np = 0, nn = 0;

	for (size_t i = 0; i < n;) {
		double gp = 0, gn = 0;
		size_t j = i;
		for (; j < n && v[j].score == v[i].score; j++) {
			double wj = w ? w[j] : v[j].w;
			if (v[j].pos)
				gp += wj;
			else
				gn += wj;
		}
		num += gp * below + 0.5 * gp * gn;
		below += gn, np += gp, nn += gn;
		i = j;
	}
	return np > 0 && nn > 0 ? num / (np * nn) : NAN;
}

double
tl_auroc(const double *score, const int *pos, size_t n)
{
	struct scored *v = malloc((n + 1) * sizeof *v);
	double a;

	if (v == NULL)
		return NAN;
	for (size_t i = 0; i < n; i++)
		v[i].score = score[i], v[i].pos = pos[i] != 0, v[i].w = 1;
	qsort(v, n, sizeof *v, cmp_scored);
	a = auroc_sorted(v, n, NULL);
	free(v);
	return a;
}

/* ---- evaluation ------------------------------------------------------------ */

/* What a record contributes, computed once. */
struct item {
	size_t rec;
	int label, pred; /* pred: the verdict, -1 unknown */
	int best;        /* top class of prob, or pred; -1 none */
	double conf;     /* probability of best; NaN none */
	double loss;     /* -ln p(label) renormalised; NaN without prob */
	int hit;         /* label among the top k of prob */
	int bin;         /* confidence bin, -1 none */
};

struct ctx {
	const struct tl_evalset *s;
	int k;
	struct tl_probq_opts po; /* tl-report's clipping, renormalising, --bins */
	struct item *it; /* [ni] in-class records with a verdict */
	size_t ni;
	size_t *ood;     /* [nood] set indices of --ood-label records */
	size_t nood;
	struct scored *sc; /* [nsc] by OOD score, for AUROC */
	size_t *sc_src;    /* [nsc] universe index of each: < ni item, else ni + ood index */
	size_t nsc;
	double *cm;        /* [k*(k+1)] scratch */
	double *bn;        /* [3*bins] scratch: n, conf, acc */
	double *wsc;       /* [nsc] scratch */
};

struct core {
	double balanced, macro_f1, weighted_f1, log_loss, ece, auroc;
};

/* The bootstrapped metrics under weights w over the universe (items, then
 * OOD records); w NULL: all 1. */
static void
core(struct ctx *x, const double *w, struct core *o)
{
	int k = x->k;
	double nrec = 0, nl = 0, ll = 0, bal = 0, nbal = 0, mf = 0, nmf = 0, wf = 0;

	memset(x->cm, 0, (size_t)k * (k + 1) * sizeof *x->cm);
	memset(x->bn, 0, 3 * (size_t)x->po.bins * sizeof *x->bn);
	for (size_t i = 0; i < x->ni; i++) {
		const struct item *t = &x->it[i];
		double wi = w ? w[i] : 1;
		if (wi == 0)
			continue;
		nrec += wi;
		x->cm[(size_t)t->label * (k + 1) + (t->pred < 0 ? k : t->pred)] += wi;
		if (!isnan(t->loss))
			ll += wi * t->loss, nl += wi;
		if (t->bin >= 0) {
			x->bn[3 * t->bin] += wi;
			x->bn[3 * t->bin + 1] += wi * t->conf;
			x->bn[3 * t->bin + 2] += wi * (t->best == t->label);
		}
	}
	for (int c = 0; c < k; c++) {
		double sup = 0, prd = 0, tp = x->cm[(size_t)c * (k + 1) + c], f1;
		for (int j = 0; j <= k; j++)
			sup += x->cm[(size_t)c * (k + 1) + j];
		for (int j = 0; j < k; j++)
			prd += x->cm[(size_t)j * (k + 1) + c];
		f1 = sup + prd > 0 ? 2 * tp / (sup + prd) : 0;
		if (sup > 0)
			bal += tp / sup, nbal++;
		if (sup > 0 || prd > 0)
			mf += f1, nmf++;
		wf += f1 * sup;
	}
	o->ece = tl_probq_ece(x->bn, &x->po);
	o->balanced = nbal > 0 ? bal / nbal : NAN;
	o->macro_f1 = nmf > 0 ? mf / nmf : NAN;
	o->weighted_f1 = nrec > 0 ? wf / nrec : NAN;
	o->log_loss = nl > 0 ? ll / nl : NAN;
	if (x->nsc == 0) {
		o->auroc = NAN;
	} else {
		for (size_t j = 0; j < x->nsc; j++)
			x->wsc[j] = w ? w[x->sc_src[j]] : 1;
		o->auroc = auroc_sorted(x->sc, x->nsc, x->wsc);
	}
}

/* Percentile bootstrap: B resamples of the universe with replacement. */
static int
bootstrap(struct ctx *x, const struct tl_eval_opts *o, struct tl_eval *ev)
{
	size_t nu = x->ni + x->nood;
	double *w = calloc(nu + 1, sizeof *w), *rep = malloc(6 * (size_t)o->boot * sizeof *rep);
	size_t nrep[6] = { 0 };
	struct tl_metric *m[6] = { &ev->balanced_accuracy, &ev->macro_f1, &ev->weighted_f1,
	                           &ev->log_loss, &ev->ece, &ev->auroc };
	struct tl_rng rng;
	struct core c;

	if (w == NULL || rep == NULL) {
		free(w), free(rep);
		return -1;
	}
	tl_rng_seed(&rng, o->seed);
	for (int b = 0; b < o->boot; b++) {
		double v[6];
		memset(w, 0, nu * sizeof *w);
		for (size_t j = 0; j < nu; j++)
			w[tl_rng_u64(&rng) % nu]++;
		core(x, w, &c);
		v[0] = c.balanced, v[1] = c.macro_f1, v[2] = c.weighted_f1;
		v[3] = c.log_loss, v[4] = c.ece, v[5] = c.auroc;
		for (int q = 0; q < 6; q++)
			if (!isnan(v[q]))
				rep[q * (size_t)o->boot + nrep[q]++] = v[q];
	}
	for (int q = 0; q < 6; q++) {
		double *r = rep + q * (size_t)o->boot;
		if (isnan(m[q]->value) || nrep[q] == 0)
			continue;
		tl_quantile_sort(r, nrep[q]);
		m[q]->lo = tl_quantile(r, nrep[q], 0.025);
		m[q]->hi = tl_quantile(r, nrep[q], 0.975);
		m[q]->ci = TL_CI_BOOTSTRAP;
	}
	free(w), free(rep);
	return 0;
}

void
tl_eval_defaults(struct tl_eval_opts *o)
{
	o->bins = TL_PROBQ_BINS;
	o->top_k = 3;
	o->boot = 1000;
	o->seed = 0;
	o->nshow = 10;
}

static void
prop(struct tl_metric *m, double x, double n)
{
	m->value = n > 0 ? x / n : NAN;
	tl_wilson(x, n, TL_Z95, &m->lo, &m->hi);
	m->ci = n > 0 ? TL_CI_WILSON : TL_CI_NONE;
}

static void
plain(struct tl_metric *m, double v)
{
	m->value = v, m->lo = m->hi = NAN, m->ci = TL_CI_NONE;
}

static int
cmp_pair(const void *a, const void *b)
{
	const struct tl_pair *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return x->label != y->label ? x->label - y->label : x->pred - y->pred;
}

static int
cmp_loss(const void *a, const void *b)
{
	const struct tl_loss *x = a, *y = b;

	if (x->loss != y->loss)
		return x->loss < y->loss ? 1 : -1;
	return (x->rec > y->rec) - (x->rec < y->rec);
}

/* Fills it[i] for set record e (in-class, with a verdict). */
static void
item_of(const struct tl_evalset *s, size_t i, int topk, const struct tl_probq_opts *po,
        struct item *t)
{
	const struct erec *e = &s->r[i];
	int k = s->k;

	t->rec = i, t->label = e->label, t->pred = e->pred;
	t->loss = NAN, t->hit = 0, t->bin = -1;
	if (e->prob) {
		const float *p = s->prob + e->prob - 1;
		int above = 0;
		for (int c = 0; c < k; c++)
			above += p[c] > p[e->label];
		t->loss = tl_probq_loss(p, k, e->label, po);
		t->hit = above < topk;
		t->best = tl_probq_argmax(p, k), t->conf = p[t->best];
	} else {
		t->best = e->pred, t->conf = e->pred >= 0 ? e->conf : NAN;
	}
	if (t->best >= 0 && !isnan(t->conf))
		t->bin = tl_probq_bin(t->conf, po->bins);
}

static const double thresholds[] = { 0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99 };

int
tl_eval_run(const struct tl_evalset *s, const struct tl_eval_opts *o, struct tl_eval *ev,
            struct tl_err *err)
{
	struct ctx x = { 0 };
	struct core c;
	int k = s->k, rc = -1;
	size_t nitem = 0;
	long long nhit = 0, ood_unknown = 0, bestmax = -1;

	memset(ev, 0, sizeof *ev);
	ev->k = k, ev->classes = (const char *const *)s->names;
	ev->top_k_k = o->top_k, ev->bins = o->bins, ev->boot = o->boot, ev->seed = o->seed;
	ev->majority = -1;
	x.s = s, x.k = k;
	x.po = tl_probq_report, x.po.bins = o->bins;
	x.it = malloc((s->n + 1) * sizeof *x.it);
	x.ood = malloc((s->n + 1) * sizeof *x.ood);
	x.sc = malloc((s->n + 1) * sizeof *x.sc);
	x.sc_src = malloc((s->n + 1) * sizeof *x.sc_src);
	x.wsc = malloc((s->n + 1) * sizeof *x.wsc);
	x.cm = malloc(((size_t)k * (k + 1) + 1) * sizeof *x.cm);
	x.bn = malloc(3 * (size_t)o->bins * sizeof *x.bn);
	ev->confusion = calloc((size_t)k * (k + 1) + 1, sizeof *ev->confusion);
	ev->cls = calloc(k + 1, sizeof *ev->cls);
	ev->rel = calloc(o->bins, sizeof *ev->rel);
	ev->ncurve = sizeof thresholds / sizeof *thresholds;
	ev->curve = calloc(ev->ncurve, sizeof *ev->curve);
	if (!x.it || !x.ood || !x.sc || !x.sc_src || !x.wsc || !x.cm || !x.bn || !ev->confusion ||
	    !ev->cls || !ev->rel || !ev->curve)
		goto oom;

	for (size_t i = 0; i < s->n; i++) {
		const struct erec *e = &s->r[i];
		if (e->label == TL_EVAL_OOD) {
			ev->n_ood++;
			ood_unknown += e->pred == -1;
			x.ood[x.nood++] = i;
		} else if (e->pred == -2) {
			ev->n_none++;
		} else {
			item_of(s, i, o->top_k, &x.po, &x.it[x.ni++]);
		}
	}
	ev->n_eval = (long long)x.ni;
	/* the OOD score order: in-class records are negatives, --ood-label ones
	 * positives; records without a score are left out */
	if (x.nood > 0) {
		for (size_t i = 0; i < x.ni + x.nood; i++) {
			const struct erec *e = &s->r[i < x.ni ? x.it[i].rec : x.ood[i - x.ni]];
			if (isnan(e->ood))
				continue;
			x.sc[x.nsc].score = e->ood, x.sc[x.nsc].pos = i >= x.ni;
			x.sc[x.nsc].w = (double)i; /* the universe index, until sorted */
			x.nsc++;
		}
		qsort(x.sc, x.nsc, sizeof *x.sc, cmp_scored);
		for (size_t j = 0; j < x.nsc; j++)
			x.sc_src[j] = (size_t)x.sc[j].w, x.sc[j].w = 1;
	}

	core(&x, NULL, &c);
	for (size_t i = 0; i < x.ni; i++) {
		const struct item *t = &x.it[i];
		ev->confusion[(size_t)t->label * (k + 1) + (t->pred < 0 ? k : t->pred)]++;
		ev->n_correct += t->pred == t->label;
		ev->n_unknown += t->pred < 0;
		ev->n_unknown_by[t->pred < 0 ? s->r[t->rec].reject : TL_REJECT_NONE]++;
		if (!isnan(t->loss))
			ev->n_prob++, nhit += t->hit;
		if (t->bin >= 0) {
			struct tl_bin *b = &ev->rel[t->bin];
			b->n++, b->conf += t->conf, b->acc += t->best == t->label;
		}
		for (int q = 0; q < ev->ncurve; q++)
			if (t->best >= 0 && t->conf >= thresholds[q]) {
				ev->curve[q].n++;
				ev->curve[q].acc += t->best == t->label;
			}
	}
	ev->n_accepted = ev->n_eval - ev->n_unknown;
	for (int cl = 0; cl < k; cl++) {
		struct tl_class_stats *st = &ev->cls[cl];
		for (int j = 0; j <= k; j++)
			st->support += ev->confusion[(size_t)cl * (k + 1) + j];
		for (int j = 0; j < k; j++)
			st->predicted += ev->confusion[(size_t)j * (k + 1) + cl];
		st->tp = ev->confusion[(size_t)cl * (k + 1) + cl];
		st->unknown = ev->confusion[(size_t)cl * (k + 1) + k];
		st->precision = st->predicted ? (double)st->tp / st->predicted : 0;
		st->recall = st->support ? (double)st->tp / st->support : 0;
		st->f1 = st->support + st->predicted ? 2.0 * st->tp / (st->support + st->predicted) : 0;
		if (st->support > bestmax)
			bestmax = st->support, ev->majority = cl;
	}
	if (ev->n_eval == 0)
		ev->majority = -1;
	prop(&ev->accuracy, ev->n_correct, ev->n_eval);
	prop(&ev->baseline, ev->majority >= 0 ? ev->cls[ev->majority].support : 0, ev->n_eval);
	prop(&ev->coverage, ev->n_accepted, ev->n_eval);
	prop(&ev->accepted_accuracy, ev->n_correct, ev->n_accepted);
	prop(&ev->unknown_rate, ev->n_unknown, ev->n_eval);
	prop(&ev->top_k, nhit, ev->n_prob);
	prop(&ev->ood_rejected, ood_unknown, ev->n_ood);
	if (o->top_k >= k)
		plain(&ev->top_k, NAN);
	plain(&ev->balanced_accuracy, c.balanced);
	plain(&ev->macro_f1, c.macro_f1);
	plain(&ev->weighted_f1, c.weighted_f1);
	plain(&ev->log_loss, c.log_loss);
	plain(&ev->ece, c.ece);
	plain(&ev->auroc, c.auroc);
	if (o->boot > 0 && x.ni + x.nood > 0 && bootstrap(&x, o, ev) < 0)
		goto oom;

	for (int b = 0; b < o->bins; b++) {
		struct tl_bin *r = &ev->rel[b];
		r->lo = (double)b / o->bins, r->hi = (double)(b + 1) / o->bins;
		r->conf = r->n ? r->conf / r->n : NAN;
		r->acc = r->n ? r->acc / r->n : NAN;
	}
	for (size_t i = 0; i < x.ni; i++)
		nitem += x.it[i].best >= 0 && !isnan(x.it[i].conf);
	for (int q = 0; q < ev->ncurve; q++) {
		struct tl_curve_pt *p = &ev->curve[q];
		p->threshold = thresholds[q];
		p->coverage = nitem ? (double)p->n / nitem : NAN;
		p->acc = p->n ? p->acc / p->n : NAN;
	}

	/* most confused pairs: off-diagonal cells, largest first */
	if ((ev->pairs = malloc(((size_t)k * k + 1) * sizeof *ev->pairs)) == NULL)
		goto oom;
	for (int i = 0; i < k; i++)
		for (int j = 0; j < k; j++)
			if (i != j && ev->confusion[(size_t)i * (k + 1) + j] > 0) {
				struct tl_pair *p = &ev->pairs[ev->npairs++];
				p->label = i, p->pred = j, p->n = ev->confusion[(size_t)i * (k + 1) + j];
			}
	qsort(ev->pairs, ev->npairs, sizeof *ev->pairs, cmp_pair);
	if (ev->npairs > o->nshow)
		ev->npairs = o->nshow;

	/* top losses: the wrong verdicts ("unknown" included), by -ln p(label)
	 * with prob, without by confidence; a right verdict is never a loss to
	 * look at, however unsure */
	if ((ev->losses = malloc((x.ni + 1) * sizeof *ev->losses)) == NULL)
		goto oom;
	for (size_t i = 0; i < x.ni; i++) {
		const struct item *t = &x.it[i];
		struct tl_loss *l = &ev->losses[ev->nloss];
		if (t->pred == t->label)
			continue;
		if (!isnan(t->loss))
			l->rec = t->rec, l->loss = t->loss, ev->nloss++;
		else if (ev->n_prob == 0)
			l->rec = t->rec, l->loss = isnan(s->r[t->rec].conf) ? 0 : s->r[t->rec].conf, ev->nloss++;
	}
	qsort(ev->losses, ev->nloss, sizeof *ev->losses, cmp_loss);
	if (ev->n_prob == 0)
		for (int i = 0; i < ev->nloss; i++)
			ev->losses[i].loss = NAN;
	if (ev->nloss > o->nshow)
		ev->nloss = o->nshow;
	rc = 0;
	goto done;
oom:
	tl_err_set(err, "out of memory");
	tl_eval_free(ev);
done:
	free(x.it), free(x.ood), free(x.sc), free(x.sc_src), free(x.wsc), free(x.cm), free(x.bn);
	return rc;
}

void
tl_eval_free(struct tl_eval *ev)
{
	free(ev->confusion);
	free(ev->cls);
	free(ev->rel);
	free(ev->curve);
	free(ev->pairs);
	free(ev->losses);
	ev->confusion = NULL, ev->cls = NULL, ev->rel = NULL, ev->curve = NULL;
	ev->pairs = NULL, ev->losses = NULL;
	ev->npairs = ev->nloss = ev->ncurve = 0;
}

static const struct {
	const char *name;
	size_t off;
} metric_names[] = {
	{ "accuracy", offsetof(struct tl_eval, accuracy) },
	{ "baseline", offsetof(struct tl_eval, baseline) },
	{ "coverage", offsetof(struct tl_eval, coverage) },
	{ "accepted_accuracy", offsetof(struct tl_eval, accepted_accuracy) },
	{ "unknown_rate", offsetof(struct tl_eval, unknown_rate) },
	{ "balanced_accuracy", offsetof(struct tl_eval, balanced_accuracy) },
	{ "macro_f1", offsetof(struct tl_eval, macro_f1) },
	{ "weighted_f1", offsetof(struct tl_eval, weighted_f1) },
	{ "log_loss", offsetof(struct tl_eval, log_loss) },
	{ "top_k_accuracy", offsetof(struct tl_eval, top_k) },
	{ "ece", offsetof(struct tl_eval, ece) },
	{ "auroc", offsetof(struct tl_eval, auroc) },
	{ "ood_rejected", offsetof(struct tl_eval, ood_rejected) },
};

int
tl_eval_lookup(const struct tl_eval *ev, const char *name, const char *cls, double *v,
               struct tl_err *err)
{
	if (cls != NULL) {
		int c;
		for (c = 0; c < ev->k && strcmp(ev->classes[c], cls) != 0; c++)
			;
		if (c == ev->k)
			return tl_err_set(err, "no class '%s'", cls);
		if (strcmp(name, "precision") == 0)
			*v = ev->cls[c].precision;
		else if (strcmp(name, "recall") == 0)
			*v = ev->cls[c].recall;
		else if (strcmp(name, "f1") == 0)
			*v = ev->cls[c].f1;
		else if (strcmp(name, "support") == 0)
			*v = (double)ev->cls[c].support;
		else
			return tl_err_set(err, "no per-class metric '%s'", name);
		return 0;
	}
	for (size_t i = 0; i < sizeof metric_names / sizeof *metric_names; i++)
		if (strcmp(name, metric_names[i].name) == 0) {
			*v = ((const struct tl_metric *)((const char *)ev + metric_names[i].off))->value;
			return 0;
		}
	if (strcmp(name, "n") == 0)
		*v = (double)ev->n_eval;
	else if (strcmp(name, "unknown") == 0)
		*v = (double)ev->n_unknown;
	else if (strcmp(name, "ood") == 0)
		*v = (double)ev->n_ood;
	else
		return tl_err_set(err, "no metric '%s'", name);
	return 0;
}

static void
headline(struct tl_headline *r, const char *text, const char *page, const struct tl_metric *m)
{
	snprintf(r->text, sizeof r->text, "%s", text);
	snprintf(r->page, sizeof r->page, "%s", page ? page : text);
	r->m = m;
}

int
tl_eval_headline(const struct tl_eval *ev, int ood, struct tl_headline rows[TL_HEADLINE_MAX])
{
	const char *major = ev->majority >= 0 ? ev->classes[ev->majority] : "-";
	int n = 0;

	headline(&rows[n++], "accuracy", "accuracy (unknown counts wrong)", &ev->accuracy);
	headline(&rows[n], "", NULL, &ev->baseline);
	snprintf(rows[n].text, sizeof rows[n].text, "baseline (%.12s)", major);
	snprintf(rows[n].page, sizeof rows[n].page, "baseline (always %s)", major);
	n++;
	headline(&rows[n++], "coverage", "coverage (not unknown)", &ev->coverage);
	headline(&rows[n++], "accuracy on accepted", NULL, &ev->accepted_accuracy);
	headline(&rows[n++], "balanced accuracy", NULL, &ev->balanced_accuracy);
	headline(&rows[n++], "macro F1", NULL, &ev->macro_f1);
	headline(&rows[n++], "weighted F1", NULL, &ev->weighted_f1);
	headline(&rows[n++], "log loss", NULL, &ev->log_loss);
	if (ev->top_k_k < ev->k) { /* else 1 by definition */
		headline(&rows[n], "", NULL, &ev->top_k);
		snprintf(rows[n].text, sizeof rows[n].text, "top-%d accuracy", ev->top_k_k);
		snprintf(rows[n].page, sizeof rows[n].page, "top-%d accuracy", ev->top_k_k);
		n++;
	}
	headline(&rows[n], "", NULL, &ev->ece);
	snprintf(rows[n].text, sizeof rows[n].text, "ECE (%d bins)", ev->bins);
	snprintf(rows[n].page, sizeof rows[n].page, "ECE (%d bins)", ev->bins);
	n++;
	if (ood) {
		headline(&rows[n++], "OOD AUROC", NULL, &ev->auroc);
		headline(&rows[n++], "OOD rejected", NULL, &ev->ood_rejected);
	}
	return n;
}
