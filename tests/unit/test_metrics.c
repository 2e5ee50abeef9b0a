/*
 * test_metrics.c - lib/report/metrics.c and the --assert conditions of lib/report/report.c
 * on small sets computed by hand: counts, accuracy with "unknown" counted
 * wrong, per-class P/R/F1, balanced accuracy, macro and weighted F1, the
 * baseline, Wilson intervals, log loss, top-k, ECE, AUROC with ties,
 * quantiles, a deterministic bootstrap, derived class lists, bad records.
 */
#include <stdlib.h>

#include "core/tensor.h"
#include "report/metrics.h"
#include "report/report.h"
#include "t.h"

/* Adds {id, label, pred[, prob]} to s; returns tl_evalset_add's status. */
static int
add(struct tl_evalset *s, struct tl_rec *r, const char *id, const char *label, const char *pred,
    int k, const float *prob, struct tl_err *err)
{
	tl_rec_clear(r);
	tl_rec_set_str(r, "id", id);
	if (label)
		tl_rec_set_str(r, "label", label);
	if (pred)
		tl_rec_set_str(r, "pred", pred);
	if (prob) {
		uint64_t shape[1] = { (uint64_t)k };
		float *p = tl_rec_set_tensor(r, "prob", TL_F32, 1, shape);
		memcpy(p, prob, k * sizeof *p);
	}
	return tl_evalset_add(s, r, err);
}

static void
test_counts(void)
{
	static const char *cl[] = { "a", "b", "c" };
	static const char *rows[][2] = { { "a", "a" }, { "a", "a" }, { "a", "b" }, { "b", "b" },
		{ "b", "unknown" }, { "c", "a" }, { "c", "c" }, { "c", "c" } };
	struct tl_evalset *s = tl_evalset_new(cl, 3, NULL);
	struct tl_rec *r = tl_rec_new();
	struct tl_eval_opts o;
	struct tl_eval ev;
	struct tl_assert a;
	struct tl_err err;
	char id[16];
	double v;

	for (int i = 0; i < 8; i++) {
		snprintf(id, sizeof id, "r%d", i);
		add(s, r, id, rows[i][0], rows[i][1], 0, NULL, &err);
	}
	T_EQ_INT("counts-unlabelled", add(s, r, "u", NULL, "a", 0, NULL, &err), 1);
	T_EQ_INT("counts-finish", tl_evalset_finish(s, &err), 0);
	tl_eval_defaults(&o);
	o.boot = 0;
	T_EQ_INT("counts-run", tl_eval_run(s, &o, &ev, &err), 0);
	T_EQ_INT("counts-n", ev.n_eval, 8);
	T_EQ_INT("counts-unknown", ev.n_unknown, 1);
	T_EQ_INT("counts-accepted", ev.n_accepted, 7);
	T_EQ_INT("counts-unl", tl_evalset_unlabelled(s), 1);
	T_NEAR("counts-accuracy", ev.accuracy.value, 5.0 / 8, 1e-15, 0);
	T_NEAR("counts-accepted-acc", ev.accepted_accuracy.value, 5.0 / 7, 1e-15, 0);
	T_NEAR("counts-coverage", ev.coverage.value, 7.0 / 8, 1e-15, 0);
	T_NEAR("counts-wilson-lo", ev.accuracy.lo, 0.3057424, 1e-6, 0);
	T_NEAR("counts-wilson-hi", ev.accuracy.hi, 0.8631557, 1e-6, 0);
	T_OK("counts-wilson-named", ev.accuracy.ci == TL_CI_WILSON);
	T_NEAR("counts-precision-a", ev.cls[0].precision, 2.0 / 3, 1e-15, 0);
	T_NEAR("counts-recall-b", ev.cls[1].recall, 0.5, 1e-15, 0);
	T_NEAR("counts-precision-c", ev.cls[2].precision, 1, 1e-15, 0);
	T_NEAR("counts-f1-c", ev.cls[2].f1, 0.8, 1e-15, 0);
	T_EQ_INT("counts-unknown-b", ev.cls[1].unknown, 1);
	T_EQ_INT("counts-confusion-c-a", ev.confusion[2 * 4 + 0], 1);
	T_EQ_INT("counts-confusion-b-unknown", ev.confusion[1 * 4 + 3], 1);
	T_NEAR("counts-balanced", ev.balanced_accuracy.value, 11.0 / 18, 1e-15, 0);
	T_NEAR("counts-macro-f1", ev.macro_f1.value, 59.0 / 90, 1e-15, 0);
	T_NEAR("counts-weighted-f1", ev.weighted_f1.value, 0.675, 1e-15, 0);
	T_EQ_INT("counts-majority", ev.majority, 0);
	T_NEAR("counts-baseline", ev.baseline.value, 3.0 / 8, 1e-15, 0);
	T_OK("counts-no-logloss", isnan(ev.log_loss.value));
	T_EQ_INT("counts-pairs", ev.npairs, 2);
	T_EQ_INT("counts-pair0", ev.pairs[0].label * 10 + ev.pairs[0].pred, 1); /* a->b before c->a */
	T_EQ_INT("counts-losses", ev.nloss, 3); /* wrong ones without prob */

	{ /* the headline rows both reports print: 3 classes, top-3 of 3 left out */
		static const char *want[][2] = { { "accuracy", "accuracy (unknown counts wrong)" },
			{ "baseline (a)", "baseline (always a)" }, { "coverage", "coverage (not unknown)" },
			{ "accuracy on accepted", "accuracy on accepted" },
			{ "balanced accuracy", "balanced accuracy" }, { "macro F1", "macro F1" },
			{ "weighted F1", "weighted F1" }, { "log loss", "log loss" },
			{ "ECE (15 bins)", "ECE (15 bins)" }, { "OOD AUROC", "OOD AUROC" },
			{ "OOD rejected", "OOD rejected" } };
		struct tl_headline hl[TL_HEADLINE_MAX];
		int nh = tl_eval_headline(&ev, 1, hl);

		T_EQ_INT("headline-rows", nh, 11);
		for (int i = 0; i < nh && i < 11; i++) {
			T_EQ_STR("headline-text", hl[i].text, want[i][0]);
			T_EQ_STR("headline-page", hl[i].page, want[i][1]);
		}
		T_OK("headline-points-into-ev", hl[0].m == &ev.accuracy && hl[8].m == &ev.ece);
		T_EQ_INT("headline-no-ood", tl_eval_headline(&ev, 0, hl), 9);
		ev.top_k_k = 2;
		T_EQ_INT("headline-top-k", tl_eval_headline(&ev, 0, hl), 10);
		T_EQ_STR("headline-top-k-name", hl[8].text, "top-2 accuracy");
		ev.top_k_k = 3;
	}

	T_EQ_INT("assert-parse", tl_assert_parse("accuracy>=0.7", &a, &err), 0);
	T_EQ_INT("assert-fails", tl_assert_check(&a, &ev, s, 0, &err), 0);
	T_EQ_STR("assert-msg", err.msg, "accuracy>=0.7: accuracy is 0.625");
	tl_assert_parse("recall[c]>0.6", &a, &err);
	T_EQ_STR("assert-class", a.cls, "c");
	T_EQ_INT("assert-holds", tl_assert_check(&a, &ev, s, 0, &err), 1);
	tl_assert_parse("f1[zz]==1", &a, &err);
	T_EQ_INT("assert-noclass", tl_assert_check(&a, &ev, s, 0, &err), 0);
	T_EQ_STR("assert-noclass-msg", err.msg, "f1[zz]==1: no class 'zz'");
	tl_assert_parse("log_loss<1", &a, &err);
	T_EQ_INT("assert-nan", tl_assert_check(&a, &ev, s, 0, &err), 0);
	T_EQ_STR("assert-nan-msg", err.msg, "log_loss<1: log_loss cannot be computed on this input");
	tl_assert_parse("unknown==1", &a, &err);
	T_EQ_INT("assert-eq", tl_assert_check(&a, &ev, s, 0, &err), 1);
	T_EQ_INT("assert-bad-op", tl_assert_parse("accuracy=0.9", &a, &err), -1);
	T_EQ_INT("assert-bad-num", tl_assert_parse("accuracy>=x", &a, &err), -1);
	T_EQ_INT("assert-no-name", tl_assert_parse("[a]>1", &a, &err), -1);
	T_EQ_INT("lookup-unknown-name", tl_eval_lookup(&ev, "acc", NULL, &v, &err), -1);
	tl_assert_parse("count[c]>=3", &a, &err);
	T_EQ_INT("coverage-assert", tl_assert_check(&a, NULL, s, 100, &err), 1);
	tl_assert_parse("classes_below==3", &a, &err);
	T_EQ_INT("coverage-below", tl_assert_check(&a, NULL, s, 100, &err), 1);
	tl_eval_free(&ev);
	tl_evalset_free(s);
	tl_rec_free(r);
}

static void
test_prob(void)
{
	static const char *cl[] = { "x", "y" };
	static const float p[3][2] = { { 0.8f, 0.2f }, { 0.4f, 0.6f }, { 0.3f, 0.7f } };
	static const char *lab[3] = { "x", "x", "y" };
	struct tl_evalset *s = tl_evalset_new(cl, 2, "other");
	struct tl_rec *r = tl_rec_new();
	struct tl_eval_opts o;
	struct tl_eval ev, ev2;
	struct tl_err err;
	double ll, ece;

	for (int i = 0; i < 3; i++) {
		char id[8];
		snprintf(id, sizeof id, "p%d", i);
		add(s, r, id, lab[i], NULL, 2, p[i], &err);
	}
	tl_evalset_finish(s, &err);
	tl_eval_defaults(&o);
	o.boot = 0, o.bins = 4, o.top_k = 1;
	tl_eval_run(s, &o, &ev, &err);
	/* renormalised: the float32 rows do not sum to 1 exactly */
	ll = -(log((double)0.8f / ((double)0.8f + (double)0.2f)) +
	       log((double)0.4f / ((double)0.4f + (double)0.6f)) +
	       log((double)0.7f / ((double)0.3f + (double)0.7f))) / 3;
	T_NEAR("prob-logloss", ev.log_loss.value, ll, 1e-12, 0);
	T_NEAR("prob-accuracy-argmax", ev.accuracy.value, 2.0 / 3, 1e-15, 0);
	T_NEAR("prob-top1", ev.top_k.value, 2.0 / 3, 1e-15, 0);
	/* bins of 0.25: 0.6 and 0.7 in [0.5, 0.75) (acc 1/2), 0.8 in the last (acc 1) */
	ece = (2 * fabs(0.5 - ((double)0.6f + (double)0.7f) / 2) + fabs(1 - (double)0.8f)) / 3;
	T_NEAR("prob-ece", ev.ece.value, ece, 1e-12, 0);
	T_EQ_INT("prob-bin2", ev.rel[2].n, 2);
	T_EQ_INT("prob-bin3", ev.rel[3].n, 1);
	T_EQ_INT("prob-curve0", ev.curve[0].n, 3);
	T_NEAR("prob-curve-0.7", ev.curve[4].coverage, 1.0 / 3, 1e-15, 0); /* conf >= 0.8 */
	T_EQ_INT("prob-top-loss", (int)ev.losses[0].rec, 1);
	T_OK("prob-auroc-none", isnan(ev.auroc.value));
	tl_eval_free(&ev);

	o.boot = 200, o.seed = 7;
	tl_eval_run(s, &o, &ev, &err);
	tl_eval_run(s, &o, &ev2, &err);
	T_OK("boot-named", ev.log_loss.ci == TL_CI_BOOTSTRAP);
	T_OK("boot-same-seed", ev.log_loss.lo == ev2.log_loss.lo && ev.log_loss.hi == ev2.log_loss.hi);
	T_OK("boot-brackets", ev.log_loss.lo <= ev.log_loss.value && ev.log_loss.value <= ev.log_loss.hi);
	tl_eval_free(&ev);
	tl_eval_free(&ev2);

	T_EQ_INT("bad-label", add(s, r, "b1", "zz", "x", 0, NULL, &err), -1);
	T_EQ_STR("bad-label-msg", err.msg, "label 'zz' is not one of the header's classes");
	T_EQ_INT("bad-pred", add(s, r, "b2", "x", "zz", 0, NULL, &err), -1);
	T_EQ_INT("bad-prob-shape", add(s, r, "b3", "x", NULL, 1, p[0], &err), -1);
	T_EQ_STR("bad-prob-msg", err.msg, "prob is not <f4 [2] (the header's 2 classes)");
	tl_rec_clear(r);
	tl_rec_set_str(r, "id", "b4"), tl_rec_set_str(r, "label", "x"), tl_rec_set_f64(r, "conf", 1.5);
	T_EQ_INT("bad-conf", tl_evalset_add(s, r, &err), TL_SKIP);
	tl_rec_clear(r);
	tl_rec_set_str(r, "label", "x");
	T_EQ_INT("bad-noid", tl_evalset_add(s, r, &err), TL_SKIP);
	T_EQ_INT("ood-label-kept", add(s, r, "o1", "other", "unknown", 0, NULL, &err), 0);
	tl_evalset_free(s);
	tl_rec_free(r);
}

static void
test_derived(void)
{
	struct tl_evalset *s = tl_evalset_new(NULL, 0, NULL);
	struct tl_rec *r = tl_rec_new();
	struct tl_err err;
	struct tl_eval_rec e;
	float p[2] = { 0.5f, 0.5f };

	add(s, r, "1", "zebra", "ant", 0, NULL, &err);
	add(s, r, "2", "mole", NULL, 0, NULL, &err);
	T_EQ_INT("derived-prob-refused", add(s, r, "3", "mole", NULL, 2, p, &err), -1);
	tl_evalset_finish(s, &err);
	T_EQ_INT("derived-k", tl_evalset_nclass(s), 3);
	T_EQ_STR("derived-sorted", tl_evalset_class(s, 0), "ant");
	tl_evalset_record(s, 0, &e);
	T_EQ_STR("derived-remap", tl_evalset_class(s, e.label), "zebra");
	T_EQ_STR("derived-remap-pred", tl_evalset_class(s, e.pred), "ant");
	tl_evalset_record(s, 1, &e);
	T_EQ_INT("derived-no-verdict", e.pred, -2);
	T_EQ_INT("derived-verdicts", tl_evalset_has_verdicts(s), 1);
	tl_evalset_free(s);
	tl_rec_free(r);
}

static void
test_blocks(void)
{
	static const double sc[4] = { 0.1, 0.4, 0.35, 0.8 }, tie[3] = { 1, 1, 2 };
	static const int pos[4] = { 0, 0, 1, 1 }, tpos[3] = { 0, 1, 1 }, none[3] = { 0, 0, 0 };
	double lo, hi;

	T_NEAR("auroc", tl_auroc(sc, pos, 4), 0.75, 1e-15, 0);
	T_NEAR("auroc-ties", tl_auroc(tie, tpos, 3), 0.75, 1e-15, 0);
	T_OK("auroc-one-side", isnan(tl_auroc(tie, none, 3)));
	tl_wilson(0, 10, TL_Z95, &lo, &hi);
	T_NEAR("wilson-zero-lo", lo, 0, 0, 0);
	T_NEAR("wilson-zero-hi", hi, 0.277533, 1e-6, 0);
	tl_wilson(0, 0, TL_Z95, &lo, &hi);
	T_OK("wilson-empty", isnan(lo) && isnan(hi));
}

int
main(void)
{
	test_counts();
	test_prob();
	test_derived();
	test_blocks();
	T_DONE();
}
