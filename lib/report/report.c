/*
 * report.c - evaluations as text and JSON, class coverage, --assert
 * (report.h).  The text is for people: four decimals, aligned columns,
 * "-" where a metric cannot be computed.  The JSON is for programs: every
 * number at full precision (the shortest text that reads back to the same
 * double), null for what cannot be computed, keys that do not change
 * (tl-report(1) lists them), written through json.h's writer, which keeps
 * the commas and the escaping.
 *
 * Not here: computing metrics (metrics.c), reading JSON back (history.c).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "stream/json.h"

static const char *
ci_name(enum tl_ci c)
{
	return c == TL_CI_WILSON ? "wilson" : c == TL_CI_BOOTSTRAP ? "bootstrap" : NULL;
}

static const char *
pred_name(const struct tl_eval *ev, int p)
{
	return p >= 0 ? ev->classes[p] : p == -1 ? "unknown" : "";
}

/* ---- text ------------------------------------------------------------------ */

/* " (conf 0.9000)" after a verdict, or why it is "unknown":
 * " (rejected: ood 1.4200)", " (rejected: low confidence 0.4100)". */
static void
verdict_note(FILE *f, const struct tl_eval_rec *r)
{
	if (r->pred == -1 && r->reject == TL_REJECT_OOD && !isnan(r->ood))
		fprintf(f, " (rejected: ood %.4f)", r->ood);
	else if (r->pred == -1 && r->reject == TL_REJECT_CONF && !isnan(r->conf))
		fprintf(f, " (rejected: low confidence %.4f)", r->conf);
	else if (r->pred == -1)
		fprintf(f, " (rejected: %s)", tl_eval_reject_text(r->reject));
	else if (!isnan(r->conf))
		fprintf(f, " (conf %.4f)", r->conf);
}

/* ": 5 ood, 2 low confidence" — the unknown verdicts by reason. */
static void
unknown_reasons(FILE *f, const long long *by)
{
	const char *sep = ": ";

	for (int i = TL_REJECT_NONE + 1; i < TL_REJECT_N; i++)
		if (by[i] > 0)
			fprintf(f, "%s%lld %s", sep, by[i], tl_eval_reject_text(i)), sep = ", ";
}

static void
num(FILE *f, int w, double v)
{
	if (isnan(v))
		fprintf(f, "%*s", w, "-");
	else
		fprintf(f, "%*.4f", w, v);
}

static void
metric_line(FILE *f, const char *name, const struct tl_metric *m, const struct tl_eval *ev)
{
	fprintf(f, "%-22s", name);
	num(f, 8, m->value);
	if (m->ci == TL_CI_NONE || isnan(m->lo)) {
		fputs("\n", f);
		return;
	}
	fprintf(f, "  [%.4f, %.4f]  ", m->lo, m->hi);
	if (m->ci == TL_CI_WILSON)
		fputs("Wilson\n", f);
	else
		fprintf(f, "bootstrap (%d, seed %llu)\n", ev->boot, (unsigned long long)ev->seed);
}

static int
class_width(const struct tl_eval *ev, int min)
{
	int w = min;

	for (int c = 0; c < ev->k; c++)
		if ((int)strlen(ev->classes[c]) > w)
			w = (int)strlen(ev->classes[c]);
	return w > 40 ? 40 : w;
}

static void
header_text(FILE *f, const struct tl_report_meta *m)
{
	fprintf(f, "model     %s%s%s%s\n", *m->model ? m->model : "(not named)",
	        *m->backbone ? " (backbone " : "", m->backbone, *m->backbone ? ")" : "");
	fprintf(f, "dataset   %.16s (sha256 of ids and labels)\n", m->dataset);
}

void
tl_report_text(FILE *f, const struct tl_report_meta *m, const struct tl_eval *ev,
               const struct tl_evalset *s)
{
	int w = class_width(ev, 7), k = ev->k, nh;
	struct tl_headline rows[TL_HEADLINE_MAX];

	header_text(f, m);
	fprintf(f, "records   %lld read: %lld evaluated, %lld unlabelled (not evaluated), "
	        "%lld bad", m->records, ev->n_eval, m->unlabelled, m->bad);
	if (m->ood_label)
		fprintf(f, ", %lld labelled %s (OOD)", ev->n_ood, m->ood_label);
	fprintf(f, "\nunknown   %lld of %lld predicted \"unknown\" (counted wrong in accuracy)",
	        ev->n_unknown, ev->n_eval);
	unknown_reasons(f, ev->n_unknown_by);
	fputs("\n\n", f);

	fprintf(f, "%-22s%8s  %-16s  %s\n", "metric", "value", "95% interval", "method");
	nh = tl_eval_headline(ev, m->ood_label != NULL, rows);
	for (int i = 0; i < nh; i++)
		metric_line(f, rows[i].text, rows[i].m, ev);

	fprintf(f, "\n%-*s %9s %9s %9s %8s %9s %8s\n", w, "class", "precision", "recall", "f1",
	        "support", "predicted", "unknown");
	for (int c = 0; c < k; c++) {
		const struct tl_class_stats *st = &ev->cls[c];
		fprintf(f, "%-*.*s ", w, w, ev->classes[c]);
		num(f, 9, st->precision), num(f, 10, st->recall), num(f, 10, st->f1);
		fprintf(f, " %8lld %9lld %8lld\n", st->support, st->predicted, st->unknown);
	}

	fprintf(f, "\nconfusion (rows: label, columns: prediction)\n%-*s", w, "");
	for (int c = 0; c <= k; c++)
		fprintf(f, " %*.*s", w, w, c < k ? ev->classes[c] : "unknown");
	fputc('\n', f);
	for (int r = 0; r < k; r++) {
		fprintf(f, "%-*.*s", w, w, ev->classes[r]);
		for (int c = 0; c <= k; c++)
			fprintf(f, " %*lld", w, ev->confusion[(size_t)r * (k + 1) + c]);
		fputc('\n', f);
	}

	if (ev->npairs > 0) {
		fputs("\nmost confused (label -> prediction)\n", f);
		for (int i = 0; i < ev->npairs; i++)
			fprintf(f, "%6lld  %s -> %s\n", ev->pairs[i].n, ev->classes[ev->pairs[i].label],
			        ev->classes[ev->pairs[i].pred]);
	}

	fprintf(f, "\nreliability (top-class confidence, %d bins)\n", ev->bins);
	fprintf(f, "%-13s %8s %9s %9s %9s\n", "confidence", "n", "mean conf", "accuracy", "gap");
	for (int b = 0; b < ev->bins; b++) {
		const struct tl_bin *r = &ev->rel[b];
		if (r->n == 0)
			continue;
		fprintf(f, "%.3f-%.3f  %8lld", r->lo, r->hi, r->n);
		num(f, 10, r->conf), num(f, 10, r->acc), num(f, 10, r->acc - r->conf);
		fputc('\n', f);
	}

	fputs("\naccuracy by confidence threshold (top class)\n", f);
	fprintf(f, "%-9s %9s %9s %8s\n", "conf >=", "coverage", "accuracy", "n");
	for (int q = 0; q < ev->ncurve; q++) {
		const struct tl_curve_pt *p = &ev->curve[q];
		fprintf(f, "%-9.2f", p->threshold);
		num(f, 10, p->coverage), num(f, 10, p->acc);
		fprintf(f, " %8lld\n", p->n);
	}

	if (ev->nloss > 0) {
		fprintf(f, "\n%s\n", ev->n_prob ? "top losses (wrong verdicts, by -ln p(label))" : "wrong, most confident first");
		for (int i = 0; i < ev->nloss; i++) {
			struct tl_eval_rec r;
			tl_evalset_record(s, ev->losses[i].rec, &r);
			num(f, 8, ev->losses[i].loss);
			fprintf(f, "  %s: %s -> %s", r.id, ev->classes[r.label], pred_name(ev, r.pred));
			verdict_note(f, &r);
			fputc('\n', f);
		}
	}
}

/* ---- JSON ------------------------------------------------------------------ */

/* A string, or null for NULL. */
static void
str_or_null(struct tl_json_out *o, const char *s)
{
	if (s != NULL)
		tl_json_put_str(o, s);
	else
		tl_json_put_null(o);
}

static void
metric_json(struct tl_json_out *o, const char *name, const struct tl_metric *m)
{
	tl_json_key(o, name);
	tl_json_begin_obj(o);
	tl_json_key(o, "value"), tl_json_put_double(o, m->value);
	tl_json_key(o, "lo"), tl_json_put_double(o, m->lo);
	tl_json_key(o, "hi"), tl_json_put_double(o, m->hi);
	tl_json_key(o, "method"), str_or_null(o, ci_name(m->ci));
	tl_json_end(o);
}

/* Opens the top-level object and writes the keys every report starts with. */
static void
meta_json(struct tl_json_out *o, const struct tl_report_meta *m, const char *kind)
{
	tl_json_begin_obj(o);
	tl_json_key(o, "tl_report"), tl_json_put_int(o, TL_REPORT_FORMAT);
	tl_json_key(o, "kind"), tl_json_put_str(o, kind);
	tl_json_key(o, "date"), tl_json_put_str(o, m->date);
	tl_json_key(o, "model"), tl_json_put_str(o, m->model);
	tl_json_key(o, "backbone"), tl_json_put_str(o, m->backbone);
	tl_json_key(o, "dataset_sha256"), tl_json_put_str(o, m->dataset);
}

/* The list of {"id", "label", "pred", "conf"} of the records with a verdict. */
static void
records_json(struct tl_json_out *o, const struct tl_report_meta *m, const struct tl_eval *ev,
             const struct tl_evalset *s)
{
	size_t n = tl_evalset_count(s);

	tl_json_begin_list(o);
	for (size_t i = 0; i < n; i++) {
		struct tl_eval_rec r;
		tl_evalset_record(s, i, &r);
		if (r.pred == -2)
			continue;
		tl_json_begin_obj(o);
		tl_json_key(o, "id"), tl_json_put_str(o, r.id);
		tl_json_key(o, "label");
		tl_json_put_str(o, r.label >= 0 ? ev->classes[r.label] : m->ood_label);
		tl_json_key(o, "pred"), tl_json_put_str(o, pred_name(ev, r.pred));
		tl_json_key(o, "conf"), tl_json_put_double(o, r.conf);
		tl_json_key(o, "reject"), str_or_null(o, r.pred == -1 ? tl_eval_reject_key(r.reject) : NULL);
		tl_json_end(o);
	}
	tl_json_end(o);
}

void
tl_report_json(FILE *f, const struct tl_report_meta *m, const struct tl_eval *ev,
               const struct tl_evalset *s, int flags)
{
	struct tl_json_out o;
	int k = ev->k;

	tl_json_out_init(&o, f);
	meta_json(&o, m, "evaluation");
	tl_json_key(&o, "classes"), tl_json_begin_list(&o);
	for (int c = 0; c < k; c++)
		tl_json_put_str(&o, ev->classes[c]);
	tl_json_end(&o);
	tl_json_key(&o, "counts"), tl_json_begin_obj(&o);
	tl_json_key(&o, "records"), tl_json_put_int(&o, m->records);
	tl_json_key(&o, "evaluated"), tl_json_put_int(&o, ev->n_eval);
	tl_json_key(&o, "unlabelled"), tl_json_put_int(&o, m->unlabelled);
	tl_json_key(&o, "bad"), tl_json_put_int(&o, m->bad);
	tl_json_key(&o, "no_verdict"), tl_json_put_int(&o, ev->n_none);
	tl_json_key(&o, "ood"), tl_json_put_int(&o, ev->n_ood);
	tl_json_key(&o, "unknown"), tl_json_put_int(&o, ev->n_unknown);
	tl_json_key(&o, "unknown_ood"), tl_json_put_int(&o, ev->n_unknown_by[TL_REJECT_OOD]);
	tl_json_key(&o, "unknown_conf"), tl_json_put_int(&o, ev->n_unknown_by[TL_REJECT_CONF]);
	tl_json_key(&o, "unknown_unstated"), tl_json_put_int(&o, ev->n_unknown_by[TL_REJECT_UNSTATED]);
	tl_json_key(&o, "accepted"), tl_json_put_int(&o, ev->n_accepted);
	tl_json_key(&o, "correct"), tl_json_put_int(&o, ev->n_correct);
	tl_json_key(&o, "with_prob"), tl_json_put_int(&o, ev->n_prob);
	tl_json_end(&o);
	tl_json_key(&o, "ood_label"), str_or_null(&o, m->ood_label);
	tl_json_key(&o, "settings"), tl_json_begin_obj(&o);
	tl_json_key(&o, "bins"), tl_json_put_int(&o, ev->bins);
	tl_json_key(&o, "top_k"), tl_json_put_int(&o, ev->top_k_k);
	tl_json_key(&o, "bootstrap"), tl_json_put_int(&o, ev->boot);
	tl_json_key(&o, "seed"), tl_json_put_uint(&o, ev->seed);
	tl_json_key(&o, "confidence"), tl_json_put_double(&o, 0.95);
	tl_json_end(&o);
	tl_json_key(&o, "majority");
	str_or_null(&o, ev->majority >= 0 ? ev->classes[ev->majority] : NULL);
	tl_json_key(&o, "metrics"), tl_json_begin_obj(&o);
	metric_json(&o, "accuracy", &ev->accuracy);
	metric_json(&o, "baseline", &ev->baseline);
	metric_json(&o, "coverage", &ev->coverage);
	metric_json(&o, "accepted_accuracy", &ev->accepted_accuracy);
	metric_json(&o, "unknown_rate", &ev->unknown_rate);
	metric_json(&o, "balanced_accuracy", &ev->balanced_accuracy);
	metric_json(&o, "macro_f1", &ev->macro_f1);
	metric_json(&o, "weighted_f1", &ev->weighted_f1);
	metric_json(&o, "log_loss", &ev->log_loss);
	metric_json(&o, "top_k_accuracy", &ev->top_k);
	metric_json(&o, "ece", &ev->ece);
	metric_json(&o, "auroc", &ev->auroc);
	metric_json(&o, "ood_rejected", &ev->ood_rejected);
	tl_json_end(&o);
	tl_json_key(&o, "per_class"), tl_json_begin_obj(&o);
	for (int c = 0; c < k; c++) {
		const struct tl_class_stats *st = &ev->cls[c];
		tl_json_key(&o, ev->classes[c]), tl_json_begin_obj(&o);
		tl_json_key(&o, "precision"), tl_json_put_double(&o, st->precision);
		tl_json_key(&o, "recall"), tl_json_put_double(&o, st->recall);
		tl_json_key(&o, "f1"), tl_json_put_double(&o, st->f1);
		tl_json_key(&o, "support"), tl_json_put_int(&o, st->support);
		tl_json_key(&o, "predicted"), tl_json_put_int(&o, st->predicted);
		tl_json_key(&o, "unknown"), tl_json_put_int(&o, st->unknown);
		tl_json_end(&o);
	}
	tl_json_end(&o);
	tl_json_key(&o, "confusion"), tl_json_begin_list(&o);
	for (int r = 0; r < k; r++) {
		tl_json_begin_list(&o);
		for (int c = 0; c <= k; c++)
			tl_json_put_int(&o, ev->confusion[(size_t)r * (k + 1) + c]);
		tl_json_end(&o);
	}
	tl_json_end(&o);
	tl_json_key(&o, "reliability"), tl_json_begin_list(&o);
	for (int b = 0; b < ev->bins; b++) {
		const struct tl_bin *r = &ev->rel[b];
		tl_json_begin_obj(&o);
		tl_json_key(&o, "lo"), tl_json_put_double(&o, r->lo);
		tl_json_key(&o, "hi"), tl_json_put_double(&o, r->hi);
		tl_json_key(&o, "n"), tl_json_put_int(&o, r->n);
		tl_json_key(&o, "conf"), tl_json_put_double(&o, r->conf);
		tl_json_key(&o, "acc"), tl_json_put_double(&o, r->acc);
		tl_json_end(&o);
	}
	tl_json_end(&o);
	tl_json_key(&o, "coverage_curve"), tl_json_begin_list(&o);
	for (int q = 0; q < ev->ncurve; q++) {
		const struct tl_curve_pt *p = &ev->curve[q];
		tl_json_begin_obj(&o);
		tl_json_key(&o, "threshold"), tl_json_put_double(&o, p->threshold);
		tl_json_key(&o, "coverage"), tl_json_put_double(&o, p->coverage);
		tl_json_key(&o, "accuracy"), tl_json_put_double(&o, p->acc);
		tl_json_key(&o, "n"), tl_json_put_int(&o, p->n);
		tl_json_end(&o);
	}
	tl_json_end(&o);
	tl_json_key(&o, "confused_pairs"), tl_json_begin_list(&o);
	for (int i = 0; i < ev->npairs; i++) {
		tl_json_begin_obj(&o);
		tl_json_key(&o, "label"), tl_json_put_str(&o, ev->classes[ev->pairs[i].label]);
		tl_json_key(&o, "pred"), tl_json_put_str(&o, ev->classes[ev->pairs[i].pred]);
		tl_json_key(&o, "n"), tl_json_put_int(&o, ev->pairs[i].n);
		tl_json_end(&o);
	}
	tl_json_end(&o);
	if (!(flags & TL_REPORT_HISTORY)) {
		tl_json_key(&o, "top_losses"), tl_json_begin_list(&o);
		for (int i = 0; i < ev->nloss; i++) {
			struct tl_eval_rec r;
			tl_evalset_record(s, ev->losses[i].rec, &r);
			tl_json_begin_obj(&o);
			tl_json_key(&o, "id"), tl_json_put_str(&o, r.id);
			tl_json_key(&o, "label"), tl_json_put_str(&o, ev->classes[r.label]);
			tl_json_key(&o, "pred"), tl_json_put_str(&o, pred_name(ev, r.pred));
			tl_json_key(&o, "conf"), tl_json_put_double(&o, r.conf);
			tl_json_key(&o, "reject"), str_or_null(&o, r.pred == -1 ? tl_eval_reject_key(r.reject) : NULL);
			tl_json_key(&o, "loss"), tl_json_put_double(&o, ev->losses[i].loss);
			tl_json_end(&o);
		}
		tl_json_end(&o);
	}
	if (flags & TL_REPORT_RECORDS) {
		tl_json_key(&o, "records");
		records_json(&o, m, ev, s);
	}
	tl_json_end(&o);
	fputc('\n', f);
}

/* ---- class coverage -------------------------------------------------------- */

void
tl_coverage_text(FILE *f, const struct tl_report_meta *m, const struct tl_evalset *s)
{
	int k = tl_evalset_nclass(s), w = 7, below = 0;
	long long *n = calloc(k + 1, sizeof *n), total = 0;

	if (n == NULL)
		return;
	tl_evalset_counts(s, n);
	for (int c = 0; c < k; c++) {
		int l = (int)strlen(tl_evalset_class(s, c));
		w = l > w ? (l > 40 ? 40 : l) : w;
		total += n[c];
		below += n[c] < m->min_count;
	}
	fprintf(f, "class coverage: %lld labelled records in %d classes, %lld unlabelled, %lld bad\n",
	        total, k, m->unlabelled, m->bad);
	fprintf(f, "%d of %d classes have fewer than %lld (--min-count)\n\n", below, k, m->min_count);
	fprintf(f, "%-*s %8s %8s\n", w, "class", "count", "short");
	for (int c = 0; c < k; c++) {
		fprintf(f, "%-*.*s %8lld", w, w, tl_evalset_class(s, c), n[c]);
		if (n[c] < m->min_count)
			fprintf(f, " %8lld\n", m->min_count - n[c]);
		else
			fputs("        -\n", f);
	}
	free(n);
}

void
tl_coverage_json(FILE *f, const struct tl_report_meta *m, const struct tl_evalset *s, int flags)
{
	int k = tl_evalset_nclass(s), below = 0;
	long long *n = calloc(k + 1, sizeof *n), total = 0;
	struct tl_json_out o;

	if (n == NULL)
		return;
	tl_evalset_counts(s, n);
	for (int c = 0; c < k; c++)
		total += n[c], below += n[c] < m->min_count;
	tl_json_out_init(&o, f);
	meta_json(&o, m, "coverage");
	tl_json_key(&o, "counts"), tl_json_begin_obj(&o);
	tl_json_key(&o, "records"), tl_json_put_int(&o, m->records);
	tl_json_key(&o, "labelled"), tl_json_put_int(&o, total);
	tl_json_key(&o, "unlabelled"), tl_json_put_int(&o, m->unlabelled);
	tl_json_key(&o, "bad"), tl_json_put_int(&o, m->bad);
	tl_json_end(&o);
	tl_json_key(&o, "min_count"), tl_json_put_int(&o, m->min_count);
	tl_json_key(&o, "classes_below"), tl_json_put_int(&o, below);
	tl_json_key(&o, "classes"), tl_json_begin_obj(&o);
	for (int c = 0; c < k; c++)
		tl_json_key(&o, tl_evalset_class(s, c)), tl_json_put_int(&o, n[c]);
	tl_json_end(&o);
	tl_json_end(&o);
	fputc('\n', f);
	free(n);
}

/* ---- predictions without labels ------------------------------------------------ */

/* The classes by count, most first (ties in class order), "unknown" (k) last. */
static int *
by_count(const struct tl_summary *sum, int k)
{
	int *o = malloc(((size_t)k + 1) * sizeof *o);

	if (o == NULL)
		return NULL;
	for (int c = 0; c < k; c++) { /* insertion: k is small beside the records */
		int j = c;
		while (j > 0 && sum->counts[o[j - 1]] < sum->counts[c])
			o[j] = o[j - 1], j--;
		o[j] = c;
	}
	o[k] = k;
	return o;
}

static void
review_text(FILE *f, const struct tl_evalset *s, const char *title, const size_t *idx, size_t n,
            int ood, int k)
{
	if (n == 0)
		return;
	fprintf(f, "\nreview first: %s\n", title);
	for (size_t j = 0; j < n; j++) {
		struct tl_eval_rec r;
		tl_evalset_predicted(s, idx[j], &r);
		fprintf(f, "%8.4f  %s: %s", ood ? r.ood : r.conf, r.id,
		        r.pred >= 0 && r.pred < k ? tl_evalset_class(s, r.pred) : "unknown");
		verdict_note(f, &r);
		fputc('\n', f);
	}
}

void
tl_report_predictions_text(FILE *f, const struct tl_report_meta *m, const struct tl_summary *sum,
                           const struct tl_evalset *s)
{
	int k = tl_evalset_nclass(s), w = 9, *o = by_count(sum, k);

	if (o == NULL)
		return;
	for (int c = 0; c < k; c++) {
		int l = (int)strlen(tl_evalset_class(s, c));
		w = l > w ? (l > 40 ? 40 : l) : w;
	}
	fprintf(f, "model     %s%s%s%s\n", *m->model ? m->model : "(not named)",
	        *m->backbone ? " (backbone " : "", m->backbone, *m->backbone ? ")" : "");
	fprintf(f, "records   %lld read: %lld with a verdict and no label, %lld bad\n", m->records,
	        sum->n, m->bad);
	fputs("          no labels: what was predicted, not how well\n", f);
	fprintf(f, "unknown   %lld of %lld predicted \"unknown\"", sum->counts[k], sum->n);
	unknown_reasons(f, sum->why);
	fprintf(f, "\n\n%-*s %8s %7s\n", w, "predicted", "n", "share");
	for (int i = 0; i <= k; i++) {
		int c = o[i];
		fprintf(f, "%-*.*s %8lld %6.1f%%\n", w, w, c < k ? tl_evalset_class(s, c) : "unknown",
		        sum->counts[c], sum->n ? 100.0 * sum->counts[c] / sum->n : 0.0);
	}
	if (sum->nconf > 0) {
		fprintf(f, "\nconfidence of the best class (%zu with conf)\n", sum->nconf);
		for (int q = 0; q < TL_SUMMARY_NQ; q++)
			fprintf(f, "%sp%g %.4f", q ? "  " : "", 100 * tl_summary_q[q], sum->q[q]);
		fputc('\n', f);
	}
	review_text(f, s, "lowest confidence", sum->low, sum->nlow, 0, k);
	review_text(f, s, "highest ood", sum->high, sum->nhigh, 1, k);
	free(o);
}

static void
review_json(struct tl_json_out *o, const struct tl_evalset *s, const char *key, const size_t *idx,
            size_t n, int k)
{
	tl_json_key(o, key), tl_json_begin_list(o);
	for (size_t j = 0; j < n; j++) {
		struct tl_eval_rec r;
		tl_evalset_predicted(s, idx[j], &r);
		tl_json_begin_obj(o);
		tl_json_key(o, "id"), tl_json_put_str(o, r.id);
		tl_json_key(o, "pred");
		tl_json_put_str(o, r.pred >= 0 && r.pred < k ? tl_evalset_class(s, r.pred) : "unknown");
		tl_json_key(o, "conf"), tl_json_put_double(o, r.conf);
		tl_json_key(o, "ood"), tl_json_put_double(o, r.ood);
		tl_json_key(o, "reject"), str_or_null(o, r.pred == -1 ? tl_eval_reject_key(r.reject) : NULL);
		tl_json_end(o);
	}
	tl_json_end(o);
}

void
tl_report_predictions_json(FILE *f, const struct tl_report_meta *m, const struct tl_summary *sum,
                           const struct tl_evalset *s)
{
	int k = tl_evalset_nclass(s);
	struct tl_json_out o;
	char name[16];

	tl_json_out_init(&o, f);
	meta_json(&o, m, "predictions");
	tl_json_key(&o, "counts"), tl_json_begin_obj(&o);
	tl_json_key(&o, "records"), tl_json_put_int(&o, m->records);
	tl_json_key(&o, "predicted"), tl_json_put_int(&o, sum->n);
	tl_json_key(&o, "bad"), tl_json_put_int(&o, m->bad);
	tl_json_key(&o, "unknown"), tl_json_put_int(&o, sum->counts[k]);
	tl_json_key(&o, "unknown_ood"), tl_json_put_int(&o, sum->why[TL_REJECT_OOD]);
	tl_json_key(&o, "unknown_conf"), tl_json_put_int(&o, sum->why[TL_REJECT_CONF]);
	tl_json_key(&o, "unknown_unstated"), tl_json_put_int(&o, sum->why[TL_REJECT_UNSTATED]);
	tl_json_key(&o, "with_conf"), tl_json_put_int(&o, (long long)sum->nconf);
	tl_json_key(&o, "with_ood"), tl_json_put_int(&o, (long long)sum->nood);
	tl_json_end(&o);
	tl_json_key(&o, "classes"), tl_json_begin_obj(&o);
	for (int c = 0; c < k; c++)
		tl_json_key(&o, tl_evalset_class(s, c)), tl_json_put_int(&o, sum->counts[c]);
	tl_json_end(&o);
	tl_json_key(&o, "conf_quantiles"), tl_json_begin_obj(&o);
	for (int q = 0; q < TL_SUMMARY_NQ; q++) {
		snprintf(name, sizeof name, "p%g", 100 * tl_summary_q[q]);
		tl_json_key(&o, name), tl_json_put_double(&o, sum->q[q]);
	}
	tl_json_end(&o);
	tl_json_key(&o, "review"), tl_json_begin_obj(&o);
	review_json(&o, s, "lowest_conf", sum->low, sum->nlow, k);
	review_json(&o, s, "highest_ood", sum->high, sum->nhigh, k);
	tl_json_end(&o);
	tl_json_end(&o);
	fputc('\n', f);
}

/* ---- --assert -------------------------------------------------------------- */

int
tl_assert_parse(const char *text, struct tl_assert *a, struct tl_err *err)
{
	static const struct { const char *s; enum tl_op op; } ops[] = {
		{ ">=", TL_OP_GE }, { "<=", TL_OP_LE }, { "==", TL_OP_EQ }, { ">", TL_OP_GT },
		{ "<", TL_OP_LT } };
	const char *p = text, *q, *br;
	size_t len;
	char *end;

	memset(a, 0, sizeof *a);
	a->text = text;
	for (q = p; (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_'; q++)
		;
	if ((len = q - p) == 0 || len >= sizeof a->name)
		return tl_err_set(err, "'%s': want NAME[CLASS]OP NUMBER, e.g. accuracy>=0.9", text);
	memcpy(a->name, p, len);
	if (*q == '[') {
		if ((br = strrchr(q, ']')) == NULL || br == q + 1 || (size_t)(br - q - 1) >= sizeof a->cls)
			return tl_err_set(err, "'%s': an unclosed or empty [CLASS]", text);
		memcpy(a->cls, q + 1, br - q - 1);
		q = br + 1;
	}
	for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
		if (strncmp(q, ops[i].s, strlen(ops[i].s)) == 0) {
			a->op = ops[i].op;
			q += strlen(ops[i].s);
			errno = 0;
			a->value = strtod(q, &end);
			if (end == q || *end != '\0' || errno || !isfinite(a->value))
				return tl_err_set(err, "'%s': '%s' is not a number", text, q);
			return 0;
		}
	return tl_err_set(err, "'%s': no operator (>=, <=, >, <, ==) after the name", text);
}

static int
coverage_lookup(const struct tl_assert *a, const struct tl_evalset *s, long long min_count,
                double *v, struct tl_err *err)
{
	int k = tl_evalset_nclass(s), c;
	long long *n = calloc(k + 1, sizeof *n), tot = 0, below = 0;

	if (n == NULL)
		return tl_err_set(err, "out of memory");
	tl_evalset_counts(s, n);
	for (c = 0; c < k; c++)
		tot += n[c], below += n[c] < min_count;
	if (*a->cls && strcmp(a->name, "count") == 0) {
		for (c = 0; c < k && strcmp(tl_evalset_class(s, c), a->cls) != 0; c++)
			;
		*v = c < k ? (double)n[c] : 0;
	} else if (!*a->cls && strcmp(a->name, "n") == 0) {
		*v = (double)tot;
	} else if (!*a->cls && strcmp(a->name, "classes_below") == 0) {
		*v = (double)below;
	} else {
		free(n);
		return tl_err_set(err, "no class coverage figure '%s' (n, classes_below, count[CLASS])",
		                  a->name);
	}
	free(n);
	return 0;
}

int
tl_assert_check(const struct tl_assert *a, const struct tl_eval *ev, const struct tl_evalset *s,
                long long min_count, struct tl_err *err)
{
	double v;
	int ok;

	if (ev ? tl_eval_lookup(ev, a->name, *a->cls ? a->cls : NULL, &v, err) < 0
	       : coverage_lookup(a, s, min_count, &v, err) < 0)
		return tl_err_prefix(err, "%s", a->text), 0;
	if (isnan(v))
		return tl_err_set(err, "%s: %s cannot be computed on this input", a->text, a->name), 0;
	switch (a->op) {
	case TL_OP_GE: ok = v >= a->value; break;
	case TL_OP_LE: ok = v <= a->value; break;
	case TL_OP_GT: ok = v > a->value; break;
	case TL_OP_LT: ok = v < a->value; break;
	default: ok = v == a->value; break;
	}
	if (!ok) {
		if (*a->cls)
			tl_err_set(err, "%s: %s[%s] is %.9g", a->text, a->name, a->cls, v);
		else
			tl_err_set(err, "%s: %s is %.9g", a->text, a->name, v);
	}
	return ok;
}
