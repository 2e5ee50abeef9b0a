/*
 * svg.c - inline SVG charts (svg.h).  Coordinates are printed with one
 * decimal in the C locale.  No font is named: an inline chart's text is in
 * the page's font (html.c's CSS), 12 px, titles 14 px bold.  Text sizes are
 * guesses from character counts (about 7 px per character at 12 px), good
 * enough to size margins and decide when category labels must be slanted or
 * thinned out.
 *
 * Not here: data (html.c), colours of a page's CSS.
 */
#include <math.h>
#include <string.h>

#include "report/svg.h"
#include "report/xml.h"

#define FONT 12      /* px, the charts' text */
#define TITLE_FONT 14 /* px, a chart's title (bold) */
#define CHAR_W 7.0   /* px per character of FONT px text, roughly */
#define LABEL_MAX 16 /* characters of a category label shown */
#define CELL_MAX 80  /* px, a heat map's cell at most (2 or 3 classes) */
#define CELL_MIN 26  /* px, ... at least, while the map fits 1000 px */
#define MIN_TEXT 7   /* px: smaller values are left to the cell's tip */

/* Characters of s as UTF-8 (continuation bytes not counted). */
static int
chars(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static double
px(const struct tl_svg_plot *p, double x)
{
	double span = p->xmax - p->xmin;

	return p->l + (span > 0 ? (x - p->xmin) / span : 0.5) * (p->r - p->l);
}

static double
py(const struct tl_svg_plot *p, double y)
{
	double span = p->ymax - p->ymin;

	if (y < p->ymin)
		y = p->ymin;
	if (y > p->ymax)
		y = p->ymax;
	return p->b - (span > 0 ? (y - p->ymin) / span : 0.5) * (p->b - p->t);
}

/* A step of 1, 2 or 5 times a power of ten giving about n ticks over span. */
static double
nice_step(double span, int n)
{
	double raw = span / n, mag, f;

	if (!(raw > 0))
		return 1;
	mag = pow(10, floor(log10(raw)));
	f = raw / mag;
	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

static void
tick_label(FILE *f, double v, double step, int percent)
{
	int dec;

	if (percent)
		v *= 100, step *= 100;
	dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
	if (fabs(v) < step * 1e-6)
		v = 0;
	fprintf(f, "%.*f%s", dec > 6 ? 6 : dec, v, percent ? "%" : "");
}

/* Opens an <svg> of w x h px: text in the page's font (none named). */
static void
svg_open(FILE *f, int w, int h)
{
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "viewBox=\"0 0 %d %d\" font-size=\"%d\" role=\"img\">", w, h, w, h, FONT);
}

/* The chart's title, centred at x, and its hover tip. */
static void
svg_title(FILE *f, double x, const char *title)
{
	fputs("<title>", f), tl_xml_text(f, title, 0), fputs("</title>", f);
	fprintf(f, "<text x=\"%.1f\" y=\"19\" font-size=\"%d\" font-weight=\"bold\" "
	        "text-anchor=\"middle\">", x, TITLE_FONT);
	tl_xml_text(f, title, 0), fputs("</text>", f);
}

void
tl_svg_begin(FILE *f, struct tl_svg_plot *p)
{
	double step, slot = 0;
	int maxc = 0, slant = 0, every = 1;

	p->l = p->ylabel ? 62 : 48;
	p->t = (p->title ? 30 : 12) + (p->legend ? 20 : 0);
	p->r = p->width - 16;
	p->b = p->height - (p->xlabel ? 40 : 24);
	if (p->ncat > 0) {
		p->xmin = 0, p->xmax = p->ncat;
		for (int i = 0; p->cats && i < p->ncat; i++) {
			int c = chars(p->cats[i]);
			maxc = c > maxc ? (c > LABEL_MAX ? LABEL_MAX + 1 : c) : maxc;
		}
		slot = (p->r - p->l) / p->ncat;
		if (maxc * CHAR_W > slot * 0.95) {
			slant = 1;
			p->b -= maxc * CHAR_W * 0.64;
			if (slot < 13)
				every = (int)ceil(13 / slot);
		}
	}
	svg_open(f, p->width, p->height);
	if (p->title)
		svg_title(f, (p->l + p->r) / 2, p->title);
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fafafa\" "
	        "stroke=\"#999\"/>", p->l, p->t, p->r - p->l, p->b - p->t);
	/* y grid and ticks */
	step = nice_step(p->ymax - p->ymin, 5);
	if (p->yint && step < 1)
		step = 1;
	for (double v = ceil(p->ymin / step - 1e-9) * step; v <= p->ymax + step * 1e-9; v += step) {
		double y = py(p, v);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>",
		        p->l, y, p->r, y);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", p->l - 4, y + 4);
		tick_label(f, v, step, p->ypercent), fputs("</text>", f);
	}
	/* x: categories or numeric ticks */
	if (p->ncat > 0) {
		for (int i = 0; p->cats && i < p->ncat; i += every) {
			double x = px(p, i + 0.5);
			if (!p->cats[i] || !*p->cats[i])
				continue;
			if (slant)
				fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
				        "transform=\"rotate(-40 %.1f %.1f)\">", x, p->b + 12, x, p->b + 12);
			else
				fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, p->b + 14);
			tl_xml_text(f, p->cats[i], LABEL_MAX), fputs("</text>", f);
		}
	} else {
		step = nice_step(p->xmax - p->xmin, 6);
		for (double v = ceil(p->xmin / step - 1e-9) * step; v <= p->xmax + step * 1e-9; v += step) {
			double x = px(p, v);
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>",
			        x, p->t, x, p->b);
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, p->b + 14);
			tick_label(f, v, step, p->xpercent), fputs("</text>", f);
		}
	}
	if (p->xlabel) {
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#444\">",
		        (p->l + p->r) / 2, p->height - 6);
		tl_xml_text(f, p->xlabel, 0), fputs("</text>", f);
	}
	if (p->ylabel) {
		double y = (p->t + p->b) / 2;
		fprintf(f, "<text x=\"14\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444\" "
		        "transform=\"rotate(-90 14 %.1f)\">", y, y);
		tl_xml_text(f, p->ylabel, 0), fputs("</text>", f);
	}
}

void
tl_svg_end(FILE *f)
{
	fputs("</svg>\n", f);
}

void
tl_svg_line(FILE *f, const struct tl_svg_plot *p, const double *x, const double *y, int n,
            const char *colour, int markers, int dash)
{
	int pen = 0, any = 0;

	for (int i = 0; i < n; i++) {
		if (isnan(y[i]) || isnan(x[i])) {
			pen = 0;
			continue;
		}
		if (!any)
			fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s d=\"", colour,
			        dash ? " stroke-dasharray=\"5 4\"" : "");
		fprintf(f, "%s%c%.1f %.1f", any ? " " : "", pen ? 'L' : 'M', px(p, x[i]), py(p, y[i]));
		pen = any = 1;
	}
	if (any)
		fputs("\"/>", f);
	for (int i = 0; markers && i < n; i++)
		if (!isnan(y[i]) && !isnan(x[i]))
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", px(p, x[i]),
			        py(p, y[i]), colour);
}

void
tl_svg_bar(FILE *f, const struct tl_svg_plot *p, double x0, double x1, double y,
           const char *colour, const char *tip)
{
	double a = px(p, x0), b = px(p, x1), top = py(p, y), base = py(p, p->ymin);

	if (isnan(y))
		return;
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">", a, top,
	        b - a > 0.5 ? b - a : 0.5, base - top, colour);
	if (tip)
		fputs("<title>", f), tl_xml_text(f, tip, 0), fputs("</title>", f);
	fputs("</rect>", f);
}

void
tl_svg_note(FILE *f, const struct tl_svg_plot *p, double x, double y, int dy, const char *text)
{
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\" fill=\"#333\">",
	        px(p, x), py(p, y) + dy);
	tl_xml_text(f, text, 0), fputs("</text>", f);
}

void
tl_svg_legend(FILE *f, const struct tl_svg_plot *p, const char *const *names,
              const char *const *colours, int n)
{
	double x = p->l, y = p->t - 18;

	for (int i = 0; i < n; i++) {
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>",
		        x, y, colours[i]);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x + 14, y + 9);
		tl_xml_text(f, names[i], 2 * LABEL_MAX), fputs("</text>", f);
		x += 14 + (chars(names[i]) > 2 * LABEL_MAX ? 2 * LABEL_MAX + 1 : chars(names[i])) * CHAR_W + 16;
	}
}

/* White through light blue to dark blue for s in 0..1. */
static void
shade_rgb(double s, int rgb[3])
{
	static const int stops[3][3] = { { 247, 251, 255 }, { 107, 174, 214 }, { 8, 48, 107 } };
	int k;
	double t;

	s = isnan(s) ? 0 : s < 0 ? 0 : s > 1 ? 1 : s;
	k = s < 0.5 ? 0 : 1;
	t = (s - 0.5 * k) * 2;
	for (int i = 0; i < 3; i++)
		rgb[i] = (int)lround(stops[k][i] + t * (stops[k + 1][i] - stops[k][i]));
}

void
tl_svg_heatmap(FILE *f, const char *title, int rows, int cols, const char *const *rlabels,
               const char *const *clabels, const double *v, const double *shade, int percent,
               const char *xlabel, const char *ylabel)
{
	int maxr = 0, maxc = 0, n = cols > rows ? cols : rows, widest = percent ? 4 : 1, slant, w, h;
	double cell, left, top = title ? 32 : 10, bottom, fs, cx, tw, vmax = 0;

	for (int i = 0; i < rows; i++)
		maxr = chars(rlabels[i]) > maxr ? chars(rlabels[i]) : maxr;
	for (int j = 0; j < cols; j++)
		maxc = chars(clabels[j]) > maxc ? chars(clabels[j]) : maxc;
	maxr = maxr > LABEL_MAX ? LABEL_MAX + 1 : maxr;
	maxc = maxc > LABEL_MAX ? LABEL_MAX + 1 : maxc;
	for (size_t i = 0; !percent && i < (size_t)rows * cols; i++)
		vmax = v[i] > vmax ? v[i] : vmax;
	if (!percent)
		widest = snprintf(NULL, 0, "%.0f", vmax);
	/* 360 px over the longer side, cells at most CELL_MAX; at least
	 * CELL_MIN while the matrix stays within 1000 px */
	cell = 360.0 / n;
	cell = cell > CELL_MAX ? CELL_MAX : cell;
	if (cell < CELL_MIN)
		cell = fmin(CELL_MIN, 1000.0 / n);
	cell = cell < 4 ? 4 : cell;
	/* the values as large as fits the widest (0.62 em a digit) */
	fs = fmin(fmin(cell * 0.3, 14), (cell - 6) / (widest * 0.62));
	slant = maxc * CHAR_W > cell - 4; /* column labels that do not fit across */
	left = 26 + maxr * CHAR_W + 8;
	bottom = (slant ? 14 + maxc * CHAR_W * 0.7 : 20) + (xlabel ? 22 : 4);
	w = (int)ceil(left + cols * cell + 16);
	h = (int)ceil(top + rows * cell + bottom);
	/* the title centred over the cells, the chart widened to hold it */
	cx = left + cols * cell / 2;
	tw = title ? chars(title) * CHAR_W * TITLE_FONT / FONT + 8 : 0;
	if (cx + tw / 2 > w)
		w = (int)ceil(cx + tw / 2);
	svg_open(f, w, h);
	if (title)
		svg_title(f, cx - tw / 2 < 0 ? tw / 2 : cx, title);
	for (int i = 0; i < rows; i++) {
		double y = top + i * cell;
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", left - 6, y + cell / 2 + 4);
		tl_xml_text(f, rlabels[i], LABEL_MAX), fputs("</text>", f);
		for (int j = 0; j < cols; j++) {
			double x = left + j * cell, s = shade[(size_t)i * cols + j];
			double val = v[(size_t)i * cols + j];
			int rgb[3];
			shade_rgb(s, rgb);
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			        "fill=\"rgb(%d,%d,%d)\" stroke=\"#fff\"><title>", x, y, cell, cell,
			        rgb[0], rgb[1], rgb[2]);
			tl_xml_text(f, rlabels[i], 0), fputs(" \xe2\x86\x92 ", f);
			tl_xml_text(f, clabels[j], 0);
			if (percent)
				fprintf(f, ": %.1f%%</title></rect>", 100 * val);
			else
				fprintf(f, ": %.0f</title></rect>", val);
			if (fs < MIN_TEXT || (!percent && val == 0))
				continue;
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"%.1f\" "
			        "fill=\"%s\">", x + cell / 2, y + cell / 2 + fs * 0.35, fs,
			        s > 0.55 ? "#fff" : "#222");
			if (percent)
				fprintf(f, "%.0f%%</text>", 100 * val);
			else
				fprintf(f, "%.0f</text>", val);
		}
	}
	for (int j = 0; j < cols; j++) {
		double x = left + j * cell + cell / 2, y = top + rows * cell + (slant ? 12 : 16);
		if (slant)
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
			        "transform=\"rotate(-40 %.1f %.1f)\">", x, y, x, y);
		else
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, y);
		tl_xml_text(f, clabels[j], LABEL_MAX), fputs("</text>", f);
	}
	if (xlabel) {
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#444\">",
		        left + cols * cell / 2, h - 6);
		tl_xml_text(f, xlabel, 0), fputs("</text>", f);
	}
	if (ylabel) {
		double y = top + rows * cell / 2;
		fprintf(f, "<text x=\"14\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444\" "
		        "transform=\"rotate(-90 14 %.1f)\">", y, y);
		tl_xml_text(f, ylabel, 0), fputs("</text>", f);
	}
	tl_svg_end(f);
}
