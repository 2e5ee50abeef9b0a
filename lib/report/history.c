/*
 * history.c - the history file and --compare (history.h).  Evaluations are
 * read back with jansson, here only (the HTML page's history charts get
 * theirs from tl_history_read): they are small objects of numbers and strings,
 * apart from the per-record list of a --json output (a few hundred bytes a
 * record).  Records are matched by id through a GLib hash table.
 *
 * Not here: writing an evaluation (report.c).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <jansson.h>

#include "core/afile.h"
#include "report/history.h"
#include "report/report.h"

/* The whole of path into a NUL-terminated buffer (caller frees); NULL with
 * err, errno ENOENT when the file does not exist. */
static char *
slurp(const char *path, size_t *len, struct tl_err *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, k;

	if (f == NULL) {
		int e = errno;
		tl_err_set(err, "%s: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	do {
		if (cap - n < 65536) {
			char *p = realloc(buf, cap = cap ? 2 * cap : 65536 + 1);
			if (p == NULL) {
				free(buf), fclose(f);
				tl_err_set(err, "out of memory");
				return NULL;
			}
			buf = p;
		}
		k = fread(buf + n, 1, cap - n - 1, f);
		n += k;
	} while (k > 0);
	if (ferror(f)) {
		free(buf), fclose(f);
		tl_err_set(err, "%s: read error", path);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

int
tl_history_append(const char *path, const char *line, size_t len, struct tl_err *err)
{
	struct tl_afile *a;
	size_t n = 0;
	char *old = slurp(path, &n, err);
	FILE *f;

	if (old == NULL && errno != ENOENT)
		return -1;
	if ((a = tl_afile_open(path, err)) == NULL) {
		free(old);
		return -1;
	}
	f = tl_afile_fp(a);
	if (n > 0) {
		fwrite(old, 1, n, f);
		if (old[n - 1] != '\n')
			fputc('\n', f);
	}
	fwrite(line, 1, len, f);
	free(old);
	return tl_afile_commit(a, err);
}

/* 1 when j is an object whose "kind" is "evaluation". */
static int
is_evaluation(json_t *j)
{
	json_t *v = json_object_get(j, "kind");

	return json_is_string(v) && strcmp(json_string_value(v), "evaluation") == 0;
}

static double
jnum(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

int
tl_history_read(const char *path, const char *const *classes, int nc,
                struct tl_history_point *pts, int max, int *n, struct tl_err *err)
{
	FILE *in = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	long long total = 0;

	*n = 0;
	if (in == NULL)
		return tl_err_set(err, "--history: %s: cannot read", path);
	while (getline(&line, &cap, in) >= 0) {
		json_t *j = json_loads(line, 0, NULL), *pc, *m;
		struct tl_history_point *p;
		const char *name;
		if (j == NULL || !is_evaluation(j)) {
			json_decref(j);
			continue;
		}
		p = &pts[total++ % max];
		m = json_object_get(j, "metrics");
		name = json_string_value(json_object_get(j, "model"));
		if (name == NULL || !*name)
			name = json_string_value(json_object_get(j, "date"));
		snprintf(p->name, sizeof p->name, "%s", name ? name : "?");
		p->lo = jnum(json_object_get(m, "accuracy"), "lo");
		p->hi = jnum(json_object_get(m, "accuracy"), "hi");
		p->acc = jnum(json_object_get(m, "accuracy"), "value");
		p->macro_f1 = jnum(json_object_get(m, "macro_f1"), "value");
		pc = json_object_get(j, "per_class");
		for (int c = 0; c < nc; c++)
			p->f1[c] = jnum(json_object_get(pc, classes[c]), "f1");
		json_decref(j);
	}
	free(line);
	fclose(in);
	/* the ring pts[] into oldest first */
	*n = total < max ? (int)total : max;
	if (total > max) {
		struct tl_history_point *t = malloc(max * sizeof *t);
		int s = (int)(total % max);
		if (t == NULL)
			return tl_err_set(err, "out of memory");
		for (int i = 0; i < max; i++)
			t[i] = pts[(s + i) % max];
		memcpy(pts, t, max * sizeof *t);
		free(t);
	}
	return 0;
}

/* ---- compare ------------------------------------------------------------- */

/* An evaluation from path: the file as one JSON object, or else its last
 * non-blank line.  Caller json_decref's it. */
static json_t *
load_eval(const char *path, struct tl_err *err)
{
	size_t n = 0;
	char *buf = slurp(path, &n, err), *p;
	json_t *j;
	json_error_t je;

	if (buf == NULL)
		return NULL;
	if ((j = json_loads(buf, 0, &je)) == NULL) {
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\r'))
			buf[--n] = '\0';
		p = strrchr(buf, '\n');
		j = json_loads(p ? p + 1 : buf, 0, &je);
	}
	free(buf);
	if (j == NULL) {
		tl_err_set(err, "%s: not JSON: %s", path, je.text);
		return NULL;
	}
	if (!json_is_object(j) || !json_is_integer(json_object_get(j, "tl_report")) ||
	    !is_evaluation(j) || !json_is_object(json_object_get(j, "metrics"))) {
		json_decref(j);
		tl_err_set(err, "%s: not an evaluation of tl-report --json or --history", path);
		return NULL;
	}
	return j;
}

static const char *
jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "";
}

static void
cell(FILE *f, int w, double v, int sign)
{
	if (isnan(v))
		fprintf(f, "%*s", w, "-");
	else
		fprintf(f, sign ? "%+*.4f" : "%*.4f", w, v);
}

static void
metrics_diff(FILE *f, json_t *a, json_t *b)
{
	static const char *names[] = { "accuracy", "baseline", "coverage", "accepted_accuracy",
		"unknown_rate", "balanced_accuracy", "macro_f1", "weighted_f1", "log_loss",
		"top_k_accuracy", "ece", "auroc", "ood_rejected" };
	json_t *ma = json_object_get(a, "metrics"), *mb = json_object_get(b, "metrics");

	fprintf(f, "\n%-20s %9s %9s %9s\n", "metric", "A", "B", "change");
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		double x = jnum(json_object_get(ma, names[i]), "value");
		double y = jnum(json_object_get(mb, names[i]), "value");
		if (isnan(x) && isnan(y))
			continue;
		fprintf(f, "%-20s", names[i]);
		cell(f, 10, x, 0), cell(f, 10, y, 0), cell(f, 10, y - x, 1);
		fputc('\n', f);
	}
}

static void
class_diff(FILE *f, json_t *a, json_t *b)
{
	json_t *pa = json_object_get(a, "per_class"), *pb = json_object_get(b, "per_class");
	json_t *all = json_object(), *v;
	const char *name;
	int w = 7;

	if (!json_is_object(pa) || !json_is_object(pb) || all == NULL) {
		json_decref(all);
		return;
	}
	json_object_update(all, pa);
	json_object_update(all, pb);
	json_object_foreach(all, name, v)
		if ((int)strlen(name) > w)
			w = strlen(name) > 40 ? 40 : (int)strlen(name);
	fprintf(f, "\n%-*s %9s %9s %9s %9s %9s %9s %9s %9s\n", w, "class", "recall A", "recall B",
	        "change", "f1 A", "f1 B", "change", "support A", "support B");
	json_object_foreach(all, name, v) {
		json_t *x = json_object_get(pa, name), *y = json_object_get(pb, name);
		double ra = jnum(x, "recall"), rb = jnum(y, "recall");
		double fa = jnum(x, "f1"), fb = jnum(y, "f1");
		fprintf(f, "%-*.*s", w, w, name);
		cell(f, 10, ra, 0), cell(f, 10, rb, 0), cell(f, 10, rb - ra, 1);
		cell(f, 10, fa, 0), cell(f, 10, fb, 0), cell(f, 10, fb - fa, 1);
		fprintf(f, " %9.0f %9.0f\n", x ? jnum(x, "support") : 0, y ? jnum(y, "support") : 0);
	}
	json_decref(all);
}

static int
right(json_t *r)
{
	return strcmp(jstr(r, "label"), jstr(r, "pred")) == 0;
}

static void
flip_line(FILE *f, json_t *x, json_t *y)
{
	fprintf(f, "  %s: %s", jstr(x, "id"), jstr(x, "label"));
	if (strcmp(jstr(x, "label"), jstr(y, "label")) != 0)
		fprintf(f, " (now %s)", jstr(y, "label"));
	fprintf(f, ", %s -> %s (conf ", jstr(x, "pred"), jstr(y, "pred"));
	cell(f, 0, jnum(x, "conf"), 0);
	fputs(" -> ", f);
	cell(f, 0, jnum(y, "conf"), 0);
	fputs(")\n", f);
}

static int
flips(FILE *f, json_t *a, json_t *b, struct tl_err *err)
{
	json_t *ra = json_object_get(a, "records"), *rb = json_object_get(b, "records"), *r;
	GHashTable *h;
	size_t i, both = 0, nrw = 0, nwr = 0, onlya, onlyb;
	json_t **pa;

	if (!json_is_array(ra) || !json_is_array(rb)) {
		fprintf(f, "\nrecords: %s lacks the per-record list (a history entry): no flips shown\n",
		        !json_is_array(ra) ? "A" : "B");
		return 0;
	}
	h = g_hash_table_new(g_str_hash, g_str_equal);
	pa = calloc(json_array_size(rb) + 1, sizeof *pa);
	if (pa == NULL) {
		g_hash_table_destroy(h);
		return tl_err_set(err, "out of memory");
	}
	json_array_foreach(ra, i, r)
		if (json_is_string(json_object_get(r, "id")))
			g_hash_table_insert(h, (gpointer)jstr(r, "id"), r);
	json_array_foreach(rb, i, r) {
		pa[i] = g_hash_table_lookup(h, jstr(r, "id"));
		if (pa[i]) {
			both++;
			nrw += right(pa[i]) && !right(r);
			nwr += !right(pa[i]) && right(r);
		}
	}
	onlya = json_array_size(ra) - both, onlyb = json_array_size(rb) - both;
	fprintf(f, "\nrecords: %zu in both, %zu only in A, %zu only in B\n", both, onlya, onlyb);
	fprintf(f, "flipped: %zu right -> wrong, %zu wrong -> right\n", nrw, nwr);
	if (nrw > 0) {
		fputs("\nright -> wrong (id: label, pred A -> pred B)\n", f);
		json_array_foreach(rb, i, r)
			if (pa[i] && right(pa[i]) && !right(r))
				flip_line(f, pa[i], r);
	}
	if (nwr > 0) {
		fputs("\nwrong -> right (id: label, pred A -> pred B)\n", f);
		json_array_foreach(rb, i, r)
			if (pa[i] && !right(pa[i]) && right(r))
				flip_line(f, pa[i], r);
	}
	free(pa);
	g_hash_table_destroy(h);
	return 0;
}

int
tl_history_compare(FILE *f, const char *pa, const char *pb, struct tl_err *err)
{
	json_t *a = load_eval(pa, err), *b = a ? load_eval(pb, err) : NULL;
	const char *da, *db;
	int rc;

	if (b == NULL) {
		json_decref(a);
		return -1;
	}
	fprintf(f, "A         %s (%s)\nB         %s (%s)\n", pa, jstr(a, "date"), pb, jstr(b, "date"));
	fprintf(f, "model     %s%s%s\n", jstr(a, "model"),
	        strcmp(jstr(a, "model"), jstr(b, "model")) ? " -> " : " (same)",
	        strcmp(jstr(a, "model"), jstr(b, "model")) ? jstr(b, "model") : "");
	da = jstr(a, "dataset_sha256"), db = jstr(b, "dataset_sha256");
	if (strcmp(da, db) == 0)
		fprintf(f, "dataset   same (%.16s)\n", da);
	else
		fprintf(f, "dataset   different (%.16s -> %.16s)\n", da, db);
	metrics_diff(f, a, b);
	class_diff(f, a, b);
	rc = flips(f, a, b, err);
	json_decref(a);
	json_decref(b);
	return rc;
}

/* ---- tl-report --methods ----------------------------------------------- */

static double
metric_field(json_t *j, const char *metric, const char *field)
{
	json_t *v = json_object_get(json_object_get(json_object_get(j, "metrics"), metric), field);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* a number of seconds: digits, '.', no sign, nothing after */
static int
seconds(const char *s, double *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	*v = strtod(s, &end);
	return *end == '\0' && isfinite(*v) ? 0 : -1;
}

int
tl_history_methods(const char *list, struct tl_history_method *rows, int *n, struct tl_err *err)
{
	size_t len = 0;
	char *buf = slurp(list, &len, err), *save = NULL, *line;
	int lineno = 0, rc = 0;

	*n = 0;
	if (buf == NULL)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line && rc == 0; line = strtok_r(NULL, "\n", &save)) {
		char *f[6], *s2 = NULL;
		int nf = 0;
		struct tl_history_method *r = &rows[*n];
		json_t *j;

		lineno++; /* strtok_r skips empty lines: their number is not counted */
		for (char *p = strtok_r(line, "\t", &s2); p && nf < 6; p = strtok_r(NULL, "\t", &s2))
			f[nf++] = p;
		if (nf != 5 || seconds(f[3], &r->prepare) < 0 || seconds(f[4], &r->train) < 0) {
			rc = tl_err_set(err, "%s:%d: want NAME, SPLIT, REPORT.json, PREPARE and TRAIN "
			    "seconds separated by tabs", list, lineno);
			break;
		}
		if (*n == TL_HISTORY_MAXMETHODS) {
			rc = tl_err_set(err, "%s: more than %d methods", list, TL_HISTORY_MAXMETHODS);
			break;
		}
		if ((j = load_eval(f[2], err)) == NULL) {
			rc = -1;
			break;
		}
		snprintf(r->name, sizeof r->name, "%s", f[0]);
		snprintf(r->split, sizeof r->split, "%s", f[1]);
		snprintf(r->backbone, sizeof r->backbone, "%s", jstr(j, "backbone"));
		{
			json_t *e = json_object_get(json_object_get(j, "counts"), "evaluated");
			r->n = json_is_integer(e) ? (long long)json_integer_value(e) : 0;
		}
		r->acc = metric_field(j, "accuracy", "value");
		r->lo = metric_field(j, "accuracy", "lo");
		r->hi = metric_field(j, "accuracy", "hi");
		r->logloss = metric_field(j, "log_loss", "value");
		r->majority = metric_field(j, "baseline", "value");
		json_decref(j);
		(*n)++;
	}
	if (rc == 0 && *n == 0)
		rc = tl_err_set(err, "%s: no methods", list);
	free(buf);
	return rc;
}

void
tl_history_methods_text(FILE *f, const struct tl_history_method *r, int n)
{
	fprintf(f, "%-16s %-5s %6s %8s  %-16s %8s %9s %8s\n", "method", "split", "n", "accuracy",
	    "95% interval", "log loss", "prepare s", "train s");
	for (int i = 0; i < n; i++) {
		char ci[40] = "-";
		if (!isnan(r[i].lo) && !isnan(r[i].hi))
			snprintf(ci, sizeof ci, "[%.4f, %.4f]", r[i].lo, r[i].hi);
		fprintf(f, "%-16s %-5s %6lld %8.4f  %-16s %8.4f %9.1f %8.1f\n", r[i].name, r[i].split,
		    r[i].n, r[i].acc, ci, r[i].logloss, r[i].prepare, r[i].train);
	}
}
