/*
 * tl-bulk - bulk identification from cron: every image of an incoming folder
 * or archive that is new since the last run classified once, its verdict in
 * a SQLite database (tl-bulk(1)); and the reviews that follow: the images a
 * query selects copied into review folders, people's sorted folders read
 * back as labels, shards' databases merged.  Options and wiring only:
 * lib/bulk/bulk.c keeps the database, lib/data/walk.c lists the incoming
 * files, lib/classify/classify.c classifies.
 *
 * A run: the state directory's lock (flock(2) on DIR/lock, held to the
 * end: a second run exits 0 at once), then every file listed; one whose
 * path, size and mtime the database knows is passed over unread; the
 * others are read and hashed, and those whose sha256 has no verdict are
 * classified, in chunks of -n new images.  Each chunk is one transaction:
 * the files read and the verdicts made.  Memory: one chunk of images.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "bulk/bulk.h"
#include "classify/classify.h"
#include "cli/cli.h"
#include "data/image.h"
#include "data/walk.h"
#include "stream/extract.h"
#include "stream/stream.h"

#define PRODUCER "tl-bulk " TL_VERSION

static const char usage[] =
	"tl-bulk -m model.tlm [-d state-dir] [-n chunk] [-v] [--min-conf p]\n"
	"       [--ood-threshold x] [--no-reject] [--backbone name|path] [-b batch]\n"
	"       [-j threads] [--decoders n] [--max-pixels n] [--shard K/N] incoming\n"
	"       tl-bulk [-d state-dir] --review dir [--pred class] [--min-conf p]\n"
	"       [--max-conf p] [--reject ood|conf|none] [--lowest n]\n"
	"       tl-bulk [-d state-dir] --record-reviews dir\n"
	"       tl-bulk [-d state-dir] --merge shard.db ...";

static const char help[] =
	"Classifies every image of incoming (a folder or an archive) that is new since\n"
	"the last run, each exactly once even when killed, its verdict in\n"
	"state-dir/bulk.db (SQLite); meant for cron.  See tl-bulk(1) for the schema\n"
	"and the queries.\n\n"
	"  -m, --model FILE        the trained model (tl-train -o FILE)\n"
	"  -d, --dir DIR           the state directory: bulk.db, lock (default ./bulk)\n"
	"  -n, --chunk N           new images committed per transaction (100)\n"
	"  -v, --verbose           say what was done (quiet otherwise)\n"
	"      --min-conf P        classifying: pred is \"unknown\" when conf < P;\n"
	"                          with --review: conf >= P\n"
	"      --ood-threshold X, --no-reject, --backbone NAME|PATH, -b, --batch N,\n"
	"      -j, --threads N, --decoders N, --max-pixels N   as for tl-classify\n"
	"      --shard K/N         only the files of shard K of N (tl-ingest --shard):\n"
	"                          one state directory per shard, then --merge\n"
	"      --review DIR        copy the images a query selects to\n"
	"                          DIR/PRED/CONF-NAME (from the paths recorded)\n"
	"      --pred CLASS        ... those taken for CLASS\n"
	"      --max-conf P        ... with conf <= P\n"
	"      --reject WHY        ... rejected as unknown for WHY (ood, conf), or none\n"
	"      --lowest N          ... only the N lowest conf\n"
	"      --record-reviews DIR  people's labels from DIR/LABEL/FILE into reviews\n"
	"      --merge             add the databases given (shards') into this one\n"
	"  -h, --help              this help\n"
	"  -V, --version           the version\n";

enum mode { M_RUN, M_REVIEW, M_RECORD, M_MERGE };

struct opts {
	enum mode mode;
	const char *dir, *target; /* target: --review or --record-reviews DIR */
	int chunk, verbose;
	double min_conf;          /* NaN: not given */
	struct tl_classify_opts c;
	struct tl_bulk_select sel;
	unsigned shard, nshards;
};

static void
parse(int argc, char **argv, struct opts *o)
{
	enum { MINCONF = 256, OODTHR, NOREJECT, BACKBONE, MAXPIX, DECODERS, REVIEW, PRED, MAXCONF,
	       REJECT, LOWEST, RECORD, MERGE, SHARD };
	static const struct option lo[] = {
		{ "model", required_argument, NULL, 'm' }, { "dir", required_argument, NULL, 'd' },
		{ "chunk", required_argument, NULL, 'n' }, { "verbose", no_argument, NULL, 'v' },
		{ "min-conf", required_argument, NULL, MINCONF },
		{ "ood-threshold", required_argument, NULL, OODTHR },
		{ "no-reject", no_argument, NULL, NOREJECT },
		{ "backbone", required_argument, NULL, BACKBONE },
		{ "batch", required_argument, NULL, 'b' }, { "threads", required_argument, NULL, 'j' },
		{ "decoders", required_argument, NULL, DECODERS },
		{ "max-pixels", required_argument, NULL, MAXPIX },
		{ "review", required_argument, NULL, REVIEW }, { "pred", required_argument, NULL, PRED },
		{ "max-conf", required_argument, NULL, MAXCONF },
		{ "reject", required_argument, NULL, REJECT },
		{ "lowest", required_argument, NULL, LOWEST },
		{ "record-reviews", required_argument, NULL, RECORD },
		{ "merge", no_argument, NULL, MERGE }, { "shard", required_argument, NULL, SHARD },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 } };
	const char *env = getenv("TL_THREADS");
	int c, sel = 0;

	*o = (struct opts){ .dir = "./bulk", .chunk = 100, .min_conf = NAN };
	o->c = (struct tl_classify_opts){ .ood_threshold = NAN, .reject = 1, .batch = 32,
	    .max_pixels = TL_IMAGE_MAX_PIXELS_DEFAULT, .decoders = -1 };
	o->sel = (struct tl_bulk_select){ .min_conf = NAN, .max_conf = NAN };
	if (env && *env)
		o->c.threads = (int)tl_opt_int(usage, "TL_THREADS", env, 1, 256);
	while ((c = getopt_long(argc, argv, "m:d:n:vb:j:hV", lo, NULL)) != -1) {
		switch (c) {
		case 'm': o->c.model = optarg; break;
		case 'd': o->dir = optarg; break;
		case 'n': o->chunk = (int)tl_opt_int(usage, "-n", optarg, 1, 1000000); break;
		case 'v': o->verbose = 1; break;
		case MINCONF: o->min_conf = tl_opt_double(usage, "--min-conf", optarg, 0, 1); break;
		case OODTHR:
			o->c.ood_threshold = tl_opt_double(usage, "--ood-threshold", optarg, 0, HUGE_VAL);
			break;
		case NOREJECT: o->c.reject = 0; break;
		case BACKBONE: o->c.backbone = optarg; break;
		case 'b': o->c.batch = (int)tl_opt_int(usage, "--batch", optarg, 1, 4096); break;
		case 'j': o->c.threads = (int)tl_opt_int(usage, "--threads", optarg, 1, 256); break;
		case DECODERS: o->c.decoders = (int)tl_opt_int(usage, "--decoders", optarg, 0, 64); break;
		case MAXPIX:
			o->c.max_pixels = (unsigned long long)tl_opt_int(usage, "--max-pixels", optarg,
			    1, 1LL << 40);
			break;
		case REVIEW: o->mode = M_REVIEW, o->target = optarg; break;
		case RECORD: o->mode = M_RECORD, o->target = optarg; break;
		case MERGE: o->mode = M_MERGE; break;
		case SHARD: {
			char *slash = strchr(optarg, '/');
			if (slash == NULL || slash == optarg || slash[1] == '\0')
				tl_cli_usage_error(usage, "--shard: '%s' is not K/N", optarg);
			*slash = '\0';
			o->nshards = (unsigned)tl_opt_int(usage, "--shard's N", slash + 1, 1, 1000000);
			o->shard = (unsigned)tl_opt_int(usage, "--shard's K", optarg, 0,
			                                (long long)o->nshards - 1);
			break;
		}
		case PRED: o->sel.pred = optarg, sel = 1; break;
		case MAXCONF: o->sel.max_conf = tl_opt_double(usage, "--max-conf", optarg, 0, 1), sel = 1; break;
		case REJECT:
			if (strcmp(optarg, "ood") != 0 && strcmp(optarg, "conf") != 0 &&
			    strcmp(optarg, "none") != 0)
				tl_cli_usage_error(usage, "--reject: '%s' is not ood, conf or none", optarg);
			o->sel.reject = strcmp(optarg, "none") == 0 ? "" : optarg, sel = 1;
			break;
		case LOWEST: o->sel.lowest = tl_opt_int(usage, "--lowest", optarg, 1, 1LL << 40), sel = 1; break;
		default: tl_cli_opt(c, usage, help);
		}
	}
	if (sel && o->mode != M_REVIEW)
		tl_cli_usage_error(usage, "--pred, --max-conf, --reject and --lowest select for --review");
	if (o->mode == M_REVIEW) {
		o->sel.min_conf = o->min_conf;
		if (optind != argc)
			tl_cli_usage_error(usage, "--review takes no incoming");
	} else if (o->mode == M_RECORD) {
		if (optind != argc)
			tl_cli_usage_error(usage, "--record-reviews takes no incoming");
	} else if (o->mode == M_MERGE) {
		if (optind == argc)
			tl_cli_usage_error(usage, "--merge: no database to merge");
	} else {
		if (optind == argc)
			tl_cli_usage_error(usage, "no incoming folder or archive");
		if (argc - optind > 1)
			tl_cli_usage_error(usage, "one incoming folder or archive, not %d", argc - optind);
		if (o->c.model == NULL)
			tl_cli_usage_error(usage, "no model: give -m model.tlm");
		if (!isnan(o->min_conf))
			o->c.min_conf = o->min_conf;
	}
}

/* TL_BULK_KILL=STEP[:N] (tests): SIGKILL at the Nth time (1st) the run
 * reaches STEP; TL_BULK_KILL=N: at the Nth step of any name. */
static void
hook(const char *step)
{
	static long long seen[16], any;
	static const char *names[16];
	const char *k = getenv("TL_BULK_KILL"), *colon;
	long long at = 1;
	size_t len;
	int i;

	if (k == NULL || *k == '\0')
		return;
	if (*k >= '0' && *k <= '9') {
		if (++any == atoll(k))
			raise(SIGKILL);
		return;
	}
	colon = strchr(k, ':');
	len = colon ? (size_t)(colon - k) : strlen(k);
	if (colon)
		at = atoll(colon + 1);
	if (strlen(step) != len || strncmp(step, k, len) != 0)
		return;
	for (i = 0; i < 15 && names[i] && strcmp(names[i], step) != 0; i++)
		;
	names[i] = step;
	if (++seen[i] == at)
		raise(SIGKILL);
}

/* One file of the chunk being built. */
struct entry {
	char *src, *id;
	long long size, mtime;
	char sha[65];
	int isnew;   /* its image is classified in this chunk (else: a known content) */
	char *error; /* its image is bad: why */
	int verdict; /* pred .. reject are set */
	char *pred, *reject;
	double conf, ood;
};

struct run {
	struct opts *o;
	struct tl_bulk *db;
	long long id;
	struct tl_classifier *c;
	struct tl_rec *inh, *outh, *rec;
	const char *model, *model_sha256; /* the output header's, owned by outh */
	struct entry *e;
	size_t n, cap, nnew;
	size_t *fifo, fhead, ftail; /* entries queued in the classifier, in order */
	GHashTable *shas;           /* sha (of e[]) -> entry index + 1: this chunk's new contents */
	int chunkno, status;
	struct tl_bulk_counts k;
};

static void
db_die(struct run *r, struct tl_err *err)
{
	tl_bulk_rollback(r->db);
	tl_die(TL_EXIT_USAGE, "%s", err->msg);
}

static void
hex(const unsigned char *p, size_t n, char out[65])
{
	GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);

	g_checksum_update(c, p, n);
	memcpy(out, g_checksum_get_string(c), 64);
	out[64] = '\0';
	g_checksum_free(c);
}

static void
unhex(const char *h, unsigned char out[32])
{
	for (int i = 0; i < 32; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
}

static struct entry *
add_entry(struct run *r, const struct tl_item *it, const char *sha)
{
	struct entry *e;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 256;
		if ((e = realloc(r->e, cap * sizeof *e)) == NULL ||
		    (r->fifo = realloc(r->fifo, cap * sizeof *r->fifo)) == NULL)
			tl_die(TL_EXIT_DATA, "out of memory");
		r->e = e, r->cap = cap;
	}
	e = &r->e[r->n++];
	*e = (struct entry){ .src = strdup(it->src), .id = strdup(it->id), .size = it->size,
	                     .mtime = it->mtime, .conf = NAN, .ood = NAN };
	if (e->src == NULL || e->id == NULL)
		tl_die(TL_EXIT_DATA, "out of memory");
	memcpy(e->sha, sha, 65);
	return e;
}

/* The classifier, made when the first new image comes: a run with nothing
 * new never loads the model or its backbone. */
static void
classifier(struct run *r)
{
	const msgpack_object *m;
	struct tl_err err;
	int st;

	if (r->c != NULL)
		return;
	if ((r->c = tl_classifier_new(&r->o->c, &err)) == NULL)
		tl_die(TL_EXIT_USAGE, "%s", err.msg);
	if ((r->inh = tl_rec_new()) == NULL || (r->outh = tl_rec_new()) == NULL ||
	    (r->rec = tl_rec_new()) == NULL || tl_header_init(r->inh, PRODUCER, NULL) < 0 ||
	    tl_header_init(r->outh, PRODUCER, r->inh) < 0)
		tl_die(TL_EXIT_DATA, "out of memory");
	if ((st = tl_classifier_start(r->c, r->inh, r->outh, &err)) < 0)
		tl_die(st == TL_STOP ? TL_EXIT_USAGE : TL_EXIT_DATA, "%s", err.msg);
	if ((m = tl_rec_get(r->outh, "classifier")) != NULL) {
		const msgpack_object *v;
		static char ver[256], sha[65];
		if ((v = tl_obj_get(m, "version")) && v->type == MSGPACK_OBJECT_STR)
			snprintf(ver, sizeof ver, "%.*s", (int)v->via.str.size, v->via.str.ptr);
		if ((v = tl_obj_get(m, "sha256")) && v->type == MSGPACK_OBJECT_STR)
			snprintf(sha, sizeof sha, "%.*s", (int)v->via.str.size, v->via.str.ptr);
		r->model = ver, r->model_sha256 = sha;
	}
}

/* Classifies the oldest queued batch; its verdicts into their entries. */
static void
run_batch(struct run *r)
{
	const struct tl_rec *out;
	struct tl_err err;

	if (tl_classifier_run(r->c, &err) < 0)
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	for (int i = 0; i < tl_classifier_pending(r->c); i++) {
		struct entry *e = &r->e[r->fifo[r->fhead++]];
		int st = tl_classifier_result(r->c, i, &out, &err);
		const char *s;

		if (st == TL_STOP || st == TL_NOMEM)
			tl_die(TL_EXIT_DATA, "%s", err.msg);
		if (st == TL_SKIP) {
			tl_warn("%s: %s", e->src, err.msg);
			r->status = TL_EXIT_DATA;
			r->k.bad++;
			if ((e->error = strdup(err.msg)) == NULL)
				tl_die(TL_EXIT_DATA, "out of memory");
			continue;
		}
		e->verdict = 1;
		if ((s = tl_rec_str((struct tl_rec *)out, "pred")) == NULL || (e->pred = strdup(s)) == NULL)
			tl_die(TL_EXIT_DATA, "%s: no verdict", e->src);
		if ((s = tl_rec_str((struct tl_rec *)out, "reject")) != NULL &&
		    (e->reject = strdup(s)) == NULL)
			tl_die(TL_EXIT_DATA, "out of memory");
		tl_rec_f64(out, "conf", &e->conf);
		tl_rec_f64(out, "ood", &e->ood);
	}
	tl_classifier_reset(r->c);
	hook("classified");
}

/* The chunk: its images classified, then one transaction. */
static void
commit(struct run *r)
{
	struct tl_err err;
	long long nv = 0;

	if (r->n == 0)
		return;
	while (r->c != NULL && tl_classifier_queued(r->c) > 0)
		run_batch(r);
	if (tl_bulk_begin(r->db, &err) < 0)
		db_die(r, &err);
	for (size_t i = 0; i < r->n; i++) {
		struct entry *e = &r->e[i];
		const char *error = e->error;
		if (!e->isnew) { /* a known content, or a copy of one of this chunk */
			gpointer p = g_hash_table_lookup(r->shas, e->sha);
			if (p != NULL)
				error = r->e[GPOINTER_TO_SIZE(p) - 1].error;
		}
		if (tl_bulk_put_file(r->db, r->id, e->src, e->size, e->mtime, e->sha, error, &err) < 0)
			db_die(r, &err);
		if (e->verdict) {
			struct tl_bulk_verdict v = { .sha256 = e->sha, .id = e->id, .src = e->src,
			    .model = r->model ? r->model : "", .model_sha256 = r->model_sha256 ?
			    r->model_sha256 : "", .pred = e->pred, .conf = e->conf, .ood = e->ood,
			    .reject = e->reject };
			if (tl_bulk_put_verdict(r->db, r->id, &v, &err) < 0)
				db_die(r, &err);
			nv++;
			r->k.unknown += strcmp(e->pred, "unknown") == 0;
		}
	}
	hook("inserted");
	if (tl_bulk_put_chunk(r->db, r->id, ++r->chunkno, (long long)r->n, nv, &err) < 0 ||
	    tl_bulk_commit(r->db, &err) < 0)
		db_die(r, &err);
	r->k.classified += nv;
	hook("committed");
	for (size_t i = 0; i < r->n; i++) {
		free(r->e[i].src), free(r->e[i].id), free(r->e[i].error);
		free(r->e[i].pred), free(r->e[i].reject);
	}
	r->n = r->nnew = r->fhead = r->ftail = 0;
	g_hash_table_remove_all(r->shas);
}

/* One listed file: passed over when known, else read and hashed; a new
 * content is queued for the classifier. */
static void
one(struct run *r, struct tl_walk *w, struct tl_item *it)
{
	struct tl_err err;
	struct entry *e;
	char sha[65];
	int k;

	if (it->size >= 0 && it->mtime >= 0) {
		if ((k = tl_bulk_known(r->db, it->src, it->size, it->mtime, &err)) < 0)
			db_die(r, &err);
		if (k == 1)
			return;
	}
	if ((k = tl_walk_read(w, it, &err)) != TL_OK) {
		if (k == TL_NOMEM)
			tl_die(TL_EXIT_DATA, "out of memory");
		tl_warn("%s: %s", it->src, err.msg); /* not recorded: tried again next run */
		r->status = TL_EXIT_DATA;
		r->k.bad++;
		return;
	}
	r->k.read++;
	hook("read");
	hex(it->data, it->len, sha);
	if (g_hash_table_contains(r->shas, sha) ||
	    (k = tl_bulk_has(r->db, sha, &err)) == 1) {
		add_entry(r, it, sha);
		return;
	}
	if (k < 0)
		db_die(r, &err);
	classifier(r);
	e = add_entry(r, it, sha);
	e->isnew = 1;
	r->nnew++;
	g_hash_table_insert(r->shas, g_strdup(sha), GSIZE_TO_POINTER(r->n));
	{
		unsigned char bin[32];
		unhex(sha, bin);
		tl_rec_clear(r->rec);
		if (tl_rec_set_str(r->rec, "id", it->id) != 0 || tl_rec_set_str(r->rec, "src", it->src) != 0 ||
		    tl_rec_set_bin(r->rec, "sha256", bin, 32) != 0 ||
		    tl_rec_set_bin(r->rec, "img", it->data, it->len) != 0)
			tl_die(TL_EXIT_DATA, "out of memory");
	}
	k = tl_classifier_add(r->c, r->rec, &err);
	if (k == TL_SKIP) {
		tl_warn("%s: %s", it->src, err.msg);
		r->status = TL_EXIT_DATA;
		r->k.bad++;
		if ((e->error = strdup(err.msg)) == NULL)
			tl_die(TL_EXIT_DATA, "out of memory");
	} else if (k != TL_OK) {
		tl_die(TL_EXIT_DATA, "%s", err.msg);
	} else {
		r->fifo[r->ftail++] = r->n - 1;
		if (tl_classifier_full(r->c))
			run_batch(r);
	}
}

/* The state directory's lock, held until exit; 0 when another run has it. */
static int
lock(const char *dir)
{
	char *path = g_strdup_printf("%s/lock", dir);
	int fd;

	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		tl_die(TL_EXIT_USAGE, "%s: cannot create the state directory: %s", dir, strerror(errno));
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0)
		tl_die(TL_EXIT_USAGE, "%s: cannot lock the state directory (%s: %s)", dir, path,
		       strerror(errno));
	g_free(path);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			return 0;
		tl_die(TL_EXIT_USAGE, "%s/lock: %s", dir, strerror(errno));
	}
	return 1; /* fd stays open: the lock is held until the process ends */
}

/* The database of o->dir; readonly, or must_exist, refuse to make one. */
static struct tl_bulk *
open_db(const struct opts *o, int readonly, int must_exist)
{
	char *path = g_strdup_printf("%s/%s", o->dir, TL_BULK_DB);
	struct tl_bulk *db;
	struct tl_err err;

	if ((readonly || must_exist) && access(path, F_OK) != 0)
		tl_die(TL_EXIT_USAGE, "%s: %s", path, strerror(errno));
	if ((db = tl_bulk_open(path, readonly, &err)) == NULL)
		tl_die(TL_EXIT_USAGE, "%s", err.msg);
	g_free(path);
	return db;
}

static int
bulk_run(struct opts *o, const char *incoming)
{
	struct tl_walk_opts wo = { .max_bytes = tl_max_record(), .max_name = "TL_MAX_RECORD",
	                           .no_split_folders = 1, .lazy = 1, .shard = o->shard,
	                           .nshards = o->nshards };
	struct run r = { .o = o };
	struct tl_walk *w;
	struct tl_item it;
	struct tl_err err;
	struct stat st;
	int k;

	if (stat(incoming, &st) != 0)
		tl_die(TL_EXIT_USAGE, "%s: %s", incoming, strerror(errno));
	if (access(o->c.model, R_OK) != 0)
		tl_die(TL_EXIT_USAGE, "%s: cannot read the model: %s", o->c.model, strerror(errno));
	if (!lock(o->dir)) {
		tl_warn("%s: another run holds the lock; nothing done", o->dir);
		return 0;
	}
	hook("locked");
	r.db = open_db(o, 0, 0);
	if ((r.shas = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL)) == NULL)
		tl_die(TL_EXIT_DATA, "out of memory");
	{ /* the state of the earlier, shell-script tl-bulk: imported once */
		char *log = g_strdup_printf("%s/log.jsonl", o->dir);
		long long n;
		if (access(log, F_OK) == 0) {
			if (tl_bulk_import_log(r.db, log, incoming, &n, &err) < 0)
				db_die(&r, &err);
			if (n >= 0)
				tl_warn("%s: %lld verdicts of the earlier tl-bulk imported", log, n);
		}
		g_free(log);
	}
	if (tl_bulk_run_start(r.db, incoming, &r.id, &err) < 0)
		db_die(&r, &err);
	hook("started");
	if ((w = tl_walk_open(incoming, 0, &wo, &err)) == NULL)
		tl_die(TL_EXIT_USAGE, "%s", err.msg);
	while ((k = tl_walk_next(w, &it, &err)) != 0) {
		if (k == TL_NOMEM)
			tl_die(TL_EXIT_DATA, "out of memory");
		if (k == TL_SKIP) {
			tl_warn("%s: %s", it.src ? it.src : incoming, err.msg);
			r.status = TL_EXIT_DATA;
			r.k.bad++;
			continue;
		}
		r.k.listed++;
		one(&r, w, &it);
		if ((int)r.nnew >= o->chunk || r.n >= 10000)
			commit(&r);
	}
	commit(&r);
	tl_walk_close(w);
	if (tl_bulk_run_end(r.db, r.id, r.model, r.model_sha256, &r.k, r.status, &err) < 0)
		db_die(&r, &err);
	if (o->verbose) {
		tl_warn("%lld files listed, %lld unchanged, %lld read", r.k.listed,
		        r.k.listed - r.k.read - r.k.bad, r.k.read);
		tl_warn("%lld classified (%lld unknown), %lld bad", r.k.classified, r.k.unknown,
		        r.k.bad);
	}
	tl_bulk_close(r.db);
	tl_classifier_free(r.c);
	tl_rec_free(r.inh), tl_rec_free(r.outh), tl_rec_free(r.rec);
	g_hash_table_destroy(r.shas);
	free(r.e), free(r.fifo);
	return r.status;
}

/* The bytes of src: a file, or archive!member (walked to the member).
 * 0 with *data (g_free) and *len, or -1 (err). */
static int
fetch(const char *src, gchar **data, gsize *len, struct tl_err *err)
{
	struct tl_walk_opts wo = { .max_bytes = tl_max_record(), .max_name = "TL_MAX_RECORD",
	                           .no_split_folders = 1, .lazy = 1 };
	GError *ge = NULL;
	struct tl_walk *w;
	struct tl_item it;
	struct stat st;
	char *ar = NULL;
	int k, found = 0;

	if (g_file_get_contents(src, data, len, &ge))
		return 0;
	/* archive!member: the longest prefix before a '!' that is a file */
	for (const char *p = strrchr(src, '!'); p != NULL && ar == NULL;) {
		char *a = g_strndup(src, (gsize)(p - src));
		if (stat(a, &st) == 0 && S_ISREG(st.st_mode))
			ar = a;
		else
			g_free(a);
		while (--p >= src && *p != '!')
			;
		if (p < src)
			p = NULL;
	}
	if (ar == NULL) {
		tl_err_set(err, "%s", ge->message);
		g_error_free(ge);
		return -1;
	}
	g_error_free(ge);
	if ((w = tl_walk_open(ar, 0, &wo, err)) == NULL) {
		g_free(ar);
		return -1;
	}
	while (!found && (k = tl_walk_next(w, &it, err)) != 0) {
		if (k < 0 || strcmp(it.src, src) != 0)
			continue;
		if (tl_walk_read(w, &it, err) != TL_OK)
			break;
		*data = g_memdup2(it.data, it.len);
		*len = it.len;
		found = 1;
	}
	if (!found && k == 0)
		tl_err_set(err, "no such member in %s", ar);
	tl_walk_close(w);
	g_free(ar);
	return found ? 0 : -1;
}

/* Copies the file src to path through a temporary name; the bytes' sha256
 * must be want's.  0, or -1 (err). */
static int
copy_file(const char *src, const char *path, const char *want, struct tl_err *err)
{
	gchar *data;
	gsize len;
	GError *ge = NULL;
	char sha[65];

	if (fetch(src, &data, &len, err) < 0)
		return -1;
	hex((unsigned char *)data, len, sha);
	if (strcmp(sha, want) != 0) {
		g_free(data);
		return tl_err_set(err, "changed since it was classified (sha256 differs): not copied");
	}
	if (!g_file_set_contents(path, data, (gssize)len, &ge)) {
		tl_err_set(err, "%s", ge->message);
		g_error_free(ge);
		g_free(data);
		return -1;
	}
	g_free(data);
	return 0;
}

/* --review DIR: the selected verdicts' images to DIR/PRED/CONF-NAME. */
static int
review(const struct opts *o)
{
	struct tl_bulk *db = open_db(o, 1, 1);
	struct tl_bulk_verdict v;
	struct tl_err err;
	long long n = 0, bad = 0;
	int k;

	if (g_mkdir_with_parents(o->target, 0777) != 0)
		tl_die(TL_EXIT_USAGE, "%s: %s", o->target, strerror(errno));
	if (tl_bulk_query(db, &o->sel, &err) < 0)
		tl_die(TL_EXIT_USAGE, "%s", err.msg);
	while ((k = tl_bulk_next(db, &v, &err)) == 1) {
		char name[256], conf[16], cls[256];
		char *dir, *path;
		tl_extract_safe_name(name, v.id, strlen(v.id));
		tl_extract_safe_name(cls, v.pred, strlen(v.pred));
		if (isnan(v.conf))
			strcpy(conf, "na");
		else
			snprintf(conf, sizeof conf, "%.2f", v.conf);
		dir = g_strdup_printf("%s/%s", o->target, cls);
		path = g_strdup_printf("%s/%s-%s", dir, conf, name);
		if (g_mkdir_with_parents(dir, 0777) != 0)
			tl_die(TL_EXIT_USAGE, "%s: %s", dir, strerror(errno));
		if (copy_file(v.src, path, v.sha256, &err) < 0) {
			tl_warn("%s: %s", v.src, err.msg);
			bad++;
		} else {
			n++;
		}
		g_free(dir), g_free(path);
	}
	if (k < 0)
		tl_die(TL_EXIT_USAGE, "%s", err.msg);
	if (o->verbose)
		tl_warn("%lld images copied to %s, %lld not", n, o->target, bad);
	tl_bulk_close(db);
	return bad ? TL_EXIT_DATA : 0;
}

/* --record-reviews DIR: DIR/LABEL/FILE, each file's sha256 and LABEL. */
static int
record(const struct opts *o)
{
	struct tl_walk_opts wo = { .max_bytes = tl_max_record(), .max_name = "TL_MAX_RECORD",
	                           .no_split_folders = 1, .lazy = 1 };
	struct tl_bulk *db = open_db(o, 0, 1);
	struct tl_walk *w;
	struct tl_item it;
	struct tl_err err;
	long long n = 0, orphan = 0, bad = 0;
	char sha[65];
	int k;

	if ((w = tl_walk_open(o->target, 0, &wo, &err)) == NULL)
		tl_die(TL_EXIT_USAGE, "%s", err.msg);
	if (tl_bulk_begin(db, &err) < 0)
		tl_die(TL_EXIT_USAGE, "%s", err.msg);
	while ((k = tl_walk_next(w, &it, &err)) != 0) {
		if (k == TL_NOMEM)
			tl_die(TL_EXIT_DATA, "out of memory");
		if (k == TL_SKIP || (k = tl_walk_read(w, &it, &err)) != TL_OK) {
			tl_warn("%s: %s", it.src ? it.src : o->target, err.msg);
			bad++;
			continue;
		}
		if (it.label == NULL) {
			tl_warn("%s: not in a label's folder: not recorded", it.src);
			bad++;
			continue;
		}
		hex(it.data, it.len, sha);
		if ((k = tl_bulk_put_review(db, sha, it.label, it.src, &err)) < 0) {
			tl_bulk_rollback(db);
			tl_die(TL_EXIT_USAGE, "%s", err.msg);
		}
		n++;
		orphan += k == 0;
	}
	if (tl_bulk_commit(db, &err) < 0)
		tl_die(TL_EXIT_USAGE, "%s", err.msg);
	tl_walk_close(w);
	if (orphan)
		tl_warn("%lld of %lld reviewed images have no verdict (kept all the same)", orphan, n);
	if (o->verbose)
		tl_warn("%lld reviews recorded", n);
	tl_bulk_close(db);
	return bad ? TL_EXIT_DATA : 0;
}

static int
merge(const struct opts *o, char **shards, int n)
{
	struct tl_bulk *db;
	struct tl_err err;
	long long nv, nf;

	if (!lock(o->dir)) {
		tl_warn("%s: another run holds the lock; nothing done", o->dir);
		return 0;
	}
	db = open_db(o, 0, 0);
	for (int i = 0; i < n; i++) {
		if (tl_bulk_merge(db, shards[i], &nv, &nf, &err) < 0)
			tl_die(TL_EXIT_USAGE, "%s", err.msg);
		if (o->verbose)
			tl_warn("%s: %lld verdicts, %lld files added", shards[i], nv, nf);
	}
	tl_bulk_close(db);
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;

	tl_cli_init(argv[0]);
	parse(argc, argv, &o);
	switch (o.mode) {
	case M_REVIEW: return review(&o);
	case M_RECORD: return record(&o);
	case M_MERGE: return merge(&o, argv + optind, argc - optind);
	default: return bulk_run(&o, argv[optind]);
	}
}
