/*
 * test_shots.c - report/shots.c, the top losses' images kept while a
 * stream is read: a table of records (probability of the label, image as
 * pixels, as an encoded PNG or none, CAM or not) offered to a heap of two;
 * the records kept must be tl_eval_run's two top losses, the others give
 * no thumbnail; thumbnails fit the size asked; a CAM is overlaid only where
 * there is one; the wrong verdicts without prob rank by confidence in the
 * other heap; a NULL set keeps nothing.
 */
#include <stdlib.h>

#include "core/tensor.h"
#include "report/shots.h"
#include "t.h"

enum { W = 12, H = 9 };

static const struct {
	const char *id, *label, *pred;
	float pa;   /* prob of "a" (prob of "b" is 1 - pa); < 0: no prob */
	double conf; /* with no prob */
	int img;    /* 0 none, 1 pix, 2 encoded PNG in "img" */
	int cam;
} recs[] = {
	{ "r0", "a", NULL, 0.9f, 0, 1, 1 },
	{ "r1", "a", NULL, 0.2f, 0, 1, 0 },   /* loss -ln 0.2: second */
	{ "r2", "b", NULL, 0.4f, 0, 2, 1 },
	{ "r3", "b", NULL, 0.95f, 0, 2, 1 },  /* loss -ln 0.05: first */
	{ "r4", "a", NULL, 0.5f, 0, 1, 0 },
	{ "r5", "a", NULL, 0.1f, 0, 0, 0 },   /* -ln 0.1 in between, but no image */
	{ "r6", "b", "a", -1, 0.7, 1, 0 },    /* no prob, wrong: the other heap */
	{ "r7", "b", "b", -1, 0.99, 1, 0 },   /* no prob, right: never kept */
};

static void
add(struct tl_evalset *s, struct tl_shots *sh, struct tl_rec *r, int i, struct tl_err *err)
{
	uint64_t sp[1] = { 2 }, si[3] = { H, W, 3 }, sc[2] = { 2, 2 };
	struct tl_image im = { W, H, NULL };
	unsigned char pix[H * W * 3];
	void *png;
	size_t len;

	for (int j = 0; j < H * W * 3; j++)
		pix[j] = (unsigned char)(i * 30 + j);
	tl_rec_clear(r);
	tl_rec_set_str(r, "id", recs[i].id);
	tl_rec_set_str(r, "label", recs[i].label);
	if (recs[i].pred)
		tl_rec_set_str(r, "pred", recs[i].pred), tl_rec_set_f64(r, "conf", recs[i].conf);
	if (recs[i].pa >= 0) {
		float *p = tl_rec_set_tensor(r, "prob", TL_F32, 1, sp);
		p[0] = recs[i].pa, p[1] = 1 - recs[i].pa;
	}
	if (recs[i].img == 1) {
		memcpy(tl_rec_set_tensor(r, "pix", TL_U8, 3, si), pix, sizeof pix);
	} else if (recs[i].img == 2) {
		im.pix = pix;
		if (tl_image_encode_png(&im, &png, &len, err) == 0) {
			tl_rec_set_bin(r, "img", png, len);
			free(png);
		}
	}
	if (recs[i].cam)
		memset(tl_rec_set_tensor(r, "cam", TL_U8, 2, sc), 200, 4);
	T_EQ_INT(recs[i].id, tl_evalset_add(s, r, err), TL_OK);
	T_EQ_INT(recs[i].id, tl_shots_offer(sh, s, tl_evalset_count(s) - 1, r), TL_OK);
}

static void
test_heap(void)
{
	static const char *cl[] = { "a", "b" };
	struct tl_evalset *s = tl_evalset_new(cl, 2, NULL);
	struct tl_shots *sh = tl_shots_new(2, NULL);
	struct tl_rec *r = tl_rec_new();
	struct tl_eval_opts o;
	struct tl_eval ev;
	struct tl_image im = { 0 };
	struct tl_err err;
	static const int kept[] = { 0, 1, 0, 1, 0, 0, 1, 0 }; /* r1, r3; r6 in the other heap */
	static const int heat[] = { 0, 0, 0, 1, 0, 0, 0, 0 };
	char name[64];

	T_OK("new", s && sh && r && tl_image_init(&err) == 0);
	for (int i = 0; i < 8; i++)
		add(s, sh, r, i, &err);
	T_EQ_INT("finish", tl_evalset_finish(s, &err), 0);
	tl_eval_defaults(&o);
	o.boot = 0, o.nshow = 3;
	T_EQ_INT("eval", tl_eval_run(s, &o, &ev, &err), 0);
	/* the eval's top losses r3, r5, r1: r5 has no image, the others are kept */
	T_OK("eval-top", ev.nloss == 3 && ev.losses[0].rec == 3 && ev.losses[1].rec == 5 &&
	     ev.losses[2].rec == 1);
	for (int i = 0; i < 8; i++) {
		int rc = tl_shots_thumb(sh, (size_t)i, 8, &im, &err);
		snprintf(name, sizeof name, "thumb-%s", recs[i].id);
		T_EQ_INT(name, rc, kept[i]);
		if (rc == 1) {
			snprintf(name, sizeof name, "thumb-size-%s", recs[i].id);
			T_OK(name, im.width == 8 && im.height == 6 && im.pix != NULL);
			snprintf(name, sizeof name, "heat-%s", recs[i].id);
			T_EQ_INT(name, tl_shots_heat(sh, (size_t)i, &im), heat[i]);
			tl_image_free(&im);
		}
	}
	tl_eval_free(&ev);
	tl_shots_free(sh);

	/* a heap of none, and no heap at all */
	sh = tl_shots_new(0, NULL);
	T_EQ_INT("cap0-offer", tl_shots_offer(sh, s, 3, r), TL_OK);
	T_EQ_INT("cap0-thumb", tl_shots_thumb(sh, 3, 8, &im, &err), 0);
	tl_shots_free(sh);
	T_EQ_INT("null-offer", tl_shots_offer(NULL, s, 3, r), TL_OK);
	T_EQ_INT("null-thumb", tl_shots_thumb(NULL, 3, 8, &im, &err), 0);
	T_EQ_INT("null-heat", tl_shots_heat(NULL, 3, &im), 0);
	tl_shots_free(NULL);
	tl_evalset_free(s);
	tl_rec_free(r);
}

int
main(void)
{
	test_heap();
	T_DONE();
}
