/*
 * html.c - the HTML pages of tl-report (html.h).  Each section is a
 * function writing to the page's FILE; charts come from svg.c, numbers are
 * printed in the C locale with four decimals as in the text report (the
 * title and headline: percentages with one), every id, label and name goes
 * through tl_xml_text.  The CSS names the page's one font; the inline
 * charts inherit it.  The top losses' thumbnails
 * (shots.c) are encoded as JPEG and inlined as base64 data: URIs only when
 * the page is written.
 *
 * Not here: the metrics (metrics.c), keeping and decoding the images
 * (shots.c), reading the history file (history.c), reading the stream
 * (cmd/tl-report.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "core/afile.h"
#include "core/version.h"
#include "data/image.h"
#include "report/history.h"
#include "report/html.h"
#include "report/shots.h"
#include "report/svg.h"
#include "report/xml.h"

#define THUMB 160         /* thumbnail's longer side, px */
#define MAX_CHART_CLASS 60 /* more classes: tables only */
#define MAX_HISTORY 100   /* history entries plotted (the last ones) */
#define MAX_HISTORY_CLASS TL_HISTORY_MAXF1

static const char *const palette[] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                       "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" };
#define RIGHT "#2ca02c"
#define WRONG "#d62728"

/* ---- thumbnails ---------------------------------------------------------------- */

/* <img> of im as a JPEG data: URI; 0 or -1 (err). */
static int
img_tag(FILE *f, const struct tl_image *im, const char *alt, const char *alt2, struct tl_err *err)
{
	void *buf;
	size_t len;
	gchar *b64;

	if (tl_image_encode_jpeg(im, 85, &buf, &len, err) < 0)
		return -1;
	b64 = g_base64_encode(buf, len); /* RFC 4648: A-Z a-z 0-9 + /, '=' padding */
	free(buf);
	fprintf(f, "<img width=\"%d\" height=\"%d\" alt=\"", im->width, im->height);
	tl_xml_text(f, alt, 0), tl_xml_text(f, alt2, 0);
	fputs("\" src=\"data:image/jpeg;base64,", f);
	fputs(b64, f), fputs("\">", f);
	g_free(b64);
	return 0;
}

/* The thumbnail of record rec and, with a cam, its heat map, each in a
 * box of THUMB x THUMB px; a box saying so when rec has no image kept or it
 * cannot be decoded.  boxes: the page shows images (0: nothing here). */
static void
shot_imgs(FILE *f, const struct tl_shots *sh, size_t rec, const char *id, int boxes)
{
	struct tl_image im = { 0 };
	struct tl_err err;
	int rc;

	if (!boxes)
		return;
	fputs("<div class=\"thumbs\">", f);
	if ((rc = tl_shots_thumb(sh, rec, THUMB, &im, &err)) == 0) {
		fputs("<span class=\"thumb\">no image</span>", f);
	} else if (rc > 0) {
		fputs("<span class=\"thumb\">", f);
		rc = img_tag(f, &im, id, "", &err);
		fputs("</span>", f);
		if (rc == 0 && tl_shots_heat(sh, rec, &im)) {
			fputs("<span class=\"thumb\">", f);
			rc = img_tag(f, &im, id, " (heat map)", &err);
			fputs("</span>", f);
		}
	}
	if (rc < 0)
		fputs("<span class=\"thumb\">image not shown: ", f), tl_xml_text(f, err.msg, 0), fputs("</span>", f);
	fputs("</div>", f);
	tl_image_free(&im);
}

/* ---- the page ------------------------------------------------------------------ */

static const char css[] =
	"body{font:14px/1.45 'DejaVu Sans',Verdana,sans-serif;color:#222;background:#fff;"
	"max-width:1160px;margin:0 auto;padding:12px 28px 40px}"
	"h1{font-size:22px;margin:8px 0 10px}h2{font-size:17px;margin:30px 0 10px;padding-bottom:3px;"
	"border-bottom:2px solid #dde3ea}"
	".headline{display:flex;flex-wrap:wrap;gap:12px;margin:0 0 10px}"
	".headline div{padding:8px 14px;border:1px solid #dde3ea;border-radius:6px;background:#fafbfc;"
	"min-width:120px;max-width:420px}"
	".headline span{display:block;color:#666;font-size:12px}"
	".headline b{display:block;font-size:20px;font-weight:600;overflow-wrap:anywhere}"
	".headline small{display:block;color:#555;font-size:12px;overflow-wrap:anywhere}"
	".meta{color:#555;margin:2px 0}nav{margin:10px 0 0;font-size:13px}nav a{margin-right:12px;"
	"color:#1f5f99;text-decoration:none}"
	"table{border-collapse:collapse;font-size:13px;margin:6px 0}"
	"th,td{padding:3px 10px;text-align:right;border-bottom:1px solid #e6e6e6}"
	"th{background:#f3f5f8;font-weight:600}th:first-child,td:first-child{text-align:left}"
	"td.num{font-variant-numeric:tabular-nums}th.txt,td.txt{text-align:left}.dim{color:#888}"
	".charts{display:flex;flex-wrap:wrap;gap:18px 28px;align-items:flex-start}"
	".note{color:#555;font-size:13px;max-width:900px}"
	".shots{display:grid;grid-template-columns:repeat(auto-fill,178px);gap:14px}"
	".shots.cam{grid-template-columns:repeat(auto-fill,344px)}"
	".shot{margin:0;padding:8px;border:1px solid #dde3ea;border-radius:6px;background:#fafbfc}"
	".thumbs{display:flex;gap:6px;margin-bottom:6px}"
	".thumb{display:flex;width:160px;height:160px;align-items:center;justify-content:center;"
	"background:#eef1f4;border-radius:3px;overflow:hidden;font-size:12px;color:#888;"
	"text-align:center;overflow-wrap:anywhere}"
	".thumb img{display:block}"
	".shot figcaption{font-size:12px;overflow-wrap:anywhere}"
	".ok{color:#1b7a1b;font-weight:600}.bad{color:#b3261e;font-weight:600}"
	"footer{margin-top:36px;color:#888;font-size:12px}";

/* Opens the page at path: title is both its <title> and its <h1>. */
static FILE *
page_open(struct tl_afile **a, const char *path, const char *title, struct tl_err *err)
{
	FILE *f;

	if ((*a = tl_afile_open(path, err)) == NULL)
		return NULL;
	f = tl_afile_fp(*a);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
	tl_xml_text(f, title, 0);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<header>\n<h1>", css);
	tl_xml_text(f, title, 0);
	fputs("</h1>\n", f);
	return f;
}

static int
page_close(struct tl_afile *a, const char *path, struct tl_err *err)
{
	fprintf(tl_afile_fp(a), "<footer>made by tl-report %s</footer>\n</body>\n</html>\n",
	        TL_VERSION);
	if (tl_afile_commit(a, err) < 0)
		return tl_err_prefix(err, "--html");
	return 0;
}

static void
num(FILE *f, double v)
{
	if (isnan(v))
		fputs("<td class=\"num dim\">-</td>", f);
	else
		fprintf(f, "<td class=\"num\">%.4f</td>", v);
}

static void
cell(FILE *f, const char *s)
{
	fputs("<td class=\"txt\">", f), tl_xml_text(f, s, 0), fputs("</td>", f);
}

static void
section(FILE *f, const char *id, const char *title)
{
	fprintf(f, "<section id=\"%s\">\n<h2>", id);
	tl_xml_text(f, title, 0);
	fputs("</h2>\n", f);
}

static void
metric_row(FILE *f, const char *name, const struct tl_metric *m, const struct tl_eval *ev)
{
	fputs("<tr>", f), cell(f, name), num(f, m->value);
	if (m->ci == TL_CI_NONE || isnan(m->lo))
		fputs("<td></td><td></td>", f);
	else if (m->ci == TL_CI_WILSON)
		fprintf(f, "<td class=\"num\">[%.4f, %.4f]</td><td class=\"txt\">Wilson</td>", m->lo, m->hi);
	else
		fprintf(f, "<td class=\"num\">[%.4f, %.4f]</td><td class=\"txt\">bootstrap (%d, seed %llu)</td>", m->lo,
		        m->hi, ev->boot, (unsigned long long)ev->seed);
	fputs("</tr>\n", f);
}

static void
metrics_table(FILE *f, const struct tl_report_meta *m, const struct tl_eval *ev)
{
	struct tl_headline rows[TL_HEADLINE_MAX];
	int nh;

	section(f, "metrics", "Headline metrics");
	fputs("<table>\n<tr><th>metric</th><th>value</th><th>95% interval</th><th class=\"txt\">method</th></tr>\n", f);
	nh = tl_eval_headline(ev, m->ood_label != NULL, rows);
	for (int i = 0; i < nh; i++)
		metric_row(f, rows[i].page, rows[i].m, ev);
	fputs("</table>\n</section>\n", f);
}

static void
confusion(FILE *f, const struct tl_eval *ev)
{
	int k = ev->k, cols = k + 1;
	size_t nc = (size_t)k * cols;
	double *v = malloc((2 * nc + 1) * sizeof *v), *sh = v ? v + nc : NULL, max = 0;
	const char **cl = malloc((cols + 1) * sizeof *cl);

	section(f, "confusion", "Confusion matrix");
	if (k > MAX_CHART_CLASS || v == NULL || cl == NULL) {
		fprintf(f, "<p class=\"note\">%d classes: too many to draw; see the text or JSON "
		        "report.</p>\n</section>\n", k);
		free(v), free(cl);
		return;
	}
	for (int c = 0; c < k; c++)
		cl[c] = ev->classes[c];
	cl[k] = "unknown";
	for (size_t i = 0; i < nc; i++)
		v[i] = (double)ev->confusion[i], max = v[i] > max ? v[i] : max;
	for (size_t i = 0; i < nc; i++)
		sh[i] = max > 0 ? v[i] / max : 0;
	fputs("<div class=\"charts\">\n", f);
	tl_svg_heatmap(f, "Counts", k, cols, ev->classes, cl, v, sh, 0, "prediction", "label");
	for (int r = 0; r < k; r++) {
		long long n = ev->cls[r].support;
		for (int c = 0; c < cols; c++)
			v[(size_t)r * cols + c] = n ? v[(size_t)r * cols + c] / n : 0;
	}
	tl_svg_heatmap(f, "Row-normalised (recall on the diagonal)", k, cols, ev->classes, cl, v, v,
	               1, "prediction", "label");
	fputs("</div>\n<p class=\"note\">Rows are the true labels, columns the predictions; "
	      "\"unknown\" is the classifier declining to answer.</p>\n</section>\n", f);
	free(v), free(cl);
}

static void
per_class(FILE *f, const struct tl_eval *ev)
{
	static const char *const names[] = { "precision", "recall", "F1" };
	static const char *const cols[] = { "#4e79a7", "#f28e2b", "#59a14f" };
	struct tl_svg_plot p = { 0 };
	char tip[300];

	section(f, "classes", "Per-class precision, recall and F1");
	fputs("<div class=\"charts\">\n", f);
	if (ev->k <= MAX_CHART_CLASS) {
		p.width = ev->k * 70 + 120 > 1100 ? 1100 : ev->k * 70 + 120 < 520 ? 520 : ev->k * 70 + 120;
		p.height = 300, p.ymin = 0, p.ymax = 1.08, p.ncat = ev->k, p.cats = ev->classes;
		p.ylabel = "score", p.legend = 1;
		tl_svg_begin(f, &p);
		for (int c = 0; c < ev->k; c++) {
			const struct tl_class_stats *st = &ev->cls[c];
			double v[3] = { st->precision, st->recall, st->f1 };
			for (int j = 0; j < 3; j++) {
				snprintf(tip, sizeof tip, "%s %s %.4f", ev->classes[c], names[j], v[j]);
				tl_svg_bar(f, &p, c + 0.12 + 0.25 * j, c + 0.35 + 0.25 * j, v[j], cols[j], tip);
			}
		}
		tl_svg_legend(f, &p, names, cols, 3);
		tl_svg_end(f);
	}
	fputs("<table>\n<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th>"
	      "<th>support</th><th>predicted</th><th>unknown</th></tr>\n", f);
	for (int c = 0; c < ev->k; c++) {
		const struct tl_class_stats *st = &ev->cls[c];
		fputs("<tr>", f), cell(f, ev->classes[c]);
		num(f, st->precision), num(f, st->recall), num(f, st->f1);
		fprintf(f, "<td class=\"num\">%lld</td><td class=\"num\">%lld</td><td class=\"num\">%lld"
		        "</td></tr>\n", st->support, st->predicted, st->unknown);
	}
	fputs("</table>\n</div>\n</section>\n", f);
}

static void
calibration(FILE *f, const struct tl_eval *ev, const struct tl_evalset *s)
{
	static const char *const names[] = { "right", "wrong" };
	static const char *const cols[] = { RIGHT, WRONG };
	struct tl_svg_plot p = { 0 };
	double diag[2] = { 0, 1 }, right[20] = { 0 }, wrong[20] = { 0 }, max = 0;
	char title[80], tip[120], n[32];

	section(f, "calibration", "Calibration");
	fputs("<div class=\"charts\">\n", f);
	snprintf(title, sizeof title, "Reliability (%d bins, ECE %.4f)", ev->bins, ev->ece.value);
	p.width = 500, p.height = 360, p.xmin = 0, p.xmax = 1, p.ymin = 0, p.ymax = 1.06;
	p.title = title, p.xlabel = "confidence of the top class", p.ylabel = "accuracy";
	tl_svg_begin(f, &p);
	for (int b = 0; b < ev->bins; b++) {
		const struct tl_bin *r = &ev->rel[b];
		if (r->n == 0)
			continue;
		snprintf(tip, sizeof tip, "%.3f-%.3f: %lld records, mean conf %.4f, accuracy %.4f",
		         r->lo, r->hi, r->n, r->conf, r->acc);
		tl_svg_bar(f, &p, r->lo, r->hi, r->acc, "#4e79a7", tip);
		snprintf(n, sizeof n, "%lld", r->n);
		tl_svg_note(f, &p, (r->lo + r->hi) / 2, r->acc, -4, n);
	}
	tl_svg_line(f, &p, diag, diag, 2, "#888", 0, 1);
	tl_svg_end(f);

	/* confidence of the verdict, right against wrong ("unknown" is wrong) */
	for (size_t i = 0; i < tl_evalset_count(s); i++) {
		struct tl_eval_rec e;
		int b;
		tl_evalset_record(s, i, &e);
		if (e.label < 0 || e.pred == -2 || isnan(e.conf))
			continue;
		b = (int)(e.conf * 20);
		b = b > 19 ? 19 : b < 0 ? 0 : b;
		(e.pred == e.label ? right : wrong)[b]++;
	}
	for (int b = 0; b < 20; b++)
		max = fmax(max, fmax(right[b], wrong[b]));
	memset(&p, 0, sizeof p);
	p.width = 500, p.height = 360, p.xmin = 0, p.xmax = 1, p.ymin = 0, p.ymax = max > 0 ? max * 1.1 : 1;
	p.title = "Confidence of right and wrong verdicts", p.xlabel = "confidence", p.ylabel = "records";
	p.legend = 1, p.yint = 1;
	tl_svg_begin(f, &p);
	for (int b = 0; b < 20; b++) {
		snprintf(tip, sizeof tip, "%.2f-%.2f: %.0f right", b / 20.0, (b + 1) / 20.0, right[b]);
		tl_svg_bar(f, &p, b / 20.0 + 0.003, b / 20.0 + 0.025, right[b], RIGHT, tip);
		snprintf(tip, sizeof tip, "%.2f-%.2f: %.0f wrong", b / 20.0, (b + 1) / 20.0, wrong[b]);
		tl_svg_bar(f, &p, b / 20.0 + 0.025, b / 20.0 + 0.047, wrong[b], WRONG, tip);
	}
	tl_svg_legend(f, &p, names, cols, 2);
	tl_svg_end(f);
	fputs("</div>\n<p class=\"note\">Bars at the dashed diagonal are calibrated; below it the model "
	      "is over-confident.  Numbers above the bars: records per bin.</p>\n</section>\n", f);
}

static void
coverage_curve(FILE *f, const struct tl_eval *ev)
{
	static const char *const names[] = { "accuracy of the kept", "coverage (kept)" };
	static const char *const cols[] = { "#4e79a7", "#e15759" };
	struct tl_svg_plot p = { 0 };
	double *x = malloc((2 * ev->ncurve + 1) * sizeof *x), *y = x ? x + ev->ncurve : NULL;
	double lo = 1;

	section(f, "threshold", "Coverage and accuracy as the confidence threshold rises");
	if (x == NULL) {
		fputs("</section>\n", f);
		return;
	}
	for (int q = 0; q < ev->ncurve; q++) {
		x[q] = ev->curve[q].threshold;
		lo = fmin(lo, isnan(ev->curve[q].acc) ? 1 : ev->curve[q].acc);
		lo = fmin(lo, isnan(ev->curve[q].coverage) ? 1 : ev->curve[q].coverage);
	}
	fputs("<div class=\"charts\">\n", f);
	p.width = 560, p.height = 340, p.xmin = 0, p.xmax = 1, p.ymin = lo > 0.5 ? 0.5 : 0, p.ymax = 1;
	p.xlabel = "keep verdicts with confidence at least", p.ypercent = 1, p.legend = 1;
	tl_svg_begin(f, &p);
	for (int q = 0; q < ev->ncurve; q++)
		y[q] = ev->curve[q].acc;
	tl_svg_line(f, &p, x, y, ev->ncurve, cols[0], 1, 0);
	for (int q = 0; q < ev->ncurve; q++)
		y[q] = ev->curve[q].coverage;
	tl_svg_line(f, &p, x, y, ev->ncurve, cols[1], 1, 0);
	tl_svg_legend(f, &p, names, cols, 2);
	tl_svg_end(f);
	fputs("<table>\n<tr><th>conf &ge;</th><th>coverage</th><th>accuracy</th><th>n</th></tr>\n", f);
	for (int q = 0; q < ev->ncurve; q++) {
		fprintf(f, "<tr><td class=\"num\">%.2f</td>", ev->curve[q].threshold);
		num(f, ev->curve[q].coverage), num(f, ev->curve[q].acc);
		fprintf(f, "<td class=\"num\">%lld</td></tr>\n", ev->curve[q].n);
	}
	fputs("</table>\n</div>\n</section>\n", f);
	free(x);
}

static const char *
pred_name(const struct tl_eval *ev, int p)
{
	return p >= 0 ? ev->classes[p] : p == -1 ? "unknown" : "";
}

static void
losses(FILE *f, const struct tl_eval *ev, const struct tl_evalset *s, const struct tl_shots *sh)
{
	int kept = 0; /* 1 some image, 2 some heat map too */

	if (ev->npairs > 0) {
		section(f, "pairs", "Most confused pairs");
		fputs("<table>\n<tr><th>label</th><th class=\"txt\">predicted</th><th>records</th></tr>\n", f);
		for (int i = 0; i < ev->npairs; i++) {
			fputs("<tr>", f), cell(f, ev->classes[ev->pairs[i].label]);
			cell(f, ev->classes[ev->pairs[i].pred]);
			fprintf(f, "<td class=\"num\">%lld</td></tr>\n", ev->pairs[i].n);
		}
		fputs("</table>\n</section>\n", f);
	}
	section(f, "losses", ev->n_prob ? "Top losses" : "Wrong verdicts, most confident first");
	if (ev->nloss == 0)
		fputs("<p class=\"note\">None.</p>\n", f);
	else
		fprintf(f, "<p class=\"note\">The %d records %s, with the map of what the network "
		        "looked at where the record carries one, its method named under it (red: where "
		        "the evidence for the prediction was).</p>\n",
		        ev->nloss, ev->n_prob ? "wrong with the largest loss, -ln p(label)" : "wrong with the highest confidence");
	/* a grid of equal cells: one THUMB box per image, two with heat maps */
	for (int i = 0; i < ev->nloss; i++) {
		int k = tl_shots_kept(sh, ev->losses[i].rec);
		kept = k > kept ? k : kept;
	}
	fprintf(f, "<div class=\"shots%s\">\n", kept == 2 ? " cam" : "");
	for (int i = 0; i < ev->nloss; i++) {
		struct tl_eval_rec r;
		tl_evalset_record(s, ev->losses[i].rec, &r);
		fputs("<figure class=\"shot\">", f);
		shot_imgs(f, sh, ev->losses[i].rec, r.id, kept > 0);
		fputs("<figcaption><b>", f), tl_xml_text(f, r.id, 0);
		fputs("</b><br>label <span class=\"ok\">", f), tl_xml_text(f, ev->classes[r.label], 0);
		fprintf(f, "</span> &rarr; predicted <span class=\"%s\">", r.pred == r.label ? "ok" : "bad");
		tl_xml_text(f, pred_name(ev, r.pred), 0), fputs("</span><br>", f);
		if (r.pred == -1 && r.reject == TL_REJECT_OOD && !isnan(r.ood))
			fprintf(f, "rejected: ood %.4f<br>", r.ood);
		else if (r.pred == -1 && r.reject == TL_REJECT_CONF)
			fputs("rejected: low confidence<br>", f);
		else if (r.pred == -1)
			fprintf(f, "rejected: %s<br>", tl_eval_reject_text(r.reject));
		if (!isnan(r.conf))
			fprintf(f, "confidence %.4f", r.conf);
		if (!isnan(ev->losses[i].loss))
			fprintf(f, "%sloss %.4f", isnan(r.conf) ? "" : " &middot; ", ev->losses[i].loss);
		if (tl_shots_method(sh, ev->losses[i].rec))
			fputs("<br>map: ", f), tl_xml_text(f, tl_shots_method(sh, ev->losses[i].rec), 0);
		fputs("</figcaption></figure>\n", f);
	}
	fputs("</div>\n</section>\n", f);
}

/* ---- history ------------------------------------------------------------------- */

static int
history(FILE *f, const struct tl_eval *ev, const char *path, struct tl_err *err)
{
	static const char *const names[] = { "accuracy", "95% interval", "macro F1" };
	static const char *const cols[] = { "#4e79a7", "#a0bcd8", "#f28e2b" };
	int nc = ev->k < MAX_HISTORY_CLASS ? ev->k : MAX_HISTORY_CLASS, n;
	struct tl_history_point *pts = calloc(MAX_HISTORY, sizeof *pts);
	const char *cats[MAX_HISTORY];
	double x[MAX_HISTORY], y[MAX_HISTORY], lo = 1;
	struct tl_svg_plot p = { 0 };

	if (pts == NULL)
		return tl_err_set(err, "out of memory");
	if (tl_history_read(path, ev->classes, nc, pts, MAX_HISTORY, &n, err) < 0)
		return free(pts), -1;
	section(f, "history", "History");
	fprintf(f, "<p class=\"note\">%d evaluation%s of ", n, n == 1 ? "" : "s");
	tl_xml_text(f, path, 0);
	fputs(", oldest first, named by model version.</p>\n<div class=\"charts\">\n", f);
	for (int i = 0; i < n; i++) {
		cats[i] = pts[i].name, x[i] = i + 0.5;
		lo = fmin(lo, isnan(pts[i].lo) ? 1 : pts[i].lo);
		lo = fmin(lo, isnan(pts[i].macro_f1) ? 1 : pts[i].macro_f1);
	}
	p.width = 540, p.height = 340, p.ymin = floor(lo * 10) / 10, p.ymax = 1, p.ncat = n, p.cats = cats;
	p.title = "Accuracy and macro F1", p.xlabel = "model", p.ypercent = 1, p.legend = 1;
	tl_svg_begin(f, &p);
	for (int i = 0; i < n; i++)
		y[i] = pts[i].lo;
	tl_svg_line(f, &p, x, y, n, cols[1], 0, 1);
	for (int i = 0; i < n; i++)
		y[i] = pts[i].hi;
	tl_svg_line(f, &p, x, y, n, cols[1], 0, 1);
	for (int i = 0; i < n; i++)
		y[i] = pts[i].acc;
	tl_svg_line(f, &p, x, y, n, cols[0], 1, 0);
	for (int i = 0; i < n; i++)
		y[i] = pts[i].macro_f1;
	tl_svg_line(f, &p, x, y, n, cols[2], 1, 0);
	tl_svg_legend(f, &p, names, cols, 3);
	tl_svg_end(f);

	lo = 1;
	for (int i = 0; i < n; i++)
		for (int c = 0; c < nc; c++)
			lo = fmin(lo, isnan(pts[i].f1[c]) ? 1 : pts[i].f1[c]);
	p.title = "F1 per class", p.ymin = floor(lo * 10) / 10;
	tl_svg_begin(f, &p);
	for (int c = 0; c < nc; c++) {
		for (int i = 0; i < n; i++)
			y[i] = pts[i].f1[c];
		tl_svg_line(f, &p, x, y, n, palette[c], 1, 0);
	}
	tl_svg_legend(f, &p, ev->classes, palette, nc);
	tl_svg_end(f);
	fputs("</div>\n", f);
	if (ev->k > nc)
		fprintf(f, "<p class=\"note\">F1 of the first %d of %d classes.</p>\n", nc, ev->k);
	fputs("</section>\n", f);
	free(pts);
	return 0;
}

/* ---- the headline -------------------------------------------------------------- */

#define EM_DASH "\xe2\x80\x94"
#define EN_DASH "\xe2\x80\x93"
#define HEAD_CLASSES 4 /* classes named in a summary of predictions' headline */

static const char *
str(const char *s)
{
	return s ? s : "";
}

/* The model as the title names it: "<backbone> head", else the
 * classifier's file, else its version; "" unknown. */
static void
model_name(const struct tl_report_meta *m, char *buf, size_t n)
{
	if (*str(m->backbone))
		snprintf(buf, n, "%s head", m->backbone);
	else
		snprintf(buf, n, "%s", *str(m->file) ? m->file : str(m->model));
}

/* The page's title: "NAME — MODEL: WHAT", without NAME or MODEL when
 * unknown (MODEL also when model is 0). */
static void
title_of(char *buf, size_t n, const struct tl_report_meta *m, int model, const char *what)
{
	char mn[300] = "";

	if (model)
		model_name(m, mn, sizeof mn);
	snprintf(buf, n, "%s%s%s%s%s", str(m->name), *str(m->name) && *mn ? " " EM_DASH " " : "", mn,
	         *str(m->name) || *mn ? ": " : "", what);
}

/* One box of the headline: a label, a value in large type and a line
 * below it ("": none). */
static void
box(FILE *f, const char *label, const char *value, const char *below)
{
	fputs("<div><span>", f), tl_xml_text(f, label, 0);
	fputs("</span><b>", f), tl_xml_text(f, value, 0), fputs("</b>", f);
	if (*below)
		fputs("<small>", f), tl_xml_text(f, below, 0), fputs("</small>", f);
	fputs("</div>", f);
}

/* Opens the headline with the dataset's box and, when model, the model's. */
static void
headline_open(FILE *f, const struct tl_report_meta *m, int model)
{
	char mn[300], below[600];

	fputs("<div class=\"headline\">", f);
	snprintf(below, sizeof below, "sha256 %.16s (ids, labels)", str(m->dataset));
	box(f, "dataset", *str(m->name) ? m->name : "not named", below);
	if (!model)
		return;
	model_name(m, mn, sizeof mn);
	if (!*mn)
		snprintf(mn, sizeof mn, "not named");
	snprintf(below, sizeof below, "%s%s%s%s", str(m->file), *str(m->file) && *str(m->model) ? " \xc2\xb7 " : "",
	         *str(m->model) ? "version " : "", str(m->model));
	if (strcmp(str(m->file), str(m->model)) == 0) /* a classifier without version */
		snprintf(below, sizeof below, "%s", str(m->file));
	box(f, "model", mn, below);
}

static void
headline_close(FILE *f, const struct tl_report_meta *m)
{
	fputs("</div>\n<p class=\"meta\">reported ", f), tl_xml_text(f, m->date, 0), fputs("</p>\n", f);
}

/* What the title says of an evaluation: its accuracy and interval. */
static void
accuracy_text(char *buf, size_t n, const struct tl_eval *ev)
{
	const struct tl_metric *a = &ev->accuracy;

	if (ev->n_eval == 0 || isnan(a->value))
		snprintf(buf, n, "no record evaluated");
	else if (a->ci == TL_CI_NONE || isnan(a->lo))
		snprintf(buf, n, "accuracy %.1f%%", 100 * a->value);
	else
		snprintf(buf, n, "accuracy %.1f%% (%.1f" EN_DASH "%.1f%%)", 100 * a->value, 100 * a->lo,
		         100 * a->hi);
}

/* The evaluation's headline: dataset, model, accuracy with its 95%
 * interval (the text report's), records evaluated. */
static void
headline(FILE *f, const struct tl_report_meta *m, const struct tl_eval *ev)
{
	const struct tl_metric *a = &ev->accuracy;
	char v[64], below[160];

	headline_open(f, m, 1);
	if (ev->n_eval > 0 && !isnan(a->value)) {
		snprintf(v, sizeof v, "%.1f%%", 100 * a->value);
		if (a->ci == TL_CI_NONE || isnan(a->lo))
			below[0] = '\0';
		else
			snprintf(below, sizeof below, "95%% interval %.1f" EN_DASH "%.1f%%", 100 * a->lo, 100 * a->hi);
		box(f, "accuracy", v, below);
	}
	snprintf(v, sizeof v, "%lld", ev->n_eval);
	snprintf(below, sizeof below, "evaluated, of %lld read", m->records);
	box(f, "records", v, below);
	headline_close(f, m);
}

/* ---- the pages ------------------------------------------------------------------ */

int
tl_html_report(const char *path, const struct tl_report_meta *m, const struct tl_eval *ev,
               const struct tl_evalset *s, struct tl_shots *sh, const char *hist,
               struct tl_err *err)
{
	struct tl_afile *a;
	char title[900], what[120];
	FILE *f;

	accuracy_text(what, sizeof what, ev);
	title_of(title, sizeof title, m, 1, what);
	if ((f = page_open(&a, path, title, err)) == NULL)
		return tl_err_prefix(err, "--html");
	headline(f, m, ev);
	fprintf(f, "<p class=\"meta\">%lld records read: %lld evaluated, %lld unlabelled, %lld bad",
	        m->records, ev->n_eval, m->unlabelled, m->bad);
	if (m->ood_label)
		fprintf(f, ", %lld labelled ", ev->n_ood), tl_xml_text(f, m->ood_label, 0), fputs(" (OOD)", f);
	fprintf(f, "; %lld predicted \"unknown\"", ev->n_unknown);
	for (int i = TL_REJECT_NONE + 1, sep = 0; i < TL_REJECT_N; i++)
		if (ev->n_unknown_by[i] > 0)
			fprintf(f, "%s%lld %s", sep++ ? ", " : ": ", ev->n_unknown_by[i], tl_eval_reject_text(i));
	fprintf(f, "</p>\n<nav><a href=\"#metrics\">metrics</a>"
	        "<a href=\"#confusion\">confusion</a><a href=\"#classes\">per class</a>"
	        "<a href=\"#calibration\">calibration</a><a href=\"#threshold\">threshold</a>"
	        "<a href=\"#losses\">top losses</a>%s</nav>\n</header>\n",
	        hist ? "<a href=\"#history\">history</a>" : "");
	metrics_table(f, m, ev);
	confusion(f, ev);
	per_class(f, ev);
	calibration(f, ev, s);
	coverage_curve(f, ev);
	losses(f, ev, s, sh);
	if (hist && history(f, ev, hist, err) < 0) {
		tl_afile_abort(a);
		return -1;
	}
	return page_close(a, path, err);
}

/* The summary's headline: dataset, model, predictions, then the counts
 * of the HEAD_CLASSES most predicted classes (the others together) and of
 * "unknown" with its reasons. */
static void
predictions_headline(FILE *f, const struct tl_report_meta *m, const struct tl_summary *sum,
                     const struct tl_evalset *s)
{
	int k = tl_evalset_nclass(s), top[HEAD_CLASSES], nt = 0;
	long long rest = 0;
	char v[64], below[300], label[64];

	headline_open(f, m, 1);
	snprintf(v, sizeof v, "%lld", sum->n);
	snprintf(below, sizeof below, "without labels, of %lld read", m->records);
	box(f, "predictions", v, below);
	for (int c = 0; c < k; c++) { /* the most predicted first, ties in class order */
		long long x = sum->counts[c];
		int j = nt;
		if (nt < HEAD_CLASSES) {
			nt++;
		} else if (x <= sum->counts[top[nt - 1]]) {
			rest += x;
			continue;
		} else {
			rest += sum->counts[top[--j]]; /* the last one leaves */
		}
		for (; j > 0 && sum->counts[top[j - 1]] < x; j--)
			top[j] = top[j - 1];
		top[j] = c;
	}
	for (int i = 0; i < nt; i++) {
		snprintf(v, sizeof v, "%lld", sum->counts[top[i]]);
		snprintf(below, sizeof below, "%.1f%%", sum->n ? 100.0 * sum->counts[top[i]] / sum->n : 0.0);
		box(f, tl_evalset_class(s, top[i]), v, below);
	}
	if (k > nt) {
		snprintf(v, sizeof v, "%lld", rest);
		snprintf(below, sizeof below, "%.1f%%", sum->n ? 100.0 * rest / sum->n : 0.0);
		snprintf(label, sizeof label, "%d other classes", k - nt);
		box(f, label, v, below);
	}
	snprintf(v, sizeof v, "%lld", sum->counts[k]);
	snprintf(below, sizeof below, "%.1f%%", sum->n ? 100.0 * sum->counts[k] / sum->n : 0.0);
	for (int i = TL_REJECT_NONE + 1, sep = 0; i < TL_REJECT_N; i++)
		if (sum->why[i] > 0) {
			size_t l = strlen(below);
			snprintf(below + l, sizeof below - l, "%s%lld %s", sep++ ? ", " : ": ", sum->why[i],
			         tl_eval_reject_text(i));
		}
	box(f, "unknown", v, below);
	headline_close(f, m);
}

static void
review_rows(FILE *f, const struct tl_evalset *s, const char *title, const size_t *idx, size_t n)
{
	int k = tl_evalset_nclass(s);

	if (n == 0)
		return;
	fputs("<h3>", f), tl_xml_text(f, title, 0);
	fputs("</h3>\n<table>\n<tr><th class=\"txt\">id</th><th class=\"txt\">predicted</th>"
	      "<th>confidence</th><th>ood</th><th class=\"txt\">rejected</th></tr>\n", f);
	for (size_t j = 0; j < n; j++) {
		struct tl_eval_rec r;
		tl_evalset_predicted(s, idx[j], &r);
		fputs("<tr>", f), cell(f, r.id);
		cell(f, r.pred >= 0 && r.pred < k ? tl_evalset_class(s, r.pred) : "unknown");
		num(f, r.conf), num(f, r.ood);
		cell(f, r.pred == -1 ? tl_eval_reject_text(r.reject) : "");
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

int
tl_html_predictions(const char *path, const struct tl_report_meta *m, const struct tl_summary *sum,
                    const struct tl_evalset *s, struct tl_err *err)
{
	int k = tl_evalset_nclass(s);
	struct tl_afile *a;
	char title[900], what[120];
	FILE *f;

	snprintf(what, sizeof what, "%lld prediction%s without labels", sum->n, sum->n == 1 ? "" : "s");
	title_of(title, sizeof title, m, 1, what);
	if ((f = page_open(&a, path, title, err)) == NULL)
		return tl_err_prefix(err, "--html");
	predictions_headline(f, m, sum, s);
	fprintf(f, "<p class=\"meta\">%lld records read: %lld with a verdict and no label, %lld bad; "
	        "%lld predicted \"unknown\"", m->records, sum->n, m->bad, sum->counts[k]);
	for (int i = TL_REJECT_NONE + 1, sep = 0; i < TL_REJECT_N; i++)
		if (sum->why[i] > 0)
			fprintf(f, "%s%lld %s", sep++ ? ", " : ": ", sum->why[i], tl_eval_reject_text(i));
	fputs("</p>\n</header>\n", f);
	section(f, "predicted", "Predictions per class");
	fputs("<p class=\"note\">No labels: what was predicted, not how well.</p>\n<table>\n"
	      "<tr><th class=\"txt\">predicted</th><th>n</th><th>share</th></tr>\n", f);
	for (int c = 0; c <= k; c++) {
		fputs("<tr>", f), cell(f, c < k ? tl_evalset_class(s, c) : "unknown");
		fprintf(f, "<td class=\"num\">%lld</td><td class=\"num\">%.1f%%</td></tr>\n", sum->counts[c],
		        sum->n ? 100.0 * sum->counts[c] / sum->n : 0.0);
	}
	fputs("</table>\n</section>\n", f);
	if (sum->nconf > 0) {
		section(f, "confidence", "Confidence of the best class");
		fputs("<table>\n<tr>", f);
		for (int q = 0; q < TL_SUMMARY_NQ; q++)
			fprintf(f, "<th>p%g</th>", 100 * tl_summary_q[q]);
		fputs("</tr>\n<tr>", f);
		for (int q = 0; q < TL_SUMMARY_NQ; q++)
			num(f, sum->q[q]);
		fputs("</tr>\n</table>\n</section>\n", f);
	}
	section(f, "review", "Records to review first");
	review_rows(f, s, "Lowest confidence", sum->low, sum->nlow);
	review_rows(f, s, "Highest OOD score", sum->high, sum->nhigh);
	fputs("</section>\n", f);
	return page_close(a, path, err);
}

int
tl_html_coverage(const char *path, const struct tl_report_meta *m, const struct tl_evalset *s,
                 struct tl_err *err)
{
	int k = tl_evalset_nclass(s);
	long long *n = calloc(k + 1, sizeof *n), max = 0, total = 0;
	const char **cl = calloc(k + 1, sizeof *cl);
	struct tl_svg_plot p = { 0 };
	struct tl_afile *a;
	char title[900], what[120];
	int below = 0;
	double x[2] = { 0, k }, y[2] = { (double)m->min_count, (double)m->min_count };
	FILE *f;

	if (n == NULL || cl == NULL)
		return free(n), free(cl), tl_err_set(err, "out of memory");
	tl_evalset_counts(s, n);
	for (int c = 0; c < k; c++)
		total += n[c], below += n[c] < m->min_count;
	snprintf(what, sizeof what, "class coverage of %lld record%s", total, total == 1 ? "" : "s");
	title_of(title, sizeof title, m, 0, what);
	if ((f = page_open(&a, path, title, err)) == NULL)
		return free(n), free(cl), tl_err_prefix(err, "--html");
	headline_open(f, m, 0);
	snprintf(what, sizeof what, "%lld", total);
	box(f, "records", what, "");
	snprintf(what, sizeof what, "%d", k);
	snprintf(title, sizeof title, "%d below --min-count %lld", below, m->min_count);
	box(f, "classes", what, title);
	headline_close(f, m);
	fputs("</header>\n", f);
	section(f, "coverage", "Records per class");
	for (int c = 0; c < k; c++)
		cl[c] = tl_evalset_class(s, c), max = n[c] > max ? n[c] : max;
	if (k > 0 && k <= MAX_CHART_CLASS) {
		p.width = k * 50 + 120 > 1100 ? 1100 : k * 50 + 120 < 460 ? 460 : k * 50 + 120;
		p.height = 300, p.ncat = k, p.cats = cl, p.ylabel = "records", p.yint = 1;
		p.ymax = 1.1 * (double)(max > m->min_count ? max : m->min_count) + 1;
		tl_svg_begin(f, &p);
		for (int c = 0; c < k; c++)
			tl_svg_bar(f, &p, c + 0.15, c + 0.85, (double)n[c], n[c] < m->min_count ? WRONG : "#4e79a7", cl[c]);
		tl_svg_line(f, &p, x, y, 2, "#555", 0, 1);
		tl_svg_end(f);
	}
	fprintf(f, "<p class=\"note\">The dashed line is --min-count (%lld).</p>\n<table>\n"
	        "<tr><th>class</th><th>count</th><th>short</th></tr>\n", m->min_count);
	for (int c = 0; c < k; c++) {
		fputs("<tr>", f), cell(f, cl[c]);
		fprintf(f, "<td class=\"num\">%lld</td><td class=\"num\">", n[c]);
		if (n[c] < m->min_count)
			fprintf(f, "%lld</td></tr>\n", m->min_count - n[c]);
		else
			fputs("-</td></tr>\n", f);
	}
	fputs("</table>\n</section>\n", f);
	free(n), free(cl);
	return page_close(a, path, err);
}

static void
usage_table(FILE *f, const struct tl_usage_row *r, size_t n, long long total, const char *what)
{
	fprintf(f, "<table>\n<tr><th>%s</th><th>n</th><th>share</th><th>unknown</th><th>mean conf</th>"
	        "</tr>\n", what);
	for (size_t i = 0; i < n; i++) {
		fputs("<tr>", f), cell(f, r[i].key);
		fprintf(f, "<td class=\"num\">%lld</td><td class=\"num\">%.1f%%</td><td class=\"num\">%lld"
		        "</td>", r[i].n, 100.0 * r[i].n / total, r[i].unknown);
		num(f, r[i].mean_conf);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

int
tl_html_usage(const char *path, struct tl_usage *u, const char *name, long long bad,
              struct tl_err *err)
{
	struct tl_usage_row *d = NULL, *c = NULL, *m = NULL;
	size_t nd = 0, nc = 0, nm = 0, ncat;
	long long total, unknown, max = 0;
	struct tl_svg_plot p = { 0 };
	const char **cats = NULL;
	double *x = NULL, *y = NULL;
	struct tl_afile *a = NULL;
	char tip[300], title[900];
	FILE *f;
	int rc = -1;

	tl_usage_totals(u, &total, &unknown);
	if (tl_usage_rows(u, TL_USAGE_DAY, &d, &nd) < 0 || tl_usage_rows(u, TL_USAGE_CLASS, &c, &nc) < 0 ||
	    tl_usage_rows(u, TL_USAGE_MODEL, &m, &nm) < 0 ||
	    (cats = malloc((nd + nc + 1) * sizeof *cats)) == NULL ||
	    (x = malloc((nd + 1) * sizeof *x)) == NULL || (y = malloc((nd + 1) * sizeof *y)) == NULL) {
		tl_err_set(err, "out of memory");
		goto out;
	}
	snprintf(title, sizeof title, "%s " EM_DASH " usage: %lld identification%s", name, total,
	         total == 1 ? "" : "s");
	if ((f = page_open(&a, path, title, err)) == NULL) {
		tl_err_prefix(err, "--html");
		goto out;
	}
	fputs("<p class=\"meta\">log ", f), tl_xml_text(f, name, 0);
	fprintf(f, ": %lld identifications", total);
	if (nd > 0)
		fputs(" from ", f), tl_xml_text(f, d[0].key, 0), fputs(" to ", f), tl_xml_text(f, d[nd - 1].key, 0);
	fprintf(f, ", %lld unknown (%.1f%%", unknown, total ? 100.0 * unknown / total : 0.0);
	for (int i = TL_REJECT_NONE + 1, sep = 0; i < TL_REJECT_N; i++)
		if (tl_usage_why(u)[i] > 0)
			fprintf(f, "%s%lld %s", sep++ ? ", " : "; ", tl_usage_why(u)[i], tl_eval_reject_text(i));
	fprintf(f, "), %lld bad line%s</p>\n</header>\n", bad, bad == 1 ? "" : "s");
	if (total == 0)
		goto done;

	section(f, "days", "Volume and unknown rate per day");
	fputs("<div class=\"charts\">\n", f);
	for (size_t i = 0; i < nd; i++)
		cats[i] = d[i].key, max = d[i].n > max ? d[i].n : max;
	ncat = nd;
	p.width = 520, p.height = 320, p.ymax = 1.1 * max, p.ncat = (int)ncat, p.cats = cats;
	p.title = "Identifications per day", p.ylabel = "identifications", p.yint = 1;
	tl_svg_begin(f, &p);
	for (size_t i = 0; i < nd; i++) {
		snprintf(tip, sizeof tip, "%s: %lld", d[i].key, d[i].n);
		tl_svg_bar(f, &p, i + 0.15, i + 0.85, (double)d[i].n, "#4e79a7", tip);
	}
	tl_svg_end(f);
	for (size_t i = 0; i < nd; i++)
		x[i] = i + 0.5, y[i] = (double)d[i].unknown / d[i].n;
	memset(&p, 0, sizeof p);
	p.width = 520, p.height = 320, p.ymax = 1, p.ncat = (int)ncat, p.cats = cats;
	p.title = "Unknown rate per day", p.ypercent = 1;
	tl_svg_begin(f, &p);
	tl_svg_line(f, &p, x, y, (int)nd, "#e15759", 1, 0);
	tl_svg_end(f);
	fputs("</div>\n", f);
	usage_table(f, d, nd, total, "day");
	fputs("</section>\n", f);

	section(f, "predicted", "Per predicted class");
	ncat = nc > MAX_CHART_CLASS ? MAX_CHART_CLASS : nc;
	for (size_t i = 0; i < ncat; i++)
		cats[i] = c[i].key;
	memset(&p, 0, sizeof p);
	p.width = ncat * 60 + 120 > 1100 ? 1100 : ncat * 60 + 120 < 460 ? 460 : (int)ncat * 60 + 120;
	p.height = 300, p.ymax = 1.1 * c[0].n, p.ncat = (int)ncat, p.cats = cats, p.ylabel = "identifications";
	p.yint = 1;
	tl_svg_begin(f, &p);
	for (size_t i = 0; i < ncat; i++) {
		snprintf(tip, sizeof tip, "%s: %lld", c[i].key, c[i].n);
		tl_svg_bar(f, &p, i + 0.15, i + 0.85, (double)c[i].n,
		           strcmp(c[i].key, "unknown") == 0 ? "#e15759" : "#4e79a7", tip);
	}
	tl_svg_end(f);
	usage_table(f, c, nc, total, "predicted");
	fputs("</section>\n", f);
	section(f, "models", "Per model");
	usage_table(f, m, nm, total, "model");
	fputs("</section>\n", f);
done:
	rc = page_close(a, path, err);
	a = NULL;
out:
	tl_afile_abort(a);
	free(d), free(c), free(m), free(cats), free(x), free(y);
	return rc;
}
