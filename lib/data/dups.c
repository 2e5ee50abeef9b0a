/*
 * dups.c - duplicate and near-duplicate groups (dups.h): union-find whose
 * root is always the smallest index, fed by three sources: equal sha256 and
 * equal upstream group names (found by sorting, O(n log n)), and phashes
 * within maxdist bits (every pair compared, O(n^2)).
 *
 * Not here: the choice of maxdist (tl-split(1) gives the measurements), ids.
 */
#include <stdlib.h>
#include <string.h>

#include "data/dups.h"
#include "data/image.h"

/* A key to sort by and the item it belongs to. */
struct keyed {
	const void *key;
	size_t i;
};

static size_t
find(size_t *parent, size_t i)
{
	while (parent[i] != i) {
		parent[i] = parent[parent[i]]; /* path halving */
		i = parent[i];
	}
	return i;
}

/* Joins the groups of a and b under the smaller root, so that a root is
 * always its group's smallest index. */
static void
join(size_t *parent, size_t a, size_t b)
{
	a = find(parent, a);
	b = find(parent, b);
	if (a < b)
		parent[b] = a;
	else if (b < a)
		parent[a] = b;
}

static int
cmp_sha(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = memcmp(x->key, y->key, 32);

	return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

static int
cmp_str(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

/* Joins the items whose key (sha256 when sha, else group name) is equal. */
static int
join_equal(const struct tl_dup_item *items, size_t n, int sha, size_t *parent,
           struct tl_err *err)
{
	struct keyed *k;
	size_t m = 0;

	if (n == 0)
		return 0;
	if ((k = malloc(n * sizeof *k)) == NULL)
		return tl_err_set(err, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const void *key = sha ? (const void *)items[i].sha256 : (const void *)items[i].group;
		if (key != NULL)
			k[m++] = (struct keyed){ key, i };
	}
	qsort(k, m, sizeof *k, sha ? cmp_sha : cmp_str);
	for (size_t j = 1; j < m; j++)
		if (sha ? memcmp(k[j - 1].key, k[j].key, 32) == 0 : strcmp(k[j - 1].key, k[j].key) == 0)
			join(parent, k[j - 1].i, k[j].i);
	free(k);
	return 0;
}

int
tl_dups_group(const struct tl_dup_item *items, size_t n, int maxdist, size_t *rep,
              struct tl_err *err)
{
	for (size_t i = 0; i < n; i++)
		rep[i] = i;
	if (join_equal(items, n, 1, rep, err) < 0 || join_equal(items, n, 0, rep, err) < 0)
		return -1;
	if (maxdist >= 0)
		for (size_t i = 0; i < n; i++) {
			if (!items[i].has_phash)
				continue;
			for (size_t j = i + 1; j < n; j++)
				if (items[j].has_phash &&
				    tl_phash_distance(items[i].phash, items[j].phash) <= maxdist)
					join(rep, i, j);
		}
	for (size_t i = 0; i < n; i++)
		rep[i] = find(rep, i);
	return 0;
}

long long
tl_dups_pairs(const struct tl_dup_item *items, size_t n, int maxdist,
              int (*fn)(void *ctx, size_t i, size_t j, int distance), void *ctx)
{
	long long count = 0;
	int r;

	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			const struct tl_dup_item *a = &items[i], *b = &items[j];
			int both = a->has_phash && b->has_phash;
			int d = both ? tl_phash_distance(a->phash, b->phash) : 0;
			int same = a->sha256 && b->sha256 && memcmp(a->sha256, b->sha256, 32) == 0;

			if (!same && !(both && maxdist >= 0 && d <= maxdist))
				continue;
			if ((r = fn(ctx, i, j, d)) < 0)
				return r; /* TL_STOP, TL_NOMEM */
			count++;
		}
	return count;
}
