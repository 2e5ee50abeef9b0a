/*
 * tl-classify - records with emb (or images) in, the same records with a
 * trained model's verdict out: prob, pred, conf, ood, and on request top and
 * cam (tl-classify(1)).  Options and wiring only: lib/classify/classify.c does the
 * work.  Streams: one batch of records in memory.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "classify/classify.h"
#include "classify/explain.h"
#include "cli/cli.h"
#include "data/image.h"
#include "stream/prefetch.h"
#include "stream/stream.h"

#define PRODUCER "tl-classify " TL_VERSION

static const char usage[] =
	"tl-classify -m model.tlm [--min-conf p] [--ood-threshold x] [--no-reject]\n"
	"       [--top k] [--cam] [--cam-dir dir] [--explain method] [--layer name]\n"
	"       [--backbone name|path] [-b batch]\n"
	"       [-j threads] [--decoders n] [--max-pixels n] [--max-bad n[%]] [--strict]\n"
	"       [file ...]";

static const char help[] =
	"Adds a trained model's verdict to every record: \"prob\" (<f4 [K], order of the\n"
	"header's \"classes\"), \"pred\" (the best class, or \"unknown\" when rejected),\n"
	"\"conf\" (its calibrated probability) and \"ood\" (out-of-distribution score).\n"
	"Records carry emb of the model's backbone, or images (img, pix): then the\n"
	"model's backbone runs here.\n\n"
	"  -m, --model FILE        the trained model (tl-train -o FILE)\n"
	"      --min-conf P        pred is \"unknown\" when conf < P (default 0)\n"
	"      --ood-threshold X   ... or when ood > X (default: the model's)\n"
	"      --no-reject         pred is always the best class\n"
	"      --top K             add \"top\": the K best [class, prob] pairs\n"
	"      --cam               add \"cam\": |u1 [h,w] class activation map of pred\n"
	"      --cam-dir DIR       also write DIR/ID.png heat maps over the images\n"
	"      --explain METHOD    what the network looks at, as \"cam\" (and in --cam-dir):\n"
	"                          cam, gradcam, saliency, or activations (--cam-dir only)\n"
	"      --layer NAME        gradcam's and activations' layer (default: the\n"
	"                          backbone's fine-tuning cut)\n"
	"      --backbone NAME|PATH  where the model's backbone is (default: its name)\n"
	"  -b, --batch N           records per batch (32)\n"
	"  -j, --threads N         threads for the backbone (default $TL_THREADS)\n"
	"      --decoders N        threads decoding images a batch ahead of the backbone\n"
	"                          (1; 0: decode between batches)\n"
	"      --max-pixels N      refuse images declaring more pixels (100000000)\n"
	"      --max-bad N[%]      exit 0 with up to N (or N%) bad records\n"
	"      --strict            stop at the first bad record\n"
	"  -h, --help              this help\n"
	"  -V, --version           the version\n";

static void
parse(int argc, char **argv, struct tl_classify_opts *o, struct tl_bad *bad)
{
	enum { MINCONF = 256, OODTHR, NOREJECT, TOP, CAM, CAMDIR, BACKBONE, MAXPIX, MAXBAD,
	       STRICT, DECODERS, EXPLAIN, LAYER };
	static const struct option lo[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "min-conf", required_argument, NULL, MINCONF },
		{ "ood-threshold", required_argument, NULL, OODTHR },
		{ "no-reject", no_argument, NULL, NOREJECT }, { "top", required_argument, NULL, TOP },
		{ "cam", no_argument, NULL, CAM }, { "cam-dir", required_argument, NULL, CAMDIR },
		{ "explain", required_argument, NULL, EXPLAIN }, { "layer", required_argument, NULL, LAYER },
		{ "backbone", required_argument, NULL, BACKBONE },
		{ "batch", required_argument, NULL, 'b' }, { "threads", required_argument, NULL, 'j' },
		{ "decoders", required_argument, NULL, DECODERS },
		{ "max-pixels", required_argument, NULL, MAXPIX },
		{ "max-bad", required_argument, NULL, MAXBAD }, { "strict", no_argument, NULL, STRICT },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 } };
	const char *env = getenv("TL_THREADS");
	int c;

	*o = (struct tl_classify_opts){ .ood_threshold = NAN, .reject = 1, .batch = 32,
	    .max_pixels = TL_IMAGE_MAX_PIXELS_DEFAULT, .decoders = -1 };
	tl_bad_init(bad);
	if (env && *env)
		o->threads = (int)tl_opt_int(usage, "TL_THREADS", env, 1, 256);
	while ((c = getopt_long(argc, argv, "m:b:j:hV", lo, NULL)) != -1) {
		switch (c) {
		case 'm': o->model = optarg; break;
		case MINCONF: o->min_conf = tl_opt_double(usage, "--min-conf", optarg, 0, 1); break;
		case OODTHR:
			o->ood_threshold = tl_opt_double(usage, "--ood-threshold", optarg, 0, HUGE_VAL);
			break;
		case NOREJECT: o->reject = 0; break;
		case TOP: o->top = (int)tl_opt_int(usage, "--top", optarg, 1, 100000); break;
		case CAM: o->cam = 1; break;
		case CAMDIR: o->cam_dir = optarg; o->cam = 1; break;
		case EXPLAIN: {
			enum tl_explain_method em;
			if (tl_explain_parse(optarg, &em) < 0)
				tl_cli_usage_error(usage, "--explain: '%s' is not cam, gradcam, saliency "
				    "or activations", optarg);
			o->explain = (int)em;
			break;
		}
		case LAYER: o->layer = optarg; break;
		case BACKBONE: o->backbone = optarg; break;
		case 'b': o->batch = (int)tl_opt_int(usage, "--batch", optarg, 1, 4096); break;
		case 'j': o->threads = (int)tl_opt_int(usage, "--threads", optarg, 1, 256); break;
		case DECODERS: o->decoders = (int)tl_opt_int(usage, "--decoders", optarg, 0, 64); break;
		case MAXPIX:
			o->max_pixels = (unsigned long long)tl_opt_int(usage, "--max-pixels", optarg,
			    1, 1LL << 40);
			break;
		case MAXBAD:
			if (tl_bad_parse(bad, optarg) < 0)
				tl_cli_usage_error(usage, "--max-bad: '%s' is not N or N%%", optarg);
			break;
		case STRICT: bad->strict = 1; break;
		default: tl_cli_opt(c, usage, help);
		}
	}
	if (o->model == NULL)
		tl_cli_usage_error(usage, "no model: give -m model.tlm");
	if (o->layer && (o->explain == TL_EXPLAIN_NONE || o->explain == TL_EXPLAIN_CAM))
		tl_cli_usage_error(usage, "--layer is for --explain gradcam or activations");
	if (o->explain == TL_EXPLAIN_SALIENCY && o->layer)
		tl_cli_usage_error(usage, "--layer: saliency is always the input's");
	if (o->explain == TL_EXPLAIN_ACTIVATIONS && o->cam_dir == NULL)
		tl_cli_usage_error(usage, "--explain activations makes pictures only: give --cam-dir DIR");
}

/* Classifies the oldest batch and writes its verdicts; the records it ran. */
static int
flush_batch(struct tl_classifier *c, struct tl_writer *w, struct tl_bad *bad)
{
	const struct tl_rec *r;
	struct tl_err err;
	int st, n;

	if (tl_classifier_run(c, &err) < 0) {
		tl_writer_abort(w);
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	}
	for (int i = 0; i < tl_classifier_pending(c); i++) {
		int verdict;
		st = tl_classifier_result(c, i, &r, &err);
		if ((verdict = st == TL_OK)) /* else r is the input record */
			st = tl_classifier_heatmap(c, i, r, &err);
		if (st == TL_STOP || st == TL_NOMEM) {
			tl_writer_abort(w);
			tl_die(TL_EXIT_DATA, "%s", err.msg);
		}
		if (st == TL_SKIP) { /* a bad record, or a good verdict whose heat map is not */
			const char *id = tl_rec_str((struct tl_rec *)r, "id");
			tl_bad_record(bad, id ? id : "(record without id)", err.msg);
			if (!verdict)
				continue;
		}
		if (tl_writer_put(w, r, &err) < 0)
			tl_cli_write_failed(&err);
	}
	n = tl_classifier_pending(c);
	tl_classifier_reset(c);
	return n;
}

/* Every record of r through c to w, in batches; a bad record is counted
 * and skipped, a broken stream or out of memory ends the run (exit 1, no
 * trailer). */
static void
classify_all(struct tl_classifier *c, struct tl_reader *r, struct tl_writer *w,
             struct tl_bad *bad, int depth)
{
	struct tl_prefetch *pf;
	struct tl_rec *rec;
	struct tl_progress pr;
	struct tl_err err;
	int st;

	if ((rec = tl_rec_new()) == NULL)
		tl_die(TL_EXIT_DATA, "out of memory");
	tl_progress_init_expect(&pr, tl_header_expect(tl_reader_header(r), TL_HEADER_EXPECT));
	/* read on while the network runs, so the tool before us goes on too */
	if ((pf = tl_prefetch_new(r, depth, &err)) == NULL)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	while ((st = tl_prefetch_next(pf, rec, &err)) == 1) {
		int added;
		bad->seen++;
		if ((added = tl_classifier_add(c, rec, &err)) == TL_SKIP) {
			const char *id = tl_rec_str(rec, "id");
			tl_bad_record(bad, id ? id : "(record without id)", err.msg);
			continue;
		}
		if (added != TL_OK) {
			tl_writer_abort(w);
			tl_die(TL_EXIT_DATA, "%s", err.msg);
		}
		if (tl_classifier_full(c)) {
			int n = flush_batch(c, w, bad);
			tl_progress_step(&pr, n);
		}
	}
	if (st < 0) {
		tl_writer_abort(w);
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	}
	while (tl_classifier_queued(c) > 0)
		flush_batch(c, w, bad);
	pr.done = bad->seen; /* the last batches too */
	tl_progress_end(&pr);
	tl_prefetch_free(pf);
	tl_rec_free(rec);
}

int
main(int argc, char **argv)
{
	struct tl_classify_opts o;
	struct tl_classifier *c;
	struct tl_bad bad;
	struct tl_rec *h;
	struct tl_reader *r;
	struct tl_writer *w = NULL;
	struct tl_err err;
	long long done, unknown;
	int st;

	tl_cli_init(argv[0]);
	parse(argc, argv, &o, &bad);
	if ((c = tl_classifier_new(&o, &err)) == NULL)
		tl_die(TL_EXIT_USAGE, "%s", err.msg);
	if ((r = tl_reader_open(argv + optind, argc - optind, &err)) == NULL)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	if ((h = tl_rec_new()) == NULL || tl_header_init(h, PRODUCER, tl_reader_header(r)) < 0)
		tl_die(TL_EXIT_DATA, "out of memory");
	st = tl_classifier_start(c, tl_reader_header(r), h, &err);
	if (st == 0 && (w = tl_writer_open(stdout, "stdout", h, &err)) == NULL)
		st = TL_STOP;
	if (st < 0) { /* freed first: the sanitizer build checks for leaks */
		tl_rec_free(h);
		tl_reader_close(r);
		tl_classifier_free(c);
		tl_die(st == TL_STOP ? TL_EXIT_USAGE : TL_EXIT_DATA, "%s", err.msg);
	}
	if (*tl_classifier_warning(c))
		tl_warn("%s", tl_classifier_warning(c));
	classify_all(c, r, w, &bad, o.batch);
	if (tl_writer_close(w, &err) < 0)
		tl_cli_write_failed(&err);
	tl_classifier_counts(c, &done, &unknown);
	if (bad.bad)
		tl_warn("%lld read, %lld skipped, %lld classified, %lld unknown", bad.seen, bad.bad,
		    done, unknown);
	tl_reader_close(r);
	tl_rec_free(h);
	tl_classifier_free(c);
	tl_cli_close_stdout();
	return tl_bad_status(&bad);
}
