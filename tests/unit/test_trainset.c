/*
 * test_trainset.c - tl_trainset_add's values (err.h's enum tl_status): a
 * record's use when it is kept or ignored, TL_SKIP for a bad record, and
 * TL_NOMEM when the set cannot grow, so that tl-train tells out of memory by
 * the value and not by comparing err's text.  Records are built here.
 */
#include <stdlib.h>
#include <string.h>

#include "core/tensor.h"
#include "learn/train.h"
#include "t.h"

/* ASan refuses an allocation this large by aborting unless told to return
 * NULL, as malloc does. */
#if defined(__SANITIZE_ADDRESS__)
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}
#endif

/* A record {id, label, split, emb <f4 [d]}; NULL fields are left out. */
static void
mkrec(struct tl_rec *r, const char *id, const char *label, const char *split, int d)
{
	uint64_t sh = (uint64_t)d;
	float *p;

	tl_rec_clear(r);
	if (id)
		tl_rec_set_str(r, "id", id);
	if (label)
		tl_rec_set_str(r, "label", label);
	if (split)
		tl_rec_set_str(r, "split", split);
	if (d > 0 && (p = tl_rec_set_tensor(r, "emb", TL_F32, 1, &sh)) != NULL)
		for (int i = 0; i < d; i++)
			p[i] = (float)i;
}

static void
test_values(void)
{
	static const struct {
		const char *name, *id, *label, *split;
		int d, want;
		const char *msg; /* err's text when want < 0 */
	} cases[] = {
		{ "train", "a/1", "a", "train", 4, TL_USE_TRAIN, NULL },
		{ "no split is train", "b/1", "b", NULL, 4, TL_USE_TRAIN, NULL },
		{ "val", "a/2", "a", "val", 4, TL_USE_VAL, NULL },
		{ "test is ignored", "a/3", "a", "test", 4, TL_USE_TEST, NULL },
		{ "no label is ignored", "x/1", NULL, "train", 4, TL_USE_UNLABELLED, NULL },
		{ "no id", NULL, "a", "train", 4, TL_SKIP, "no id" },
		{ "other emb size", "a/4", "a", "train", 3, TL_SKIP,
		  "emb has 3 values, the first record's 4" },
	};
	struct tl_trainset *ts = tl_trainset_new();
	struct tl_rec *r = tl_rec_new();
	struct tl_err err;
	char name[128];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mkrec(r, cases[i].id, cases[i].label, cases[i].split, cases[i].d);
		err.msg[0] = '\0';
		snprintf(name, sizeof name, "add: %s", cases[i].name);
		T_EQ_INT(name, tl_trainset_add(ts, r, &err), cases[i].want);
		if (cases[i].msg) {
			snprintf(name, sizeof name, "add: %s: message", cases[i].name);
			T_EQ_STR(name, err.msg, cases[i].msg);
		}
	}
	T_EQ_INT("add: kept", ts->n, 3);
	tl_trainset_free(ts);
	tl_rec_free(r);
}

/* Image records (img, no emb): TL_STOP before any record was kept (the
 * stream is tl-ingest's), TL_SKIP after. */
static void
test_images(void)
{
	static const char msg[] = "an image, not an embedding (no emb): run tl-embed first, "
	    "as in tl-ingest DIR | tl-embed | tl-train -o m.tlm";
	struct tl_trainset *ts = tl_trainset_new();
	struct tl_rec *r = tl_rec_new();
	struct tl_err err;

	mkrec(r, "a/1", "a", NULL, 0);
	tl_rec_set_str(r, "img", "PNG");
	T_EQ_INT("images: first is TL_STOP", tl_trainset_add(ts, r, &err), TL_STOP);
	T_EQ_STR("images: message", err.msg, msg);
	mkrec(r, "a/2", "a", NULL, 4);
	T_EQ_INT("images: an emb is kept", tl_trainset_add(ts, r, &err), TL_USE_TRAIN);
	mkrec(r, "a/3", "a", NULL, 0);
	tl_rec_set_str(r, "img", "PNG");
	T_EQ_INT("images: then TL_SKIP", tl_trainset_add(ts, r, &err), TL_SKIP);
	T_EQ_STR("images: same message", err.msg, msg);
	tl_trainset_free(ts);
	tl_rec_free(r);
}

/* Out of memory: the set is made to believe it is full at 2^52 records, so
 * that growing it asks for 2^57 bytes, more than any address space holds.
 * The value is TL_NOMEM, not the TL_SKIP of a bad record, whatever err
 * says; the set is left as it was. */
static void
test_nomem(void)
{
	struct tl_trainset *ts = tl_trainset_new();
	struct tl_rec *r = tl_rec_new();
	struct tl_err err;
	size_t n, cap;

	mkrec(r, "a/1", "a", "train", 4);
	T_EQ_INT("nomem: first record", tl_trainset_add(ts, r, &err), TL_USE_TRAIN);
	n = ts->n, cap = ts->cap;
	ts->n = ts->cap = (size_t)1 << 52;
	mkrec(r, "a/2", "a", "train", 4);
	T_EQ_INT("nomem: TL_NOMEM", tl_trainset_add(ts, r, &err), TL_NOMEM);
	T_EQ_STR("nomem: message", err.msg, "out of memory");
	T_EQ_INT("nomem: capacity kept", ts->cap, (size_t)1 << 52);
	ts->n = n, ts->cap = cap;
	T_EQ_INT("nomem: then a record", tl_trainset_add(ts, r, &err), TL_USE_TRAIN);
	T_EQ_INT("nomem: kept", ts->n, 2);
	tl_trainset_free(ts);
	tl_rec_free(r);
}

int
main(void)
{
	test_values();
	test_nomem();
	test_images();
	T_DONE();
}
