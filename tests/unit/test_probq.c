/*
 * test_probq.c - learn/probq: accuracy, log loss and ECE written once for
 * tl-train (tl_probq_train) and tl-report (tl_probq_report).  Tables of
 * known probabilities and their values worked out by hand, for both
 * callers' parameters: the loss of one prediction (clipping, and
 * renormalising only for tl-report), the bins, the ECE from bin sums in
 * both orders, and whole matrices through tl_probq_eval.  Then the bin rule
 * in double against tl-train's old float product around every bin edge.
 */
#include <math.h>

#include "learn/probq.h"
#include "t.h"

static void
test_loss(void)
{
	static const struct {
		const char *name;
		float p[3];
		int k, label;
		double train, report; /* -ln p(label) under each caller's opts */
	} cases[] = {
		{ "half", { 0.5f, 0.5f }, 2, 1, 0.69314718, 0.69314718 },
		{ "sure-right", { 1, 0 }, 2, 0, 0, 1e-15 },
		/* p(label) 0: both clip at 1e-15, -ln 1e-15 */
		{ "sure-wrong", { 0, 1 }, 2, 0, 34.538776, 34.538776 },
		/* not summing to 1: tl-report divides by the sum, tl-train does not */
		{ "unnormalised", { 0.2f, 0.2f }, 2, 0, 1.6094379, 0.69314718 },
		{ "sigmoid-like", { 0.45f, 0.05f, 0.5f }, 3, 1, 2.9957323, 2.9957323 },
		{ "three", { 0.7f, 0.2f, 0.1f }, 3, 2, 2.3025851, 2.3025851 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char name[80];
		snprintf(name, sizeof name, "loss-train-%s", cases[i].name);
		T_NEAR(name, tl_probq_loss(cases[i].p, cases[i].k, cases[i].label, &tl_probq_train),
		       cases[i].train, 1e-6, 1e-6);
		snprintf(name, sizeof name, "loss-report-%s", cases[i].name);
		T_NEAR(name, tl_probq_loss(cases[i].p, cases[i].k, cases[i].label, &tl_probq_report),
		       cases[i].report, 1e-6, 1e-6);
	}
	T_EQ_INT("argmax-first-of-ties", tl_probq_argmax((const float[]){ 0.2f, 0.4f, 0.4f }, 3), 1);
	T_EQ_INT("argmax-one", tl_probq_argmax((const float[]){ 0.9f }, 1), 0);
}

static void
test_bins(void)
{
	static const struct {
		double conf;
		int bins, want;
	} cases[] = {
		{ 0, 15, 0 }, { 0.5, 15, 7 }, { 0.9999, 15, 14 }, { 1, 15, 14 }, { 0.0666, 15, 0 },
		{ 0.0667, 15, 1 }, { -0.1, 15, 0 }, { 0.5, 1, 0 }, { 1, 1, 0 }, { 0.25, 4, 1 },
		{ 0.999, 1000, 999 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char name[64];
		snprintf(name, sizeof name, "bin-%g-of-%d", cases[i].conf, cases[i].bins);
		T_EQ_INT(name, tl_probq_bin(cases[i].conf, cases[i].bins), cases[i].want);
	}
}

/* For 15 bins, binning p * 15 in double (tl_probq_bin) gives what
 * tl-train's float product gave: checked on the 4096 floats either side of
 * every edge k / 15, where alone the two roundings could disagree. */
static void
test_float_bins(void)
{
	long bad = 0, n = 0;

	for (int k = 1; k <= 15; k++) {
		float p = (float)k / 15;
		for (int j = 0; j < 4096; j++)
			p = nextafterf(p, 0);
		for (int j = 0; j < 8193 && p <= 1; j++, p = nextafterf(p, 2)) {
			volatile float prod = p * 15; /* in float, not contracted */
			int old = (int)prod;
			old = old >= 15 ? 14 : old < 0 ? 0 : old;
			bad += tl_probq_bin(p, 15) != old;
			n++;
		}
	}
	T_OK("float-bins-agree-at-edges", bad == 0 && n > 15 * 4096);
}

static void
test_ece(void)
{
	/* two bins: weight, sum of conf, sum of right */
	static const double s[6] = { 2, 1.5, 1, 1, 0.2, 0 }, zero[6] = { 0 };
	struct tl_probq_opts each = tl_probq_train, once = tl_probq_report;

	each.bins = once.bins = 2;
	/* (|1 - 1.5| + |0 - 0.2|) / 3 */
	T_NEAR("ece-each", tl_probq_ece(s, &each), 0.7 / 3, 1e-15, 0);
	T_NEAR("ece-once", tl_probq_ece(s, &once), 0.7 / 3, 1e-15, 0);
	T_OK("ece-empty-nan", isnan(tl_probq_ece(zero, &once)));
}

static void
test_eval(void)
{
	/* argmax right, wrong, right, right; confidences 0.9, 0.8, 0.7, 0.6 */
	static const float p[8] = { 0.9f, 0.1f, 0.8f, 0.2f, 0.3f, 0.7f, 0.6f, 0.4f };
	static const int y[4] = { 0, 1, 1, 0 };
	/* the first row no longer sums to 1: only tl-report renormalises */
	static const float q[4] = { 0.45f, 0.05f, 0.3f, 0.7f };
	static const int yq[2] = { 0, 1 };
	struct tl_probq_opts one = tl_probq_train;
	struct tl_probq m;

	tl_probq_eval(&tl_probq_train, 4, 2, p, y, &m);
	T_NEAR("eval-train-acc", m.acc, 0.75, 0, 0);
	/* -(ln .9 + ln .2 + ln .7 + ln .6) / 4 */
	T_NEAR("eval-train-logloss", m.logloss, 0.64557473, 1e-6, 0);
	/* four bins of one: (0.1 + 0.8 + 0.3 + 0.4) / 4 */
	T_NEAR("eval-train-ece", m.ece, 0.4, 1e-6, 0);
	tl_probq_eval(&tl_probq_report, 4, 2, p, y, &m);
	T_NEAR("eval-report-logloss", m.logloss, 0.64557473, 1e-6, 0);
	T_NEAR("eval-report-ece", m.ece, 0.4, 1e-6, 0);
	one.bins = 1; /* one bin: mean conf 0.75 = accuracy */
	tl_probq_eval(&one, 4, 2, p, y, &m);
	T_NEAR("eval-one-bin-ece", m.ece, 0, 1e-6, 0);
	tl_probq_eval(&tl_probq_train, 2, 2, q, yq, &m);
	/* -(ln .45 + ln .7) / 2 */
	T_NEAR("eval-train-unnormalised", m.logloss, 0.57759118, 1e-6, 0);
	tl_probq_eval(&tl_probq_report, 2, 2, q, yq, &m);
	/* -(ln .9 + ln .7) / 2 */
	T_NEAR("eval-report-unnormalised", m.logloss, 0.23101767, 1e-6, 0);
	tl_probq_eval(&tl_probq_train, 0, 2, p, y, &m);
	T_OK("eval-empty-zero", m.acc == 0 && m.logloss == 0 && m.ece == 0);
}

int
main(void)
{
	test_loss();
	test_bins();
	test_float_bins();
	test_ece();
	test_eval();
	T_DONE();
}
