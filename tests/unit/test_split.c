/*
 * test_split.c - lib/split and lib/dups: SipHash against the paper's test
 * vector; u uniform; ratio parsing; duplicate groups (transitive, smallest
 * index first, sha256 and group names); and the properties tl-split(1)
 * promises: no record moves when records are added or removed (default
 * mode), counts within 1 per class (exact), groups never cross splits, every
 * record in exactly one val fold, bad records refused with a reason.
 */
#include <stdlib.h>
#include <string.h>

#include "data/dups.h"
#include "data/split.h"
#include "t.h"

/* A record {id, label[, group][, phash]}; label NULL for none. */
static struct tl_rec *
mkrec(const char *id, const char *label, const char *group, int has_phash, uint64_t phash)
{
	struct tl_rec *r = tl_rec_new();

	tl_rec_set_str(r, "id", id);
	if (label)
		tl_rec_set_str(r, "label", label);
	if (group)
		tl_rec_set_str(r, "group", group);
	if (has_phash)
		tl_rec_set_u64(r, "phash", phash);
	return r;
}

static struct tl_split_opts
opts(double tr, double va, double te, int exact)
{
	struct tl_split_opts o = { .frac = { tr, va, te }, .dup_distance = -1, .exact = exact };
	return o;
}

/* Runs a split over records "<class>/<i>" for i in [lo, hi) with the class
 * cycling through nclass classes, skipping i where skip(i); returns the set. */
static struct tl_split *
run_set(const struct tl_split_opts *o, int lo, int hi, int nclass, int (*skip)(int))
{
	struct tl_split *s = tl_split_new(o);
	struct tl_err err;
	char id[32], label[8];

	for (int i = lo; i < hi; i++) {
		if (skip && skip(i))
			continue;
		snprintf(label, sizeof label, "c%d", i % nclass);
		snprintf(id, sizeof id, "%s/%06d", label, i);
		struct tl_rec *r = mkrec(id, label, NULL, 0, 0);
		if (tl_split_add(s, r, &err) < 0)
			tl_rec_free(r);
	}
	if (tl_split_run(s, &err) < 0)
		printf("run failed: %s\n", err.msg);
	return s;
}

/* The bin of id in s, or -1. */
static int
bin_of(const struct tl_split *s, const char *id)
{
	enum tl_split_bin b;

	for (size_t i = 0; i < tl_split_count(s); i++) {
		struct tl_rec *r = tl_split_rec(s, i, &b);
		if (strcmp(tl_rec_str(r, "id"), id) == 0)
			return (int)b;
	}
	return -1;
}

/* Records of a present in b with another bin. */
static int
moved(const struct tl_split *a, const struct tl_split *b)
{
	enum tl_split_bin x;
	int n = 0, y;

	for (size_t i = 0; i < tl_split_count(a); i++) {
		struct tl_rec *r = tl_split_rec(a, i, &x);
		if ((y = bin_of(b, tl_rec_str(r, "id"))) >= 0 && y != (int)x)
			n++;
	}
	return n;
}

static int every10th(int i) { return i % 10 == 3; }

static void
test_hash(void)
{
	unsigned char m[15];
	double sum = 0;
	int below = 0, n = 100000;
	char key[32];

	for (int i = 0; i < 15; i++)
		m[i] = (unsigned char)i;
	/* SipHash paper, appendix A: key 00..0f, message 00..0e */
	T_OK("siphash-vector", tl_split_siphash(UINT64_C(0x0706050403020100),
	     UINT64_C(0x0f0e0d0c0b0a0908), m, 15) == UINT64_C(0xa129ca6149be45e5));
	T_OK("siphash-empty", tl_split_siphash(UINT64_C(0x0706050403020100),
	     UINT64_C(0x0f0e0d0c0b0a0908), m, 0) == UINT64_C(0x726fdb47dd0e0e31));
	for (int i = 0; i < n; i++) {
		int len = snprintf(key, sizeof key, "img%d.jpg", i);
		double u = tl_split_u(7, key, (size_t)len);
		sum += u;
		below += u < 0.7;
	}
	T_NEAR("u-mean", sum / n, 0.5, 0.005, 0);
	T_NEAR("u-below-0.7", (double)below / n, 0.7, 0.006, 0);
	T_OK("u-seed", tl_split_u(1, "a", 1) != tl_split_u(2, "a", 1));
}

static void
test_ratio(void)
{
	double f[3];
	struct tl_err err;

	T_EQ_INT("ratio-3", tl_split_parse_ratio("70:15:15", f, &err), 0);
	T_NEAR("ratio-3-val", f[1], 0.15, 1e-12, 0);
	T_EQ_INT("ratio-2", tl_split_parse_ratio("80:20", f, &err), 0);
	T_NEAR("ratio-2-train", f[0], 0.8, 1e-12, 0);
	T_NEAR("ratio-2-test", f[2], 0, 0, 0);
	T_EQ_INT("ratio-frac", tl_split_parse_ratio("0.6:0.2:0.2", f, &err), 0);
	T_NEAR("ratio-frac-train", f[0], 0.6, 1e-12, 0);
	T_EQ_INT("ratio-one", tl_split_parse_ratio("1", f, &err), -1);
	T_EQ_INT("ratio-four", tl_split_parse_ratio("1:1:1:1", f, &err), -1);
	T_EQ_STR("ratio-four-msg", err.msg, "'1:1:1:1' has more than three parts");
	T_EQ_INT("ratio-neg", tl_split_parse_ratio("80:-20", f, &err), -1);
	T_EQ_INT("ratio-zero", tl_split_parse_ratio("0:0", f, &err), -1);
	T_EQ_INT("ratio-empty", tl_split_parse_ratio("80:", f, &err), -1);
	T_EQ_INT("ratio-nan", tl_split_parse_ratio("nan:1", f, &err), -1);
}

static char pairs[256];
static int npairs;

static int
pair(void *ctx, size_t i, size_t j, int d)
{
	size_t n = strlen(pairs);

	snprintf(pairs + n, sizeof pairs - n, "%zu-%zu:%d ", i, j, d);
	return ++npairs < 100 ? TL_OK : TL_STOP;
}

static void
test_dups(void)
{
	static const unsigned char sha1[32] = { 1 }, sha2[32] = { 2 }, sha1b[32] = { 1 };
	struct tl_dup_item it[7] = {
		{ .phash = 0x00, .has_phash = 1 },                       /* 0 */
		{ .phash = 0xff00, .has_phash = 1 },                     /* 1: far from 0 */
		{ .phash = 0x03, .has_phash = 1 },                       /* 2: 2 bits from 0 */
		{ .phash = 0x0f, .has_phash = 1, .sha256 = sha1 },       /* 3: 2 bits from 2 */
		{ .sha256 = sha1b },                                     /* 4: sha of 3 */
		{ .sha256 = sha2, .group = "g" },                        /* 5 */
		{ .phash = 0xff00, .has_phash = 0, .group = "g" },       /* 6: group of 5 */
	};
	size_t rep[7];
	struct tl_err err;

	T_EQ_INT("dups-group", tl_dups_group(it, 7, 2, rep, &err), 0);
	T_OK("dups-chain", rep[0] == 0 && rep[2] == 0 && rep[3] == 0);
	T_EQ_INT("dups-sha", rep[4], 0);
	T_EQ_INT("dups-alone", rep[1], 1);
	T_OK("dups-name", rep[5] == 5 && rep[6] == 5);
	T_EQ_INT("dups-group-1bit", tl_dups_group(it, 7, 1, rep, &err), 0);
	T_OK("dups-1bit", rep[2] == 2 && rep[3] == 3 && rep[4] == 3 && rep[0] == 0);
	T_EQ_INT("dups-group-off", tl_dups_group(it, 7, -1, rep, &err), 0);
	T_OK("dups-off", rep[2] == 2 && rep[3] == 3 && rep[4] == 3 && rep[6] == 5);
	memset(pairs, 0, sizeof pairs);
	npairs = 0;
	T_EQ_INT("dups-pairs", tl_dups_pairs(it, 7, 2, pair, NULL), 3);
	T_EQ_STR("dups-pairs-list", pairs, "0-2:2 2-3:2 3-4:0 ");
	memset(pairs, 0, sizeof pairs);
	npairs = 98; /* pair() says TL_STOP at the second pair: the walk ends there */
	T_EQ_INT("dups-pairs-stop", tl_dups_pairs(it, 7, 2, pair, NULL), TL_STOP);
	T_EQ_STR("dups-pairs-stop-list", pairs, "0-2:2 2-3:2 ");
}

static void
test_stable(void)
{
	struct tl_split_opts o = opts(0.7, 0.15, 0.15, 0);
	struct tl_split *a = run_set(&o, 0, 1000, 3, NULL);
	struct tl_split *b = run_set(&o, 0, 1100, 3, NULL);      /* 10% added */
	struct tl_split *c = run_set(&o, 0, 1000, 3, every10th); /* 10% removed */
	struct tl_split *d = run_set(&o, 500, 1500, 3, NULL);    /* half new */
	int m;

	T_EQ_INT("stable-add", moved(a, b), 0);
	T_EQ_INT("stable-remove", moved(a, c), 0);
	T_EQ_INT("stable-half", moved(a, d), 0);
	tl_split_free(b);
	tl_split_free(c);
	tl_split_free(d);
	o.seed = 1;
	b = run_set(&o, 0, 1000, 3, NULL);
	m = moved(a, b);
	T_OK("seed-changes", m > 300 && m < 600); /* 1 - (.7^2+.15^2+.15^2) = 46% */
	tl_split_free(a);
	tl_split_free(b);

	/* exact: a few near the cuts move; the man page quotes 19 of 2000 */
	o = opts(0.7, 0.15, 0.15, 1);
	a = run_set(&o, 0, 2000, 4, NULL);
	b = run_set(&o, 0, 2200, 4, NULL);
	m = moved(a, b);
	printf("exact: %d of 2000 moved when 200 were added\n", m);
	T_OK("exact-add-few", m > 0 && m <= 40);
	tl_split_free(a);
	tl_split_free(b);
}

/* Exact: every class of every size within 1 of each share. */
static void
test_exact_counts(void)
{
	static const double r[][3] = { { 0.7, 0.15, 0.15 }, { 0.8, 0.2, 0 }, { 0.5, 0.3, 0.2 },
	                               { 1.0 / 3, 1.0 / 3, 1.0 / 3 } };
	int bad = 0, badpure = 0;

	for (size_t k = 0; k < sizeof r / sizeof r[0]; k++) {
		struct tl_split_opts o = opts(r[k][0], r[k][1], r[k][2], 1);
		/* 60 classes of sizes 1..60: class c%60 has ids i with i%60 == c,
		 * trimmed so class j holds j+1 records */
		struct tl_split *s = tl_split_new(&o);
		struct tl_err err;
			for (int j = 0; j < 60; j++)
			for (int i = 0; i <= j; i++) {
				char id[32], label[8];
				snprintf(label, sizeof label, "k%02d", j);
				snprintf(id, sizeof id, "%s/%d", label, i);
				struct tl_rec *rec = mkrec(id, label, NULL, 0, 0);
				if (tl_split_add(s, rec, &err) < 0)
					tl_rec_free(rec);
			}
		tl_split_run(s, &err);
		for (size_t c = 0; c < tl_split_nclasses(s); c++) {
			const struct tl_split_class *cl = tl_split_class(s, c);
			for (int b = 0; b < 3; b++)
				if (fabs((double)cl->n[b] - (double)cl->total * r[k][b]) > 1.0 + 1e-9)
					bad++;
			badpure += cl->total != cl->n[0] + cl->n[1] + cl->n[2];
		}
		tl_split_free(s);
	}
	T_EQ_INT("exact-within-1", bad, 0);
	T_EQ_INT("exact-all-placed", badpure, 0);
}

/* Groups: near-duplicate chains across the dataset never cross splits, and
 * the group key is the smallest id (or upstream name). */
static void
test_groups(void)
{
	struct tl_split_opts o = opts(0.6, 0.2, 0.2, 0);
	struct tl_split *s;
	struct tl_err err;
	enum tl_split_bin b;
	int crossed = 0, exact;

	for (exact = 0; exact < 2; exact++) {
		o.dup_distance = 3;
		o.exact = exact;
		s = tl_split_new(&o);
		for (int i = 0; i < 400; i++) {
			char id[32];
			/* 100 pictures, 4 copies each, each copy 1 bit from the last:
			 * copy 3 is 3 bits from copy 0 */
			int pic = i % 100, copy = i / 100;
			uint64_t base = tl_split_siphash(pic, 0, "p", 1), ph = base;
			for (int c = 1; c <= copy; c++)
				ph ^= UINT64_C(1) << (c * 7);
			snprintf(id, sizeof id, "c%d/%03d-%d", pic % 3, pic, copy);
			struct tl_rec *r = mkrec(id, pic % 3 ? "b" : "a", NULL, 1, ph);
			if (tl_split_add(s, r, &err) < 0)
				tl_rec_free(r);
		}
		T_EQ_INT(exact ? "groups-run-exact" : "groups-run", tl_split_run(s, &err), 0);
		for (int pic = 0; pic < 100; pic++) {
			int want = -1;
			for (size_t i = pic; i < tl_split_count(s); i += 100) {
				struct tl_rec *r = tl_split_rec(s, i, &b);
				const char *g = tl_rec_str(r, "group");
				char key[32];
				snprintf(key, sizeof key, "c%d/%03d-0", pic % 3, pic);
				if (want < 0)
					want = (int)b;
				crossed += (int)b != want || g == NULL || strcmp(g, key) != 0;
			}
		}
		T_EQ_INT(exact ? "groups-whole-exact" : "groups-whole", crossed, 0);
		long long ng, nm;
		tl_split_ngroups(s, &ng, &nm);
		T_OK(exact ? "groups-count-exact" : "groups-count", ng == 100 && nm == 400);
		tl_split_free(s);
	}

	/* upstream names: the key is the smallest name, kept on every member */
	o.exact = 0;
	s = tl_split_new(&o);
	const char *ids[] = { "a/1", "a/2", "a/3", "a/4" }, *grp[] = { "p9", "p9", NULL, "p1" };
	for (int i = 0; i < 4; i++) {
		struct tl_rec *r = mkrec(ids[i], "a", grp[i], 1, i == 3 ? UINT64_C(0x5555555555555555) : UINT64_C(1) << 40);
		if (tl_split_add(s, r, &err) < 0)
			tl_rec_free(r);
	}
	tl_split_run(s, &err);
	/* a/1, a/2 (p9) and a/3 share a phash: one group keyed p9; a/4 alone keeps p1 */
	T_EQ_STR("group-name-1", tl_rec_str(tl_split_rec(s, 0, &b), "group"), "p9");
	T_EQ_STR("group-name-3", tl_rec_str(tl_split_rec(s, 2, &b), "group"), "p9");
	T_EQ_STR("group-name-4", tl_rec_str(tl_split_rec(s, 3, &b), "group"), "p1");
	T_OK("group-name-u", bin_of(s, "a/3") == (int)(tl_split_u(o.seed, "p9", 2) < 0.6 ? 0 :
	                                             tl_split_u(o.seed, "p9", 2) < 0.8 ? 1 : 2));
	tl_split_free(s);
}

/* k-fold: the folds do not depend on --fold, so over I = 0..K-1 every
 * record is val exactly once; with a test share, test is the same every time. */
static void
test_folds(void)
{
	enum { K = 5, N = 700 };
	int val[N] = { 0 }, test[N] = { 0 }, bad = 0;

	for (int exact = 0; exact < 2; exact++) {
		memset(val, 0, sizeof val);
		memset(test, 0, sizeof test);
		bad = 0;
		for (int fold = 0; fold < K; fold++) {
			struct tl_split_opts o = { .frac = { 0, 0, 0.1 }, .folds = K, .fold = fold,
			                           .dup_distance = -1, .exact = exact };
			struct tl_split *s = run_set(&o, 0, N, 2, NULL);
			enum tl_split_bin b;
			long long nval[2] = { 0 };
			for (size_t i = 0; i < tl_split_count(s); i++) {
				tl_split_rec(s, i, &b);
				val[i] += b == TL_SPLIT_VAL;
				test[i] += b == TL_SPLIT_TEST;
				nval[i % 2] += b == TL_SPLIT_VAL;
			}
			for (int c = 0; c < 2 && exact; c++) /* 350 * 0.9 / 5 = 63 */
				bad += nval[c] < 62 || nval[c] > 64;
			tl_split_free(s);
		}
		for (int i = 0; i < N; i++)
			bad += !(test[i] == 0 && val[i] == 1) && !(test[i] == K && val[i] == 0);
		T_EQ_INT(exact ? "folds-partition-exact" : "folds-partition", bad, 0);
	}
}

static void
test_bad(void)
{
	struct tl_split_opts o = opts(0.7, 0.15, 0.15, 0);
	struct tl_split *s = tl_split_new(&o);
	struct tl_rec *r = tl_rec_new();
	struct tl_err err;

	tl_rec_set_str(r, "label", "a");
	T_EQ_INT("bad-noid", tl_split_add(s, r, &err), TL_SKIP);
	T_EQ_STR("bad-noid-msg", err.msg, "no \"id\"");
	tl_rec_set_u64(r, "id", 5);
	T_EQ_INT("bad-intid", tl_split_add(s, r, &err), TL_SKIP);
	T_EQ_STR("bad-intid-msg", err.msg, "\"id\" is not a string");
	tl_rec_set_str(r, "id", "x");
	tl_rec_set_str(r, "phash", "ff");
	T_EQ_INT("bad-phash", tl_split_add(s, r, &err), TL_SKIP);
	T_EQ_STR("bad-phash-msg", err.msg, "\"phash\" is not an unsigned integer");
	tl_rec_del(r, "phash");
	tl_rec_set_bin(r, "sha256", "abc", 3);
	T_EQ_INT("bad-sha", tl_split_add(s, r, &err), TL_SKIP);
	T_EQ_STR("bad-sha-msg", err.msg, "\"sha256\" is not 32 bytes of bin");
	tl_rec_del(r, "sha256");
	T_EQ_INT("good", tl_split_add(s, r, &err), TL_OK);
	r = mkrec("x", "b", NULL, 0, 0);
	T_EQ_INT("bad-dupid", tl_split_add(s, r, &err), TL_SKIP);
	T_EQ_STR("bad-dupid-msg", err.msg, "id seen before");
	tl_rec_free(r);
	for (int i = 0; i < 5000; i++) { /* the id table grows */
		char id[16];
		snprintf(id, sizeof id, "n%d", i);
		r = mkrec(id, i % 7 ? "a" : NULL, NULL, 0, 0);
		if (tl_split_add(s, r, &err) < 0)
			tl_rec_free(r);
	}
	r = mkrec("n4321", "a", NULL, 0, 0);
	T_EQ_INT("bad-dupid-grown", tl_split_add(s, r, &err), TL_SKIP);
	tl_rec_free(r);
	T_EQ_INT("count", tl_split_count(s), 5001);
	T_EQ_INT("run", tl_split_run(s, &err), 0);
	long long unl, ign;
	tl_split_passed(s, &unl, &ign);
	T_EQ_INT("unlabelled", unl, 715);
	tl_split_free(s);
}

int
main(void)
{
	test_hash();
	test_ratio();
	test_dups();
	test_stable();
	test_exact_counts();
	test_groups();
	test_folds();
	test_bad();
	T_DONE();
}
