/*
 * test_train.c - lib/train, lib/tlm, lib/calib, lib/ood: a linear head
 * recovers a known linear rule (accuracy and weight direction), the MLP
 * learns a rule no linear head can (XOR), temperature scaling finds T > 1 on
 * overconfident logits and lowers ECE on held-out data, OOD keeps about
 * --keep of fresh in-distribution points and rejects far ones, the holdout
 * is stratified and deterministic, the model file round-trips to identical
 * logits, bad files fail with exact messages, and training is deterministic
 * given the seed, and the learning-rate finder's valley picks half way down
 * the longest descent.  Fixtures are generated here from explicit RNG state.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "core/rng.h"
#include "core/tensor.h"
#include "learn/calib.h"
#include "learn/finetune.h"
#include "learn/head.h"
#include "learn/ood.h"
#include "learn/tlm.h"
#include "learn/train.h"
#include "stream/stream.h"
#include "scratch.h"
#include "t.h"

static double
gauss(struct tl_rng *r)
{
	double u = tl_rng_unit(r), v = tl_rng_unit(r);

	return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

/* A record {id, label, split, emb <f4 [d]}. */
static void
add(struct tl_trainset *ts, struct tl_rec *r, const char *label, const char *split,
    const float *x, int d, int i)
{
	char id[64];
	uint64_t sh = (uint64_t)d;
	struct tl_err err;
	float *p;

	tl_rec_clear(r);
	snprintf(id, sizeof id, "%s/%d", label, i);
	tl_rec_set_str(r, "id", id);
	tl_rec_set_str(r, "label", label);
	if (split)
		tl_rec_set_str(r, "split", split);
	p = tl_rec_set_tensor(r, "emb", TL_F32, 1, &sh);
	memcpy(p, x, (size_t)d * sizeof *p);
	if (tl_trainset_add(ts, r, &err) < 0)
		printf("add: %s\n", err.msg);
}

/* A stream header like tl-embed's, for backbone sha `sha` and dims [d]. */
static struct tl_rec *
header(const char *sha, const char *layer, int d)
{
	struct tl_rec *h = tl_rec_new();
	msgpack_object_kv kv[2];
	msgpack_object mo = { .type = MSGPACK_OBJECT_MAP }, dim = { .type = MSGPACK_OBJECT_POSITIVE_INTEGER };
	msgpack_object arr = { .type = MSGPACK_OBJECT_ARRAY };

	tl_header_init(h, "test", NULL);
	kv[0].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR, .via.str = { 4, "name" } };
	kv[0].val = (msgpack_object){ .type = MSGPACK_OBJECT_STR, .via.str = { 5, "synth" } };
	kv[1].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR, .via.str = { 6, "sha256" } };
	kv[1].val = (msgpack_object){ .type = MSGPACK_OBJECT_STR, .via.str = { (uint32_t)strlen(sha), sha } };
	mo.via.map = (msgpack_object_map){ 2, kv };
	tl_rec_set_obj(h, "model", &mo);
	dim.via.u64 = (uint64_t)d;
	arr.via.array = (msgpack_object_array){ 1, &dim };
	tl_rec_set_obj(h, "dims", &arr);
	tl_rec_set_str(h, "layer", layer);
	tl_rec_set_str(h, "pool", "avg");
	return h;
}

/* Class = sign of w.x for w = (1, -2, 0.5, 0, ...): train 400, val 200. */
static void
test_linear_rule(void)
{
	enum { D = 8, N = 600 };
	const double w[D] = { 1, -2, 0.5, 0, 0, 0, 0, 0 };
	struct tl_trainset *ts = tl_trainset_new();
	struct tl_rec *r = tl_rec_new();
	struct tl_train_opts o;
	struct tl_train_report rep;
	struct tl_err err;
	struct tl_rng rng;
	struct tl_tlm *m;
	double dot = 0, nw = 0, nf = 0;

	tl_rng_seed(&rng, 1);
	for (int i = 0; i < N; i++) {
		float x[D];
		double s = 0;
		for (int j = 0; j < D; j++)
			s += w[j] * (x[j] = (float)gauss(&rng));
		add(ts, r, s > 0 ? "pos" : "neg", i < 400 ? "train" : "val", x, D, i);
	}
	T_OK("linear: trainset finish", tl_trainset_finish(ts, 0.2, 0, &err) == 0);
	tl_train_defaults(&o);
	o.norm = TL_TLM_NORM_NONE;
	o.standardize = 0;
	o.log = NULL;
	m = tl_train(&o, ts, &rep, &err);
	T_OK("linear: trains", m != NULL);
	if (m == NULL)
		return;
	T_OK("linear: val accuracy >= 0.97", rep.val_raw.acc >= 0.97);
	T_OK("linear: train accuracy >= 0.98", rep.train.acc >= 0.98);
	/* classes sorted: neg = 0, pos = 1; direction of W[pos] - W[neg] */
	for (int j = 0; j < D; j++) {
		double f = m->w1[D + j] - m->w1[j];
		dot += f * w[j], nw += w[j] * w[j], nf += f * f;
	}
	T_OK("linear: weight direction cos >= 0.99", dot / sqrt(nw * nf) >= 0.99);
	tl_tlm_free(m);
	tl_trainset_free(ts);
	tl_rec_free(r);
}

/* Overconfident logits: labels drawn from softmax(z), the calibrator sees
 * 3z; T should come out near 3 and ECE drop on a fresh held-out set. */
static void
test_temperature(void)
{
	enum { N = 4000, K = 4 };
	static float z[N * K], p[N * K], z2[N * K], p2[N * K];
	static int y[N], y2[N];
	struct tl_rng rng;
	struct tl_probq before, after;
	double t;

	tl_rng_seed(&rng, 2);
	for (int pass = 0; pass < 2; pass++) {
		float *zz = pass ? z2 : z, *pp = pass ? p2 : p;
		int *yy = pass ? y2 : y;
		for (int i = 0; i < N; i++) {
			double u = tl_rng_unit(&rng), acc = 0;
			for (int c = 0; c < K; c++)
				zz[i * K + c] = (float)(1.2 * gauss(&rng));
			tl_head_softmax(1, K, zz + i * K, 1, pp + i * K);
			yy[i] = K - 1;
			for (int c = 0; c < K; c++)
				if (u < (acc += pp[i * K + c])) {
					yy[i] = c;
					break;
				}
			for (int c = 0; c < K; c++)
				zz[i * K + c] *= 3;
		}
	}
	t = tl_calib_temperature(N, K, z, y);
	T_NEAR("calib: T on 3x overconfident logits", t, 3, 0.3, 0);
	tl_head_softmax(N, K, z2, 1, p2);
	tl_probq_eval(&tl_probq_train, N, K, p2, y2, &before);
	tl_head_softmax(N, K, z2, (float)t, p2);
	tl_probq_eval(&tl_probq_train, N, K, p2, y2, &after);
	T_OK("calib: ECE lower on held-out data", after.ece < before.ece / 2);
	T_OK("calib: log loss lower on held-out data", after.logloss < before.logloss);
	T_NEAR("calib: T = 1 for calibrated logits", tl_calib_temperature(N, K, z, y) / 3, 1, 0.1, 0);
	T_EQ_INT("calib: T of calibrated logits is not at a bound",
	    tl_calib_at_bound(tl_calib_temperature(N, K, z, y)), 0);
	/* every label the argmax: the NLL falls as T does, to the lower bound;
	 * every label the argmin: it falls as T grows, to the upper one */
	for (int i = 0; i < N; i++)
		y[i] = 0, y2[i] = K - 1;
	for (int i = 0; i < N; i++)
		for (int c = 0; c < K; c++)
			z[i * K + c] = (float)(K - c);
	t = tl_calib_temperature(N, K, z, y);
	T_NEAR("calib: all right: T at the lower bound", t, TL_CALIB_TMIN, 1e-5, 0);
	T_EQ_INT("calib: all right: said to be at the lower bound", tl_calib_at_bound(t), -1);
	t = tl_calib_temperature(N, K, z, y2);
	T_NEAR("calib: all wrong: T at the upper bound", t, TL_CALIB_TMAX, 1e-3, 0);
	T_EQ_INT("calib: all wrong: said to be at the upper bound", tl_calib_at_bound(t), 1);
}

/* Three Gaussian classes in 10-d; keep 0.9 of val, test on fresh points. */
static void
test_ood(void)
{
	enum { D = 10, K = 3, N = 3000 };
	struct tl_trainset *ts = tl_trainset_new();
	struct tl_rec *r = tl_rec_new();
	struct tl_train_opts o;
	struct tl_train_report rep;
	struct tl_err err;
	struct tl_rng rng;
	struct tl_tlm *m;
	static const char *lab[K] = { "a", "b", "c" };
	static float fresh[1000 * D], far[100 * D], sc[1000];
	float *work;
	int kept = 0, rejected = 0;

	tl_rng_seed(&rng, 3);
	for (int i = 0; i < N + 1000; i++) {
		float x[D];
		for (int j = 0; j < D; j++)
			x[j] = (float)(gauss(&rng) + (j == i % K ? 4 : 0));
		if (i < N)
			add(ts, r, lab[i % K], i < 2000 ? "train" : "val", x, D, i);
		else
			memcpy(fresh + (i - N) * D, x, sizeof x);
	}
	for (int i = 0; i < 100 * D; i++)
		far[i] = (float)(gauss(&rng) + 25);
	tl_trainset_finish(ts, 0.2, 0, &err);
	tl_train_defaults(&o);
	o.keep = 0.9;
	o.norm = TL_TLM_NORM_NONE;
	m = tl_train(&o, ts, &rep, &err);
	T_OK("ood: trains", m != NULL && m->has_ood);
	if (m == NULL)
		return;
	T_NEAR("ood: val kept share = keep", rep.ood_kept, 0.9, 0.005, 0);
	work = malloc(tl_head_work_size(m, 1000) * sizeof *work);
	tl_head_input(m, 1000, fresh, fresh);
	tl_head_ood(m, 1000, fresh, sc, work);
	for (int i = 0; i < 1000; i++)
		kept += sc[i] <= m->ood_threshold;
	T_NEAR("ood: fresh in-distribution kept within 0.04 of keep", kept / 1000.0, 0.9, 0.04, 0);
	tl_head_input(m, 100, far, far);
	tl_head_ood(m, 100, far, sc, work);
	for (int i = 0; i < 100; i++)
		rejected += sc[i] > m->ood_threshold;
	T_EQ_INT("ood: far points all rejected", rejected, 100);
	T_NEAR("ood: threshold is the keep quantile", tl_ood_threshold(4, (float[]){ 4, 1, 3, 2 }, 0.5), 2, 0, 0);
	free(work);
	tl_tlm_free(m);
	tl_trainset_free(ts);
	tl_rec_free(r);
}

/* A four-blob XOR in 2-d (+6 noise dims): the MLP learns it. */
static struct tl_trainset *
xor_set(int with_val)
{
	enum { D = 8 };
	struct tl_trainset *ts = tl_trainset_new();
	struct tl_rec *r = tl_rec_new();
	struct tl_rng rng;
	struct tl_err err;

	tl_rng_seed(&rng, 4);
	for (int i = 0; i < 800; i++) {
		float x[D];
		int a = i & 1, b = (i >> 1) & 1;
		for (int j = 0; j < D; j++)
			x[j] = (float)(0.3 * gauss(&rng));
		x[0] += a ? 1 : -1;
		x[1] += b ? 1 : -1;
		add(ts, r, a ^ b ? "odd" : "even", with_val ? (i < 600 ? "train" : "val") : NULL, x, D, i);
	}
	tl_trainset_finish(ts, 0.2, 7, &err);
	tl_rec_free(r);
	return ts;
}

static void
test_mlp_and_files(void)
{
	struct tl_trainset *ts = xor_set(1);
	struct tl_train_opts o;
	struct tl_train_report rep, rep2;
	struct tl_err err;
	struct tl_tlm *m, *m2, *lin, *back;
	struct tl_rec *h = header("abc", "feat", 8);
	msgpack_sbuffer b1, b2;
	float emb[16], l1[4], l2[4], *work;

	tl_train_defaults(&o);
	o.head = TL_TLM_MLP;
	o.hidden = 16;
	o.dropout = 0.1;
	o.lr = 0.01;
	o.epochs = 60;
	o.seed = 5;
	m = tl_train(&o, ts, &rep, &err);
	T_OK("mlp: trains", m != NULL);
	if (m == NULL)
		return;
	T_OK("mlp: XOR val accuracy >= 0.95", rep.val_raw.acc >= 0.95);
	o.head = TL_TLM_LINEAR;
	lin = tl_train(&o, ts, &rep2, &err);
	T_OK("mlp: a linear head cannot do XOR (val accuracy < 0.75)", rep2.val_raw.acc < 0.75);
	/* determinism: same seed, same bytes */
	o.head = TL_TLM_MLP;
	m2 = tl_train(&o, ts, &rep2, &err);
	tl_tlm_set_backbone(m, h, &err);
	tl_tlm_set_backbone(m2, h, &err);
	msgpack_sbuffer_init(&b1);
	msgpack_sbuffer_init(&b2);
	tl_tlm_pack(m, &b1, &err);
	tl_tlm_pack(m2, &b2, &err);
	T_OK("determinism: same seed, byte-identical model",
	    b1.size == b2.size && memcmp(b1.data, b2.data, b1.size) == 0);
	msgpack_sbuffer_destroy(&b1);
	msgpack_sbuffer_destroy(&b2);

	/* round trip */
	T_OK("file: save", tl_tlm_save(m, at("m.tlm"), &err) == 0);
	back = tl_tlm_load(at("m.tlm"), &err);
	T_OK("file: load", back != NULL);
	if (back != NULL) {
		work = malloc(tl_head_work_size(m, 2) * sizeof *work);
		for (int i = 0; i < 16; i++)
			emb[i] = (float)(i % 5) - 2;
		tl_head_predict(m, 2, emb, l1, NULL, work);
		tl_head_predict(back, 2, emb, l2, NULL, work);
		T_OK("file: identical probabilities after a round trip", memcmp(l1, l2, sizeof l1) == 0);
		T_OK("file: same temperature and threshold", back->temperature == m->temperature &&
		    back->ood_threshold == m->ood_threshold && back->has_ood);
		T_EQ_STR("file: classes", back->classes[1], "odd");
		T_EQ_STR("file: backbone layer", back->backbone.layer, "feat");
		T_OK("file: --init check accepts the same backbone", tl_tlm_check_header(back, h, &err) == 0);
		free(work);
	}
	{
		struct tl_rec *h2 = header("def", "feat", 8);
		T_OK("file: --init check refuses another backbone", tl_tlm_check_header(back, h2, &err) < 0);
		T_EQ_STR("file: --init message", err.msg,
		    "backbone differs (sha256): the model wants embeddings of synth sha256 abc, layer feat, "
		    "pool avg, dims [8]; the stream has synth sha256 def, layer feat, pool avg, dims [8]");
		tl_rec_free(h2);
	}
	tl_tlm_free(back);
	tl_tlm_free(m);
	tl_tlm_free(m2);
	tl_tlm_free(lin);
	tl_rec_free(h);
	tl_trainset_free(ts);
}

/* Writes bytes to scratch_dir/name and returns tl_tlm_load's message ("" when it loads). */
static const char *
load_msg(const char *name, const void *p, size_t n, struct tl_err *err)
{
	struct tl_tlm *m;
	const char *msg;

	spit_bytes(name, p, n);
	m = tl_tlm_load(at(name), err);
	tl_tlm_free(m);
	if (m != NULL)
		return "";
	msg = strstr(err->msg, name);
	return msg ? msg + strlen(name) + 2 : err->msg; /* after "NAME: " */
}

/* Sets the checksum at the end of a model's bytes (tl-model(5)) to theirs:
 * a file changed on purpose, to reach the checks after the checksum's. */
static void
rechecksum(char *p, size_t n)
{
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);

	g_checksum_update(ck, (const guchar *)p, (gssize)(n - 73));
	memcpy(p + n - 64, g_checksum_get_string(ck), 64);
	g_checksum_free(ck);
}

/* The saved model's map, re-packed without key `skip` and with "tlm" set to
 * version, its checksum made anew (ck) or left out. */
static void
variant(const msgpack_sbuffer *in, const char *skip, int version, int ck, msgpack_sbuffer *out)
{
	msgpack_unpacked u;
	msgpack_packer pk;
	size_t off = 0;
	uint32_t n = 0;

	msgpack_unpacked_init(&u);
	msgpack_unpack_next(&u, in->data, in->size, &off);
	msgpack_sbuffer_init(out);
	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	for (uint32_t i = 0; i < u.data.via.map.size; i++)
		n += !tl_obj_is_str(&u.data.via.map.ptr[i].key, skip) &&
		    (ck || !tl_obj_is_str(&u.data.via.map.ptr[i].key, "sha256"));
	msgpack_pack_map(&pk, n);
	for (uint32_t i = 0; i < u.data.via.map.size; i++) {
		msgpack_object_kv *kv = &u.data.via.map.ptr[i];
		if (tl_obj_is_str(&kv->key, skip) || (!ck && tl_obj_is_str(&kv->key, "sha256")))
			continue;
		msgpack_pack_object(&pk, kv->key);
		if (tl_obj_is_str(&kv->key, "tlm"))
			msgpack_pack_int(&pk, version);
		else
			msgpack_pack_object(&pk, kv->val);
	}
	msgpack_unpacked_destroy(&u);
	if (ck)
		rechecksum(out->data, out->size);
}

static void
test_bad_files(void)
{
	struct tl_trainset *ts = xor_set(1);
	struct tl_train_opts o;
	struct tl_train_report rep;
	struct tl_err err;
	struct tl_rec *h = header("abc", "feat", 8);
	struct tl_tlm *m;
	msgpack_sbuffer b, v;
	char *junk;

	tl_train_defaults(&o);
	m = tl_train(&o, ts, &rep, &err);
	tl_tlm_set_backbone(m, h, &err);
	msgpack_sbuffer_init(&b);
	tl_tlm_pack(m, &b, &err);
	T_EQ_STR("bad file: the good one loads", load_msg("good.tlm", b.data, b.size, &err), "");
	T_EQ_STR("bad file: truncated", load_msg("cut.tlm", b.data, b.size / 2, &err),
	    "truncated model file");
	T_EQ_STR("bad file: one byte", load_msg("one.tlm", b.data, 1, &err), "truncated model file");
	T_EQ_STR("bad file: empty", load_msg("empty.tlm", b.data, 0, &err), "empty file");
	T_EQ_STR("bad file: text", load_msg("text.tlm", "hello world\n", 12, &err),
	    "not a tl model file");
	variant(&b, "", 2, 1, &v);
	T_EQ_STR("bad file: format version 2", load_msg("v2.tlm", v.data, v.size, &err),
	    "model format version 2, this tl reads 1");
	msgpack_sbuffer_destroy(&v);
	variant(&b, "tlm", 1, 1, &v);
	T_EQ_STR("bad file: no tlm key", load_msg("notlm.tlm", v.data, v.size, &err),
	    "not a tl model file");
	msgpack_sbuffer_destroy(&v);
	variant(&b, "head", 1, 1, &v);
	T_EQ_STR("bad file: missing head", load_msg("nohead.tlm", v.data, v.size, &err),
	    "missing key 'head'");
	msgpack_sbuffer_destroy(&v);
	variant(&b, "temperature", 1, 1, &v);
	T_EQ_STR("bad file: missing temperature", load_msg("not.tlm", v.data, v.size, &err),
	    "missing key 'temperature'");
	msgpack_sbuffer_destroy(&v);
	variant(&b, "", 1, 0, &v);
	T_EQ_STR("bad file: no checksum", load_msg("nock.tlm", v.data, v.size, &err),
	    "no checksum (corrupted, or written by an older tl-train: train it again)");
	msgpack_sbuffer_destroy(&v);
	variant(&b, "backbone", 1, 1, &v);
	T_EQ_STR("bad file: missing backbone", load_msg("nobb.tlm", v.data, v.size, &err),
	    "missing key 'backbone'");
	msgpack_sbuffer_destroy(&v);
	/* a corrupted dtype: "<f4" of input.mean becomes "<f5" */
	junk = malloc(b.size + 1);
	memcpy(junk, b.data, b.size);
	for (size_t i = 0; i + 3 < b.size; i++)
		if (memcmp(junk + i, "<f4", 3) == 0) {
			junk[i + 2] = '5';
			break;
		}
	T_EQ_STR("bad file: a changed byte", load_msg("dt.tlm", junk, b.size, &err),
	    "corrupted (checksum mismatch)");
	rechecksum(junk, b.size);
	T_EQ_STR("bad file: corrupted tensor dtype", load_msg("dt.tlm", junk, b.size, &err),
	    "bad key 'input.mean': tensor has no known dtype (|u1, <f4, <f2, <i4)");
	memcpy(junk, b.data, b.size);
	junk[b.size - 1] ^= 1;
	T_EQ_STR("bad file: a changed checksum", load_msg("ck.tlm", junk, b.size, &err),
	    "corrupted (checksum mismatch)");
	memcpy(junk, b.data, b.size);
	junk[b.size] = 0;
	T_EQ_STR("bad file: trailing bytes", load_msg("trail.tlm", junk, b.size + 1, &err),
	    "trailing bytes after the model");
	free(junk);
	{
		struct tl_tlm *x = tl_tlm_load("/nonexistent/m.tlm", &err);
		T_OK("bad file: missing file", x == NULL);
		T_EQ_STR("bad file: missing file message", err.msg,
		    "/nonexistent/m.tlm: cannot open: No such file or directory");
	}
	msgpack_sbuffer_destroy(&b);
	tl_tlm_free(m);
	tl_rec_free(h);
	tl_trainset_free(ts);
}

static void
test_holdout(void)
{
	struct tl_trainset *a = xor_set(0), *b = xor_set(0);
	int same = 1;

	T_OK("holdout: made when there is no val", a->held_out == 1);
	T_EQ_INT("holdout: 20% of class even", a->count[1], 80);
	T_EQ_INT("holdout: 20% of class odd", a->count[3], 80);
	for (size_t i = 0; i < a->n; i++)
		same &= a->val[i] == b->val[i];
	T_OK("holdout: deterministic", same);
	tl_trainset_free(a);
	tl_trainset_free(b);
}

/* Fine-tuning's length: fixed epochs as given; automatic ones reach
 * min_steps steps (hymenoptera: 1225 maps, 39 steps an epoch, 21 epochs;
 * 2695 maps, 85 steps, 10), within [5, 200]. */
static void
test_ft_epochs(void)
{
	struct tl_ft_opts o;

	tl_ft_defaults(&o);
	T_OK("ft epochs: auto by default", o.epochs == -1 && o.min_steps == 800 && o.batch == 32);
	T_OK("ft epochs: 1225 maps", tl_ft_epochs(&o, 1225) == 21);
	T_OK("ft epochs: 2695 maps", tl_ft_epochs(&o, 2695) == 10);
	T_OK("ft epochs: 800 steps exactly", tl_ft_epochs(&o, 32 * 80) == 10);
	T_OK("ft epochs: 81 steps an epoch, still 10", tl_ft_epochs(&o, 32 * 80 + 1) == 10);
	T_OK("ft epochs: at least 5", tl_ft_epochs(&o, 100000) == 5);
	T_OK("ft epochs: at most 200", tl_ft_epochs(&o, 10) == 200);
	T_OK("ft epochs: no maps", tl_ft_epochs(&o, 0) == 200);
	o.epochs = 0;
	T_OK("ft epochs: 0 as given", tl_ft_epochs(&o, 1225) == 0);
	o.epochs = 3;
	T_OK("ft epochs: 3 as given", tl_ft_epochs(&o, 1225) == 3);
}

/* fastai's valley: half way down the longest descent, past the first tenth */
static void
test_valley(void)
{
	static const double down_up[20] = { 9, 9, 6, 6, 6, 5, 4, 3, 2, 1, 0.5, 1, 2, 3, 4, 5, 6, 7,
	                                    8, 9 };
	static const double up[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	int work[20];

	/* past the 2 skipped: the descent 6 5 4 3 2 1 0.5 is 7 long and ends
	 * at 8, so s = 1 and 1 + 7/3 + 7/6 = 4: index 6 of the whole */
	T_EQ_INT("valley: half way down the descent", tl_train_valley(20, down_up, work), 6);
	/* no descent: the first point past the skipped tenth */
	T_EQ_INT("valley: rising only", tl_train_valley(10, up, work), 1);
	T_EQ_INT("valley: one point", tl_train_valley(1, up, work), 0);
}

int
main(void)
{
	if (scratch_open("test_train") != 0)
		return 1;
	test_linear_rule();
	test_temperature();
	test_ood();
	test_holdout();
	test_ft_epochs();
	test_valley();
	test_mlp_and_files();
	test_bad_files();
	if (scratch_close(1) != 0)
		return 1;
	T_DONE();
}
