/*
 * metrics.h - how good a classifier's verdicts are, on a labelled set
 * (tl-report(1)): confusion matrix, per-class precision, recall, F1 and
 * support, accuracy (an "unknown" verdict counts as wrong), coverage and
 * accuracy on the accepted records, balanced accuracy, macro and weighted
 * F1, log loss, top-k accuracy, expected calibration error with its
 * reliability table, accuracy by confidence threshold, the most confused
 * pairs, the largest losses, the AUROC of the OOD score against records of
 * an --ood-label, and the majority-class baseline.  Proportions get Wilson
 * 95% intervals, the other headline metrics a percentile bootstrap over the
 * records with an explicit seed.
 *
 * Records are collected first (tl_evalset_add) and evaluated at the end:
 * the set holds per record its id, label, verdict, confidence, OOD score
 * and K probabilities.  Class coverage (counts per label for a stream
 * without verdicts) is computed from the same set, and so is the summary
 * of predictions of a stream of verdicts without labels (those records are
 * kept apart, never evaluated).
 *
 * Ownership: the set owns its records and class names; a struct tl_eval
 * owns its arrays (tl_eval_free) and points to the set's class names, so
 * free the eval before the set.
 *
 * Not here: reading streams (cmd/tl-report.c), rendering (report.h).
 */
#ifndef TL_METRICS_H
#define TL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/rec.h"

#define TL_EVAL_MAXCLASS 100000
#define TL_Z95 1.959963984540054 /* the 97.5% quantile of the normal law */

/* A collected record, as tl_evalset_record gives it back. */
struct tl_eval_rec {
	const char *id;
	int label;    /* class index; TL_EVAL_OOD for an --ood-label record */
	int pred;     /* class index; -1 "unknown"; -2 no verdict (neither pred nor prob) */
	double conf;  /* probability of pred (NaN when not known) */
	double ood;   /* OOD score (NaN when absent) */
	int reject;   /* why pred is "unknown" (enum tl_reject); TL_REJECT_NONE otherwise */
	const float *prob; /* [K], or NULL */
};
#define TL_EVAL_OOD (-3)

/* Why a verdict is "unknown": the record's "reject" (tl-stream(5)), "ood"
 * (the OOD score over the model's threshold) or "conf" (the best class's
 * probability under --min-conf); UNSTATED when the record does not say. */
enum tl_reject { TL_REJECT_NONE, TL_REJECT_OOD, TL_REJECT_CONF, TL_REJECT_UNSTATED, TL_REJECT_N };
/* The reason as the stream and the JSON report spell it ("ood", "conf",
 * NULL for NONE and UNSTATED), and as people read it ("ood", "low
 * confidence", "no reason given"). */
const char *tl_eval_reject_key(int reject);
const char *tl_eval_reject_text(int reject);

struct tl_evalset;

/* A new set.  classes[0..k) is the header's class list (the order of
 * "prob"), copied; with k == 0 the classes are the labels and predictions
 * seen, in byte order, and "prob" is refused.  ood_label (copied; NULL:
 * none) names the label of out-of-distribution records.  NULL when out of
 * memory or k > TL_EVAL_MAXCLASS. */
struct tl_evalset *tl_evalset_new(const char *const *classes, int k, const char *ood_label);
void tl_evalset_free(struct tl_evalset *s); /* accepts NULL */

/* Takes what the set needs from rec: a record without "label" is only
 * counted (returns 1).  TL_OK when kept; TL_SKIP when the record is bad
 * (err: a label or pred that is no class, prob not <f4 [K], conf or ood
 * not a number, a "reject" other than "ood" or "conf", no id); TL_NOMEM
 * out of memory (err.h's enum tl_status). */
int tl_evalset_add(struct tl_evalset *s, struct tl_rec *rec, struct tl_err *err);

/* Ends collection: sorts derived class lists.  -1 when out of memory. */
int tl_evalset_finish(struct tl_evalset *s, struct tl_err *err);

size_t tl_evalset_count(const struct tl_evalset *s);        /* records kept */
long long tl_evalset_unlabelled(const struct tl_evalset *s);
int tl_evalset_nclass(const struct tl_evalset *s);
const char *tl_evalset_class(const struct tl_evalset *s, int c);
/* 1 when some record kept has a verdict (pred or prob): evaluation; 0:
 * class coverage only. */
int tl_evalset_has_verdicts(const struct tl_evalset *s);
/* The i-th record kept (after tl_evalset_finish), pointers owned by s. */
void tl_evalset_record(const struct tl_evalset *s, size_t i, struct tl_eval_rec *r);
/* sha256 (hex) of the sorted lines "id\tlabel\n" of the records kept:
 * names the dataset an evaluation was made on.  Without any, of the
 * unlabelled records with a verdict ("id\t\n"). */
void tl_evalset_sha256(const struct tl_evalset *s, char hex[65]);

enum tl_ci { TL_CI_NONE, TL_CI_WILSON, TL_CI_BOOTSTRAP };

/* A metric with its 95% interval; value NaN when it cannot be computed
 * (no record with prob for log loss, no OOD record for AUROC, ...). */
struct tl_metric {
	double value, lo, hi;
	enum tl_ci ci;
};

struct tl_class_stats {
	double precision, recall, f1; /* 0 when the denominator is 0 */
	long long support, predicted, tp, unknown;
};

struct tl_bin {
	double lo, hi;   /* confidence range [lo, hi) ([lo, 1] for the last) */
	long long n;
	double conf, acc; /* means over the bin; NaN when empty */
};

struct tl_curve_pt {
	double threshold, coverage, acc; /* acc NaN when nothing is kept */
	long long n;
};

struct tl_pair {
	int label, pred;
	long long n;
};

struct tl_loss {
	size_t rec;   /* index in the set */
	double loss;  /* -ln p(label); NaN without prob */
};

struct tl_eval_opts {
	int bins;      /* ECE bins (15) */
	int top_k;     /* k of top-k accuracy (3) */
	int boot;      /* bootstrap replicates (1000; 0: no bootstrap intervals) */
	uint64_t seed; /* of the bootstrap (0) */
	int nshow;     /* confused pairs and top losses shown (10) */
};

struct tl_eval {
	int k;
	const char *const *classes; /* [k], owned by the set */
	long long n_eval;       /* labelled records with a verdict, label a class */
	long long n_ood;        /* records labelled --ood-label */
	long long n_none;       /* records with neither pred nor prob (bad) */
	long long n_correct, n_accepted, n_unknown, n_prob;
	long long n_unknown_by[TL_REJECT_N]; /* of n_unknown, by enum tl_reject */
	int majority;           /* class of the baseline (-1 when n_eval == 0) */
	struct tl_metric accuracy, baseline, coverage, accepted_accuracy, unknown_rate;
	struct tl_metric balanced_accuracy, macro_f1, weighted_f1, log_loss, top_k, ece;
	struct tl_metric auroc, ood_rejected;
	int top_k_k, bins, boot;
	uint64_t seed;
	long long *confusion;       /* [k, k+1]: row label, column pred, column k "unknown" */
	struct tl_class_stats *cls; /* [k] */
	struct tl_bin *rel;         /* [bins] */
	int ncurve;
	struct tl_curve_pt *curve;  /* [ncurve] */
	int npairs;
	struct tl_pair *pairs;      /* [npairs], most frequent first */
	int nloss;
	struct tl_loss *losses;     /* [nloss], largest first */
};

void tl_eval_defaults(struct tl_eval_opts *o);

/* Evaluates the set into ev (zeroed first).  -1 when out of memory. */
int tl_eval_run(const struct tl_evalset *s, const struct tl_eval_opts *o, struct tl_eval *ev,
                struct tl_err *err);
void tl_eval_free(struct tl_eval *ev); /* frees the arrays; accepts zeroed */

/* The value of a metric by name (the --json key: "accuracy", "macro_f1",
 * ..., counts "n", "unknown", "ood"), or per class with cls a class name
 * ("precision", "recall", "f1", "support").  0 and *v; -1 with err when the
 * name or class is not known. */
int tl_eval_lookup(const struct tl_eval *ev, const char *name, const char *cls, double *v,
                   struct tl_err *err);

/* Unlabelled records with a verdict (pred or prob) are kept apart, for the
 * summary of predictions a stream without labels gets: their count, and
 * the i-th of them (label TL_EVAL_NOLABEL), pointers owned by s. */
#define TL_EVAL_NOLABEL (-4)
size_t tl_evalset_npredicted(const struct tl_evalset *s);
void tl_evalset_predicted(const struct tl_evalset *s, size_t i, struct tl_eval_rec *r);

/* The summary of the unlabelled verdicts: how many of each predicted class
 * (counts[k] "unknown"), the unknowns by reason, quantiles of the best
 * class's confidence, and the records to review first: the lowest
 * confidence and the highest OOD score, up to nshow each (indices for
 * tl_evalset_predicted; ties by input order).  sum owns its arrays:
 * tl_evalset_summary_free.  -1 when out of memory. */
#define TL_SUMMARY_NQ 5
extern const double tl_summary_q[TL_SUMMARY_NQ]; /* 0.1, 0.25, 0.5, 0.75, 0.9 */
struct tl_summary {
	long long n, *counts;          /* counts[k + 1] */
	long long why[TL_REJECT_N];    /* the unknowns by enum tl_reject */
	size_t nconf, nood;            /* records with a conf, with an ood score */
	double q[TL_SUMMARY_NQ];       /* quantiles of conf (NaN when nconf == 0) */
	size_t nlow, nhigh;
	size_t *low, *high;            /* [nlow] lowest conf first, [nhigh] highest ood first */
};
int tl_evalset_summary(const struct tl_evalset *s, int nshow, struct tl_summary *sum,
                       struct tl_err *err);
void tl_evalset_summary_free(struct tl_summary *sum); /* accepts zeroed */

/* Class coverage: per class the number of records kept (header classes
 * included, with 0).  counts[k] allocated by the caller. */
void tl_evalset_counts(const struct tl_evalset *s, long long *counts);

/* Building blocks, exposed for the tests. */
/* Wilson score interval of x successes in n at z: *lo, *hi (NaN when n == 0). */
void tl_wilson(double x, double n, double z, double *lo, double *hi);
/* AUROC of score for pos[i] != 0 against pos[i] == 0 (ties count half, as
 * the Mann-Whitney U); NaN when either side is empty.  n entries. */
double tl_auroc(const double *score, const int *pos, size_t n);

/* The headline metrics, in the order both reports show them (the text
 * report and the HTML page name some longer): accuracy, the majority
 * baseline, coverage, accuracy on accepted, balanced accuracy, macro and
 * weighted F1, log loss, top-k accuracy (when k is below the class count),
 * ECE, and with ood (records labelled out-of-distribution) the OOD AUROC and
 * rejected share.  Fills rows[] (pointing into ev) and returns their count;
 * nothing is allocated. */
#define TL_HEADLINE_MAX 12
struct tl_headline {
	char text[64];   /* the name in the text report */
	char page[300];  /* the name on the HTML page */
	const struct tl_metric *m;
};
int tl_eval_headline(const struct tl_eval *ev, int ood, struct tl_headline rows[TL_HEADLINE_MAX]);

#endif
