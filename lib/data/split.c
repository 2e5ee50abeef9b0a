/*
 * split.c - the assignment of tl-split (split.h): records in, per-class
 * counts and duplicate groups, then one bin per group.
 *
 * run(): classes (sorted labels) -> min_count cut -> duplicate groups among
 * the records that get a split (dups.c) -> a key and u per group ->
 * bins, by threshold on u (default) or by rank of u within each class
 * (exact) -> "split" and "group" written into the records.
 *
 * The hash is SipHash-2-4 (Aumasson and Bernstein, 2012) keyed with (seed,
 * "tl-split"): well mixed, fixed for all time, so a split made today is the
 * split made next year.  Nothing here depends on input order except the
 * order records are given back in.
 *
 * Not here: streams, options, the dup-distance default (tl-split(1)).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "data/dups.h"
#include "data/split.h"

#define K1 UINT64_C(0x74696c70732d6c74) /* "tl-split" as a little-endian word */

struct item {
	struct tl_rec *rec;
	const char *id, *label, *group; /* in rec's arena; label/group may be NULL */
	const unsigned char *sha256;   /* 32 bytes in rec, or NULL */
	uint64_t phash;
	int has_phash;
	long cls;                      /* class index; -1: passed through */
	enum tl_split_bin given;       /* the split it came with, or TL_SPLIT_NONE */
	enum tl_split_bin bin;
	size_t unit;                   /* group index, for assigned records */
};

/* A group of assigned records (a record alone is a group of one). */
struct unit {
	const char *key;
	double u;
	size_t size, first, last;      /* members: items first, ..., via next[] */
	int bin;                       /* -1 until decided (index into bins) */
	int straddles;                 /* members came with different splits */
};

struct tl_split {
	struct tl_split_opts o;
	struct item *it;
	size_t n, cap;
	GHashTable *ids;               /* the ids seen (in their records, not owned) */
	struct tl_split_class *cls;
	size_t ncls;
	long long unlabelled, ignored;
	/* after run(): the assigned records */
	size_t *elig, nelig;           /* item indices in input order */
	struct tl_dup_item *dup;       /* [nelig] */
	struct unit *units;
	size_t nunits, *next;          /* next[item]: the next member of its unit */
	long long ngroups, nmembers;
	long long kept, straddling;
	/* bins: shares of [0,1) and the split each one means */
	double share[65];
	enum tl_split_bin binsplit[65];
	int nbins;
};

/* ---- SipHash-2-4 ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); } while (0)

uint64_t
tl_split_siphash(uint64_t k0, uint64_t k1, const void *p, size_t len)
{
	const unsigned char *m = p;
	uint64_t v0 = k0 ^ UINT64_C(0x736f6d6570736575), v1 = k1 ^ UINT64_C(0x646f72616e646f6d);
	uint64_t v2 = k0 ^ UINT64_C(0x6c7967656e657261), v3 = k1 ^ UINT64_C(0x7465646279746573);
	uint64_t b = (uint64_t)len << 56, w;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		w = 0;
		for (int j = 7; j >= 0; j--)
			w = w << 8 | m[i + j];
		v3 ^= w;
		SIPROUND;
		SIPROUND;
		v0 ^= w;
	}
	for (size_t j = 0; j < left; j++)
		b |= (uint64_t)m[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

double
tl_split_u(uint64_t seed, const char *key, size_t len)
{
	return (double)(tl_split_siphash(seed, K1, key, len) >> 11) * 0x1p-53;
}

const char *
tl_split_name(enum tl_split_bin b)
{
	static const char *names[] = { "train", "val", "test", "holdout" };

	return b <= TL_SPLIT_HOLDOUT ? names[b] : NULL;
}

int
tl_split_parse_ratio(const char *s, double frac[3], struct tl_err *err)
{
	const char *p = s;
	double sum = 0;
	char *end;
	int k = 0;

	frac[0] = frac[1] = frac[2] = 0;
	for (;;) {
		if (k == 3)
			return tl_err_set(err, "'%s' has more than three parts", s);
		frac[k] = strtod(p, &end);
		if (end == p || !isfinite(frac[k]) || frac[k] < 0 || (*end != ':' && *end != '\0'))
			return tl_err_set(err, "'%s' is not train:val[:test] (numbers >= 0)", s);
		sum += frac[k++];
		if (*end == '\0')
			break;
		p = end + 1;
	}
	if (k < 2)
		return tl_err_set(err, "'%s' is not train:val[:test] (numbers >= 0)", s);
	if (!(sum > 0) || !isfinite(sum))
		return tl_err_set(err, "'%s': the parts must not all be 0", s);
	for (int i = 0; i < 3; i++)
		frac[i] /= sum;
	return 0;
}

/* ---- adding records ---- */

struct tl_split *
tl_split_new(const struct tl_split_opts *o)
{
	struct tl_split *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->o = *o;
	s->ids = g_hash_table_new(g_str_hash, g_str_equal);
	if (o->folds > 1) {
		s->nbins = o->folds + 1;
		for (int k = 0; k < o->folds; k++) {
			s->share[k] = (1 - o->frac[2]) / o->folds;
			s->binsplit[k] = k == o->fold ? TL_SPLIT_VAL : TL_SPLIT_TRAIN;
		}
		s->share[o->folds] = o->frac[2];
		s->binsplit[o->folds] = TL_SPLIT_TEST;
	} else {
		s->nbins = 3;
		for (int k = 0; k < 3; k++) {
			s->share[k] = o->frac[k];
			s->binsplit[k] = (enum tl_split_bin)k;
		}
	}
	return s;
}

void
tl_split_free(struct tl_split *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		tl_rec_free(s->it[i].rec);
	free(s->it);
	g_hash_table_destroy(s->ids);
	free(s->cls);
	free(s->elig);
	free(s->dup);
	free(s->units);
	free(s->next);
	free(s);
}

static int
is_ignored(const struct tl_split *s, const char *label)
{
	for (int i = 0; i < s->o.nignore; i++)
		if (strcmp(s->o.ignore[i], label) == 0)
			return 1;
	return 0;
}

/* A string field: 0 and *out (NULL when absent), -1 when not a string. */
static int
str_field(struct tl_rec *rec, const char *key, const char **out, struct tl_err *err)
{
	const msgpack_object *v = tl_rec_get(rec, key);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (v->type != MSGPACK_OBJECT_STR || (*out = tl_rec_str(rec, key)) == NULL ||
	    strlen(*out) != v->via.str.size)
		return tl_err_set(err, "\"%s\" is not a string", key);
	return 0;
}

int
tl_split_add(struct tl_split *s, struct tl_rec *rec, struct tl_err *err)
{
	struct item it = { .rec = rec, .cls = -1, .given = TL_SPLIT_NONE, .bin = TL_SPLIT_NONE };
	const msgpack_object *v;

	if (tl_rec_get(rec, "id") == NULL)
		return tl_err_set(err, "no \"id\""), TL_SKIP;
	if (str_field(rec, "id", &it.id, err) < 0 || str_field(rec, "label", &it.label, err) < 0 ||
	    str_field(rec, "group", &it.group, err) < 0)
		return TL_SKIP;
	if (*it.id == '\0')
		return tl_err_set(err, "empty \"id\""), TL_SKIP;
	if ((v = tl_rec_get(rec, "phash")) != NULL) {
		if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			return tl_err_set(err, "\"phash\" is not an unsigned integer"), TL_SKIP;
		it.phash = v->via.u64;
		it.has_phash = 1;
	}
	if ((v = tl_rec_get(rec, "sha256")) != NULL) {
		if (v->type != MSGPACK_OBJECT_BIN || v->via.bin.size != 32)
			return tl_err_set(err, "\"sha256\" is not 32 bytes of bin"), TL_SKIP;
		it.sha256 = (const unsigned char *)v->via.bin.ptr;
	}
	if (!s->o.resplit && (v = tl_rec_get(rec, "split")) != NULL &&
	    v->type == MSGPACK_OBJECT_STR) /* another type: replaced, as before */
		for (int b = TL_SPLIT_TRAIN; b <= TL_SPLIT_TEST; b++)
			if (v->via.str.size == strlen(tl_split_name(b)) &&
			    memcmp(v->via.str.ptr, tl_split_name(b), v->via.str.size) == 0)
				it.given = (enum tl_split_bin)b;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct item *t = realloc(s->it, cap * sizeof *t);
		if (t == NULL)
			return tl_err_set(err, "out of memory"), TL_NOMEM;
		s->it = t;
		s->cap = cap;
	}
	if (g_hash_table_contains(s->ids, it.id)) /* add would keep this record's key */
		return tl_err_set(err, "id seen before"), TL_SKIP;
	g_hash_table_add(s->ids, (gpointer)it.id);
	s->it[s->n++] = it;
	return TL_OK;
}

/* ---- classes ---- */

static int
cmp_strp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
cmp_class(const void *key, const void *c)
{
	return strcmp(key, ((const struct tl_split_class *)c)->label);
}

/* Sorted distinct labels of the records that are not passed through; each
 * item's class index; min_count. */
static int
make_classes(struct tl_split *s, struct tl_err *err)
{
	const char **l = malloc((s->n ? s->n : 1) * sizeof *l);
	size_t m = 0;

	if (l == NULL)
		return tl_err_set(err, "out of memory");
	for (size_t i = 0; i < s->n; i++) {
		struct item *it = &s->it[i];
		if (it->label == NULL)
			s->unlabelled++;
		else if (is_ignored(s, it->label))
			s->ignored++;
		else
			l[m++] = it->label;
	}
	qsort(l, m, sizeof *l, cmp_strp);
	if ((s->cls = calloc(m ? m : 1, sizeof *s->cls)) == NULL) {
		free(l);
		return tl_err_set(err, "out of memory");
	}
	for (size_t i = 0; i < m; i++)
		if (s->ncls == 0 || strcmp(s->cls[s->ncls - 1].label, l[i]) != 0)
			s->cls[s->ncls++].label = l[i];
	free(l);
	for (size_t i = 0; i < s->n; i++) {
		struct item *it = &s->it[i];
		struct tl_split_class *c;
		if (it->label == NULL || is_ignored(s, it->label))
			continue;
		c = bsearch(it->label, s->cls, s->ncls, sizeof *s->cls, cmp_class);
		it->cls = c - s->cls;
		c->total++;
	}
	for (size_t i = 0; i < s->n; i++) {
		struct item *it = &s->it[i];
		if (it->cls >= 0 && s->cls[it->cls].total < s->o.min_count)
			it->bin = s->o.holdout_small ? TL_SPLIT_HOLDOUT : TL_SPLIT_DROPPED;
	}
	return 0;
}

/* ---- groups ---- */

/* A unit some of whose members came with a split goes to the bin of its
 * first such member's split (the first bin meaning that split). */
static void
given_bin(struct tl_split *s, struct unit *un)
{
	enum tl_split_bin first = TL_SPLIT_NONE;

	for (size_t i = un->first; i != (size_t)-1; i = s->next[i]) {
		const struct item *it = &s->it[i];
		if (it->given == TL_SPLIT_NONE)
			continue;
		s->kept++;
		if (first == TL_SPLIT_NONE)
			first = it->given;
		else if (it->given != first && !un->straddles) {
			un->straddles = 1;
			s->straddling++;
		}
	}
	if (first == TL_SPLIT_NONE)
		return;
	for (int b = 0; b < s->nbins && un->bin < 0; b++)
		if (s->binsplit[b] == first)
			un->bin = b;
}

/* The assigned records, their duplicate groups, each group's key and u. */
static int
make_units(struct tl_split *s, struct tl_err *err)
{
	size_t *rep = NULL, *unit_of_rep = NULL;

	if ((s->elig = malloc((s->n ? s->n : 1) * sizeof *s->elig)) == NULL ||
	    (s->next = malloc((s->n ? s->n : 1) * sizeof *s->next)) == NULL)
		return tl_err_set(err, "out of memory");
	for (size_t i = 0; i < s->n; i++)
		if (s->it[i].cls >= 0 && s->it[i].bin == TL_SPLIT_NONE)
			s->elig[s->nelig++] = i;
	if ((s->dup = malloc((s->nelig ? s->nelig : 1) * sizeof *s->dup)) == NULL ||
	    (rep = malloc((s->nelig ? s->nelig : 1) * sizeof *rep)) == NULL ||
	    (unit_of_rep = malloc((s->nelig ? s->nelig : 1) * sizeof *unit_of_rep)) == NULL ||
	    (s->units = calloc(s->nelig ? s->nelig : 1, sizeof *s->units)) == NULL) {
		free(rep);
		free(unit_of_rep);
		return tl_err_set(err, "out of memory");
	}
	for (size_t e = 0; e < s->nelig; e++) {
		const struct item *it = &s->it[s->elig[e]];
		s->dup[e] = (struct tl_dup_item){ it->phash, it->has_phash, it->sha256, it->group };
	}
	if (tl_dups_group(s->dup, s->nelig, s->o.dup_distance, rep, err) < 0) {
		free(rep);
		free(unit_of_rep);
		return -1;
	}
	for (size_t e = 0; e < s->nelig; e++) {
		size_t i = s->elig[e];
		struct item *it = &s->it[i];
		struct unit *un;
		if (rep[e] == e) { /* first member: a new unit, in input order */
			unit_of_rep[e] = s->nunits;
			s->units[s->nunits++] = (struct unit){ .first = i, .bin = -1 };
		}
		it->unit = unit_of_rep[rep[e]];
		un = &s->units[it->unit];
		if (un->size++ > 0)
			s->next[un->last] = i;
		un->last = i;
		s->next[i] = (size_t)-1;
	}
	for (size_t k = 0; k < s->nunits; k++) {
		/* key: the smallest upstream group name, else the smallest id */
		struct unit *un = &s->units[k];
		const char *g = NULL, *id = NULL;
		for (size_t i = un->first; i != (size_t)-1; i = s->next[i]) {
			const struct item *it = &s->it[i];
			if (it->group && (g == NULL || strcmp(it->group, g) < 0))
				g = it->group;
			if (id == NULL || strcmp(it->id, id) < 0)
				id = it->id;
		}
		un->key = g ? g : id;
		un->u = tl_split_u(s->o.seed, un->key, strlen(un->key));
		given_bin(s, un);
		if (un->size > 1) {
			s->ngroups++;
			s->nmembers += (long long)un->size;
		}
	}
	free(rep);
	free(unit_of_rep);
	return 0;
}

/* ---- bins ---- */

/* The bin whose part of [0, sum of share) holds x; x past the end (rounding)
 * falls in the last bin with a share. */
static int
bin_at(const double *share, int nbins, double x)
{
	double c = 0;
	int last = 0;

	for (int b = 0; b < nbins; b++) {
		if (!(share[b] > 0))
			continue;
		last = b;
		c += share[b];
		if (x < c)
			return b;
	}
	return last;
}

struct ranked {
	double u;
	const char *key;
	size_t unit;
};

static int
cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->u != y->u)
		return x->u < y->u ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Exact mode: class by class (label order), the groups not yet placed are
 * ranked by u and cut where the counts still missing from each bin say; a
 * group is placed by its middle, so a record alone lands within half a
 * record of each cut.  A group whose members span classes is placed by the
 * first of its classes and counts as fixed in the later ones. */
static int
assign_exact(struct tl_split *s, struct tl_err *err)
{
	size_t ne = s->nelig ? s->nelig : 1, nu = s->nunits ? s->nunits : 1;
	size_t *order = malloc(ne * sizeof *order), *start = calloc(s->ncls + 1, sizeof *start);
	size_t *cnt = calloc(nu, sizeof *cnt), *touched = malloc(nu * sizeof *touched);
	struct ranked *rk = malloc(nu * sizeof *rk);
	int rc = -1;

	if (!order || !start || !cnt || !touched || !rk) {
		tl_err_set(err, "out of memory");
		goto out;
	}
	for (size_t e = 0; e < s->nelig; e++) /* counting sort by class */
		start[s->it[s->elig[e]].cls + 1]++;
	for (size_t c = 0; c < s->ncls; c++)
		start[c + 1] += start[c];
	for (size_t e = 0; e < s->nelig; e++)
		order[start[s->it[s->elig[e]].cls]++] = s->elig[e];
	for (size_t c = s->ncls; c > 0; c--) /* start[c] is now the end of c */
		start[c] = start[c - 1];
	start[0] = 0;
	for (size_t c = 0; c < s->ncls; c++) {
		double fixed[65] = { 0 }, want[65], sum = 0, pos = 0;
		size_t nt = 0, nr = 0, left = 0;

		for (size_t k = start[c]; k < start[c + 1]; k++) {
			size_t un = s->it[order[k]].unit;
			if (cnt[un]++ == 0)
				touched[nt++] = un;
		}
		for (size_t t = 0; t < nt; t++) {
			struct unit *un = &s->units[touched[t]];
			if (un->bin >= 0) {
				fixed[un->bin] += (double)cnt[touched[t]];
			} else {
				rk[nr++] = (struct ranked){ un->u, un->key, touched[t] };
				left += cnt[touched[t]];
			}
		}
		for (int b = 0; b < s->nbins; b++) {
			want[b] = (double)(start[c + 1] - start[c]) * s->share[b] - fixed[b];
			want[b] = want[b] > 0 ? want[b] : 0;
			sum += want[b];
		}
		for (int b = 0; b < s->nbins; b++) /* what is left, shared as wanted */
			want[b] = sum > 0 ? want[b] * (double)left / sum : s->share[b] * (double)left;
		qsort(rk, nr, sizeof *rk, cmp_ranked);
		for (size_t r = 0; r < nr; r++) {
			double size = (double)cnt[rk[r].unit];
			s->units[rk[r].unit].bin = bin_at(want, s->nbins, pos + size / 2);
			pos += size;
		}
		for (size_t t = 0; t < nt; t++)
			cnt[touched[t]] = 0;
	}
	rc = 0;
out:
	free(order);
	free(start);
	free(cnt);
	free(touched);
	free(rk);
	return rc;
}

int
tl_split_run(struct tl_split *s, struct tl_err *err)
{
	if (make_classes(s, err) < 0 || make_units(s, err) < 0)
		return -1;
	if (s->o.exact) {
		if (assign_exact(s, err) < 0)
			return -1;
	} else {
		for (size_t k = 0; k < s->nunits; k++)
			if (s->units[k].bin < 0)
				s->units[k].bin = bin_at(s->share, s->nbins, s->units[k].u);
	}
	for (size_t i = 0; i < s->n; i++) {
		struct item *it = &s->it[i];
		const char *name;
		if (it->cls < 0)
			continue;
		if (it->bin == TL_SPLIT_NONE) { /* assigned */
			const struct unit *un = &s->units[it->unit];
			it->bin = it->given != TL_SPLIT_NONE ? it->given : s->binsplit[un->bin];
			if (un->size > 1 && (it->group == NULL || strcmp(it->group, un->key) != 0) &&
			    tl_rec_set_str(it->rec, "group", un->key) < 0)
				return tl_err_set(err, "out of memory");
		}
		s->cls[it->cls].n[it->bin]++;
		if ((name = tl_split_name(it->bin)) != NULL &&
		    tl_rec_set_str(it->rec, "split", name) < 0)
			return tl_err_set(err, "out of memory");
	}
	return 0;
}

/* ---- results ---- */

size_t
tl_split_count(const struct tl_split *s)
{
	return s->n;
}

struct tl_rec *
tl_split_rec(const struct tl_split *s, size_t i, enum tl_split_bin *bin)
{
	*bin = s->it[i].bin;
	return s->it[i].rec;
}

size_t
tl_split_nclasses(const struct tl_split *s)
{
	return s->ncls;
}

const struct tl_split_class *
tl_split_class(const struct tl_split *s, size_t i)
{
	return &s->cls[i];
}

void
tl_split_passed(const struct tl_split *s, long long *unlabelled, long long *ignored)
{
	*unlabelled = s->unlabelled;
	*ignored = s->ignored;
}

void
tl_split_kept(const struct tl_split *s, long long *kept, long long *straddling)
{
	*kept = s->kept;
	*straddling = s->straddling;
}

int
tl_split_write_straddling(const struct tl_split *s, FILE *f, const char *prefix, int max)
{
	long long shown = 0;

	for (size_t k = 0; k < s->nunits && shown < max; k++) {
		const struct unit *un = &s->units[k];
		int n = 0;
		if (!un->straddles)
			continue;
		fprintf(f, "%sgroup %s: came with different splits, each keeps its own:", prefix,
		        un->key);
		for (size_t i = un->first; i != (size_t)-1; i = s->next[i])
			if (n++ < 8)
				fprintf(f, " %s (%s)", s->it[i].id, tl_split_name(s->it[i].bin));
		fprintf(f, "%s\n", n > 8 ? " ..." : "");
		shown++;
	}
	if (s->straddling > shown)
		fprintf(f, "%s... and %lld more groups\n", prefix, s->straddling - shown);
	return ferror(f) ? -1 : 0;
}

void
tl_split_ngroups(const struct tl_split *s, long long *groups, long long *members)
{
	*groups = s->ngroups;
	*members = s->nmembers;
}

struct pair_ctx {
	const struct tl_split *s;
	int (*fn)(void *ctx, const char *id, const char *other, int distance);
	void *ctx;
};

static int
pair_ids(void *ctx, size_t i, size_t j, int distance)
{
	struct pair_ctx *p = ctx;

	return p->fn(p->ctx, p->s->it[p->s->elig[i]].id, p->s->it[p->s->elig[j]].id, distance);
}

long long
tl_split_pairs(const struct tl_split *s,
               int (*fn)(void *ctx, const char *id, const char *other, int distance),
               void *ctx)
{
	struct pair_ctx p = { s, fn, ctx };

	return tl_dups_pairs(s->dup, s->nelig, s->o.dup_distance, pair_ids, &p);
}

/* The columns of the table: the bins in use. */
static int
columns(const struct tl_split *s, enum tl_split_bin *col)
{
	int n = 0;

	col[n++] = TL_SPLIT_TRAIN;
	col[n++] = TL_SPLIT_VAL;
	if (s->o.folds <= 1 || s->o.frac[2] > 0)
		col[n++] = TL_SPLIT_TEST;
	col[n++] = s->o.holdout_small ? TL_SPLIT_HOLDOUT : TL_SPLIT_DROPPED;
	return n;
}

int
tl_split_write_table(const struct tl_split *s, FILE *f, const char *prefix)
{
	enum tl_split_bin col[4];
	struct tl_split_class all = { .label = "(all)" };
	int ncol = columns(s, col), w = 5;

	for (size_t c = 0; c < s->ncls; c++) {
		int len = (int)strlen(s->cls[c].label);
		w = len > w ? (len < 40 ? len : 40) : w;
		all.total += s->cls[c].total;
		for (int b = 0; b < TL_SPLIT_NBINS; b++)
			all.n[b] += s->cls[c].n[b];
	}
	fprintf(f, "%s%-*s %7s", prefix, w, "label", "total");
	for (int k = 0; k < ncol; k++)
		fprintf(f, " %7s", col[k] == TL_SPLIT_DROPPED ? "dropped" : tl_split_name(col[k]));
	fputc('\n', f);
	for (size_t c = 0; c <= s->ncls; c++) {
		const struct tl_split_class *cl = c < s->ncls ? &s->cls[c] : &all;
		fprintf(f, "%s%-*s %7lld", prefix, w, cl->label, cl->total);
		for (int k = 0; k < ncol; k++)
			fprintf(f, " %7lld", cl->n[col[k]]);
		fputc('\n', f);
	}
	return ferror(f) ? -1 : 0;
}

int
tl_split_write_groups(const struct tl_split *s, FILE *f, const char *prefix, int max)
{
	long long shown = 0;

	for (size_t k = 0; k < s->nunits && shown < max; k++) {
		const struct unit *un = &s->units[k];
		const char *label = s->it[un->first].label;
		int n = 0, mixed = 0;
		if (un->size < 2)
			continue;
		fprintf(f, "%sgroup %s: %zu records (%s):", prefix, un->key, un->size,
		        tl_split_name(s->binsplit[un->bin]));
		for (size_t i = un->first; i != (size_t)-1; i = s->next[i]) {
			mixed |= strcmp(s->it[i].label, label) != 0;
			if (n++ < 8)
				fprintf(f, " %s", s->it[i].id);
		}
		fprintf(f, "%s%s\n", n > 8 ? " ..." : "", mixed ? " (labels differ)" : "");
		shown++;
	}
	if (s->ngroups > shown)
		fprintf(f, "%s... and %lld more groups\n", prefix, s->ngroups - shown);
	return ferror(f) ? -1 : 0;
}

static msgpack_object
obj_str(const char *s)
{
	return (msgpack_object){ .type = MSGPACK_OBJECT_STR,
	                         .via.str = { (uint32_t)strlen(s), s } };
}

static msgpack_object
obj_int(long long v)
{
	if (v < 0)
		return (msgpack_object){ .type = MSGPACK_OBJECT_NEGATIVE_INTEGER, .via.i64 = v };
	return (msgpack_object){ .type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = (uint64_t)v };
}

static msgpack_object
obj_f64(double v)
{
	return (msgpack_object){ .type = MSGPACK_OBJECT_FLOAT64, .via.f64 = v };
}

int
tl_split_header(const struct tl_split_opts *o, struct tl_rec *h)
{
	msgpack_object_kv kv[10];
	msgpack_object map = { .type = MSGPACK_OBJECT_MAP };
	uint32_t n = 0;

	if (o->folds > 1) {
		kv[n++] = (msgpack_object_kv){ obj_str("folds"), obj_int(o->folds) };
		kv[n++] = (msgpack_object_kv){ obj_str("fold"), obj_int(o->fold) };
	} else {
		kv[n++] = (msgpack_object_kv){ obj_str("train"), obj_f64(o->frac[0]) };
		kv[n++] = (msgpack_object_kv){ obj_str("val"), obj_f64(o->frac[1]) };
	}
	kv[n++] = (msgpack_object_kv){ obj_str("test"), obj_f64(o->frac[2]) };
	kv[n++] = (msgpack_object_kv){ obj_str("seed"), obj_int((long long)o->seed) };
	kv[n++] = (msgpack_object_kv){ obj_str("exact"),
	                               { .type = MSGPACK_OBJECT_BOOLEAN, .via.boolean = o->exact != 0 } };
	kv[n++] = (msgpack_object_kv){ obj_str("dup_distance"), obj_int(o->dup_distance) };
	kv[n++] = (msgpack_object_kv){ obj_str("min_count"), obj_int(o->min_count) };
	map.via.map.size = n;
	map.via.map.ptr = kv;
	return tl_rec_set_obj(h, "split", &map);
}
