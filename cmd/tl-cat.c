/*
 * tl-cat - the window into a stream: records as JSON Lines (default), chosen
 * fields as TSV (-f), counts of a field's values (-c), images back to files
 * (-x), or a filtered stream (-b); --from-json turns JSON Lines (what tl-cat
 * prints, or what jq made of it) back into a stream.  Streams: one record in
 * memory at a time (-c also keeps one counter per distinct value).
 */
#include <float.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "stream/extract.h"
#include "stream/jsonl.h"
#include "stream/recjson.h"
#include "stream/select.h"
#include "stream/stream.h"

#define PRODUCER "tl-cat " TL_VERSION
#define USAGE "tl-cat [-b | -c field | -f fields | -x dir] [-n count] [--full] " \
	"[--headers] [--from-json] [--split name] [--label name] [--pred name] " \
	"[--min-conf x] [--max-conf x] [--strip fields] [--max-bad n[%]] [--strict] " \
	"[file ...]"

enum out { OUT_JSON, OUT_STREAM, OUT_TSV, OUT_COUNT, OUT_EXTRACT };

struct opts {
	enum out out;
	int full, headers, from_json;
	long long head; /* -1: no limit */
	const char *count, *dir;
	struct tl_fields fields, strip;
	struct tl_select sel;
	struct tl_bad bad;
};

/* Where records come from: a stream (rd) or JSON Lines (jr). */
struct input {
	struct tl_reader *rd;
	struct tl_jsonl_reader *jr;
	struct tl_rec *hdr; /* the header made when JSON Lines had none */
};

/* Where they go; started at the first record or at the end, when the input
 * has shown its header. */
struct output {
	enum out kind;
	int flags, headers, started;
	unsigned long long n; /* records written */
	struct tl_writer *w;
	struct tl_rec *hdr; /* -b: the input's, its expected counts made the output's */
	struct tl_tally *tally;
	struct tl_extract *x;
};

static const char help[] =
	"Prints the data records of tl streams (files, or stdin) as JSON Lines.\n"
	"  -b, --stream        write a tl stream instead (filtered, stripped)\n"
	"  -c, --count field   print \"value<TAB>count\" lines, sorted by value\n"
	"  -f, --fields list   print these fields as TSV (e.g. id,label,conf)\n"
	"  -x, --extract dir   write images to dir/<label|pred|unlabelled>/<id>\n"
	"  -n, --head count    stop after count records\n"
	"      --full          tensor values and bin bytes (base64) in full\n"
	"      --headers       also print the header and a trailer line\n"
	"      --from-json     read JSON Lines (as printed with --full); write a\n"
	"                      stream unless -c, -f or -x says otherwise\n"
	"      --split name, --label name, --pred name   keep matching records\n"
	"      --min-conf x, --max-conf x   keep records with x <= conf, conf <= x\n"
	"      --strip fields  drop these fields (e.g. img,pix,emb)\n"
	"      --max-bad n[%]  tolerate n (or n%) bad records with status 0\n"
	"      --strict        stop at the first bad record\n"
	"  -h, --help          this help\n"
	"  -V, --version       the version\n"
	"See tl-cat(1).\n";

static void
list_opt(struct tl_fields *f, const char *opt, const char *arg)
{
	struct tl_err err;

	tl_fields_free(f);
	if (tl_fields_parse(f, arg, &err) < 0)
		tl_cli_usage_error(USAGE, "%s: %s", opt, err.msg);
}

/* tl-cat --count FILE, the field forgotten: no field name holds a '/' or
 * ends in ".tl", a path often does. */
static int
count_is_path(const char *s)
{
	size_t n = strlen(s);

	return strchr(s, '/') != NULL || (n >= 3 && strcmp(s + n - 3, ".tl") == 0);
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	enum { FULL = 256, HEADERS, FROM_JSON, SPLIT, LABEL, PRED, MIN_CONF, MAX_CONF,
	       STRIP, MAX_BAD, STRICT };
	static const struct option lopts[] = {
		{"stream", no_argument, NULL, 'b'}, {"count", required_argument, NULL, 'c'},
		{"fields", required_argument, NULL, 'f'}, {"extract", required_argument, NULL, 'x'},
		{"head", required_argument, NULL, 'n'}, {"full", no_argument, NULL, FULL},
		{"headers", no_argument, NULL, HEADERS}, {"from-json", no_argument, NULL, FROM_JSON},
		{"split", required_argument, NULL, SPLIT}, {"label", required_argument, NULL, LABEL},
		{"pred", required_argument, NULL, PRED}, {"min-conf", required_argument, NULL, MIN_CONF},
		{"max-conf", required_argument, NULL, MAX_CONF}, {"strip", required_argument, NULL, STRIP},
		{"max-bad", required_argument, NULL, MAX_BAD}, {"strict", no_argument, NULL, STRICT},
		{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c, modes = 0;

	memset(o, 0, sizeof *o);
	o->head = -1;
	tl_select_init(&o->sel);
	tl_bad_init(&o->bad);
	while ((c = getopt_long(argc, argv, "bc:f:x:n:hV", lopts, NULL)) != -1) {
		switch (c) {
		case 'b': o->out = OUT_STREAM; modes++; break;
		case 'c': o->out = OUT_COUNT; o->count = optarg; modes++; break;
		case 'f': o->out = OUT_TSV; list_opt(&o->fields, "--fields", optarg); modes++; break;
		case 'x': o->out = OUT_EXTRACT; o->dir = optarg; modes++; break;
		case 'n': o->head = tl_opt_int(USAGE, "--head", optarg, 0, LLONG_MAX); break;
		case FULL: o->full = 1; break;
		case HEADERS: o->headers = 1; break;
		case FROM_JSON: o->from_json = 1; break;
		case SPLIT: o->sel.split = optarg; break;
		case LABEL: o->sel.label = optarg; break;
		case PRED: o->sel.pred = optarg; break;
		case MIN_CONF: o->sel.min_conf = tl_opt_double(USAGE, "--min-conf", optarg, -DBL_MAX, DBL_MAX); break;
		case MAX_CONF: o->sel.max_conf = tl_opt_double(USAGE, "--max-conf", optarg, -DBL_MAX, DBL_MAX); break;
		case STRIP: list_opt(&o->strip, "--strip", optarg); break;
		case MAX_BAD:
			if (tl_bad_parse(&o->bad, optarg) < 0)
				tl_cli_usage_error(USAGE, "--max-bad: '%s' is not N or N%%", optarg);
			break;
		case STRICT: o->bad.strict = 1; break;
		default: tl_cli_opt(c, USAGE, help);
		}
	}
	if (modes > 1)
		tl_cli_usage_error(USAGE, "choose one of -b, -c, -f and -x");
	if (o->count && count_is_path(o->count))
		tl_cli_usage_error(USAGE, "--count: '%s' is a file, not a field: "
		    "tl-cat --count FIELD %s (FIELD such as label)", o->count, o->count);
	if (o->from_json && modes == 0)
		o->out = OUT_STREAM;
	if ((o->full || o->headers) && o->out != OUT_JSON)
		tl_cli_usage_error(USAGE, "--full and --headers shape JSON output only");
	if (o->out == OUT_STREAM && isatty(STDOUT_FILENO))
		tl_die(TL_EXIT_USAGE, "refusing to write a binary stream to a terminal "
		    "(pipe it into another tool, or drop -b to look at it)");
}

static void
input_open(struct input *in, const struct opts *o, char **paths, int n)
{
	struct tl_err err;

	memset(in, 0, sizeof *in);
	if (o->from_json)
		in->jr = tl_jsonl_reader_open(paths, n, &err);
	else
		in->rd = tl_reader_open(paths, n, &err);
	if (in->jr == NULL && in->rd == NULL)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
}

static const struct tl_rec *
input_header(struct input *in)
{
	const struct tl_rec *h = in->rd ? tl_reader_header(in->rd) : tl_jsonl_reader_header(in->jr);

	if (h != NULL)
		return h;
	if ((in->hdr = tl_rec_new()) == NULL || tl_header_init(in->hdr, PRODUCER, NULL) < 0)
		tl_die(TL_EXIT_DATA, "out of memory");
	return in->hdr;
}

static void
input_close(struct input *in)
{
	tl_reader_close(in->rd);
	tl_jsonl_reader_close(in->jr);
	tl_rec_free(in->hdr);
}

static void
out_check(FILE *f)
{
	struct tl_err err;

	if (ferror(f)) {
		tl_err_set(&err, "stdout: write error");
		tl_cli_write_failed(&err);
	}
}

/* The header passes through unchanged: tl-cat adds and removes nothing but
 * the records the options drop, and in a stream (-b) the counts its header
 * expects that those change (tl_select_header); --headers shows the input's
 * as it is. */
static void
output_start(struct output *out, const struct opts *o, struct input *in)
{
	struct tl_err err;

	out->started = 1;
	if (out->kind == OUT_STREAM && ((out->hdr = tl_rec_new()) == NULL ||
	    tl_rec_copy(out->hdr, input_header(in)) < 0 ||
	    tl_select_header(&o->sel, o->head, out->hdr) < 0))
		tl_die(TL_EXIT_DATA, "out of memory");
	if (out->kind == OUT_STREAM && (out->w = tl_writer_open(stdout, "stdout",
	    out->hdr, &err)) == NULL)
		tl_cli_write_failed(&err);
	if (out->kind == OUT_JSON && o->headers &&
	    tl_recjson_write(stdout, input_header(in), out->flags & ~TL_RECJSON_DATA, &err) < 0)
		tl_cli_write_failed(&err);
	if (out->kind == OUT_COUNT && (out->tally = tl_tally_new(o->count)) == NULL)
		tl_die(TL_EXIT_DATA, "out of memory");
	if (out->kind == OUT_EXTRACT && (out->x = tl_extract_open(o->dir, &err)) == NULL)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
}

static void
output_put(struct output *out, struct opts *o, struct input *in, struct tl_rec *rec)
{
	const char *path;
	struct tl_err err;
	int rc;

	if (!out->started)
		output_start(out, o, in);
	switch (out->kind) {
	case OUT_JSON:
		if (tl_recjson_write(stdout, rec, out->flags, &err) < 0)
			tl_cli_write_failed(&err);
		break;
	case OUT_STREAM:
		if (tl_writer_put(out->w, rec, &err) < 0)
			tl_cli_write_failed(&err);
		break;
	case OUT_TSV:
		tl_fields_write_tsv(stdout, &o->fields, rec);
		break;
	case OUT_COUNT:
		if (tl_tally_add(out->tally, rec, &err) != TL_OK)
			tl_die(TL_EXIT_DATA, "%s", err.msg);
		break;
	case OUT_EXTRACT:
		rc = tl_extract_put(out->x, rec, &path, &err);
		if (rc == TL_STOP)
			tl_die(TL_EXIT_DATA, "%s", err.msg);
		if (rc == TL_SKIP) {
			path = tl_rec_str(rec, "id");
			tl_bad_record(&o->bad, path ? path : "(no id)", err.msg);
			return;
		}
		printf("%s\n", path);
		break;
	}
	out_check(stdout);
	out->n++;
}

static void
output_close(struct output *out, const struct opts *o, struct input *in)
{
	struct tl_err err;

	if (!out->started)
		output_start(out, o, in);
	if (out->kind == OUT_JSON && o->headers)
		printf("{\"tl\":%d,\"end\":%llu}\n", TL_STREAM_VERSION, out->n);
	if (out->kind == OUT_STREAM && tl_writer_close(out->w, &err) < 0)
		tl_cli_write_failed(&err);
	if (out->kind == OUT_COUNT && tl_tally_write(out->tally, stdout, &err) < 0)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	out_check(stdout);
	tl_tally_free(out->tally);
	tl_extract_close(out->x);
	tl_rec_free(out->hdr);
}

int
main(int argc, char **argv)
{
	struct output out = {0};
	struct input in;
	struct opts o;
	struct tl_rec *rec;
	struct tl_err err;
	int rc;

	tl_cli_init(argv[0]);
	parse_args(argc, argv, &o);
	input_open(&in, &o, argv + optind, argc - optind);
	if ((rec = tl_rec_new()) == NULL)
		tl_die(TL_EXIT_DATA, "out of memory");
	out.kind = o.out;
	out.flags = TL_RECJSON_DATA | (o.full ? TL_RECJSON_FULL : 0);
	while (o.head < 0 || out.n < (unsigned long long)o.head) {
		rc = in.rd ? tl_reader_next(in.rd, rec, &err) : tl_jsonl_reader_next(in.jr, rec, &err);
		if (rc == 0)
			break;
		if (rc == TL_STOP || rc == TL_NOMEM) {
			tl_writer_abort(out.w); /* no trailer: downstream sees the break */
			tl_die(TL_EXIT_DATA, "%s", err.msg);
		}
		o.bad.seen++;
		if (rc == TL_SKIP) {
			tl_bad_record(&o.bad, tl_jsonl_reader_where(in.jr), err.msg);
			continue;
		}
		if (!tl_select_match(&o.sel, rec))
			continue;
		tl_fields_strip(&o.strip, rec);
		output_put(&out, &o, &in, rec);
	}
	output_close(&out, &o, &in);
	input_close(&in);
	tl_rec_free(rec);
	tl_fields_free(&o.fields);
	tl_fields_free(&o.strip);
	tl_cli_close_stdout();
	if (o.bad.bad > 0)
		tl_warn("%lld read, %lld skipped", o.bad.seen, o.bad.bad);
	return tl_bad_status(&o.bad);
}
