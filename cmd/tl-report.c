/*
 * tl-report - how good a classifier's verdicts are (tl-report(1)): metrics
 * with 95% intervals as text or JSON, --assert gates, a history file and
 * --compare, a summary of the predictions for verdicts without labels,
 * class coverage for a stream without verdicts, and --usage for
 * the bulk-identification log.  Options and wiring only: the metrics are
 * lib/report/metrics.c, the rendering lib/report/report.c, history and compare
 * lib/report/history.c, the log lib/report/usage.c, the --html page lib/report/html.c.  Reads
 * the whole input before
 * reporting: it holds id, label, verdict, confidence, OOD score and the K
 * probabilities of every record (with --html, also the images of the
 * --show largest losses so far).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <glib.h>

#include "bulk/bulk.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "report/history.h"
#include "report/html.h"
#include "report/metrics.h"
#include "report/report.h"
#include "report/usage.h"
#include "stream/stream.h"

#define MAX_ASSERT 256

static const char usage[] =
	"tl-report [--json] [--ood-label L] [--top-k K] [--bins N] [--bootstrap N]\n"
	"       [--seed N] [--show N] [--history FILE] [--html FILE] [--assert COND]...\n"
	"       [--coverage] [--min-count N] [--max-bad N[%]] [--strict] [file ...]\n"
	"       tl-report --compare A.json B.json\n"
	"       tl-report --methods LIST [--title T] [--html FILE]\n"
	"       tl-report --usage LOG [--html FILE] [--max-bad N[%]] [--strict]";

static const char help[] =
	"Reads a whole stream of labelled records with verdicts (tl-classify output:\n"
	"label, prob and/or pred, conf, ood) and reports accuracy (\"unknown\" counts as\n"
	"wrong), coverage, accuracy on accepted, balanced accuracy, macro and weighted\n"
	"F1, log loss, top-k accuracy, ECE, per-class precision/recall/F1, the\n"
	"confusion matrix, reliability table, accuracy by confidence, the most confused\n"
	"pairs and top losses, each headline metric with a 95% interval (Wilson or\n"
	"bootstrap) and the majority-class baseline; each \"unknown\" says why\n"
	"(ood, low confidence).  Verdicts without labels: a summary of the\n"
	"predictions (counts per class, unknowns by reason, confidence quantiles,\n"
	"the records to review first).  Without any verdict in the stream: class\n"
	"coverage (counts per class against --min-count).\n\n"
	"      --json             JSON instead of text (with the per-record list)\n"
	"      --ood-label L      records labelled L are out-of-distribution: AUROC of ood\n"
	"      --top-k K          k of top-k accuracy (3)\n"
	"      --bins N           ECE and reliability bins (15)\n"
	"      --bootstrap N      bootstrap replicates (1000; 0: none)\n"
	"      --seed N           bootstrap seed (0)\n"
	"      --show N           confused pairs and top losses shown (10)\n"
	"      --history FILE     append this evaluation to FILE (JSON Lines)\n"
	"      --html FILE        also write the report as one HTML page with charts\n"
	"      --assert COND      e.g. 'accuracy>=0.93', 'recall[bees]>=0.9': exit 3 if false\n"
	"      --coverage         class coverage even when records carry verdicts\n"
	"      --min-count N      class coverage: the count a class should reach (100)\n"
	"      --compare A B      what changed between two --json evaluations\n"
	"      --methods LIST     a table of several methods' --json evaluations, LIST's\n"
	"                         lines: NAME, SPLIT, REPORT.json, PREPARE and TRAIN seconds\n"
	"                         separated by tabs (pipelines/compare.mk writes it)\n"
	"      --title T          --methods: the HTML page's title (\"methods compared\")\n"
	"      --usage LOG        summarise a bulk-identification log (JSON Lines)\n"
	"      --max-bad N[%]     exit 0 with up to N (or N%) bad records\n"
	"      --strict           stop at the first bad record\n"
	"  -h, --help             this help\n"
	"  -V, --version          the version\n";

struct opts {
	struct tl_eval_opts ev;
	struct tl_bad bad;
	const char *ood_label, *history, *compare[2], *usage_log, *html, *methods, *title;
	struct tl_assert asserts[MAX_ASSERT];
	int nassert, json, coverage;
	long long min_count;
};

static void
parse(int argc, char **argv, struct opts *o)
{
	enum { JSON = 256, OOD, TOPK, BINS, BOOT, SEED, SHOW, HIST, ASSERT, COVER, MINCOUNT,
	       COMPARE, USAGE, MAXBAD, STRICT, HTML, METHODS, TITLE };
	static const struct option lo[] = {
		{ "json", no_argument, NULL, JSON }, { "ood-label", required_argument, NULL, OOD },
		{ "top-k", required_argument, NULL, TOPK }, { "bins", required_argument, NULL, BINS },
		{ "bootstrap", required_argument, NULL, BOOT }, { "seed", required_argument, NULL, SEED },
		{ "show", required_argument, NULL, SHOW }, { "history", required_argument, NULL, HIST },
		{ "assert", required_argument, NULL, ASSERT }, { "coverage", no_argument, NULL, COVER },
		{ "min-count", required_argument, NULL, MINCOUNT },
		{ "compare", required_argument, NULL, COMPARE }, { "usage", required_argument, NULL, USAGE },
		{ "max-bad", required_argument, NULL, MAXBAD }, { "strict", no_argument, NULL, STRICT },
		{ "html", required_argument, NULL, HTML },
		{ "methods", required_argument, NULL, METHODS }, { "title", required_argument, NULL, TITLE },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 } };
	struct tl_err err;
	int c, other = 0;

	memset(o, 0, sizeof *o);
	tl_eval_defaults(&o->ev);
	tl_bad_init(&o->bad);
	o->min_count = 100;
	while ((c = getopt_long(argc, argv, "hV", lo, NULL)) != -1) {
		switch (c) {
		case JSON: o->json = 1, other = 1; break;
		case OOD: o->ood_label = optarg, other = 1; break;
		case TOPK: o->ev.top_k = (int)tl_opt_int(usage, "--top-k", optarg, 1, TL_EVAL_MAXCLASS), other = 1; break;
		case BINS: o->ev.bins = (int)tl_opt_int(usage, "--bins", optarg, 1, 1000), other = 1; break;
		case BOOT: o->ev.boot = (int)tl_opt_int(usage, "--bootstrap", optarg, 0, 1000000), other = 1; break;
		case SEED: o->ev.seed = (uint64_t)tl_opt_int(usage, "--seed", optarg, 0, LLONG_MAX), other = 1; break;
		case SHOW: o->ev.nshow = (int)tl_opt_int(usage, "--show", optarg, 0, 1000000), other = 1; break;
		case HIST: o->history = optarg, other = 1; break;
		case ASSERT:
			if (o->nassert == MAX_ASSERT)
				tl_cli_usage_error(usage, "--assert: at most %d", MAX_ASSERT);
			if (tl_assert_parse(optarg, &o->asserts[o->nassert++], &err) < 0)
				tl_cli_usage_error(usage, "--assert: %s", err.msg);
			other = 1;
			break;
		case COVER: o->coverage = 1, other = 1; break;
		case MINCOUNT: o->min_count = tl_opt_int(usage, "--min-count", optarg, 0, LLONG_MAX), other = 1; break;
		case COMPARE: o->compare[0] = optarg; break;
		case USAGE: o->usage_log = optarg; break;
		case MAXBAD: tl_bad_opt(&o->bad, usage, optarg); break;
		case STRICT: o->bad.strict = 1; break;
		case HTML: o->html = optarg; break;
		case METHODS: o->methods = optarg; break;
		case TITLE: o->title = optarg; break;
		default: tl_cli_opt(c, usage, help);
		}
	}
	if (o->methods && (o->compare[0] || o->usage_log || other || optind != argc ||
	    o->bad.strict || o->bad.max_bad >= 0 || o->bad.max_bad_frac >= 0))
		tl_cli_usage_error(usage, "--methods takes the list alone (and --title, --html)");
	if (o->title && !o->methods)
		tl_cli_usage_error(usage, "--title goes with --methods");
	if (o->compare[0] && o->usage_log)
		tl_cli_usage_error(usage, "give --compare or --usage, not both");
	if (o->compare[0]) {
		if (optind != argc - 1 || other || o->html)
			tl_cli_usage_error(usage, "--compare takes two files: --compare A.json B.json");
		o->compare[1] = argv[optind];
	} else if (o->usage_log && (optind != argc || other)) {
		tl_cli_usage_error(usage, "--usage takes the log alone");
	}
}

/* A string of a map in the header: h[outer][inner], or "". */
static const char *
header_str(const struct tl_rec *h, const char *outer, const char *inner, char *buf, size_t n)
{
	const msgpack_object *m = tl_rec_get(h, outer), *v;

	buf[0] = '\0';
	if (m && m->type == MSGPACK_OBJECT_MAP && (v = tl_obj_get(m, inner)) != NULL &&
	    v->type == MSGPACK_OBJECT_STR)
		snprintf(buf, n, "%.*s", (int)v->via.str.size, v->via.str.ptr);
	return buf;
}

/* The set for the header's classes (in the order of prob). */
static struct tl_evalset *
new_set(const struct tl_rec *h, const char *ood_label)
{
	const msgpack_object *cl = tl_rec_get(h, "classes");
	const char **names = NULL;
	struct tl_evalset *s;
	int k = 0;

	if (cl && cl->type == MSGPACK_OBJECT_ARRAY) {
		if (cl->via.array.size > TL_EVAL_MAXCLASS)
			tl_die(TL_EXIT_DATA, "the header holds %u classes, more than %d",
			       cl->via.array.size, TL_EVAL_MAXCLASS);
		if ((names = calloc(cl->via.array.size + 1, sizeof *names)) == NULL)
			tl_die(TL_EXIT_DATA, "out of memory");
		for (uint32_t i = 0; i < cl->via.array.size; i++) {
			const msgpack_object *v = &cl->via.array.ptr[i];
			char *s;
			if (v->type != MSGPACK_OBJECT_STR)
				tl_die(TL_EXIT_DATA, "the header's classes are not all strings");
			if ((s = strndup(v->via.str.ptr, v->via.str.size)) == NULL)
				tl_die(TL_EXIT_DATA, "out of memory");
			names[k++] = s;
		}
	}
	if ((s = tl_evalset_new(names, k, ood_label)) == NULL)
		tl_die(TL_EXIT_DATA, "out of memory");
	for (int i = 0; i < k; i++)
		free((char *)names[i]);
	free(names);
	return s;
}

/* What the data is called: the folders (or archives) tl-ingest read, the
 * first NAMES_MAX, as the records' src less their id say; a folder named as
 * a split (val, ...) with its parent, "hymenoptera/val". */
#define NAMES_MAX 3
struct names {
	char name[NAMES_MAX][256];
	int n, more;
};

static void
add_name(struct names *nm, const struct tl_rec *rec)
{
	static const char *const splits[] = { "train", "val", "valid", "validation", "test" };
	const msgpack_object *id = tl_rec_get(rec, "id"), *src = tl_rec_get(rec, "src");
	char root[4096], *base, *up;
	size_t ni, ns;

	if (!id || !src || id->type != MSGPACK_OBJECT_STR || src->type != MSGPACK_OBJECT_STR)
		return;
	ni = id->via.str.size, ns = src->via.str.size;
	/* ROOT/ID from a folder, ARCHIVE!ID from an archive */
	if (ni == 0 || ns < ni + 2 || ns - ni > sizeof root ||
	    memcmp(src->via.str.ptr + ns - ni, id->via.str.ptr, ni) != 0 ||
	    (src->via.str.ptr[ns - ni - 1] != '/' && src->via.str.ptr[ns - ni - 1] != '!'))
		return;
	snprintf(root, sizeof root, "%.*s", (int)(ns - ni - 1), src->via.str.ptr);
	while (strlen(root) > 1 && root[strlen(root) - 1] == '/')
		root[strlen(root) - 1] = '\0';
	base = strrchr(root, '/') ? strrchr(root, '/') + 1 : root;
	for (size_t i = 0; i < sizeof splits / sizeof *splits && base > root + 1; i++)
		if (strcasecmp(base, splits[i]) == 0) {
			for (up = base - 2; up > root && *up != '/'; up--)
				;
			base = *up == '/' ? up + 1 : up;
			break;
		}
	if (*base == '\0')
		return;
	for (int i = 0; i < nm->n; i++)
		if (strcmp(nm->name[i], base) == 0)
			return;
	if (nm->n == NAMES_MAX)
		nm->more = 1;
	else
		snprintf(nm->name[nm->n++], sizeof nm->name[0], "%s", base);
}

/* nm's names into buf, comma-separated; without any, the input files'
 * ("" for stdin). */
static void
names_text(const struct names *nm, char **files, int nfiles, char *buf, size_t n)
{
	int k = 0;

	buf[0] = '\0';
	for (int i = 0; i < nm->n; i++, k++)
		snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", k ? ", " : "", nm->name[i]);
	for (int i = 0; nm->n == 0 && i < nfiles; i++) {
		const char *b = strrchr(files[i], '/') ? strrchr(files[i], '/') + 1 : files[i];
		if (strcmp(files[i], "-") == 0 || *b == '\0')
			continue;
		if (k++ == NAMES_MAX) {
			snprintf(buf + strlen(buf), n - strlen(buf), ", ...");
			return;
		}
		snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", k > 1 ? ", " : "", b);
	}
	if (nm->more)
		snprintf(buf + strlen(buf), n - strlen(buf), ", ...");
}

/* Reads every record into s; bad ones are reported and dropped.  shots
 * (NULL: none) keeps the images of the largest losses; nm the names of the
 * folders read. */
static void
read_all(struct tl_reader *r, struct tl_evalset *s, struct tl_shots *shots, struct tl_bad *bad,
         struct names *nm)
{
	struct tl_rec *rec = tl_rec_new();
	struct tl_err err;
	int rc;

	if (rec == NULL)
		tl_die(TL_EXIT_DATA, "out of memory");
	while ((rc = tl_reader_next(r, rec, &err)) != 0) {
		if (rc < 0)
			tl_die(TL_EXIT_DATA, "%s", err.msg);
		bad->seen++;
		add_name(nm, rec);
		if ((rc = tl_evalset_add(s, rec, &err)) == TL_OK)
			rc = tl_shots_offer(shots, s, tl_evalset_count(s) - 1, rec);
		if (rc >= 0)
			continue;
		if (rc == TL_NOMEM)
			tl_die(TL_EXIT_DATA, "out of memory");
		tl_bad_rec(bad, rec, err.msg);
	}
	tl_rec_free(rec);
}

/* --usage DB: tl-bulk's database (bulk.h), its verdicts as the lines of
 * the shell script's log, then the accuracy its reviews give. */
static void
usage_db(const char *path, struct tl_usage *u, struct tl_bad *bad)
{
	struct tl_bulk *db;
	struct tl_bulk_acc a;
	struct tl_err err;
	const char *line;
	long long ln = 0;
	int rc;

	if ((db = tl_bulk_open(path, 1, &err)) == NULL || tl_bulk_lines(db, &err) < 0)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	while ((rc = tl_bulk_line(db, &line, &err)) == 1) {
		char where[64];
		ln++;
		bad->seen++;
		if ((rc = tl_usage_add(u, line, strlen(line), &err)) == TL_NOMEM)
			tl_die(TL_EXIT_DATA, "out of memory");
		if (rc < 0) {
			snprintf(where, sizeof where, "%s: verdict %lld", path, ln);
			tl_bad_record(bad, where, err.msg);
		}
	}
	if (rc < 0 || tl_bulk_accuracy(db, &err) < 0)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	while ((rc = tl_bulk_accuracy_next(db, &a, &err)) == 1)
		if (tl_usage_add_review(u, a.model, a.day, a.reviewed, a.accepted, a.correct) < 0)
			tl_die(TL_EXIT_DATA, "out of memory");
	if (rc < 0)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	tl_bulk_close(db);
}

/* --usage LOG: one line at a time into the tallies; a tl-bulk database
 * (or the state directory holding one) through usage_db. */
static int
usage_report(const struct opts *o)
{
	struct tl_bad bad = o->bad;
	struct tl_usage *u = tl_usage_new();
	char *dbpath = g_strdup_printf("%s/%s", o->usage_log, TL_BULK_DB);
	const char *name = o->usage_log;
	FILE *f = NULL;
	struct tl_err err;
	char *line = NULL, where[64];
	size_t cap = 0;
	ssize_t len;
	long long ln = 0;
	int rc;

	if (u == NULL)
		tl_die(TL_EXIT_DATA, "out of memory");
	if (tl_bulk_is_db(dbpath))
		name = dbpath;
	if (tl_bulk_is_db(name)) {
		usage_db(name, u, &bad);
		goto report;
	}
	if ((f = strcmp(o->usage_log, "-") == 0 ? stdin : fopen(o->usage_log, "r")) == NULL)
		tl_die(TL_EXIT_DATA, "%s: %s", o->usage_log, strerror(errno));
	while ((len = getline(&line, &cap, f)) >= 0) {
		ln++;
		if ((rc = tl_usage_add(u, line, (size_t)len, &err)) == 1)
			continue;
		bad.seen++;
		if (rc == TL_NOMEM)
			tl_die(TL_EXIT_DATA, "out of memory");
		if (rc < 0) {
			snprintf(where, sizeof where, "%s:%lld", o->usage_log, ln);
			tl_bad_record(&bad, where, err.msg);
		}
	}
	if (ferror(f))
		tl_die(TL_EXIT_DATA, "%s: read error", o->usage_log);
	if (f != stdin)
		fclose(f);
	free(line);
report:
	tl_usage_text(stdout, u, name, bad.bad);
	if (o->html && tl_html_usage(o->html, u, name, bad.bad, &err) < 0)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	tl_usage_free(u);
	g_free(dbpath);
	tl_cli_close_stdout();
	return tl_bad_status(&bad);
}

/* --history FILE: the evaluation (or the class coverage, or the summary of
 * predictions) as one JSON line, appended atomically. */
static void
append_history(const struct opts *o, const struct tl_report_meta *m, const struct tl_eval *ev,
               const struct tl_summary *sum, const struct tl_evalset *s)
{
	struct tl_err err;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		tl_die(TL_EXIT_DATA, "out of memory");
	if (ev)
		tl_report_json(f, m, ev, s, TL_REPORT_HISTORY);
	else if (sum)
		tl_report_predictions_json(f, m, sum, s);
	else
		tl_coverage_json(f, m, s, TL_REPORT_HISTORY);
	if (fclose(f) != 0)
		tl_die(TL_EXIT_DATA, "out of memory");
	if (tl_history_append(o->history, buf, len, &err) < 0)
		tl_die(TL_EXIT_DATA, "--history: %s", err.msg);
	free(buf);
}

/* The ISO date of the run: $SOURCE_DATE_EPOCH when set (reproducible runs);
 * a malformed one ends the run. */
static void
run_date(char buf[32])
{
	struct tl_err err;
	struct tm tm;
	time_t t;

	if (tl_clock_now(&t, &err) < 0)
		tl_die(TL_EXIT_USAGE, "%s", err.msg);
	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Checks every --assert; the failures go to stderr.  1 if all hold. */
static int
check(const struct opts *o, const struct tl_eval *ev, const struct tl_evalset *s)
{
	struct tl_err err;
	int ok = 1;

	for (int i = 0; i < o->nassert; i++)
		if (!tl_assert_check(&o->asserts[i], ev, s, o->min_count, &err)) {
			tl_warn("assertion failed: %s", err.msg);
			ok = 0;
		}
	return ok;
}

/* Every labelled record needs a verdict once the set has any: those
 * without count as bad. */
static void
want_verdicts(const struct tl_evalset *s, struct tl_bad *bad)
{
	for (size_t i = 0; i < tl_evalset_count(s); i++) {
		struct tl_eval_rec e;
		tl_evalset_record(s, i, &e);
		if (e.pred == -2)
			tl_bad_record(bad, e.id, "no pred and no prob");
	}
}

/* The report's header: model, backbone, date, dataset hash and name
 * (t->name, filled by names_text), counts. */
struct meta_text {
	char model[256], file[256], backbone[256], date[32], dataset[65], name[800];
};

static void
describe(struct tl_reader *r, const struct tl_evalset *s, const struct opts *o,
         struct tl_report_meta *m, struct meta_text *t)
{
	const struct tl_rec *h = tl_reader_header(r);

	run_date(t->date);
	tl_evalset_sha256(s, t->dataset);
	m->model = header_str(h, "classifier", "version", t->model, sizeof t->model);
	if (!*m->model)
		m->model = header_str(h, "classifier", "name", t->model, sizeof t->model);
	m->backbone = header_str(h, "model", "name", t->backbone, sizeof t->backbone);
	if (!*m->backbone) /* tl-classify on images: no emb, so no "model" */
		m->backbone = header_str(h, "classifier", "backbone", t->backbone, sizeof t->backbone);
	m->file = header_str(h, "classifier", "name", t->file, sizeof t->file);
	m->date = t->date, m->dataset = t->dataset, m->name = t->name, m->ood_label = o->ood_label;
	m->records = o->bad.seen, m->unlabelled = tl_evalset_unlabelled(s), m->bad = o->bad.bad;
	m->min_count = o->min_count;
}

/* A stream of verdicts without labels: what was predicted, text or JSON
 * (and --history, --html). */
static void
predictions(const struct opts *o, const struct tl_report_meta *m, const struct tl_evalset *s)
{
	struct tl_summary sum;
	struct tl_err err;

	if (tl_evalset_summary(s, o->ev.nshow < 5 ? o->ev.nshow : 5, &sum, &err) < 0)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	(o->json ? tl_report_predictions_json : tl_report_predictions_text)(stdout, m, &sum, s);
	if (o->history)
		append_history(o, m, NULL, &sum, s);
	if (o->html && tl_html_predictions(o->html, m, &sum, s, &err) < 0)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	tl_evalset_summary_free(&sum);
}

/* --methods: the table on stdout, and the page */
static int
methods_report(const struct opts *o)
{
	struct tl_history_method rows[TL_HISTORY_MAXMETHODS];
	struct tl_err err;
	int n;

	if (tl_history_methods(o->methods, rows, &n, &err) < 0)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	tl_history_methods_text(stdout, rows, n);
	if (o->html && tl_html_methods(o->html, o->title ? o->title : "methods compared", rows, n,
	    &err) < 0)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	tl_cli_close_stdout();
	return TL_EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct tl_reader *r;
	struct tl_evalset *s;
	struct tl_shots *shots = NULL;
	struct tl_eval ev;
	struct tl_report_meta m = { 0 };
	struct meta_text text;
	struct names names = { 0 };
	struct tl_err err;
	int ok, pred;

	tl_cli_init(argv[0]);
	parse(argc, argv, &o);
	if (o.compare[0]) {
		if (tl_history_compare(stdout, o.compare[0], o.compare[1], &err) < 0)
			tl_die(TL_EXIT_DATA, "%s", err.msg);
		tl_cli_close_stdout();
		return TL_EXIT_OK;
	}
	if (o.usage_log)
		return usage_report(&o);
	if (o.methods)
		return methods_report(&o);
	if ((r = tl_reader_open(argv + optind, argc - optind, &err)) == NULL)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	s = new_set(tl_reader_header(r), o.ood_label);
	if (o.html && (shots = tl_shots_new(o.ev.nshow, tl_reader_header(r))) == NULL)
		tl_die(TL_EXIT_DATA, "out of memory");
	read_all(r, s, shots, &o.bad, &names);
	names_text(&names, argv + optind, argc - optind, text.name, sizeof text.name);
	if (tl_evalset_finish(s, &err) < 0)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	/* labelled verdicts: evaluation; only unlabelled ones: what was
	 * predicted; no verdict at all: class coverage */
	pred = !o.coverage && !tl_evalset_has_verdicts(s) && tl_evalset_npredicted(s) > 0;
	o.coverage |= !tl_evalset_has_verdicts(s) && !pred;
	if (!o.coverage && !pred)
		want_verdicts(s, &o.bad);
	describe(r, s, &o, &m, &text);
	if (pred) {
		predictions(&o, &m, s);
	} else if (o.coverage) {
		(o.json ? tl_coverage_json(stdout, &m, s, TL_REPORT_RECORDS) : tl_coverage_text(stdout, &m, s));
	} else {
		if (tl_eval_run(s, &o.ev, &ev, &err) < 0)
			tl_die(TL_EXIT_DATA, "%s", err.msg);
		(o.json ? tl_report_json(stdout, &m, &ev, s, TL_REPORT_RECORDS) : tl_report_text(stdout, &m, &ev, s));
	}
	if (o.history && !pred)
		append_history(&o, &m, o.coverage ? NULL : &ev, NULL, s);
	if (o.html && !pred && (o.coverage ? tl_html_coverage(o.html, &m, s, &err)
	                                   : tl_html_report(o.html, &m, &ev, s, shots, o.history, &err)) < 0)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	ok = check(&o, o.coverage || pred ? NULL : &ev, s);
	tl_cli_close_stdout();
	if (o.bad.bad > 0 || o.bad.seen == 0)
		tl_warn("%lld read, %lld unlabelled, %lld bad", o.bad.seen, m.unlabelled, o.bad.bad);
	if (!o.coverage && !pred)
		tl_eval_free(&ev);
	tl_shots_free(shots);
	tl_evalset_free(s);
	tl_reader_close(r);
	if (tl_bad_status(&o.bad) != 0)
		return tl_bad_status(&o.bad);
	return ok ? TL_EXIT_OK : TL_EXIT_CHECK;
}
