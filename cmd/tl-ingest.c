/*
 * tl-ingest - directories, archives and file lists of images to a tl record
 * stream, one record per image (tl-ingest(1)).  Options and wiring only: the
 * sources are lib/data/walk.c, the records lib/data/ingest.c, the pixels lib/data/image.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "data/ingest.h"
#include "data/walk.h"
#include "stream/stream.h"

/* The largest image file read with --size (without it, TL_MAX_RECORD). */
#define TL_MAX_FILE ((size_t)1 << 30)

static const char usage[] =
	"tl-ingest [--strict] [--keep-duplicates] [--label L] [--size N [--crop centre | --fit]]\n"
	"       [--max-pixels N] [--max-bad N[%]] [--no-split-folders] [--set KEY=VALUE]... [--list FILE]...\n"
	"       [--shard K/N]\n"
	"       [source ...]";

static const char help[] =
	"Reads images from directories (label = first folder under the root; under a\n"
	"top folder train, val, valid, validation or test: split = that, label = the\n"
	"folder below), archives (tar, tar.gz, zip, 7z, ...) and file lists (--list\n"
	"FILE: path[TAB label] per line), and writes one record per image on stdout.  '-' is stdin: an archive, an\n"
	"image or a file list, told by its first bytes.  Records larger than\n"
	"TL_MAX_RECORD (default 1 GiB) are skipped as bad.\n\n"
	"  -l, --label L          label every image L\n"
	"  -s, --size N           decoded pixels 'pix' [N,N,3] instead of the file in 'img'\n"
	"      --crop centre      with --size: cover NxN and crop the middle (default)\n"
	"      --fit              with --size: fit inside NxN, keep the aspect ratio\n"
	"      --max-pixels N     refuse images declaring more pixels (default 100000000)\n"
	"      --keep-duplicates  keep exact duplicates (same sha256) instead of dropping\n"
	"      --no-split-folders top folders named train, val, ... are labels, not splits\n"
	"      --set KEY=VALUE    add the string field KEY to every record (repeatable;\n"
	"                         --set split=S wins over a split folder)\n"
	"      --list FILE        read a file list (repeatable)\n"
	"      --shard K/N        only the images of shard K of N (0 <= K < N), by a hash\n"
	"                         of the id: N runs together give every image once\n"
	"      --max-bad N[%]     exit 0 with up to N (or N%) bad images\n"
	"      --strict           stop at the first bad image\n"
	"  -h, --help             this help\n"
	"  -V, --version          the version\n";

struct opts {
	struct tl_ingest_opts ing;
	struct tl_walk_opts walk;
	struct tl_bad bad;
	char **lists, **sets; /* point into argv; a set is "KEY\0VALUE" */
	int nlists, nsets;
	int nsources; /* lists and sources together */
};

/* --shard K/N */
static void
parse_shard(char *arg, struct tl_walk_opts *w)
{
	char *slash = strchr(arg, '/');

	if (slash == NULL)
		tl_cli_usage_error(usage, "--shard: '%s' is not K/N", arg);
	*slash = '\0';
	w->nshards = (unsigned)tl_opt_int(usage, "--shard's N", slash + 1, 1, 1000000);
	w->shard = (unsigned)tl_opt_int(usage, "--shard's K", arg, 0, (long long)w->nshards - 1);
}

static void
parse(int argc, char **argv, struct opts *o)
{
	static const char *owned[] = { "id", "src", "label", "sha256", "width", "height",
	                               "phash", "img", "pix", "tl" };
	static const struct option lo[] = {
		{ "label", required_argument, NULL, 'l' }, { "size", required_argument, NULL, 's' },
		{ "crop", required_argument, NULL, 'c' }, { "fit", no_argument, NULL, 'f' },
		{ "max-pixels", required_argument, NULL, 'P' },
		{ "keep-duplicates", no_argument, NULL, 'k' },
		{ "set", required_argument, NULL, 'S' }, { "list", required_argument, NULL, 'L' },
		{ "max-bad", required_argument, NULL, 'b' }, { "strict", no_argument, NULL, 'x' },
		{ "no-split-folders", no_argument, NULL, 'N' },
		{ "shard", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 } };
	char *eq;
	int c, crop = 0;

	memset(o, 0, sizeof *o);
	tl_bad_init(&o->bad);
	o->ing.image.max_pixels = TL_IMAGE_MAX_PIXELS_DEFAULT;
	if ((o->lists = calloc(argc, sizeof *o->lists)) == NULL ||
	    (o->sets = calloc(argc, sizeof *o->sets)) == NULL)
		tl_die(TL_EXIT_DATA, "out of memory");
	while ((c = getopt_long(argc, argv, "l:s:hV", lo, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (*optarg == '\0')
				tl_cli_usage_error(usage, "--label: empty label");
			o->walk.label = optarg;
			break;
		case 's':
			o->ing.size = (int)tl_opt_int(usage, "--size", optarg, 1, 16384);
			break;
		case 'c':
			if (strcmp(optarg, "centre") != 0 && strcmp(optarg, "center") != 0)
				tl_cli_usage_error(usage, "--crop: '%s' is not 'centre'", optarg);
			o->ing.fit = TL_CROP_CENTRE;
			crop = 1;
			break;
		case 'f':
			o->ing.fit = TL_FIT;
			crop = 1;
			break;
		case 'P':
			o->ing.image.max_pixels = tl_opt_int(usage, "--max-pixels", optarg, 1,
			                                     1LL << 40);
			break;
		case 'k':
			o->ing.keep_duplicates = 1;
			break;
		case 'S':
			if ((eq = strchr(optarg, '=')) == NULL || eq == optarg)
				tl_cli_usage_error(usage, "--set: '%s' is not KEY=VALUE", optarg);
			for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
				if (strlen(owned[i]) == (size_t)(eq - optarg) &&
				    strncmp(optarg, owned[i], eq - optarg) == 0)
					tl_cli_usage_error(usage, "--set: tl-ingest writes '%s' itself",
					               owned[i]);
			*eq = '\0'; /* argv is ours to edit: KEY\0VALUE */
			o->sets[o->nsets++] = optarg;
			break;
		case 'L':
			o->lists[o->nlists++] = optarg;
			break;
		case 'b':
			tl_bad_opt(&o->bad, usage, optarg);
			break;
		case 'x':
			o->bad.strict = 1;
			break;
		case 'N':
			o->walk.no_split_folders = 1;
			break;
		case 'H':
			parse_shard(optarg, &o->walk);
			break;
		default: tl_cli_opt(c, usage, help);
		}
	}
	if (crop && o->ing.size == 0)
		tl_cli_usage_error(usage, "--crop and --fit need --size");
	o->ing.sets = o->sets;
	o->ing.nsets = o->nsets;
	o->ing.max_record = tl_max_record();
	/* a file is read whole: into the record, so TL_MAX_RECORD is its limit
	   too; or, for pix, only to be decoded, within a fixed limit */
	if (o->ing.size == 0) {
		o->walk.max_bytes = o->ing.max_record;
		o->walk.max_name = "TL_MAX_RECORD";
	} else {
		o->walk.max_bytes = TL_MAX_FILE;
		o->walk.max_name = "the limit on an image file";
	}
	o->nsources = o->nlists + argc - optind;
	if (o->nsources == 0)
		tl_cli_usage_error(usage, "no source given");
}

/* A source: its path, and its walk once opened (NULL with err set when
 * opening failed). */
struct source {
	const char *path;
	int list, opened;
	struct tl_walk *wk;
	struct tl_err err;
};

static void
source_open(struct source *src, const struct opts *o)
{
	src->wk = tl_walk_open(src->path, src->list, &o->walk, &src->err);
	src->opened = 1;
}

/* The records the sources are expected to give (*train of them with split
 * "train"): the sources are opened in order, a directory or list costing its
 * sorted path list, until one whose count is unknown (an archive, read in
 * one pass): -1 from there on, the rest opened in their turn.  An upper
 * bound: bad images and duplicates are dropped. */
static long long
expect(struct source *srcs, int n, const struct opts *o, long long *train)
{
	const char *split = NULL;
	long long total = 0, t = 0, c;

	for (int i = 0; i < o->nsets; i++)
		if (strcmp(o->sets[i], "split") == 0)
			split = o->sets[i] + strlen("split") + 1;
	*train = -1;
	for (int i = 0; i < n; i++) {
		source_open(&srcs[i], o);
		if (srcs[i].wk == NULL) /* a bad item in its turn */
			continue;
		if ((c = tl_walk_count(srcs[i].wk)) < 0)
			return -1;
		total += c;
		t += split ? (strcmp(split, "train") == 0 ? c : 0) :
		    tl_walk_count_split(srcs[i].wk, "train");
	}
	*train = t;
	return total;
}

/* Ingests one source, writing its records; counts into *ndup and o->bad. */
static void
ingest_source(struct source *src, struct opts *o, struct tl_ingest *g,
              struct tl_writer *w, struct tl_rec *rec, struct tl_progress *pr,
              long long *ndup)
{
	const char *name = strcmp(src->path, "-") == 0 ? "stdin" : src->path;
	struct tl_walk *wk;
	struct tl_item it;
	struct tl_err err;
	int r;

	if (!src->opened)
		source_open(src, o);
	if ((wk = src->wk) == NULL) {
		o->bad.seen++;
		tl_bad_record(&o->bad, name, src->err.msg);
		return;
	}
	while ((r = tl_walk_next(wk, &it, &err)) != 0) {
		o->bad.seen++;
		tl_progress_step(pr, 1);
		if (it.note != NULL)
			tl_warn("%s", it.note);
		/* judged from the first bytes before the rest is read */
		if (r > 0 && tl_image_sniff(it.data, it.len, &err) != 0)
			r = TL_SKIP;
		if (r > 0 && (r = tl_walk_read(wk, &it, &err)) == TL_OK)
			r = tl_ingest_item(g, &it, rec, &err);
		if (r == TL_NOMEM) {
			tl_writer_abort(w);
			tl_die(TL_EXIT_DATA, "%s", err.msg);
		}
		if (r == TL_SKIP) {
			tl_bad_record(&o->bad, it.src, err.msg);
			continue;
		}
		if (r == 0) {
			tl_warn("%s: %s", it.src, err.msg);
			(*ndup)++;
			continue;
		}
		if (tl_writer_put(w, rec, &err) != 0)
			tl_cli_write_failed(&err);
	}
	tl_walk_close(wk);
	src->wk = NULL;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct tl_err err;
	struct tl_rec *h, *rec;
	struct tl_ingest *g;
	struct tl_writer *w;
	struct tl_progress pr;
	struct source *srcs;
	long long ndup = 0, n, train;

	tl_cli_init(argv[0]);
	parse(argc, argv, &o);
	if (tl_image_init(&err) != 0)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	if ((srcs = calloc(o.nsources, sizeof *srcs)) == NULL)
		tl_die(TL_EXIT_DATA, "out of memory");
	for (int i = 0; i < o.nsources; i++) {
		srcs[i].list = i < o.nlists;
		srcs[i].path = srcs[i].list ? o.lists[i] : argv[optind + i - o.nlists];
	}
	n = expect(srcs, o.nsources, &o, &train);
	if ((h = tl_rec_new()) == NULL || (rec = tl_rec_new()) == NULL ||
	    (g = tl_ingest_new(&o.ing, &err)) == NULL ||
	    tl_header_init(h, "tl-ingest " TL_VERSION, NULL) != 0 ||
	    tl_ingest_header(&o.ing, h) != 0 ||
	    tl_header_set_expect(h, TL_HEADER_EXPECT, n) != 0 ||
	    tl_header_set_expect(h, TL_HEADER_EXPECT_TRAIN, train) != 0)
		tl_die(TL_EXIT_DATA, "out of memory");
	if ((w = tl_writer_open(stdout, "stdout", h, &err)) == NULL)
		tl_die(TL_EXIT_USAGE, "%s", err.msg);
	/* the files to read, known before the first: a count, not an estimate */
	tl_progress_init(&pr, n > 0 ? n : 0);
	for (int i = 0; i < o.nsources; i++)
		ingest_source(&srcs[i], &o, g, w, rec, &pr, &ndup);
	tl_progress_end(&pr);
	if (tl_writer_close(w, &err) != 0)
		tl_cli_write_failed(&err);
	tl_cli_close_stdout();
	if (ndup > 0)
		tl_warn("%lld read, %lld skipped, %lld duplicate%s dropped", o.bad.seen,
		        o.bad.bad, ndup, ndup == 1 ? "" : "s");
	else
		tl_warn("%lld read, %lld skipped", o.bad.seen, o.bad.bad);
	tl_ingest_free(g);
	tl_rec_free(rec);
	tl_rec_free(h);
	free(srcs);
	free(o.lists);
	free(o.sets);
	return tl_bad_status(&o.bad);
}
