/*
 * tl-train - labelled embeddings in, a trained head out (tl-train(1),
 * tl-model(5)).  Options and wiring only: the training set and the fitting
 * are lib/learn/trainset.c and lib/learn/train.c, the file lib/learn/tlm.c.  Reads the whole
 * input before training: it holds every train and val embedding in memory.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "classify/export.h"
#include "cli/cli.h"
#include "core/afile.h"
#include "core/clock.h"
#include "learn/finetune.h"
#include "learn/train.h"
#include "report/svg.h"
#include "stream/recjson.h"
#include "stream/stream.h"

#define PRODUCER "tl-train " TL_VERSION
#define HOLDOUT 0.2 /* share of train held out for val when the stream has no val */

static const char usage[] =
	"tl-train -o model.tlm [--hidden N [--dropout P] [--epochs N] [--batch N] [--lr R]]\n"
	"       [--l2 L] [--label-smoothing E] [--balance] [--norm none|l2|sqrt]\n"
	"       [--no-standardize] [--part-weight sqrt|none] [--max-iter N] [--keep F] [--shrinkage S] [--no-ood]\n"
	"       [--finetune] [--ft-epochs N] [--ft-lr R] [--ft-head-lr R] [--ft-decay F]\n"
	"       [--ft-wd W] [--ft-smoothing E] [--finetune-to LAYER] [--from-scratch]\n"
	"       [--init old.tlm] [--seed N] [--version-tag S] [--log FILE] [-q]\n"
	"       [--export-onnx FILE.onnx]\n"
	"       [--max-bad N[%]] [--strict] [file ...]\n"
	"       tl-train --lr-find --hidden N [--lr-find-steps N] [--lr-find-start R]\n"
	"       [--lr-find-end R] [--lr-find-plot FILE.svg] [MLP options] [file ...]\n"
	"       tl-train --lr-find [--finetune] [--lr-find-steps N] [--lr-find-start R]\n"
	"       [--lr-find-end R] [--lr-find-plot FILE.svg] [fine-tuning options] [maps ...]";

static const char help[] =
	"Reads a whole stream of labelled embeddings (tl-embed output with split set by\n"
	"tl-split) and fits a classifier head on split=train, using split=val to choose\n"
	"the L2 strength, calibrate (temperature) and set the OOD threshold.  Without val\n"
	"records it holds out a stratified 20% of train.  Test and unlabelled records are\n"
	"counted and ignored.  Maps from tl-embed --cut fine-tune the backbone's last\n"
	"blocks with the head.  Progress and a summary go to stderr.\n\n"
	"  -o, --output FILE      the model file to write (atomically)\n"
	"      --hidden N         an MLP with N hidden units (default: linear head)\n"
	"      --dropout P        MLP dropout on the hidden layer (0.5)\n"
	"      --epochs N         MLP epochs (100); --batch N (32); --lr R peak (0.001)\n"
	"      --l2 L             L2 penalty / weight decay (default: chosen by val log loss)\n"
	"      --label-smoothing E  targets (1-E) one-hot + E/K (0)\n"
	"      --balance          weight classes inversely to their counts\n"
	"      --norm N           per-embedding normalisation: none, l2, sqrt (l2)\n"
	"      --no-standardize   no per-feature mean/std scaling\n"
	"      --part-weight W    several backbones: sqrt weighs each part's features by\n"
	"                         sqrt(D/(parts*dim)), none leaves them standardized (sqrt)\n"
	"      --max-iter N       L-BFGS iterations for the linear head (500)\n"
	"      --keep F           share of val images the OOD threshold accepts (0.95)\n"
	"      --shrinkage S      covariance shrinkage 0..1 (default Ledoit-Wolf)\n"
	"      --no-ood           no OOD statistics\n"
	"      --finetune         insist on fine-tuning (it is what maps from tl-embed\n"
	"                         --cut get anyway; see FINE-TUNING in tl-train(1))\n"
	"      --ft-epochs N      joint epochs of tail and head (default: enough for\n"
	"                         800 steps, 5 to 200; 0: the tail as it is)\n"
	"      --ft-lr R          peak rate of the tail's last Conv (0.001)\n"
	"      --ft-head-lr R     peak rate of the head (0.001)\n"
	"      --ft-decay F       rate factor per Conv toward the cut (1)\n"
	"      --ft-wd W          AdamW weight decay while fine-tuning (0.01)\n"
	"      --ft-smoothing E   label smoothing while fine-tuning (0.1)\n"
	"      --finetune-to L    the tail's end (default: the backbone's, tl-model.json)\n"
	"      --from-scratch     fine-tuning with the tail's weights drawn at random first\n"
	"                         (tl-embed -m scratch --cut: the whole small CNN); by\n"
	"                         default 1000 steps at rates 0.003, weight decay 0.1\n"
	"                         (FROM SCRATCH in tl-train(1))\n"
	"      --init FILE        start from this model (same backbone required)\n"
	"      --seed N           the seed (0)\n"
	"      --version-tag S    the model's version (default: UTC time and content hash)\n"
	"      --log FILE         append a JSON line describing the run to FILE\n"
	"      --export-onnx F    also write the model, backbone included, as one ONNX\n"
	"                         graph in F (tl-classify --export-onnx)\n"
	"      --lr-find          no model: sweep the MLP's rate (on maps from tl-embed\n"
	"                         --cut: fine-tuning's --ft-lr, the head's in ratio)\n"
	"                         exponentially, one batch a rate, print rate and loss\n"
	"                         to stdout and suggest a --lr (--ft-lr)\n"
	"                         (fastai's valley; LEARNING-RATE FINDER in tl-train(1))\n"
	"      --lr-find-steps N  rates in the sweep (100); --lr-find-start R (1e-07),\n"
	"                         --lr-find-end R (10) its ends\n"
	"      --lr-find-plot F   the loss against the rate as an SVG chart in F\n"
	"  -q, --quiet            only the summary on stderr\n"
	"      --max-bad N[%]     exit 0 with up to N (or N%) bad records\n"
	"      --strict           stop at the first bad record\n"
	"  -h, --help             this help\n"
	"  -V, --version          the version\n";

enum { FT_SET_EPOCHS = 1, FT_SET_LR = 2, FT_SET_HEAD_LR = 4, FT_SET_WD = 8 };

struct opts {
	struct tl_train_opts t;
	struct tl_ft_opts ft;
	int finetune;
	unsigned ft_set;       /* FT_SET_*: the --ft- options given */
	struct tl_bad bad;
	const char *out, *init, *tag, *log;
	int quiet;
	int lrfind;            /* --lr-find: the sweep, no model */
	int lrfind_ft;         /* ... of fine-tuning (maps) */
	struct tl_train_lrfind lf;
	const char *lfplot;
	const char *onnx;      /* --export-onnx */
};

/* --lr-find: what it does not go with */
static void
lrfind_opts(const struct opts *o)
{
	if (o->out)
		tl_cli_usage_error(usage, "--lr-find writes no model: drop -o");
	if (o->log)
		tl_cli_usage_error(usage,
		    "--lr-find writes no model for --log to describe: drop --log");
	if (o->onnx)
		tl_cli_usage_error(usage, "--lr-find writes no model to export: drop --export-onnx");
	if (!(o->lf.start < o->lf.end))
		tl_cli_usage_error(usage, "--lr-find-start %g is not below --lr-find-end %g",
		    o->lf.start, o->lf.end);
}

/* --from-scratch: fine-tuning from random weights, with its own defaults
 * for what was not given */
static void
scratch_opts(struct opts *o)
{
	struct tl_ft_opts d = o->ft;

	if (o->init)
		tl_cli_usage_error(usage, "--from-scratch starts from random weights: drop --init");
	if (o->lrfind)
		tl_cli_usage_error(usage, "--lr-find: --from-scratch is not covered; it sweeps the "
		    "MLP head's rate on pooled embeddings (--hidden N)");
	if ((o->ft_set & FT_SET_EPOCHS) && o->ft.epochs == 0)
		tl_cli_usage_error(usage, "--from-scratch with --ft-epochs 0 would keep random "
		    "weights: give 1 or more");
	tl_ft_scratch_defaults(&d);
	o->finetune = 1;
	o->ft.min_steps = d.min_steps;
	if (!(o->ft_set & FT_SET_LR))
		o->ft.lr = d.lr;
	if (!(o->ft_set & FT_SET_HEAD_LR))
		o->ft.head_lr = d.head_lr;
	if (!(o->ft_set & FT_SET_WD))
		o->ft.wd = d.wd;
}

static void
parse(int argc, char **argv, struct opts *o)
{
	enum { HIDDEN = 256, DROPOUT, EPOCHS, BATCH, LR, L2, SMOOTH, BALANCE, NORM, NOSTD, MAXIT,
	       KEEP, SHRINK, NOOOD, INIT, SEED, TAG, LOG, MAXBAD, STRICT, FT, FTEP, FTLR, FTHLR,
	       FTDECAY, FTWD, FTSMOOTH, FTTO, PARTW, LRFIND, LFSTEPS, LFSTART, LFEND, LFPLOT,
	       ONNX, SCRATCH };
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' }, { "hidden", required_argument, NULL, HIDDEN },
		{ "dropout", required_argument, NULL, DROPOUT }, { "epochs", required_argument, NULL, EPOCHS },
		{ "batch", required_argument, NULL, BATCH }, { "lr", required_argument, NULL, LR },
		{ "l2", required_argument, NULL, L2 }, { "label-smoothing", required_argument, NULL, SMOOTH },
		{ "balance", no_argument, NULL, BALANCE }, { "norm", required_argument, NULL, NORM },
		{ "no-standardize", no_argument, NULL, NOSTD }, { "max-iter", required_argument, NULL, MAXIT },
		{ "keep", required_argument, NULL, KEEP }, { "shrinkage", required_argument, NULL, SHRINK },
		{ "no-ood", no_argument, NULL, NOOOD }, { "init", required_argument, NULL, INIT },
		{ "seed", required_argument, NULL, SEED }, { "version-tag", required_argument, NULL, TAG },
		{ "log", required_argument, NULL, LOG }, { "quiet", no_argument, NULL, 'q' },
		{ "max-bad", required_argument, NULL, MAXBAD }, { "strict", no_argument, NULL, STRICT },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ "finetune", no_argument, NULL, FT }, { "ft-epochs", required_argument, NULL, FTEP },
		{ "ft-lr", required_argument, NULL, FTLR }, { "ft-head-lr", required_argument, NULL, FTHLR },
		{ "ft-decay", required_argument, NULL, FTDECAY }, { "ft-wd", required_argument, NULL, FTWD },
		{ "ft-smoothing", required_argument, NULL, FTSMOOTH },
		{ "finetune-to", required_argument, NULL, FTTO },
		{ "part-weight", required_argument, NULL, PARTW }, { "lr-find", no_argument, NULL, LRFIND },
		{ "export-onnx", required_argument, NULL, ONNX },
		{ "lr-find-steps", required_argument, NULL, LFSTEPS },
		{ "lr-find-start", required_argument, NULL, LFSTART },
		{ "lr-find-end", required_argument, NULL, LFEND },
		{ "lr-find-plot", required_argument, NULL, LFPLOT },
		{ "from-scratch", no_argument, NULL, SCRATCH }, { NULL, 0, NULL, 0 } };
	int c;

	memset(o, 0, sizeof *o);
	tl_train_defaults(&o->t);
	tl_ft_defaults(&o->ft);
	tl_bad_init(&o->bad);
	o->lf.start = 1e-7, o->lf.end = 10, o->lf.steps = 100; /* fastai's */
	while ((c = getopt_long(argc, argv, "o:qhV", lo, NULL)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case HIDDEN:
			o->t.hidden = (int)tl_opt_int(usage, "--hidden", optarg, 1, 65536);
			o->t.head = TL_TLM_MLP;
			break;
		case DROPOUT: o->t.dropout = tl_opt_double(usage, "--dropout", optarg, 0, 0.95); break;
		case EPOCHS: o->t.epochs = (int)tl_opt_int(usage, "--epochs", optarg, 1, 100000); break;
		case BATCH: o->t.batch = (int)tl_opt_int(usage, "--batch", optarg, 1, 65536); break;
		case LR: o->t.lr = tl_opt_double(usage, "--lr", optarg, 1e-9, 10); break;
		case L2: o->t.l2 = tl_opt_double(usage, "--l2", optarg, 0, 1e6); break;
		case SMOOTH: o->t.label_smoothing = tl_opt_double(usage, "--label-smoothing", optarg, 0, 0.99); break;
		case BALANCE: o->t.balance = 1; break;
		case NORM:
			if (tl_tlm_norm_parse(optarg, &o->t.norm) < 0)
				tl_cli_usage_error(usage, "--norm: '%s' is not none, l2 or sqrt", optarg);
			break;
		case NOSTD: o->t.standardize = 0; break;
		case PARTW:
			if (strcmp(optarg, "sqrt") != 0 && strcmp(optarg, "none") != 0)
				tl_cli_usage_error(usage, "--part-weight: '%s' is not sqrt or none", optarg);
			o->t.part_weight = strcmp(optarg, "sqrt") == 0;
			break;
		case MAXIT: o->t.max_iter = (int)tl_opt_int(usage, "--max-iter", optarg, 1, 1000000); break;
		case KEEP: o->t.keep = tl_opt_double(usage, "--keep", optarg, 0.01, 1); break;
		case SHRINK: o->t.shrinkage = tl_opt_double(usage, "--shrinkage", optarg, 0, 1); break;
		case NOOOD: o->t.ood = 0; break;
		case INIT: o->init = optarg; break;
		case SEED: o->t.seed = (uint64_t)tl_opt_int(usage, "--seed", optarg, 0, LLONG_MAX); break;
		case TAG: o->tag = optarg; break;
		case LOG: o->log = optarg; break;
		case 'q': o->quiet = 1; break;
		case FT: o->finetune = 1; break;
		case FTEP:
			o->ft.epochs = (int)tl_opt_int(usage, "--ft-epochs", optarg, 0, 100000);
			o->ft_set |= FT_SET_EPOCHS;
			break;
		case FTLR:
			o->ft.lr = tl_opt_double(usage, "--ft-lr", optarg, 0, 10);
			o->ft_set |= FT_SET_LR;
			break;
		case FTHLR:
			o->ft.head_lr = tl_opt_double(usage, "--ft-head-lr", optarg, 0, 10);
			o->ft_set |= FT_SET_HEAD_LR;
			break;
		case SCRATCH: o->ft.scratch = 1; break;
		case FTDECAY: o->ft.decay = tl_opt_double(usage, "--ft-decay", optarg, 0, 10); break;
		case FTWD:
			o->ft.wd = tl_opt_double(usage, "--ft-wd", optarg, 0, 10);
			o->ft_set |= FT_SET_WD;
			break;
		case FTSMOOTH:
			o->ft.label_smoothing = tl_opt_double(usage, "--ft-smoothing", optarg, 0, 0.99);
			break;
		case FTTO: o->ft.to = optarg; break;
		case MAXBAD: tl_bad_opt(&o->bad, usage, optarg); break;
		case STRICT: o->bad.strict = 1; break;
		case LRFIND: o->lrfind = 1; break;
		case LFSTEPS:
			o->lf.steps = (int)tl_opt_int(usage, "--lr-find-steps", optarg, 2,
			    TL_TRAIN_LRFIND_MAX);
			break;
		case LFSTART:
			o->lf.start = tl_opt_double(usage, "--lr-find-start", optarg, 1e-12, 100);
			break;
		case LFEND: o->lf.end = tl_opt_double(usage, "--lr-find-end", optarg, 1e-12, 100); break;
		case LFPLOT: o->lfplot = optarg; break;
		case ONNX: o->onnx = optarg; break;
		default: tl_cli_opt(c, usage, help);
		}
	}
	if (o->ft.scratch)
		scratch_opts(o);
	if (o->lrfind)
		lrfind_opts(o);
	else if (o->lfplot || o->lf.steps != 100 || o->lf.start != 1e-7 || o->lf.end != 10)
		tl_cli_usage_error(usage, "--lr-find-steps, -start, -end and -plot go with --lr-find");
	if (o->out == NULL && !o->lrfind)
		tl_cli_usage_error(usage, "no model file: give -o FILE");
	o->ft.batch = o->t.batch;
	if (o->finetune && o->t.head != TL_TLM_LINEAR)
		tl_cli_usage_error(usage, "%s trains a linear head: drop --hidden",
		    o->ft.scratch ? "--from-scratch" : "--finetune");
	if (o->tag && (*o->tag == '\0' || strlen(o->tag) > 128))
		tl_cli_usage_error(usage, "--version-tag: want 1 to 128 characters");
}

static void
progress(void *ctx, const char *line)
{
	if (!*(const int *)ctx)
		tl_warn("%s", line);
}

/* fine-tuning's epochs as a progress line with time left (cli/progress.h) */
static void
epoch_progress(void *ctx, int done, int total)
{
	struct tl_progress *p = ctx;

	if (done == 0) {
		tl_progress_init_unit(p, total, "epoch");
		p->what = "fine-tune epoch";
		return;
	}
	tl_progress_step(p, 1);
	if (done == total)
		tl_progress_end(p);
}

/* The model file is written at the end, under a temporary name beside it
 * (afile.h): that temporary file is made (and removed) now, so that a path
 * that cannot be written fails before the training rather than after it.
 * The --log file is opened now for the same reason. */
static FILE *
check_outputs(const struct opts *o)
{
	struct stat st;
	struct tl_afile *a;
	struct tl_err err;
	FILE *f = NULL;

	if (o->lrfind) { /* no model; the plot's file, if any */
		if (o->lfplot && stat(o->lfplot, &st) == 0 && S_ISDIR(st.st_mode))
			tl_die(TL_EXIT_USAGE, "--lr-find-plot %s: is a directory", o->lfplot);
		if (o->lfplot) { /* writable, before minutes of sweeping */
			if ((a = tl_afile_open(o->lfplot, &err)) == NULL)
				tl_die(TL_EXIT_USAGE, "--lr-find-plot %s", err.msg);
			tl_afile_abort(a);
		}
		return NULL;
	}
	if (stat(o->out, &st) == 0 && S_ISDIR(st.st_mode))
		tl_die(TL_EXIT_USAGE, "-o %s: is a directory", o->out);
	if (stat(o->out, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* /dev/null or a FIFO is written in place (afile.h): opening a
		 * FIFO now would hand its reader an empty model */
		if (access(o->out, W_OK) < 0)
			tl_die(TL_EXIT_USAGE, "-o %s: %s", o->out, strerror(errno));
	} else if ((a = tl_afile_open(o->out, &err)) == NULL) {
		tl_die(TL_EXIT_USAGE, "-o %s", err.msg);
	} else {
		tl_afile_abort(a);
	}
	if (o->onnx && stat(o->onnx, &st) == 0 && S_ISDIR(st.st_mode))
		tl_die(TL_EXIT_USAGE, "--export-onnx %s: is a directory", o->onnx);
	if (o->onnx) { /* writable, before minutes of training */
		if ((a = tl_afile_open(o->onnx, &err)) == NULL)
			tl_die(TL_EXIT_USAGE, "--export-onnx %s", err.msg);
		tl_afile_abort(a);
	}
	if (o->log && (f = fopen(o->log, "a")) == NULL)
		tl_die(TL_EXIT_USAGE, "--log %s: %s", o->log, strerror(errno));
	return f;
}

/* Unpooled maps ([H,W,C], pool "none"), as tl-embed --cut writes, are
 * read as a request to fine-tune from where they were cut: as flat
 * embeddings they would make a head of H*W*C inputs whose OOD covariance
 * alone takes (H*W*C)^2 doubles, 5.7 GB at the mobilenetv2 cut. */
/* The sizes of the backbones' parts of emb (header "backbones", tl-embed
 * -m a+b) into t; a stream of one backbone leaves t as it is. */
static void
parts_from_header(const struct tl_rec *h, struct tl_train_opts *t)
{
	const msgpack_object *bb = tl_rec_get(h, "backbones");

	if (bb == NULL || bb->type != MSGPACK_OBJECT_ARRAY || bb->via.array.size < 2 ||
	    bb->via.array.size > 8)
		return;
	for (uint32_t i = 0; i < bb->via.array.size; i++) {
		const msgpack_object *d = tl_obj_get(&bb->via.array.ptr[i], "dims");
		if (d == NULL || d->type != MSGPACK_OBJECT_ARRAY || d->via.array.size != 1 ||
		    d->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    d->via.array.ptr[0].via.u64 > TL_TLM_MAX_DIM)
			return;
		t->part_dim[i] = (int)d->via.array.ptr[0].via.u64;
	}
	t->nparts = (int)bb->via.array.size;
}

static int
is_maps(const struct tl_rec *h)
{
	const msgpack_object *d = tl_rec_get(h, "dims");

	return tl_obj_is_str(tl_rec_get(h, "pool"), "none") && d != NULL &&
	    d->type == MSGPACK_OBJECT_ARRAY && d->via.array.size == 3;
}

/* Reads every record into ts; bad ones are reported and dropped. */
static void
read_all(struct tl_reader *r, struct tl_trainset *ts, struct tl_bad *bad)
{
	struct tl_rec *rec = tl_rec_new();
	struct tl_err err;
	int rc;

	if (rec == NULL)
		tl_die(TL_EXIT_DATA, "out of memory");
	while ((rc = tl_reader_next(r, rec, &err)) != 0) {
		if (rc == TL_STOP)
			tl_die(TL_EXIT_DATA, "%s", err.msg);
		bad->seen++;
		rc = tl_trainset_add(ts, rec, &err);
		if (rc == TL_NOMEM)
			tl_die(TL_EXIT_DATA, "%s", err.msg);
		if (rc == TL_STOP) { /* freed first: the sanitizer build checks for leaks */
			char msg[sizeof err.msg + 256];
			const char *id = tl_rec_str(rec, "id");
			snprintf(msg, sizeof msg, "%s: %s", id ? id : "record", err.msg);
			tl_rec_free(rec);
			tl_trainset_free(ts);
			tl_die(TL_EXIT_DATA, "%s", msg);
		}
		if (rc == TL_SKIP)
			tl_bad_rec(bad, rec, err.msg);
	}
	tl_rec_free(rec);
}

/* n as 3 digits and a unit: 36.1M */
static const char *
human(double n, char *buf, size_t len)
{
	static const char unit[] = " KMGTPE";
	int u = 0;

	while (n >= 999.5 && u < 6)
		n /= 1000, u++;
	snprintf(buf, len, u ? "%.3g%c" : "%.0f", n, unit[u]);
	return buf;
}

/* Before a fine-tuning run starts: what it trains and what that costs in
 * multiply-adds (a forward and a backward pass, about three forwards, of
 * every train map per epoch, a forward of val, and the features of every
 * map before and after), and a warning when the tail is most of the
 * network, which a cut at or near the input makes. */
static void
cost(const struct opts *o, const struct tl_ft_plan *p, const struct tl_trainset *ts)
{
	long long ntr = 0, nva = 0;
	double total;
	int epochs;
	char a[16], b[16];

	for (int c = 0; c < ts->nclass; c++)
		ntr += ts->count[2 * c], nva += ts->count[2 * c + 1];
	if ((epochs = tl_ft_epochs(&o->ft, (size_t)ntr)) == 0)
		return;
	total = (double)p->macs * ((double)epochs * (3.0 * (double)ntr + (double)nva) +
	    2.0 * (double)ts->n);
	if (!o->quiet)
		tl_warn("fine-tuning %s -> %s: %d Convs, %lld parameters, %s multiply-adds per map; "
		    "%d epoch%s of %lld train maps: about %s multiply-adds in all", p->from, p->to,
		    p->convs, p->params, human((double)p->macs, a, sizeof a), epochs,
		    epochs == 1 ? "" : "s", ntr, human(total, b, sizeof b));
	if (!o->quiet && p->nfrozen > 0 && p->frozen_macs >= 0)
		tl_warn("frozen %s: %d pooled features, %s multiply-adds per image to its feature "
		    "layer%s, spent once by tl-embed (and by tl-classify on each image), not per epoch",
		    p->frozen, p->frozen_dim, human((double)p->frozen_macs, a, sizeof a),
		    p->nfrozen > 1 ? "s" : "");
	else if (!o->quiet && p->nfrozen > 0)
		tl_warn("frozen %s: %d pooled features, computed once by tl-embed (and by tl-classify "
		    "on each image), not per epoch", p->frozen, p->frozen_dim);
	if (!o->quiet && o->ft.scratch)
		tl_warn("from scratch: the %d Convs' weights drawn at random (He normal, seed %llu)",
		    p->convs, (unsigned long long)o->t.seed);
	if (2 * p->convs > p->net_convs && !o->ft.scratch)
		tl_warn("the tail %s -> %s is most of the network (%d of the %d Convs up to its end): "
		    "each epoch costs about a whole training pass of the backbone; a cut near the end "
		    "(tl-embed --cut) tunes its last blocks for a fraction of that", p->from, p->to,
		    p->convs, p->net_convs);
}

static void
summary(const struct opts *o, const struct tl_trainset *ts, const struct tl_train_report *p,
        const struct tl_ft_report *f)
{
	long long ntr = 0, nva = 0;

	for (int c = 0; c < ts->nclass; c++)
		ntr += ts->count[2 * c], nva += ts->count[2 * c + 1];
	tl_warn("%d classes, %lld train, %lld val%s; ignored: %lld test, %lld unlabelled, %lld other",
	    ts->nclass, ntr, nva, ts->held_out ? " (no val split: 20% of train held out)" : "",
	    ts->ignored[TL_USE_TEST], ts->ignored[TL_USE_UNLABELLED], ts->ignored[TL_USE_OTHER]);
	for (int c = 0; c < ts->nclass; c++)
		tl_warn("  %-20s %6lld train %6lld val", ts->classes[c], ts->count[2 * c],
		    ts->count[2 * c + 1]);
	if (o->init)
		tl_warn("--init: weights of %d of %d classes inherited", p->inherited, ts->nclass);
	if (f != NULL && f->epochs > 0)
		tl_warn("%s %s -> %s: %d Convs, %lld parameters, %d epoch%s%s, kept epoch %d; "
		    "val accuracy %.4f log loss %.4f frozen, %.4f and %.4f with the joint head",
		    o->ft.scratch ? "trained from scratch" : "fine-tuned", f->from,
		    f->to, f->convs, f->params, f->epochs, f->epochs == 1 ? "" : "s",
		    o->ft.epochs < 0 ? " (auto)" : "", f->best_epoch,
		    f->frozen.val_raw.acc,
		    f->frozen.val_raw.logloss, f->joint_val.acc, f->joint_val.logloss);
	else if (f != NULL && o->init)
		tl_warn("the tail %s -> %s of the --init model (%d Convs), not trained further", f->from,
		    f->to, f->convs);
	else if (f != NULL)
		tl_warn("the tail %s -> %s (%d Convs) with the backbone's own weights (--ft-epochs 0)",
		    f->from, f->to, f->convs);
	if (f != NULL && f->epochs > 0)
		tl_warn("linear head trained with the tail from the frozen fit (l2 %.3g)", p->l2);
	else
		tl_warn("%s head, l2 %.3g%s, %d %s", tl_tlm_head_name(o->t.head), p->l2,
		    o->t.l2 < 0 && o->t.head == TL_TLM_LINEAR ? " (chosen by val log loss)" : "",
		    p->iters, o->t.head == TL_TLM_LINEAR ? "iterations" : "epochs (best)");
	tl_warn("train: accuracy %.4f, log loss %.4f", p->train.acc, p->train.logloss);
	tl_warn("val:   accuracy %.4f, log loss %.4f, ECE %.4f", p->val_raw.acc,
	    p->val_raw.logloss, p->val_raw.ece);
	tl_warn("calibrated (T = %.3f): log loss %.4f, ECE %.4f", p->temperature,
	    p->val_cal.logloss, p->val_cal.ece);
	if (p->temp_bound > 0)
		tl_warn("the temperature stopped at its search bound %g: val asks for flatter "
		    "probabilities still (the model is confidently wrong on much of val: a head that "
		    "learnt little, or val unlike train); they are flattened toward 1/%d only that far",
		    TL_CALIB_TMAX, ts->nclass);
	else if (p->temp_bound < 0)
		tl_warn("the temperature stopped at its search bound %g: val asks for sharper "
		    "probabilities still (every val record right, or a strong --l2 shrinking the "
		    "logits); they are sharpened only that far", TL_CALIB_TMIN);
	if (o->t.ood)
		tl_warn("OOD threshold %.4g keeps %.1f%% of val", p->ood_threshold, 100 * p->ood_kept);
}

/* The sweep's chart: the loss (raw, grey; smoothed, blue) against log10
 * of the rate, the suggestion and the run's --lr marked; the y axis from
 * the lowest loss to the highest smoothed one. */
static void
lrfind_plot(const struct opts *o, const struct tl_train_lrfind *lf)
{
	struct tl_svg_plot p = { .width = 640, .height = 400, .legend = 1,
	                         .title = o->lrfind_ft ?
	                             "learning-rate finder: fine-tuning, one batch per rate" :
	                             "learning-rate finder: MLP head, one batch per rate",
	                         .xlabel = o->lrfind_ft ?
	                             "learning rate of the tail's last Conv (log10)" :
	                             "learning rate (log10)", .ylabel = "training loss" };
	const char *names[] = { "loss", "smoothed (EMA 0.98)", "suggested",
	                        o->lrfind_ft ? "--ft-lr" : "--lr" };
	static const char *const colours[] = { "#bbbbbb", "#1f77b4", "#d62728", "#2ca02c" };
	double *x = malloc((size_t)lf->n * sizeof *x + 1), lo = INFINITY, hi = -INFINITY;
	double vx[2], vy[2];
	struct tl_afile *a;
	struct tl_err err;
	char note[64];
	FILE *f;

	if (x == NULL)
		tl_die(TL_EXIT_DATA, "out of memory");
	for (int i = 0; i < lf->n; i++) {
		x[i] = log10(lf->lr[i]);
		if (isfinite(lf->smooth[i])) /* raw losses above the smoothed are cut */
			lo = fmin(lo, lf->smooth[i]), hi = fmax(hi, lf->smooth[i]);
		if (isfinite(lf->loss[i]))
			lo = fmin(lo, lf->loss[i]);
	}
	if (!(hi > lo)) /* one value, or none finite */
		lo = isfinite(lo) ? lo - 1 : 0, hi = isfinite(hi) ? hi + 1 : 1;
	p.xmin = log10(lf->start), p.xmax = log10(lf->end);
	p.ymin = lo - 0.05 * (hi - lo), p.ymax = hi + 0.05 * (hi - lo);
	if ((a = tl_afile_open(o->lfplot, &err)) == NULL)
		tl_die(TL_EXIT_DATA, "--lr-find-plot %s", err.msg);
	f = tl_afile_fp(a);
	tl_svg_begin(f, &p);
	tl_svg_legend(f, &p, names, colours, 4);
	{ /* the raw losses, clipped to the plot */
		double *y = malloc((size_t)lf->n * sizeof *y + 1);
		if (y == NULL)
			tl_die(TL_EXIT_DATA, "out of memory");
		for (int i = 0; i < lf->n; i++)
			y[i] = isfinite(lf->loss[i]) ? fmin(fmax(lf->loss[i], p.ymin), p.ymax) : NAN;
		tl_svg_line(f, &p, x, y, lf->n, colours[0], 0, 0);
		free(y);
	}
	tl_svg_line(f, &p, x, lf->smooth, lf->n, colours[1], 0, 0);
	vx[0] = vx[1] = log10(o->lrfind_ft ? o->ft.lr : o->t.lr), vy[0] = p.ymin, vy[1] = p.ymax;
	tl_svg_line(f, &p, vx, vy, 2, colours[3], 0, 1);
	vx[0] = vx[1] = log10(lf->suggest);
	tl_svg_line(f, &p, vx, vy, 2, colours[2], 0, 1);
	tl_svg_line(f, &p, vx, &lf->smooth[lf->valley], 1, colours[2], 1, 0);
	snprintf(note, sizeof note, "%.3g", lf->suggest);
	tl_svg_note(f, &p, vx[0], lf->smooth[lf->valley], 14, note);
	tl_svg_end(f);
	if (tl_afile_commit(a, &err) < 0)
		tl_die(TL_EXIT_DATA, "--lr-find-plot %s", err.msg);
	free(x);
}

/* --lr-find: the sweep, its table on stdout, the suggestion on stderr. */
static void
lrfind(struct opts *o, const struct tl_trainset *ts, const struct tl_rec *hdr)
{
	struct tl_train_lrfind *lf = &o->lf;
	struct tl_err err;

	if ((o->lrfind_ft ? tl_ft_lrfind(&o->t, &o->ft, ts, hdr, lf, &err) :
	    tl_train_lrfind(&o->t, ts, lf, &err)) < 0)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	printf("lr\tloss\tsmoothed\n");
	for (int i = 0; i < lf->n; i++)
		printf("%.6e\t%.6f\t%.6f\n", lf->lr[i], lf->loss[i], lf->smooth[i]);
	if (fflush(stdout) != 0 || ferror(stdout))
		tl_die(TL_EXIT_DATA, "stdout: write error");
	if (o->lfplot)
		lrfind_plot(o, lf);
	tl_warn("learning-rate sweep: %d of %d rates, %.3g to %.3g%s", lf->n, lf->steps,
	    lf->start, lf->lr[lf->n - 1], lf->stopped ?
	    " (stopped: the smoothed loss passed 4 times its best)" : "");
	if (o->lrfind_ft)
		tl_warn("suggested --ft-lr %.3g --ft-head-lr %.3g (fastai's valley: half way down the "
		    "longest descent of the smoothed loss; the head's rate keeps its ratio %.3g to the "
		    "tail's); tl-train's --ft-lr is %.3g%s", lf->suggest,
		    lf->suggest * o->ft.head_lr / o->ft.lr, o->ft.head_lr / o->ft.lr, o->ft.lr,
		    o->ft.lr == 1e-3 ? " (the default)" : "");
	else
		tl_warn("suggested --lr %.3g (fastai's valley: half way down the longest descent of "
		    "the smoothed loss); tl-train's --lr is %.3g%s", lf->suggest, o->t.lr,
		    o->t.lr == 1e-3 ? " (the default)" : "");
	if (o->lfplot)
		tl_warn("wrote %s", o->lfplot);
}

/* Date (SOURCE_DATE_EPOCH or now), version tag, metadata; then the file
 * and the --log line. */
static void
finish(const struct opts *o, struct tl_tlm *m, const struct tl_trainset *ts,
       const struct tl_train_report *rep, const struct tl_ft_report *frep, FILE *f)
{
	time_t now;
	char created[32], stamp[32], tag[160], hex[65];
	struct tl_rec *meta = tl_rec_new();
	struct tl_err err;
	struct tm tm;

	if (tl_clock_now(&now, &err) < 0) /* checked in main(): cannot fail here */
		tl_die(TL_EXIT_USAGE, "%s", err.msg);
	gmtime_r(&now, &tm);
	strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
	if (meta == NULL || tl_train_meta(&o->t, ts, rep, HOLDOUT, meta) < 0 ||
	    (frep != NULL && tl_ft_meta(&o->ft, frep, meta) < 0))
		tl_die(TL_EXIT_DATA, "out of memory");
	msgpack_object mo = { .type = MSGPACK_OBJECT_MAP, .via.map = { (uint32_t)meta->n, meta->kv } };
	if (tl_tlm_set_meta(m, &mo, NULL, created, PRODUCER, &err) < 0 ||
	    tl_tlm_sha256(m, hex, &err) < 0)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	snprintf(tag, sizeof tag, "%s-%.8s", stamp, hex);
	if (tl_tlm_set_meta(m, NULL, o->tag ? o->tag : tag, NULL, NULL, &err) < 0 ||
	    tl_tlm_save(m, o->out, &err) < 0)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	tl_warn("wrote %s (version %s)", o->out, m->version_tag);
	if (o->log) {
		struct tl_rec *line = tl_rec_new();
		if (line == NULL || tl_rec_set_str(line, "time", created) < 0 ||
		    tl_rec_set_str(line, "version", m->version_tag) < 0 ||
		    tl_rec_set_str(line, "model", o->out) < 0 ||
		    tl_rec_set_str(line, "backbone", m->backbone.name) < 0 ||
		    tl_rec_set_str(line, "layer", m->backbone.layer) < 0)
			tl_die(TL_EXIT_DATA, "out of memory");
		for (size_t i = 0; i < meta->n; i++) {
			const msgpack_object_str *k = &meta->kv[i].key.via.str;
			char key[256];
			snprintf(key, sizeof key, "%.*s", (int)k->size, k->ptr);
			if (tl_rec_set_obj(line, key, &meta->kv[i].val) < 0)
				tl_die(TL_EXIT_DATA, "out of memory");
		}
		if (tl_recjson_write(f, line, 0, &err) < 0 || fclose(f) != 0)
			tl_die(TL_EXIT_DATA, "%s: write error", o->log);
		tl_rec_free(line);
	}
	tl_rec_free(meta);
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct tl_reader *r;
	struct tl_trainset *ts;
	struct tl_tlm *init = NULL, *m;
	struct tl_train_report rep;
	struct tl_ft_report frep;
	struct tl_ft_plan plan;
	struct tl_progress eprog;
	struct tl_err err;
	time_t now;
	FILE *log;
	int tail;

	tl_cli_init(argv[0]);
	parse(argc, argv, &o);
	if (tl_clock_now(&now, &err) < 0) /* before training, not after */
		tl_die(TL_EXIT_USAGE, "%s", err.msg);
	log = check_outputs(&o);
	if (o.init && (init = tl_tlm_load(o.init, &err)) == NULL)
		tl_die(TL_EXIT_USAGE, "%s", err.msg);
	o.t.init = init;
	o.t.log = progress;
	o.t.log_ctx = &o.quiet;
	if (!o.quiet)
		o.ft.epoch = epoch_progress, o.ft.epoch_ctx = &eprog;
	if ((r = tl_reader_open(argv + optind, argc - optind, &err)) == NULL)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	if (init && tl_tlm_check_header(init, tl_reader_header(r), &err) < 0)
		tl_die(TL_EXIT_DATA, "--init %s: %s", o.init, err.msg);
	parts_from_header(tl_reader_header(r), &o.t);
	tail = o.finetune || is_maps(tl_reader_header(r)) || (init && init->tail.n > 0);
	if (tail && o.lrfind && o.t.head != TL_TLM_LINEAR)
		tl_die(TL_EXIT_USAGE, "--lr-find on maps sweeps fine-tuning's rate, which trains a "
		    "linear head: drop --hidden, or give pooled embeddings (tl-embed -p avg)");
	if (!tail && o.lrfind && o.t.head != TL_TLM_MLP)
		tl_die(TL_EXIT_USAGE, "--lr-find: the linear head is fit by L-BFGS, which has no "
		    "learning rate: add --hidden N for the MLP head, or give maps from tl-embed --cut "
		    "to sweep fine-tuning's");
	o.lrfind_ft = tail;
	if (tail && o.t.head != TL_TLM_LINEAR)
		tl_die(TL_EXIT_USAGE, "maps from tl-embed --cut fine-tune a linear head: drop --hidden, "
		    "or give pooled embeddings");
	if (tail && tl_ft_check(tl_reader_header(r), &o.t, &o.ft, &plan, &err) < 0)
		tl_die(TL_EXIT_DATA, "%s%s", err.msg, o.finetune ? "" :
		    " (for a head on frozen features, pool the maps: tl-embed -p avg)");
	if ((ts = tl_trainset_new()) == NULL)
		tl_die(TL_EXIT_DATA, "out of memory");
	if (tail && plan.nfrozen > 0) { /* several backbones: the frozen parts' features */
		ts->fdim = plan.frozen_dim;
		o.t.nparts = plan.nfrozen + 1; /* the sizes: tl_ft_train's (the tail's output first) */
	}
	read_all(r, ts, &o.bad);
	if (tl_trainset_finish(ts, HOLDOUT, o.t.seed, &err) < 0)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	if (o.lrfind) {
		if (tail && !o.quiet) {
			char a[16], b[16];
			tl_warn("learning-rate sweep of fine-tuning %s -> %s: %d Convs, %lld parameters, "
			    "%s multiply-adds per map; at most %d steps of %d maps: about %s "
			    "multiply-adds", plan.from, plan.to, plan.convs, plan.params,
			    human((double)plan.macs, a, sizeof a), o.lf.steps, o.t.batch,
			    human(3.0 * (double)plan.macs * o.lf.steps * o.t.batch, b, sizeof b));
		}
		lrfind(&o, ts, tl_reader_header(r));
		tl_warn("%lld read, %lld skipped", o.bad.seen, o.bad.bad);
		tl_train_lrfind_free(&o.lf);
		tl_reader_close(r);
		tl_trainset_free(ts);
		tl_tlm_free(init);
		return tl_bad_status(&o.bad);
	}
	if (tail)
		cost(&o, &plan, ts);
	m = tail ? tl_ft_train(&o.t, &o.ft, ts, tl_reader_header(r), &rep, &frep, &err)
	         : tl_train(&o.t, ts, &rep, &err);
	if (m == NULL || tl_tlm_set_backbone(m, tl_reader_header(r), &err) < 0)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	summary(&o, ts, &rep, tail ? &frep : NULL);
	finish(&o, m, ts, &rep, tail ? &frep : NULL, log);
	if (o.onnx) { /* from the file just written: what tl-classify --export-onnx does */
		struct tl_export_info info;
		if (tl_export_onnx(o.out, NULL, o.onnx, &info, &err) < 0)
			tl_die(TL_EXIT_DATA, "--export-onnx: %s", err.msg);
		tl_warn("wrote %s: input \"image\" float32 [N,%d,%d,3] (RGB 0..255, %s), output "
		    "\"prob\" [N,%d]", o.onnx, info.height, info.width, info.resize, info.nclass);
	}
	tl_warn("%lld read, %lld skipped", o.bad.seen, o.bad.bad);
	tl_reader_close(r);
	tl_trainset_free(ts);
	tl_tlm_free(m);
	tl_tlm_free(init);
	return tl_bad_status(&o.bad);
}
