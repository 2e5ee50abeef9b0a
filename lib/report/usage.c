/*
 * usage.c - the transaction log summed up (usage.h).  Each line is parsed
 * with jansson; tallies live in GLib hash tables keyed by day, class and
 * model, sorted by key (days, models) or count (classes) when printed.
 *
 * Not here: the log's writer and database (tl-bulk, lib/bulk/bulk.c: its
 * verdicts come here as the same JSON lines).
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <jansson.h>

#include "core/quantile.h"
#include "report/metrics.h"
#include "report/usage.h"

#define NBIN 10 /* confidence histogram bins of 0.1 */

struct tally {
	char *key;
	long long n, unknown, nconf;
	double conf;
};

struct review {
	char *model, *day;
	long long reviewed, accepted, correct;
};

struct tl_usage {
	GHashTable *day, *cls, *model; /* key -> struct tally */
	double *conf;                  /* [nconf] */
	size_t nconf, capconf;
	long long n, unknown, bins[NBIN];
	long long why[TL_REJECT_N]; /* the unknowns by "reject" (enum tl_reject) */
	struct review *rev;         /* [nrev], in the order given (model, day) */
	size_t nrev, caprev;
};

static void
tally_free(gpointer p)
{
	struct tally *t = p;

	free(t->key);
	free(t);
}

struct tl_usage *
tl_usage_new(void)
{
	struct tl_usage *u = calloc(1, sizeof *u);

	if (u == NULL)
		return NULL;
	u->day = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, tally_free);
	u->cls = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, tally_free);
	u->model = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, tally_free);
	return u;
}

void
tl_usage_free(struct tl_usage *u)
{
	if (u == NULL)
		return;
	g_hash_table_destroy(u->day);
	g_hash_table_destroy(u->cls);
	g_hash_table_destroy(u->model);
	for (size_t i = 0; i < u->nrev; i++)
		free(u->rev[i].model), free(u->rev[i].day);
	free(u->rev);
	free(u->conf);
	free(u);
}

static int
tally(GHashTable *h, const char *key, int unknown, double conf)
{
	struct tally *t = g_hash_table_lookup(h, key);

	if (t == NULL) {
		if ((t = calloc(1, sizeof *t)) == NULL || (t->key = strdup(key)) == NULL) {
			free(t);
			return -1;
		}
		g_hash_table_insert(h, t->key, t);
	}
	t->n++;
	t->unknown += unknown;
	if (!isnan(conf))
		t->conf += conf, t->nconf++;
	return 0;
}

/* The UTC day of "time" into day[11]; -1 when it has none. */
static int
day_of(json_t *v, char day[11])
{
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		for (int i = 0; i < 10; i++)
			if (i == 4 || i == 7 ? s[i] != '-' : !isdigit((unsigned char)s[i]))
				return -1;
		memcpy(day, s, 10);
		day[10] = '\0';
		return 0;
	}
	if (json_is_number(v)) {
		double x = json_number_value(v);
		time_t t;
		struct tm tm;
		if (!(x >= 0 && x < 253402300800.0)) /* up to year 9999 */
			return -1;
		t = (time_t)x;
		if (gmtime_r(&t, &tm) == NULL)
			return -1;
		strftime(day, 11, "%Y-%m-%d", &tm);
		return 0;
	}
	return -1;
}

int
tl_usage_add(struct tl_usage *u, const char *s, size_t len, struct tl_err *err)
{
	json_t *j, *v, *m;
	json_error_t je;
	const char *pred, *model = "";
	double conf = NAN;
	char day[11];
	int unk, why, rc = TL_SKIP;

	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0)
		return 1;
	if ((j = json_loadb(s, len, 0, &je)) == NULL)
		return tl_err_set(err, "not JSON: %s", je.text);
	if (!json_is_object(j)) {
		tl_err_set(err, "not a JSON object");
		goto out;
	}
	if (day_of(json_object_get(j, "time"), day) < 0) {
		tl_err_set(err, "no \"time\" (YYYY-MM-DD... or seconds since 1970)");
		goto out;
	}
	if ((v = json_object_get(j, "pred")) == NULL || !json_is_string(v)) {
		tl_err_set(err, "no \"pred\" string");
		goto out;
	}
	pred = json_string_value(v);
	if ((v = json_object_get(j, "conf")) != NULL && !json_is_null(v)) {
		if (!json_is_number(v) || !((conf = json_number_value(v)) >= 0 && conf <= 1)) {
			tl_err_set(err, "\"conf\" is not a number from 0 to 1");
			goto out;
		}
	}
	if ((m = json_object_get(j, "model")) != NULL) {
		if (json_is_string(m))
			model = json_string_value(m);
		else if (json_is_object(m) && json_is_string(v = json_object_get(m, "version")))
			model = json_string_value(v);
		else if (json_is_object(m) && json_is_string(v = json_object_get(m, "name")))
			model = json_string_value(v);
	}
	unk = strcmp(pred, "unknown") == 0;
	why = unk ? TL_REJECT_UNSTATED : TL_REJECT_NONE;
	if ((v = json_object_get(j, "reject")) != NULL && !json_is_null(v)) {
		why = -1;
		for (int i = 0; json_is_string(v) && i < TL_REJECT_N; i++)
			if (tl_eval_reject_key(i) && strcmp(json_string_value(v), tl_eval_reject_key(i)) == 0)
				why = i;
		if (why < 0) {
			tl_err_set(err, "\"reject\" is not \"ood\", \"conf\" or null");
			goto out;
		}
		if (!unk)
			why = TL_REJECT_NONE;
	}
	rc = TL_NOMEM;
	tl_err_set(err, "out of memory"); /* until the tallies are made */
	if (tally(u->day, day, unk, conf) < 0 || tally(u->cls, pred, unk, conf) < 0 ||
	    tally(u->model, *model ? model : "(not named)", unk, conf) < 0)
		goto out;
	if (!isnan(conf)) {
		if (u->nconf == u->capconf) {
			size_t cap = u->capconf ? 2 * u->capconf : 1024;
			double *p = realloc(u->conf, cap * sizeof *p);
			if (p == NULL)
				goto out;
			u->conf = p, u->capconf = cap;
		}
		u->conf[u->nconf++] = conf;
		u->bins[conf >= 1 ? NBIN - 1 : (int)(conf * NBIN)]++;
	}
	u->n++;
	u->unknown += unk;
	u->why[why]++;
	rc = TL_OK;
out:
	json_decref(j);
	return rc;
}

int
tl_usage_add_review(struct tl_usage *u, const char *model, const char *day, long long reviewed,
                    long long accepted, long long correct)
{
	struct review *r;

	if (u->nrev == u->caprev) {
		size_t cap = u->caprev ? 2 * u->caprev : 16;
		if ((r = realloc(u->rev, cap * sizeof *r)) == NULL)
			return -1;
		u->rev = r, u->caprev = cap;
	}
	r = &u->rev[u->nrev];
	*r = (struct review){ .model = strdup(model ? model : ""), .day = strdup(day ? day : ""),
	                      .reviewed = reviewed, .accepted = accepted, .correct = correct };
	if (r->model == NULL || r->day == NULL) {
		free(r->model), free(r->day);
		return -1;
	}
	u->nrev++;
	return 0;
}

/* The reviews' accuracy per model version and day of the verdicts. */
static void
reviews(FILE *f, const struct tl_usage *u)
{
	int w = 5;

	if (u->nrev == 0)
		return;
	for (size_t i = 0; i < u->nrev; i++)
		if ((int)strlen(u->rev[i].model) > w)
			w = strlen(u->rev[i].model) > 40 ? 40 : (int)strlen(u->rev[i].model);
	fprintf(f, "\nreviewed: accuracy by model and day (of the verdicts not unknown)\n");
	fprintf(f, "%-*s %-10s %8s %8s %8s %8s\n", w, "model", "day", "reviewed", "accepted",
	        "correct", "accuracy");
	for (size_t i = 0; i < u->nrev; i++) {
		const struct review *r = &u->rev[i];
		fprintf(f, "%-*.*s %-10s %8lld %8lld %8lld", w, w, *r->model ? r->model : "(not named)",
		        r->day, r->reviewed, r->accepted, r->correct);
		if (r->accepted)
			fprintf(f, " %7.1f%%\n", 100.0 * r->correct / r->accepted);
		else
			fprintf(f, " %8s\n", "-");
	}
}

static int
by_key(const void *a, const void *b)
{
	return strcmp((*(struct tally *const *)a)->key, (*(struct tally *const *)b)->key);
}

static int
by_count(const void *a, const void *b)
{
	const struct tally *x = *(struct tally *const *)a, *y = *(struct tally *const *)b;

	return x->n != y->n ? (x->n < y->n ? 1 : -1) : strcmp(x->key, y->key);
}

/* The tallies of h sorted by cmp; caller frees the array. */
static struct tally **
sorted(GHashTable *h, int (*cmp)(const void *, const void *), size_t *n)
{
	GHashTableIter it;
	gpointer k, v;
	struct tally **t = malloc((g_hash_table_size(h) + 1) * sizeof *t);

	*n = 0;
	if (t == NULL)
		return NULL;
	g_hash_table_iter_init(&it, h);
	while (g_hash_table_iter_next(&it, &k, &v))
		t[(*n)++] = v;
	qsort(t, *n, sizeof *t, cmp);
	return t;
}

static void
mean(FILE *f, const struct tally *t)
{
	if (t->nconf)
		fprintf(f, " %9.4f\n", t->conf / t->nconf);
	else
		fprintf(f, " %9s\n", "-");
}

static void
table(FILE *f, struct tally **t, size_t n, long long total, const char *title, int unknown)
{
	int w = (int)strlen(title);

	for (size_t i = 0; i < n; i++)
		if ((int)strlen(t[i]->key) > w)
			w = strlen(t[i]->key) > 40 ? 40 : (int)strlen(t[i]->key);
	fprintf(f, "\n%-*s %8s %7s", w, title, "n", "share");
	if (unknown)
		fprintf(f, " %8s %8s", "unknown", "rate");
	fprintf(f, " %9s\n", "mean conf");
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%-*.*s %8lld %6.1f%%", w, w, t[i]->key, t[i]->n, 100.0 * t[i]->n / total);
		if (unknown)
			fprintf(f, " %8lld %7.1f%%", t[i]->unknown, 100.0 * t[i]->unknown / t[i]->n);
		mean(f, t[i]);
	}
}

void
tl_usage_text(FILE *f, struct tl_usage *u, const char *name, long long bad)
{
	struct tally **d, **c, **m;
	size_t nd, nc, nm;

	fprintf(f, "usage log %s: %lld identifications", name, u->n);
	if (u->n == 0) {
		fprintf(f, ", %lld bad lines\n", bad);
		return;
	}
	d = sorted(u->day, by_key, &nd);
	c = sorted(u->cls, by_count, &nc);
	m = sorted(u->model, by_key, &nm);
	if (d && c && m) {
		fprintf(f, " from %s to %s, %lld bad line%s\n", d[0]->key, d[nd - 1]->key, bad,
		        bad == 1 ? "" : "s");
		fprintf(f, "unknown   %lld (%.1f%%)", u->unknown, 100.0 * u->unknown / u->n);
		for (int i = TL_REJECT_NONE + 1, sep = 0; i < TL_REJECT_N; i++)
			if (u->why[i] > 0)
				fprintf(f, "%s%lld %s", sep++ ? ", " : ": ", u->why[i], tl_eval_reject_text(i));
		fputc('\n', f);
		table(f, d, nd, u->n, "day", 1);
		table(f, c, nc, u->n, "predicted", 0);
		table(f, m, nm, u->n, "model", 1);
		fprintf(f, "\n%-7s %8s %7s\n", "conf", "n", "share");
		for (int b = 0; b < NBIN; b++)
			fprintf(f, "%.1f-%.1f %8lld %6.1f%%\n", b / (double)NBIN, (b + 1) / (double)NBIN,
			        u->bins[b], u->nconf ? 100.0 * u->bins[b] / u->nconf : 0.0);
		if (u->nconf > 0) {
			tl_quantile_sort(u->conf, u->nconf);
			fprintf(f, "quantiles p10 %.4f, p50 %.4f, p90 %.4f (%zu with conf)\n",
			        tl_quantile(u->conf, u->nconf, 0.1), tl_quantile(u->conf, u->nconf, 0.5),
			        tl_quantile(u->conf, u->nconf, 0.9), u->nconf);
		}
		reviews(f, u);
	}
	free(d), free(c), free(m);
}

int
tl_usage_rows(struct tl_usage *u, enum tl_usage_by by, struct tl_usage_row **rows, size_t *n)
{
	GHashTable *h = by == TL_USAGE_DAY ? u->day : by == TL_USAGE_CLASS ? u->cls : u->model;
	struct tally **t = sorted(h, by == TL_USAGE_CLASS ? by_count : by_key, n);

	*rows = NULL;
	if (t == NULL || (*rows = malloc((*n + 1) * sizeof **rows)) == NULL) {
		free(t);
		*n = 0;
		return -1;
	}
	for (size_t i = 0; i < *n; i++) {
		(*rows)[i].key = t[i]->key;
		(*rows)[i].n = t[i]->n, (*rows)[i].unknown = t[i]->unknown;
		(*rows)[i].mean_conf = t[i]->nconf ? t[i]->conf / t[i]->nconf : NAN;
	}
	free(t);
	return 0;
}

void
tl_usage_totals(const struct tl_usage *u, long long *n, long long *unknown)
{
	*n = u->n, *unknown = u->unknown;
}

const long long *
tl_usage_why(const struct tl_usage *u)
{
	return u->why;
}
