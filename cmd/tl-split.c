/*
 * tl-split - assigns every labelled record to train, val or test (or to a
 * k-fold), stratified by label, stable as the dataset grows, with duplicates
 * and near-duplicates kept in one split (tl-split(1)).  Options and wiring
 * only: the assignment is lib/data/split.c, the groups lib/data/dups.c.  Reads the
 * whole input before writing: it holds every record in memory.
 */
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/afile.h"
#include "data/split.h"
#include "stream/stream.h"

#define PRODUCER "tl-split " TL_VERSION
/* Near-duplicate phash distance, bits.  On the 395 hymenoptera JPEGs: distinct
 * photos >= 14 apart (77815 pairs); re-encoded, half-size and thumbnail copies
 * <= 6; 5% crops median 6, 390/395 <= 10; 10% crops median 10 (tl-split(1)). */
#define DUP_DISTANCE 10

static const char usage[] =
	"tl-split [--ratio R | --train F --val F --test F | --folds K --fold I [--test F]]\n"
	"       [--exact] [--seed N] [--dup-distance N] [--dups FILE] [--min-count N\n"
	"       [--holdout-small]] [--ignore-label L]... [--resplit] [-o split=FILE]...\n"
	"       [--max-bad N[%]] [--strict] [file ...]";

static const char help[] =
	"Reads a whole tl stream and writes it back in order with \"split\" set to train,\n"
	"val or test on every labelled record, stratified by label, a pure function of\n"
	"(id or group, seed); duplicates (same sha256, phash within --dup-distance bits,\n"
	"same \"group\") go to one split.  A record that comes with a split (train, val,\n"
	"test: from tl-ingest's split folders) keeps it.  A summary table goes to stderr.\n\n"
	"  -r, --ratio R          train:val[:test] (default 70:15:15; 80:20 is train:val)\n"
	"      --train F, --val F, --test F   the same as fractions (summing to 1)\n"
	"      --folds K          k-fold: records fall into K folds (and --test F)\n"
	"      --fold I           ... fold I (0..K-1) is val, the others train\n"
	"      --exact            cut by rank per class: counts within 1 of the ratio\n"
	"                         (some records move when the dataset changes)\n"
	"      --seed N           the hash seed (default 0)\n"
	"      --dup-distance N   phash bits for near-duplicates (default 10; -1: off)\n"
	"      --dups FILE        write the duplicate pairs {id, other, distance} to FILE\n"
	"      --min-count N      drop classes with fewer than N records\n"
	"      --holdout-small    ... put them in split \"holdout\" instead\n"
	"      --ignore-label L   pass records labelled L through without a split\n"
	"      --resplit          assign records that came with a split again\n"
	"  -o, --output S=FILE    also write split S (train, val, test, holdout) to FILE;\n"
	"                         with -o and a terminal on stdout, no stdout stream\n"
	"      --max-bad N[%]     exit 0 with up to N (or N%) bad records\n"
	"      --strict           stop at the first bad record\n"
	"  -h, --help             this help\n"
	"  -V, --version          the version\n";

struct opts {
	struct tl_split_opts sp;
	struct tl_bad bad;
	const char *out[TL_SPLIT_HOLDOUT + 1]; /* -o file per split, or NULL */
	const char *dups;
	int to_stdout;
	char **ignore; /* points into argv */
};

/* Fractions from --train/--val/--test (given[k] set for those given): one
 * left out takes the rest, more left out are 0, and they must sum to 1. */
static void
fractions(struct opts *o, const int *given)
{
	int missing = 3 - given[0] - given[1] - given[2];
	double sum = 0;

	for (int k = 0; k < 3; k++)
		sum += given[k] ? o->sp.frac[k] : 0;
	for (int k = 0; k < 3; k++)
		if (!given[k])
			o->sp.frac[k] = missing == 1 && sum < 1 ? 1 - sum : 0;
	sum = o->sp.frac[0] + o->sp.frac[1] + o->sp.frac[2];
	if (sum < 1 - 1e-9 || sum > 1 + 1e-9)
		tl_cli_usage_error(usage, "--train, --val and --test add up to %.9g, not 1", sum);
}

static void
output_opt(struct opts *o, char *arg)
{
	char *eq = strchr(arg, '=');
	int k;

	for (k = 0; k <= TL_SPLIT_HOLDOUT; k++)
		if (eq && strncmp(arg, tl_split_name(k), eq - arg) == 0 &&
		    tl_split_name(k)[eq - arg] == '\0')
			break;
	if (k > TL_SPLIT_HOLDOUT || eq[1] == '\0')
		tl_cli_usage_error(usage, "-o: '%s' is not train=FILE, val=, test= or holdout=", arg);
	if (o->out[k])
		tl_cli_usage_error(usage, "-o: %s given twice", tl_split_name(k));
	o->out[k] = eq + 1;
}

static void
parse(int argc, char **argv, struct opts *o)
{
	enum { TRAIN = 256, VAL, TEST, FOLDS, FOLD, EXACT, SEED, DUPDIST, DUPS, MINCOUNT,
	       HOLDOUT, IGNORE, MAXBAD, STRICT, RESPLIT };
	static const struct option lo[] = {
		{ "ratio", required_argument, NULL, 'r' }, { "train", required_argument, NULL, TRAIN },
		{ "val", required_argument, NULL, VAL }, { "test", required_argument, NULL, TEST },
		{ "folds", required_argument, NULL, FOLDS }, { "fold", required_argument, NULL, FOLD },
		{ "exact", no_argument, NULL, EXACT }, { "seed", required_argument, NULL, SEED },
		{ "dup-distance", required_argument, NULL, DUPDIST },
		{ "dups", required_argument, NULL, DUPS },
		{ "min-count", required_argument, NULL, MINCOUNT },
		{ "holdout-small", no_argument, NULL, HOLDOUT },
		{ "ignore-label", required_argument, NULL, IGNORE },
		{ "resplit", no_argument, NULL, RESPLIT },
		{ "output", required_argument, NULL, 'o' },
		{ "max-bad", required_argument, NULL, MAXBAD }, { "strict", no_argument, NULL, STRICT },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 } };
	static const char *fracopt[] = { "--train", "--val", "--test" };
	int c, given[3] = { 0 }, ratio = 0, fold = -1, nout = 0;
	struct tl_err err;

	memset(o, 0, sizeof *o);
	tl_bad_init(&o->bad);
	o->sp.dup_distance = DUP_DISTANCE;
	if ((o->ignore = calloc(argc, sizeof *o->ignore)) == NULL)
		tl_die(TL_EXIT_DATA, "out of memory");
	o->sp.ignore = o->ignore;
	while ((c = getopt_long(argc, argv, "r:o:hV", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (tl_split_parse_ratio(optarg, o->sp.frac, &err) < 0)
				tl_cli_usage_error(usage, "--ratio: %s", err.msg);
			ratio = 1;
			break;
		case TRAIN: case VAL: case TEST:
			o->sp.frac[c - TRAIN] = tl_opt_double(usage, fracopt[c - TRAIN], optarg, 0, 1);
			given[c - TRAIN] = 1;
			break;
		case FOLDS: o->sp.folds = (int)tl_opt_int(usage, "--folds", optarg, 2, 64); break;
		case FOLD: fold = (int)tl_opt_int(usage, "--fold", optarg, 0, 63); break;
		case EXACT: o->sp.exact = 1; break;
		case SEED: o->sp.seed = (uint64_t)tl_opt_int(usage, "--seed", optarg, 0, LLONG_MAX); break;
		case DUPDIST: o->sp.dup_distance = (int)tl_opt_int(usage, "--dup-distance", optarg, -1, 64); break;
		case DUPS: o->dups = optarg; break;
		case MINCOUNT: o->sp.min_count = tl_opt_int(usage, "--min-count", optarg, 0, LLONG_MAX); break;
		case HOLDOUT: o->sp.holdout_small = 1; break;
		case IGNORE: o->ignore[o->sp.nignore++] = optarg; break;
		case RESPLIT: o->sp.resplit = 1; break;
		case 'o': output_opt(o, optarg); nout++; break;
		case MAXBAD: tl_bad_opt(&o->bad, usage, optarg); break;
		case STRICT: o->bad.strict = 1; break;
		default: tl_cli_opt(c, usage, help);
		}
	}
	if (o->sp.folds > 0) {
		if (ratio || given[0] || given[1])
			tl_cli_usage_error(usage, "--folds takes --test only, not --ratio, --train or --val");
		if (fold < 0 || fold >= o->sp.folds)
			tl_cli_usage_error(usage, "--folds %d needs --fold 0 to %d", o->sp.folds, o->sp.folds - 1);
		if (o->sp.frac[2] >= 1)
			tl_cli_usage_error(usage, "--test: must be under 1 with --folds");
		o->sp.fold = fold;
	} else if (fold >= 0) {
		tl_cli_usage_error(usage, "--fold needs --folds");
	} else if (ratio && (given[0] || given[1] || given[2])) {
		tl_cli_usage_error(usage, "give --ratio or --train/--val/--test, not both");
	} else if (given[0] || given[1] || given[2]) {
		fractions(o, given);
	} else if (!ratio) {
		o->sp.frac[0] = 0.70, o->sp.frac[1] = 0.15, o->sp.frac[2] = 0.15;
	}
	if (o->sp.holdout_small && o->sp.min_count == 0)
		tl_cli_usage_error(usage, "--holdout-small needs --min-count");
	o->to_stdout = nout == 0 || !isatty(STDOUT_FILENO);
	if (o->to_stdout && isatty(STDOUT_FILENO))
		tl_die(TL_EXIT_USAGE, "refusing to write a binary stream to a terminal "
		       "(redirect it, or write the splits with -o)");
}

/* Reads every record into s; bad ones are reported and dropped. */
static void
read_all(struct tl_reader *r, struct tl_split *s, struct tl_bad *bad)
{
	struct tl_rec *rec = NULL;
	struct tl_err err;
	int rc;

	for (;;) {
		if (rec == NULL && (rec = tl_rec_new()) == NULL)
			tl_die(TL_EXIT_DATA, "out of memory");
		if ((rc = tl_reader_next(r, rec, &err)) == 0)
			break;
		if (rc == TL_STOP)
			tl_die(TL_EXIT_DATA, "%s", err.msg);
		bad->seen++;
		if ((rc = tl_split_add(s, rec, &err)) == TL_OK) {
			rec = NULL; /* s owns it */
			continue;
		}
		if (rc == TL_NOMEM)
			tl_die(TL_EXIT_DATA, "%s", err.msg);
		tl_bad_rec(bad, rec, err.msg);
	}
	tl_rec_free(rec);
}

/* The stderr report: classes cut by --min-count, groups, the table. */
static void
report(const struct tl_split *s, const struct opts *o)
{
	long long unl, ign, ng, nm, kept, straddling;
	const char *p = "tl-split: ";

	for (size_t c = 0; c < tl_split_nclasses(s); c++) {
		const struct tl_split_class *cl = tl_split_class(s, c);
		if (cl->total < o->sp.min_count)
			tl_warn("class %s: %lld record%s, fewer than --min-count %lld: %s", cl->label,
			        cl->total, cl->total == 1 ? "" : "s", o->sp.min_count,
			        o->sp.holdout_small ? "split holdout" : "dropped");
	}
	tl_split_ngroups(s, &ng, &nm);
	tl_split_passed(s, &unl, &ign);
	tl_warn("%lld duplicate group%s (%lld records) kept together", ng, ng == 1 ? "" : "s", nm);
	tl_split_write_groups(s, stderr, p, 20);
	tl_split_kept(s, &kept, &straddling);
	if (kept > 0)
		tl_warn("%lld record%s keep the split they came with; --resplit to assign again",
		        kept, kept == 1 ? "" : "s");
	if (straddling > 0) {
		tl_warn("%lld duplicate group%s came with different splits", straddling,
		        straddling == 1 ? "" : "s");
		tl_split_write_straddling(s, stderr, p, 20);
	}
	tl_split_write_table(s, stderr, p);
	if (unl > 0 || ign > 0)
		tl_warn("%lld unlabelled and %lld ignored records passed through without a split",
		        unl, ign);
}

struct pairs {
	struct tl_writer *w;
	struct tl_rec *rec; /* reused for every pair */
	struct tl_err err;
};

/* Writes one pair (tl_split_pairs' fn): TL_OK, TL_NOMEM, or TL_STOP when
 * the file cannot be written. */
static int
put_pair(void *ctx, const char *id, const char *other, int distance)
{
	struct pairs *p = ctx;

	tl_rec_clear(p->rec);
	if (tl_rec_set_str(p->rec, "id", id) < 0 || tl_rec_set_str(p->rec, "other", other) < 0 ||
	    tl_rec_set_u64(p->rec, "distance", (uint64_t)distance) < 0)
		return tl_err_set(&p->err, "out of memory"), TL_NOMEM;
	return tl_writer_put(p->w, p->rec, &p->err) < 0 ? TL_STOP : TL_OK;
}

/* --dups FILE: the duplicate pairs as a stream of {id, other, distance}. */
static void
write_dups(const struct tl_split *s, const char *path, const struct tl_rec *h)
{
	struct pairs p = { 0 };
	struct tl_afile *a;

	if ((a = tl_afile_open(path, &p.err)) == NULL)
		tl_die(TL_EXIT_DATA, "%s", p.err.msg);
	if ((p.rec = tl_rec_new()) == NULL ||
	    (p.w = tl_writer_open(tl_afile_fp(a), path, h, &p.err)) == NULL ||
	    tl_split_pairs(s, put_pair, &p) < 0) {
		tl_writer_abort(p.w);
		tl_afile_abort(a);
		tl_die(TL_EXIT_DATA, "%s", p.rec ? p.err.msg : "out of memory");
	}
	tl_rec_free(p.rec);
	if (tl_writer_close(p.w, &p.err) < 0 || tl_afile_commit(a, &p.err) < 0) {
		tl_afile_abort(a);
		tl_die(TL_EXIT_DATA, "%s", p.err.msg);
	}
}

/* Header h's expected counts (stream.h) for the records of bin b, or of
 * every bin but the dropped one with TL_SPLIT_NBINS: exact here, the set is
 * whole. */
static void
set_expect(const struct tl_split *s, int b, struct tl_rec *h)
{
	long long n = 0, train = 0;
	enum tl_split_bin rb;

	for (size_t i = 0; i < tl_split_count(s); i++) {
		struct tl_rec *rec = tl_split_rec(s, i, &rb);
		if (b == TL_SPLIT_NBINS ? rb == TL_SPLIT_DROPPED : (int)rb != b)
			continue;
		n++;
		train += tl_obj_is_str(tl_rec_get(rec, "split"), "train");
	}
	if (tl_header_set_expect(h, TL_HEADER_EXPECT, n) < 0 ||
	    tl_header_set_expect(h, TL_HEADER_EXPECT_TRAIN, train) < 0)
		tl_die(TL_EXIT_DATA, "out of memory");
}

/* The -o files: written whole, and renamed into place only when all of
 * them were. */
static void
write_files(const struct tl_split *s, const struct opts *o, struct tl_rec *h)
{
	struct tl_afile *a[TL_SPLIT_HOLDOUT + 1] = { 0 };
	struct tl_writer *w[TL_SPLIT_HOLDOUT + 1] = { 0 };
	enum tl_split_bin b;
	struct tl_err err;
	int k, bad = 0;

	for (k = 0; k <= TL_SPLIT_HOLDOUT && !bad; k++) {
		if (o->out[k] == NULL)
			continue;
		set_expect(s, k, h);
		if ((a[k] = tl_afile_open(o->out[k], &err)) == NULL ||
		    (w[k] = tl_writer_open(tl_afile_fp(a[k]), o->out[k], h, &err)) == NULL)
			bad = 1;
	}
	for (size_t i = 0; i < tl_split_count(s) && !bad; i++) {
		struct tl_rec *rec = tl_split_rec(s, i, &b);
		if (b <= TL_SPLIT_HOLDOUT && w[b] && tl_writer_put(w[b], rec, &err) < 0)
			bad = 1;
	}
	for (k = 0; k <= TL_SPLIT_HOLDOUT; k++)
		if (bad)
			tl_writer_abort(w[k]);
		else if (w[k] && tl_writer_close(w[k], &err) < 0)
			bad = 1;
	for (k = 0; k <= TL_SPLIT_HOLDOUT; k++)
		if (bad)
			tl_afile_abort(a[k]);
		else if (a[k] && tl_afile_commit(a[k], &err) < 0)
			bad = 1;
	if (bad)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
}

/* The annotated stream on stdout: every record but the dropped ones. */
static void
write_stdout(const struct tl_split *s, struct tl_rec *h)
{
	struct tl_writer *w;
	enum tl_split_bin b;
	struct tl_err err;

	set_expect(s, TL_SPLIT_NBINS, h);
	if ((w = tl_writer_open(stdout, "stdout", h, &err)) == NULL)
		tl_cli_write_failed(&err);
	for (size_t i = 0; i < tl_split_count(s); i++) {
		struct tl_rec *rec = tl_split_rec(s, i, &b);
		if (b != TL_SPLIT_DROPPED && tl_writer_put(w, rec, &err) < 0)
			tl_cli_write_failed(&err);
	}
	if (tl_writer_close(w, &err) < 0)
		tl_cli_write_failed(&err);
	tl_cli_close_stdout();
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct tl_reader *r;
	struct tl_split *s;
	struct tl_rec *h, *dh;
	struct tl_err err;

	tl_cli_init(argv[0]);
	parse(argc, argv, &o);
	if ((r = tl_reader_open(argv + optind, argc - optind, &err)) == NULL)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	if ((s = tl_split_new(&o.sp)) == NULL || (h = tl_rec_new()) == NULL ||
	    (dh = tl_rec_new()) == NULL)
		tl_die(TL_EXIT_DATA, "out of memory");
	read_all(r, s, &o.bad);
	if (tl_split_run(s, &err) < 0 || tl_header_init(h, PRODUCER, tl_reader_header(r)) < 0 ||
	    tl_split_header(&o.sp, h) < 0 || tl_header_init(dh, PRODUCER, NULL) < 0)
		tl_die(TL_EXIT_DATA, "out of memory");
	report(s, &o);
	if (o.dups)
		write_dups(s, o.dups, dh);
	write_files(s, &o, h);
	if (o.to_stdout)
		write_stdout(s, h);
	tl_warn("%lld read, %lld skipped", o.bad.seen, o.bad.bad);
	tl_reader_close(r);
	tl_split_free(s);
	tl_rec_free(h);
	tl_rec_free(dh);
	free(o.ignore);
	return tl_bad_status(&o.bad);
}
