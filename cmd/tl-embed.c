/*
 * tl-embed - image records in, the same records with "emb" out: the features
 * a pretrained backbone sees (see tl-embed(1)).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "backbone/embed.h"
#include "backbone/model.h"
#include "cli/cli.h"
#include "core/tensor.h"
#include "data/image.h"
#include "nn/nn.h"
#include "stream/prefetch.h"
#include "stream/stream.h"

static const char usage[] =
    "tl-embed [-m model] [-l layer | --cut] [-p pool] [-b batch] [-j threads]\n"
    "                [--decoders n] [--keep-image]\n"
    "                [--squash | --crop] [--scale s] [--max-pixels n] [--max-bad n[%]]\n"
    "                [--strict] [--list-layers] [file ...]";

static const char help[] =
    "Adds \"emb\" (a backbone's features) to every image record.\n\n"
    "  -m, --model NAME|PATH  backbone: a name in $TL_MODEL_PATH, the share dir or\n"
    "                         ./models, or a .onnx / model.json path; several\n"
    "                         joined by '+' (" TL_DEFAULT_BACKBONE "); pixels[:N]:\n"
    "                         the image itself at N x N (32), the baseline;\n"
    "                         scratch[:N]: a small CNN on N x N (64) to train\n"
    "                         from random weights (--cut, tl-train --from-scratch)\n"
    "  -l, --layer NAME       emit this layer's [H,W,C] map instead of the default\n"
    "      --cut              emit the map at the model's fine-tuning cut, for\n"
    "                         tl-train (fine-tuning) and its models (tl-model.json)\n"
    "  -p, --pool avg|max|avgmax|none  map to vector (default avg; none with --layer, --cut)\n"
    "  -b, --batch N          images per run (32)\n"
    "  -j, --threads N        the network's threads (default $TL_THREADS, else the cores)\n"
    "      --decoders N       threads decoding images a batch ahead of the network\n"
    "                         (1; 0: decode between batches)\n"
    "      --keep-image       keep img/pix in the output\n"
    "      --squash, --crop   resize the whole image, or shorter side + centre crop\n"
    "      --scale S          [0,1], [-1,1], imagenet or [0,255] (default: the model's)\n"
    "      --max-pixels N     refuse images declaring more pixels (100000000)\n"
    "      --max-bad N|N%     tolerate that many bad records with status 0\n"
    "      --strict           stop at the first bad record\n"
    "      --list-layers      print the model's layers and shapes, marking the\n"
    "                         default feature layer and the --cut, then exit\n"
    "  -h, --help             this help\n"
    "  -V, --version          the version\n";

static void list_layers(struct tl_embed_opts *o);
static void embed(struct tl_embed_opts *o, char **files, int nfiles, struct tl_bad *bad);

/* The options, checked against each other; exits 2 on a usage error. */
static void
parse(int argc, char **argv, struct tl_embed_opts *op, struct tl_bad *bad, int *listp)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' }, { "layer", required_argument, NULL, 'l' },
		{ "pool", required_argument, NULL, 'p' }, { "batch", required_argument, NULL, 'b' },
		{ "threads", required_argument, NULL, 'j' }, { "keep-image", no_argument, NULL, 'k' },
		{ "squash", no_argument, NULL, 'S' }, { "crop", no_argument, NULL, 'C' },
		{ "scale", required_argument, NULL, 's' }, { "max-pixels", required_argument, NULL, 'P' },
		{ "max-bad", required_argument, NULL, 'B' }, { "strict", no_argument, NULL, 'X' },
		{ "list-layers", no_argument, NULL, 'L' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' }, { "cut", no_argument, NULL, 'c' },
		{ "decoders", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	struct tl_embed_opts o = { .model = TL_DEFAULT_BACKBONE, .batch = 32, .mode = -1,
	    .max_pixels = TL_IMAGE_MAX_PIXELS_DEFAULT, .decoders = -1 };
	const char *pool = NULL, *env = getenv("TL_THREADS");
	int c, list = 0, model_given = 0;

	if (env && *env)
		o.threads = (int)tl_opt_int(usage, "TL_THREADS", env, 1, 256);
	while ((c = getopt_long(argc, argv, "m:l:p:b:j:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': o.model = optarg; model_given = 1; break;
		case 'l': o.layer = optarg; break;
		case 'p': pool = optarg; break;
		case 'b': o.batch = (int)tl_opt_int(usage, "--batch", optarg, 1, 4096); break;
		case 'j': o.threads = (int)tl_opt_int(usage, "--threads", optarg, 1, 256); break;
		case 'D': o.decoders = (int)tl_opt_int(usage, "--decoders", optarg, 0, 64); break;
		case 'k': o.keep_image = 1; break;
		case 'S': o.mode = TL_RESIZE_SQUASH; break;
		case 'C': o.mode = TL_RESIZE_CROP; break;
		case 's': o.scale = optarg; break;
		case 'P': o.max_pixels = (unsigned long long)tl_opt_int(usage, "--max-pixels",
		    optarg, 1, 1LL << 40); break;
		case 'B': tl_bad_opt(bad, usage, optarg); break;
		case 'X': bad->strict = 1; break;
		case 'L': list = 1; break;
		case 'c': o.cut = 1; break;
		default: tl_cli_opt(c, usage, help);
		}
	}
	if (o.cut && o.layer)
		tl_cli_usage_error(usage, "--cut and --layer: give one");
	{
		char parts[TL_EMBED_MAX_PARTS][256];
		struct tl_err err;
		int n = tl_embed_split(o.model, parts, &err);
		if (n < 0)
			tl_cli_usage_error(usage, "--model: %s", err.msg);
		if (n > 1 && (o.layer || list) && !model_given)
			tl_cli_usage_error(usage, "%s: the default backbone, %s, is several: "
			    "give one with -m", o.layer ? "--layer" : "--list-layers", o.model);
		if (n > 1 && o.layer)
			tl_cli_usage_error(usage, "--layer with several backbones: each gives the "
			    "feature layer of its tl-model.json");
		if (n > 1 && list)
			tl_cli_usage_error(usage, "--list-layers: give one backbone");
		for (int i = 0; i < n; i++) {
			const char *what = o.cut ? "--cut" : o.layer ? "--layer" : list ?
			    "--list-layers" : pool ? "--pool" : NULL;
			if (!tl_model_is_pixels(parts[i]))
				continue;
			if (n > 1)
				tl_cli_usage_error(usage, "--model: %s: raw pixels are a baseline of "
				    "their own, not part of several backbones", parts[i]);
			if (what)
				tl_cli_usage_error(usage, "%s: %s is raw pixels, no network (no layers "
				    "to cut, list or pool)", what, parts[i]);
		}
	}
	o.pool = o.layer || o.cut ? TL_POOL_NONE : TL_POOL_AVG;
	if (pool && tl_pool_parse(pool, &o.pool) < 0)
		tl_cli_usage_error(usage, "--pool: '%s' is not avg, max, avgmax or none", pool);
	*op = o;
	*listp = list;
}

int
main(int argc, char **argv)
{
	struct tl_embed_opts o;
	struct tl_bad bad;
	int list;

	tl_cli_init(argv[0]);
	tl_bad_init(&bad);
	parse(argc, argv, &o, &bad, &list);
	if (list)
		list_layers(&o);
	embed(&o, argv + optind, argc - optind, &bad);
	return tl_bad_status(&bad);
}

static struct tl_embedder *
open_embedder(struct tl_embed_opts *o)
{
	struct tl_err err;
	struct tl_embedder *e = tl_embedder_new(o, &err);

	if (e == NULL && o->layer && strstr(err.msg, ": no such "))
		tl_die(TL_EXIT_USAGE, "--layer: %s: no such layer in %s (tl-embed -m %s "
		    "--list-layers lists them)", o->layer, o->model, o->model);
	if (e == NULL)
		tl_die(TL_EXIT_USAGE, "%s", err.msg);
	return e;
}

static void
list_layers(struct tl_embed_opts *o)
{
	struct tl_embed_opts all = *o;
	struct tl_embedder *e;
	struct tl_model m;
	struct tl_nn *nn;
	struct tl_err err;
	const char *name, *op;
	char feat[sizeof m.layer];

	all.layer = NULL;
	e = open_embedder(&all);
	m = *tl_embedder_model(e);
	tl_embedder_free(e);
	snprintf(feat, sizeof feat, "%s", m.layer);
	m.layer[0] = '\0';
	if ((nn = tl_model_load(&m, NULL, NULL, &err)) == NULL)
		tl_die(TL_EXIT_USAGE, "%s", err.msg);
	for (int i = 0; (name = tl_nn_list_tensors(nn, i, &op)) != NULL; i++) {
		int64_t d[TL_NN_MAXRANK];
		int r = tl_nn_tensor_shape(nn, name, d, &err);
		printf("%s\t%s\t", name, op ? op : "");
		/* logical [N,C,H,W] shown as the H,W,C a --layer emits */
		if (r == 4)
			printf("%lld,%lld,%lld", (long long)d[2], (long long)d[3], (long long)d[1]);
		else
			for (int k = 1; k < r; k++)
				printf("%s%lld", k > 1 ? "," : "", (long long)d[k]);
		/* what the sidecar (tl-model.json) makes of this layer */
		if (strcmp(name, feat) == 0)
			printf("\tdefault: the features tl-embed pools");
		if (*m.ft_from && strcmp(name, m.ft_from) == 0)
			printf("\t--cut: fine-tuning's input");
		if (*m.ft_to && strcmp(name, m.ft_to) == 0)
			printf("\tfine-tuning's end");
		putchar('\n');
	}
	tl_nn_free(nn);
	tl_cli_close_stdout();
	exit(0);
}

/* Runs the oldest batch and writes its records, but never one whose image
 * could not be decoded, nor an emb holding a NaN or an infinity (a
 * backbone can make one): those records are bad. */
static void
flush_batch(struct tl_embedder *e, struct tl_writer *w, struct tl_bad *bad)
{
	struct tl_tensor t;
	struct tl_err err;

	if (tl_embedder_run(e, &err) < 0) {
		tl_writer_abort(w);
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	}
	for (int i = 0; i < tl_embedder_pending(e); i++) {
		const struct tl_rec *r = tl_embedder_result(e, i);
		if (tl_embedder_error(e, i) != NULL) {
			tl_bad_rec(bad, (struct tl_rec *)r, tl_embedder_error(e, i));
			continue;
		}
		if (tl_rec_tensor(r, "emb", &t, &err) < 0 || (tl_rec_get(r, "emb_frozen") != NULL &&
		    tl_rec_tensor(r, "emb_frozen", &t, &err) < 0)) {
			tl_err_prefix(&err, "the backbone's output");
			tl_bad_rec(bad, (struct tl_rec *)r, err.msg);
			continue;
		}
		if (tl_writer_put(w, r, &err) < 0)
			tl_cli_write_failed(&err);
	}
	tl_embedder_reset(e);
}

static void
embed(struct tl_embed_opts *o, char **files, int nfiles, struct tl_bad *bad)
{
	struct tl_embedder *e = open_embedder(o);
	struct tl_rec *h = tl_rec_new(), *rec = tl_rec_new();
	struct tl_reader *r;
	struct tl_prefetch *pf;
	struct tl_writer *w;
	struct tl_progress prog;
	struct tl_err err;
	char producer[64];
	int st;

	if ((r = tl_reader_open(files, nfiles, &err)) == NULL)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	snprintf(producer, sizeof producer, "tl-embed %s", TL_VERSION);
	if (tl_header_init(h, producer, tl_reader_header(r)) < 0 ||
	    tl_embedder_header(e, h) < 0)
		tl_die(TL_EXIT_DATA, "out of memory");
	if ((w = tl_writer_open(stdout, "stdout", h, &err)) == NULL)
		tl_die(TL_EXIT_USAGE, "%s", err.msg);
	tl_progress_init_expect(&prog, tl_header_expect(tl_reader_header(r), TL_HEADER_EXPECT));
	/* read on while the network runs, so the tool before us goes on too */
	if ((pf = tl_prefetch_new(r, o->batch, &err)) == NULL)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	while ((st = tl_prefetch_next(pf, rec, &err)) == 1) {
		int added;
		bad->seen++;
		if ((added = tl_embedder_add(e, rec, &err)) == TL_SKIP) {
			tl_bad_rec(bad, rec, err.msg);
			continue;
		}
		if (added != TL_OK) {
			tl_writer_abort(w);
			tl_die(TL_EXIT_DATA, "%s", err.msg);
		}
		if (tl_embedder_full(e)) {
			flush_batch(e, w, bad);
			tl_progress_step(&prog, o->batch);
		}
	}
	if (st < 0) {
		tl_writer_abort(w);
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	}
	while (tl_embedder_queued(e) > 0)
		flush_batch(e, w, bad);
	prog.done = bad->seen; /* the last batches too */
	tl_progress_end(&prog);
	if (tl_writer_close(w, &err) < 0)
		tl_cli_write_failed(&err);
	if (bad->bad)
		tl_warn("%lld read, %lld skipped", bad->seen, bad->bad);
	tl_prefetch_free(pf);
	tl_reader_close(r);
	tl_rec_free(rec);
	tl_rec_free(h);
	tl_embedder_free(e);
	tl_cli_close_stdout();
}
